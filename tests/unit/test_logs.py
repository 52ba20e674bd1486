"""The console's log file: owner-only, rolled over and capped, at the level IT sets, and never
holding a caller's words — not even inside a failure's description."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from console import settings
from console.cases.store import CaseStore
from console.intake.desk import CallDesk
from console.logs import (
    OwnerOnlyRotatingLog,
    SafeFormatter,
    configure_console_logging,
    console_log_path,
    describe_exception,
    log_level,
)
from console.models.database import open_case_store
from console.protocol import load_protocol
from console.security.credentials import CredentialStore
from console.server.observe import configure_server_logging
from console.sync.api import ServerApi
from console.sync.client import SyncClient
from tests.live_server import PASSWORD, live_server

# Answers no log may ever hold.
SECRETS = {"caller_name": "Ximena Quetzalli Brandvold", "caller_phone": "(612) 555-0199",
           "code_word": "marigold-lantern", "safe_callback_number": "(612) 555-0142",
           "what_is_happening": "held at the Harborview motel room 114 by Dmitri",
           "summary": "Ximena needs shelter tonight; trafficker Dmitri at Harborview"}
NEEDLES = ("Ximena", "Quetzalli", "Brandvold", "555-0199", "555-0142", "marigold",
           "Harborview", "Dmitri")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    kept = (list(root.handlers), root.level)
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in kept[0]:
            handler.close()
    for handler in kept[0]:
        root.addHandler(handler)
    root.setLevel(kept[1])


@pytest.mark.usefixtures("restore_logging")
def test_the_log_file_is_the_owners_alone() -> None:
    path = configure_console_logging()
    logging.getLogger("console.test").warning("something to say")
    assert path == console_log_path() and "something to say" in path.read_text("utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_the_log_rolls_over_by_size_and_keeps_a_week(tmp_path: Path) -> None:
    handler = OwnerOnlyRotatingLog(tmp_path / "logs" / "console.log", max_bytes=2_000)
    handler.setFormatter(SafeFormatter("%(message)s"))
    logger = logging.getLogger("console.test.rolling")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for line in range(200):
            logger.warning("line %03d %s", line, "x" * 80)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted((tmp_path / "logs").iterdir())
    assert len(files) > 5
    assert all(path.stat().st_size <= 2_000 for path in files)
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files)
    assert "line 199" in (tmp_path / "logs" / "console.log").read_text("utf-8")

    week_ago = time.time() - 8 * 86_400
    old = files[0] if files[0].name != "console.log" else files[1]
    os.utime(old, (week_ago, week_ago))
    assert handler.getFilesToDelete() == [str(old)]


def test_the_level_is_its_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert log_level() == logging.INFO
    settings.write_preference("log_level", "warning")
    assert log_level() == logging.WARNING
    monkeypatch.setenv("HOTLINE_LOG_LEVEL", "debug")
    assert log_level() == logging.DEBUG
    monkeypatch.setenv("HOTLINE_LOG_LEVEL", "loud")
    assert log_level() == logging.INFO


def test_failures_are_described_without_the_values_they_failed_on(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE person (name TEXT UNIQUE)"))
        connection.execute(text("INSERT INTO person VALUES (:n)"), {"n": SECRETS["caller_name"]})
    with pytest.raises(IntegrityError) as caught, engine.begin() as connection:
        connection.execute(text("INSERT INTO person VALUES (:n)"), {"n": SECRETS["caller_name"]})
    engine.dispose()
    assert "Ximena" in str(caught.value)  # SQLAlchemy's own text would leak it
    described = describe_exception(caught.value)
    assert "IntegrityError" in described and "UNIQUE constraint failed" in described
    assert "Ximena" not in described

    assert "withheld" in describe_exception(KeyError(SECRETS["caller_name"]))
    missing = FileNotFoundError(2, "No such file or directory", "/home/x/Ximena-sheet.pdf")
    assert "Ximena" not in describe_exception(missing)
    assert "No such file" in describe_exception(missing)


@pytest.mark.usefixtures("restore_logging")
def test_a_crisis_call_and_its_sync_leave_nothing_personal_in_any_log(tmp_path: Path) -> None:
    console_log = configure_console_logging(logging.DEBUG)
    server_lines = io.StringIO()
    configure_server_logging(logging.DEBUG)
    logging.getLogger().handlers[0].setStream(server_lines)  # type: ignore[attr-defined]
    configure_console_logging(logging.DEBUG)  # the file as well as the JSON lines

    engine = open_case_store(settings.case_db_path())
    desk = CallDesk(CaseStore(engine, "pat"), load_protocol())
    call = desk.start("crisis")
    call.answers.update(SECRETS, immediate_danger="yes", minors_involved="yes")
    desk.save(call)
    desk.alert(call, desk.evaluation(call))
    desk.finish(call)
    try:
        desk.store.engine.connect().execute(  # a failure whose text quotes a caller
            text("INSERT INTO no_such_table VALUES (:v)"), {"v": SECRETS["caller_name"]})
    except Exception:
        logging.getLogger("console.test").exception("a write failed")

    with live_server() as live:
        live.add_user("pat")
        api = ServerApi(live.url, CredentialStore.for_this_process())
        api.sign_in("pat", PASSWORD)
        client = SyncClient(api, tmp_path / "directory.sqlite", desk.store)
        try:
            client.sync_once()
        finally:
            client.close()
        failed = ServerApi(live.url, CredentialStore.for_this_process())
        with pytest.raises(Exception):  # noqa: B017 (any refusal will do)
            failed.sign_in("pat", SECRETS["code_word"])
        failed.close()
    engine.dispose()

    written = server_lines.getvalue()
    assert '"route": "/sync/push"' in written.replace('":"', '": "')
    for line in written.splitlines():
        json.loads(line)
    logs = [written, *(path.read_text("utf-8", errors="replace")
                       for path in console_log.parent.iterdir())]
    assert "synced:" in logs[1] and "a write failed" in logs[1]
    for needle in NEEDLES:
        assert not any(needle in log for log in logs), needle
