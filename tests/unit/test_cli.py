"""The ``hotline`` command end to end, as an administrator or a script would use it."""

import json
from pathlib import Path

import pytest

from console.cli import main
from console.tasks import QuietState
from tools.demo_directory import generate_directory


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_uses_the_demo_directory_on_first_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "directory", "search", "shelter", "--json", "--limit", "5")
    assert code == 0
    results = json.loads(out)["results"]
    assert 0 < len(results) <= 5
    for result in results:
        assert {"service_id", "service_name", "organization_name"} <= result.keys()


def test_search_prints_what_a_specialist_reads_out(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "directory", "search", "imigration", "--state", "TX")
    assert code == 0
    assert " 1. " in out and "Today:" in out


def test_bad_filter_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "directory", "search", "legal", "--zip", "00000")
    assert code == 1 and "unknown ZIP code" in err
    code, _, err = run(capsys, "directory", "search", "legal", "--open-at", "tomorrow")
    assert code == 1 and "--open-at" in err


def test_generate_import_export_round_trip(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    generated = tmp_path / "national.json"
    generate_directory(60, generated, QuietState())
    code, out, _ = run(capsys, "directory", "import", str(generated))
    assert code == 0 and "done: 60 services imported" in out
    exported = tmp_path / "export.json"
    assert run(capsys, "directory", "export", "--format", "json", str(exported))[0] == 0
    assert len(json.loads(exported.read_text())) == 60
    code, out, _ = run(capsys, "directory", "validate", str(exported))
    assert code == 0 and "valid HSDS 3.0" in out
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps([{"id": "not-a-uuid", "name": "X", "status": "open"}]))
    code, out, _ = run(capsys, "directory", "validate", str(broken))
    assert code == 1 and "problems" in out
    folder = tmp_path / "csv"
    assert run(capsys, "directory", "export", "--format", "csv", str(folder))[0] == 0
    assert (folder / "datapackage.json").exists() and (folder / "services.csv").exists()


def test_first_real_import_replaces_the_demo(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "directory", "search", "--json", "--limit", "100")
    demo = {result["service_id"] for result in json.loads(out)["results"]}
    assert code == 0 and len(demo) > 10  # the demo directory, loaded by the first search
    generated = tmp_path / "small.json"
    generate_directory(10, generated, QuietState(), seed=3)
    assert run(capsys, "directory", "import", str(generated))[0] == 0
    code, out, _ = run(capsys, "directory", "search", "--json", "--limit", "100")
    imported = {result["service_id"] for result in json.loads(out)["results"]}
    assert code == 0 and 0 < len(imported) <= 10 and not imported & demo


def test_import_of_garbage_fails_cleanly(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text("{ this is not json")
    code, _, err = run(capsys, "directory", "import", str(junk))
    assert code == 1 and err.startswith("error:")
    code, _, err = run(capsys, "directory", "import", str(tmp_path / "missing.json"))
    assert code == 1 and err.startswith("error:")


def test_interactive_lookup(monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("legal aid\n\n"))
    code, out, _ = run(capsys, "directory", "lookup")
    assert code == 0 and "Referral directory search" in out and " 1. " in out


def test_the_console_explains_a_machine_without_a_screen(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    code, _, err = run(capsys)
    assert code == 1 and "xvfb-run hotline" in err


def test_the_built_in_server_knows_only_its_demo_accounts(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    code, _, err = run(capsys, "--user", "mallory")
    assert code == 1 and "demo.supervisor" in err
