"""The server's directory import, scoped by source as a workstation's is: two sources never
touch each other's records, an import adds and updates by default, ``--replace`` replaces
exactly its own source, and nothing empties the directory by accident."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from console.cli import main
from console.directory.batch import REFERENCES, ImportFailed
from console.directory.formats import read_directory
from console.server.directory import changes_after, import_directory, store_batch
from console.tasks import QuietState
from tests.conftest import REPO

DATA = REPO / "tests" / "data"
MESSY_211 = DATA / "messy211"
OHANA = DATA / "ohana"
DEMO = REPO / "resources" / "demo" / "directory.json"


def live(engine: Engine) -> dict[tuple[str, str], dict[str, Any]]:
    changes = orjson.loads(orjson.dumps(changes_after(engine, 0, 10**7).changes))
    return {(c["kind"], c["id"]): c["data"] for c in changes if not c["deleted"]}


def service_names(engine: Engine) -> list[str]:
    return sorted(row["name"] for (kind, _), row in live(engine).items() if kind == "service")


def import_cli(database_url: str, path: Path, *options: str) -> int:
    return main(["server", "import-directory", str(path), "--database-url", database_url,
                 "--no-snapshot", *options])


def dangling(records: dict[tuple[str, str], dict[str, Any]]) -> list[tuple[str, str]]:
    """Records that point at a record the directory no longer holds."""
    found = []
    for (kind, record_id), row in records.items():
        owners = [(target, row.get(column)) for column, target in REFERENCES[kind].items()]
        if kind == "attribute":
            owners.append((row["link_entity"], row["link_id"]))
        if any(owner_id and (target, owner_id) not in records for target, owner_id in owners):
            found.append((kind, record_id))
    return found


def test_sources_never_touch_each_others_records(database_url: str, engine: Engine) -> None:
    assert import_cli(database_url, MESSY_211, "--source", "211") == 0
    first = live(engine)
    # The ohana sample numbers its organizations and services from 1, like the 211 package.
    assert import_cli(database_url, OHANA, "--source", "ohana") == 0
    both = live(engine)
    assert all(both.get(key) == row for key, row in first.items())
    assert len(service_names(engine)) == len(service_names_of(first)) + 3
    # Replacing one source leaves the other exactly as it was.
    assert import_cli(database_url, OHANA, "--source", "ohana", "--replace") == 0
    assert live(engine) == both
    assert dangling(live(engine)) == []


def service_names_of(records: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    return sorted(row["name"] for (kind, _), row in records.items() if kind == "service")


def test_an_import_merges_and_replace_replaces_exactly_its_source(
        database_url: str, engine: Engine, tmp_path: Path) -> None:
    import_directory(engine, OHANA, source="ohana")
    ohana = live(engine)
    import_directory(engine, MESSY_211, source="211")
    everything = service_names(engine)
    subset = tmp_path / "subset"
    shutil.copytree(MESSY_211, subset)
    services = (subset / "services.csv").read_text(encoding="utf-8").splitlines()
    renamed = services[2].replace("Mental Health Counseling", "Counseling for Adults")
    (subset / "services.csv").write_text("\n".join([services[0], renamed]) + "\n",
                                         encoding="utf-8")
    # By default a subset of a source adds and updates, and deletes nothing.
    report = import_directory(engine, subset, source="211")
    assert report.imported["service"] == 1
    assert service_names(engine) == sorted(
        ["Counseling for Adults", *(n for n in everything if n != "Mental Health Counseling")])
    # With --replace the subset becomes the whole of its source; the other source stays whole.
    import_directory(engine, subset, source="211", replace=True)
    after = live(engine)
    assert all(after.get(key) == row for key, row in ohana.items())
    assert service_names(engine) == sorted(["Counseling for Adults",
                                            *service_names_of(ohana)])
    assert dangling(after) == []


def test_nothing_empties_the_directory_by_accident(
        database_url: str, engine: Engine, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert import_cli(database_url, OHANA, "--source", "ohana") == 0
    before = live(engine)
    only_organizations = tmp_path / "orgs"
    only_organizations.mkdir()
    shutil.copy(OHANA / "organizations.csv", only_organizations)
    assert import_cli(database_url, only_organizations, "--source", "ohana", "--replace") == 1
    assert "no services" in capsys.readouterr().err
    with pytest.raises(ImportFailed, match="not HSDS"):
        import_directory(engine, DATA / "badinput" / "list.json", replace=True)
    assert live(engine) == before


def test_the_source_defaults_to_the_file_name(engine: Engine, tmp_path: Path) -> None:
    import_directory(engine, OHANA)
    again = import_directory(engine, OHANA)
    assert "0 records new or changed, 0 removed" in again.notes
    # The same records under another name are another source's: kept apart, not merged.
    copy = tmp_path / "ohana-copy"
    shutil.copytree(OHANA, copy)
    import_directory(engine, copy)
    assert service_names(engine).count("Food Pantry") == 2


def test_records_stored_before_sources_are_taken_over_without_duplicates(
        engine: Engine, tmp_path: Path) -> None:
    # As an earlier server stored the demo: ids not scoped by any source.
    store_batch(engine, read_directory(DEMO, QuietState()), QuietState())
    before = live(engine)
    import_directory(engine, DEMO)
    after = live(engine)
    assert Counter(kind for kind, _ in after) == Counter(kind for kind, _ in before)
    assert {key for key in after if key[0] == "service"} == \
        {key for key in before if key[0] == "service"}
    assert dangling(after) == []
    assert "0 records new or changed, 0 removed" in import_directory(engine, DEMO).notes
