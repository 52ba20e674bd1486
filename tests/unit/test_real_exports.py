"""Real exports from the field, as the fixtures in tests/data reproduce them: a 211 system's HSDS
1.1 package with its usual faults, the Code for America ohana layout, and input that is not HSDS.
Nothing may crash, nothing may be lost without the report naming it, and sources never touch
each other's records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from console.cli import main
from console.directory.batch import ImportFailed
from console.directory.cli import EXIT_IMPORTED_WITH_LOSSES
from console.directory.export import export_json, validate_path
from console.directory.hours import HOURS_NOT_LISTED
from console.directory.index import SEARCH_COLUMNS, rebuild_search_index
from console.directory.loader import StrictImportRefused
from console.directory.query import PLACEHOLDER_ORGANIZATION_NAME
from console.directory.search import DirectorySearch, SearchQuery
from console.directory.store import import_path
from console.models.database import open_directory
from console.tasks import QuietState
from tests.conftest import REPO
from tools.demo_directory import generate_directory

DATA = REPO / "tests" / "data"
MESSY_211 = DATA / "messy211"
OHANA = DATA / "ohana"


@pytest.fixture
def directory(tmp_path: Path) -> Engine:
    return open_directory(tmp_path / "directory.sqlite")


def rows(engine: Engine, sql: str, *parameters: object) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(sql, tuple(parameters))]


def names(engine: Engine, text: str = "", **filters: object) -> list[str]:
    found = DirectorySearch(engine).search(SearchQuery(text=text, limit=100, **filters))
    return sorted(r.service_name for r in found)


def test_a_211_package_with_the_usual_faults_imports_without_loss(directory: Engine) -> None:
    report = import_path(directory, MESSY_211, QuietState(), source="211")
    # Addresses with a city and ZIP but no street, and a foreign one without city or state.
    assert report.imported["address"] == 7
    assert report.repaired[("address", "no address 1 in the source")] == 2
    assert ("Toronto",) not in rows(directory, "SELECT city FROM address")
    assert ("250 Front St W", "M5V 3G5", "CA") in rows(
        directory, "SELECT address_1, postal_code, country FROM address")
    # A line with an unclosed quote is skipped by its line number; the rows after it are kept.
    assert report.examples[("service", "a quote is left open (the line is cut short)")] == [
        "line 17"]
    assert "Emergency Housing" in names(directory)
    # One stray Windows-1252 byte: that line is read as such, every other line stays UTF-8.
    organizations = {row[0] for row in rows(directory, "SELECT name FROM organization")}
    assert {"CLÍNICA SEÑORA de la Salud", "Café Hope Ministries"} <= organizations
    assert any("line 9" in note for note in report.notes)
    # Every language of a service, though the export gives them one id.
    languages = rows(directory, "SELECT l.name FROM language l JOIN service s "
                     "ON s.id = l.service_id WHERE s.name = 'Clínica Comunitaria' ORDER BY 1")
    assert languages == [("Haitian Creole",), ("Spanish",)]
    assert rows(directory, "SELECT l.code FROM language l JOIN service s ON s.id = l.service_id "
                "WHERE s.name = 'Substance Use Treatment' ORDER BY 1") == [("en",), ("es",)]
    assert report.imported["accessibility"] == 2
    # A contact's phone is kept with its contact.
    assert rows(directory, "SELECT c.name FROM phone p JOIN contact c ON c.id = p.contact_id") \
        == [("Ana Ruiz",)]
    # Services whose organization the file lacks are kept, under a placeholder, and flagged.
    legal = DirectorySearch(directory).search(SearchQuery(text="immigration legal"))
    assert legal[0].service_name == "Immigration Legal Services"
    assert legal[0].organization_name == PLACEHOLDER_ORGANIZATION_NAME
    assert any(PLACEHOLDER_ORGANIZATION_NAME in note for note in report.notes)
    # What the directory does not keep is named, with counts.
    lines = report.lines()
    assert "not kept: services.csv: column keywords_local (1 value)" in lines
    assert any(line.startswith("not kept: holiday_schedules.csv") for line in lines)
    assert report.anything_lost


def test_the_exit_code_tells_whether_anything_was_skipped_and_strict_refuses(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["directory", "import", str(MESSY_211)]) == EXIT_IMPORTED_WITH_LOSSES
    assert "a quote is left open" in capsys.readouterr().out
    clean = tmp_path / "clean.ndjson"
    assert generate_directory(5, clean, QuietState()) == 5
    assert main(["directory", "import", str(clean)]) == 0
    before = capsys.readouterr()
    assert before.err == ""
    assert main(["directory", "import", "--strict", "--source", "other", str(MESSY_211)]) == 1
    output = capsys.readouterr()
    assert "strict" in output.err and "keywords_local" in output.out


def test_a_strict_import_that_would_lose_something_changes_nothing(directory: Engine) -> None:
    with pytest.raises(StrictImportRefused):
        import_path(directory, MESSY_211, QuietState(), strict=True)
    assert rows(directory, "SELECT count(*) FROM service") == [(0,)]


def test_sources_never_touch_each_others_records(directory: Engine) -> None:
    import_path(directory, MESSY_211, QuietState(), source="211")
    before = names(directory)
    # The ohana sample numbers its organizations and services from 1, like the 211 package.
    report = import_path(directory, OHANA, QuietState(), source="ohana")
    assert report.imported["service"] == 3
    assert set(before) <= set(names(directory))
    organizations = {row[0] for row in rows(directory, "SELECT name FROM organization")}
    assert {"Suncoast Community Services", "Peninsula Family Service"} <= organizations
    crisis = DirectorySearch(directory).search(SearchQuery(text="suncoast crisis hotline"))
    assert crisis[0].phone == "(813) 555-0100"
    # Replacing one source leaves the other exactly as it was.
    import_path(directory, OHANA, QuietState(), source="ohana", replace=True)
    assert set(before) <= set(names(directory)) and "Food Pantry" in names(directory)


def test_a_subset_of_a_source_adds_and_updates_and_deletes_nothing(
        directory: Engine, tmp_path: Path) -> None:
    import_path(directory, MESSY_211, QuietState(), source="211")
    everything = names(directory)
    subset = tmp_path / "subset"
    shutil.copytree(MESSY_211, subset)
    services = (subset / "services.csv").read_text(encoding="utf-8").splitlines()
    renamed = services[2].replace("Mental Health Counseling", "Counseling for Adults")
    (subset / "services.csv").write_text("\n".join([services[0], renamed]) + "\n",
                                         encoding="utf-8")
    report = import_path(directory, subset, QuietState(), source="211")
    assert report.imported["service"] == 1
    assert names(directory) == sorted(
        ["Counseling for Adults", *(n for n in everything if n != "Mental Health Counseling")])
    # With --replace the subset becomes the whole of that source, and nothing of the rest stays.
    import_path(directory, subset, QuietState(), source="211", replace=True)
    assert names(directory) == ["Counseling for Adults"]
    for table, column, parent in (("phone", "service_id", "service"),
                                  ("language", "service_id", "service"),
                                  ("address", "location_id", "location"),
                                  ("accessibility", "location_id", "location"),
                                  ("attribute", "link_id", "service"),
                                  ("service_at_location", "service_id", "service")):
        assert rows(directory, f"SELECT count(*) FROM {table} WHERE {column} IS NOT NULL AND "
                    f"{column} NOT IN (SELECT id FROM {parent})"
                    + (" AND link_entity = 'service'" if table == "attribute" else "")) == [(0,)]
    # The subset's organizations.csv still lists all eight organizations (no placeholder now).
    assert rows(directory, "SELECT count(*) FROM organization") == [(8,)]


def test_the_ohana_layout_reaches_organizations_through_locations(directory: Engine) -> None:
    report = import_path(directory, OHANA, QuietState())
    assert report.imported["service"] == 3 and report.total_skipped == 0
    assert "not kept: services.csv: column keywords (3 values)" in report.lines()
    pantry = DirectorySearch(directory).search(SearchQuery(text="food pantry"))[0]
    assert pantry.organization_name == "Peninsula Family Service"
    assert pantry.address_text.startswith("24 Second Ave")
    assert set(pantry.languages) == {"English", "Spanish"}
    assert rows(directory, "SELECT document FROM required_document") == [("Photo ID",)]


@pytest.mark.parametrize("name", ["geo.json", "list.json"])
def test_json_that_is_not_hsds_is_refused(directory: Engine, name: str) -> None:
    with pytest.raises(ImportFailed, match="is not HSDS"):
        import_path(directory, DATA / "badinput" / name, QuietState())


def test_a_source_with_no_services_never_replaces_anything(
        directory: Engine, tmp_path: Path) -> None:
    import_path(directory, OHANA, QuietState(), source="ohana")
    only_organizations = tmp_path / "orgs"
    only_organizations.mkdir()
    shutil.copy(OHANA / "organizations.csv", only_organizations)
    shutil.copy(OHANA / "regular_schedules.csv", only_organizations)
    with pytest.raises(ImportFailed, match="no services"):
        import_path(directory, only_organizations, QuietState(), source="ohana", replace=True)
    assert len(names(directory)) == 3


def test_the_format_is_found_by_content_not_by_name(directory: Engine, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert generate_directory(3, out, QuietState()) == 3
    report = import_path(directory, out, QuietState())
    assert report.imported["service"] == 3


@pytest.mark.parametrize("shape", sorted(p.name for p in (DATA / "hsds3").glob("*.json")))
def test_every_official_example_shape_validates(shape: str) -> None:
    assert validate_path(DATA / "hsds3" / shape) == []


def test_a_folder_validates_file_by_file(tmp_path: Path) -> None:
    shutil.copy(DATA / "hsds3" / "service_full.json", tmp_path)
    broken = json.loads((DATA / "hsds3" / "service_full.json").read_text(encoding="utf-8"))
    broken["url"] = "www.example.org"  # no scheme: the uri format check must catch it
    (tmp_path / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    problems = validate_path(tmp_path)
    assert problems and all(p.startswith("broken.json: ") for p in problems)
    assert any("$.url" in p and "uri" in p for p in problems)


def test_export_of_real_data_is_valid_hsds_and_urls_get_a_scheme(
        directory: Engine, tmp_path: Path) -> None:
    report = import_path(directory, MESSY_211, QuietState())
    assert rows(directory, "SELECT website FROM organization WHERE name LIKE 'Suncoast%'") == [
        ("https://www.suncoast.example.org",)]
    assert report.imported["organization"] >= 7
    out = tmp_path / "export.json"
    export_json(directory, out, QuietState())
    assert validate_path(out) == []


def test_everything_hsds_carries_round_trips(directory: Engine, tmp_path: Path) -> None:
    import_path(directory, DATA / "hsds3" / "service_full.json", QuietState())
    out = tmp_path / "export.json"
    export_json(directory, out, QuietState())
    original = json.loads((DATA / "hsds3" / "service_full.json").read_text(encoding="utf-8"))
    exported, = json.loads(out.read_text(encoding="utf-8"))
    for key in ("cost_options", "funding", "required_documents", "languages", "contacts",
                "metadata"):
        assert len(exported[key]) == len(original[key]), key
    assert exported["program"]["name"] == original["program"]["name"]
    assert exported["organization"]["organization_identifiers"][0]["identifier"] == \
        original["organization"]["organization_identifiers"][0]["identifier"]
    location = exported["service_at_locations"][0]["location"]
    assert location["accessibility"][0]["description"] == \
        original["service_at_locations"][0]["location"]["accessibility"][0]["description"]
    assert exported["contacts"][0]["phones"][0]["number"]
    assert validate_path(out) == []


def test_hours_as_a_caller_needs_them(directory: Engine) -> None:
    report = import_path(directory, MESSY_211, QuietState())
    search = DirectorySearch(directory)
    by_name = {r.service_name: r for r in search.search(SearchQuery(limit=100))}
    # No schedule in the source: not known, never "Closed".
    assert by_name["Victim Legal Advocacy"].hours_today == HOURS_NOT_LISTED
    assert not by_name["Victim Legal Advocacy"].hours_listed
    # 24/7 from the words of a service and from a hotline's name.
    always = sorted(r.service_name for r in search.search(SearchQuery(only_24h=True)))
    assert always == ["Suncoast Crisis Hotline", "Teen Text Line"]
    # "9:00am-5:00" is 9 to 5 in the afternoon; "9:0am" is 9 AM; "24 hours" on a day is all day.
    schedules = set(rows(directory, "SELECT s.name, h.byday, h.opens_at, h.closes_at FROM "
                         "schedule h JOIN service s ON s.id = h.service_id"))
    assert {("Mental Health Counseling", "MO", "09:00", "17:00"),
            ("Mental Health Counseling", "TU", "09:00", "17:00"),
            ("Substance Use Treatment", "SU", "00:00", "24:00")} <= schedules
    # A time with a day written in it is reported, never read as a wrong opening.
    assert report.skipped[("schedule", "unreadable closes at")] == 1
    assert not any(name == "Case Management" for name, *_ in schedules)


RELEVANCE = DATA / "relevance"


@pytest.fixture
def relevance_directory(directory: Engine) -> DirectorySearch:
    import_path(directory, RELEVANCE, QuietState())
    return DirectorySearch(directory)


def found(search: DirectorySearch, text: str = "", **filters: object) -> list[str]:
    return [r.service_name for r in search.search(SearchQuery(text=text, limit=50, **filters))]


def test_search_finds_what_a_specialist_asks_for(relevance_directory: DirectorySearch) -> None:
    search = relevance_directory
    # An apostrophe never turns the query into a phrase.
    assert found(search, "women's shelter") == found(search, "women shelter") != []
    # Stems and the hotline's synonyms.
    assert "Immigration Legal Services" in found(search, "immigrant")
    assert set(found(search, "counselling")) == set(found(search, "counseling"))
    assert {"Community Meal Program", "Soup Kitchen"} <= set(found(search, "food"))
    assert "Clothing Closet" not in found(search, "food")
    # Classification by whole words, with exclusions.
    shelters = found(search, category="emergency-shelter")
    assert "Women's Emergency Shelter" in shelters
    assert not {"Paws Animal Shelter", "Shelter Pet Adoption Day"} & set(shelters)
    assert "Consumer Credit Counseling" not in found(search, category="mental-health")
    assert "Mental Health Counseling" in found(search, "counseling", population="female")
    # Languages by name or alias, in any case.
    creole = found(search, language="Creole")
    assert len(creole) == 7
    assert creole == found(search, language="haitian creole") == found(search, language="HT")
    assert "Clínica de la Mujer" in found(search, language="español")


@pytest.mark.slow
def test_relevance_benchmark_meets_its_bar() -> None:
    import subprocess
    import sys

    output = subprocess.run([sys.executable, str(REPO / "benchmarks" / "relevance.py")],
                            check=True, capture_output=True, text=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    assert figures["queries"] >= 40 and figures["recall_at_10"] >= 0.9


def test_an_index_built_from_the_written_rows_is_the_one_read_back(directory: Engine) -> None:
    import_path(directory, MESSY_211, QuietState())  # a fresh store: built from the rows
    columns = ", ".join(c for c in SEARCH_COLUMNS if c != "rowid")
    before = rows(directory, f"SELECT {columns} FROM search_service ORDER BY service_id")
    hours = rows(directory, "SELECT s.service_id, h.day, h.opens, h.closes FROM search_hours h "
                 "JOIN search_service s ON s.rowid = h.service_rowid ORDER BY 1, 2, 3")
    with directory.begin() as connection:
        rebuild_search_index(connection, None, QuietState())  # read back from the store
    assert rows(directory, f"SELECT {columns} FROM search_service ORDER BY service_id") == before
    assert rows(directory, "SELECT s.service_id, h.day, h.opens, h.closes FROM search_hours h "
                "JOIN search_service s ON s.rowid = h.service_rowid ORDER BY 1, 2, 3") == hours
    assert len(before) == 16


@pytest.mark.parametrize("parts", [("a",), ("source", "x.json", "service", "12"), ("ü", "日本")])
def test_stable_ids_are_uuid5_of_their_parts(parts: tuple[str, ...]) -> None:
    import uuid

    from console.directory.vocabulary import ID_NAMESPACE, stable_uuid

    assert stable_uuid(*parts) == str(uuid.uuid5(ID_NAMESPACE, ":".join(parts)))


def test_the_demo_gives_way_only_to_a_source_with_services(tmp_path: Path) -> None:
    from console.directory.store import open_local_directory

    engine = open_local_directory()
    demo = len(DirectorySearch(engine).search(SearchQuery(limit=1000)))
    organizations_only = tmp_path / "orgs"
    organizations_only.mkdir()
    shutil.copy(OHANA / "organizations.csv", organizations_only)
    shutil.copy(OHANA / "regular_schedules.csv", organizations_only)
    import_path(engine, organizations_only, QuietState())
    assert len(DirectorySearch(engine).search(SearchQuery(limit=1000))) == demo > 200
    import_path(engine, OHANA, QuietState())
    assert names(engine) == ["Family Counseling", "Food Pantry", "Immigration Legal Help"]
