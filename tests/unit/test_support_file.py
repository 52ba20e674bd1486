"""The support file IT asks for: versions, settings without secrets, sync status, the log's end
and file sizes — and no case content, however the workstation was used."""

from __future__ import annotations

import json
import logging
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from console import __version__, settings
from console.cases.store import CaseStore
from console.intake.desk import CallDesk
from console.logs import configure_console_logging
from console.models.database import open_case_store
from console.protocol import load_protocol
from console.support import write_support_file
from console.sync.client import SyncStatus

ANSWERS = {"caller_name": "Oriane Featherstonehaugh", "code_word": "copper-heron",
           "summary": "Oriane is at the bus depot on Calloway Street"}


@pytest.fixture
def file_log() -> Iterator[None]:
    root = logging.getLogger()
    kept = list(root.handlers)
    configure_console_logging(logging.DEBUG)
    yield
    for handler in list(root.handlers):
        if handler not in kept:
            root.removeHandler(handler)
            handler.close()


@pytest.mark.usefixtures("file_log")
def test_the_support_file_tells_it_what_it_needs_and_nothing_of_a_case(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_METRICS_TOKEN", "do-not-ship-this-token")
    monkeypatch.setenv("HOTLINE_LOG_LEVEL", "debug")
    settings.write_preference("sync_server", "https://hotline.example.org")
    settings.write_preference("api_key", "do-not-ship-this-key")
    engine = open_case_store(settings.case_db_path())
    desk = CallDesk(CaseStore(engine, "pat"), load_protocol())
    call = desk.start("crisis")
    call.answers.update(ANSWERS)
    desk.save(call)
    desk.finish(call)
    engine.dispose()
    logging.getLogger("console.test").warning("sync stopped: the server is unreachable")

    out = write_support_file(tmp_path / "support.zip", SyncStatus(online=False, pending=3),
                             {"Qt": "6.x", "window size": "1024×768"})

    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with zipfile.ZipFile(out) as bundle:
        names = set(bundle.namelist())
        contents = {name: bundle.read(name).decode("utf-8") for name in names}
    assert {"support.json", "console-log-tail.txt", "README.txt"} <= names
    facts = json.loads(contents["support.json"])
    assert facts["versions"]["Hotline Console"] == __version__
    assert facts["sync status"]["pending"] == 3 and facts["sync status"]["online"] is False
    assert facts["settings"]["preferences"]["sync_server"] == "https://hotline.example.org"
    assert facts["settings"]["preferences"]["api_key"] == "(withheld)"
    assert facts["settings"]["environment"]["HOTLINE_METRICS_TOKEN"] == "(withheld)"
    assert facts["settings"]["environment"]["HOTLINE_LOG_LEVEL"] == "debug"
    assert facts["files in the data folder (bytes)"]["cases.sqlite"] > 0
    assert facts["window"]["window size"] == "1024×768"
    assert "the server is unreachable" in contents["console-log-tail.txt"]
    everything = "\n".join(contents.values())
    for needle in ("Oriane", "Featherstonehaugh", "copper-heron", "Calloway",
                   "do-not-ship-this"):
        assert needle not in everything, needle
    assert not list(tmp_path.glob("*.partial"))
