"""A case store that will not open: kept aside untouched, its unsent changes carried over to a
fresh store, the person told — and the console still starts for the next call."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.exc import DatabaseError

from console.cases import salvage
from console.cases.salvage import open_or_salvage
from console.cases.store import CaseStore
from console.models.database import open_case_store

KEY = bytes(range(32))


def store_with_unsent_changes(path: Path) -> list[str]:
    engine = open_case_store(path, KEY)
    store = CaseStore(engine, "pat")
    case_id = store.create_case("crisis", "urgent", summary="caller at the depot")["id"]
    store.add_note(case_id, "safe for now")
    sent = [change["change_id"] for change in store.pending_changes()]
    engine.dispose()
    return sent


def test_a_store_that_will_not_open_is_kept_aside_and_a_new_one_started(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite"
    store_with_unsent_changes(path)
    damaged = bytearray(path.read_bytes())
    damaged[:4096] = os.urandom(4096)  # the first page: the store's header and schema
    path.write_bytes(bytes(damaged))

    engine, done = open_or_salvage(path, KEY)

    assert done is not None and done.changes_unreadable and done.changes_recovered == 0
    assert done.kept_as.read_bytes() == bytes(damaged)  # never deleted, never changed
    assert CaseStore(engine, "pat").list_cases() == []
    assert "put aside" in done.in_words() and "tell IT" in done.in_words()
    engine.dispose()


def test_unsent_changes_in_a_store_that_fails_to_open_are_sent_from_the_new_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cases.sqlite"
    unsent = store_with_unsent_changes(path)
    opened = []

    def fails_once(*args: object) -> object:
        if not opened:
            opened.append(True)
            raise DatabaseError("SELECT", {}, Exception("database disk image is malformed"))
        return open_case_store(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(salvage, "open_case_store", fails_once)
    engine, done = open_or_salvage(path, KEY)

    assert done is not None and done.changes_recovered == 2 and not done.changes_unreadable
    assert "2 change(s) not yet sent" in done.in_words()
    fresh = CaseStore(engine, "pat")
    assert [change["change_id"] for change in fresh.pending_changes()] == unsent
    assert list(tmp_path.glob("cases.damaged-*.sqlite"))
    engine.dispose()


def test_a_sound_store_opens_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite"
    store_with_unsent_changes(path)
    engine, done = open_or_salvage(path, KEY)
    assert done is None and len(CaseStore(engine, "pat").list_cases()) == 1
    engine.dispose()


def test_the_window_says_the_store_was_started_again(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox

    from console.app import open_workstation
    from console.security.credentials import CredentialStore
    from console.ui.launch import build_window
    from tests.ui.console import show_console

    first = show_console(qtbot)
    store = first.workstation.person.store_path
    first.close()
    first.tasks.wait_idle()
    first.workstation.cases.engine.dispose()
    store.write_bytes(os.urandom(8192))

    window = build_window(open_workstation(None, CredentialStore.for_this_process()),
                          start_sync=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "salvage-notice") is not None)
    notice = window.findChild(QMessageBox, "salvage-notice")
    assert notice.isVisible() and "put aside" in notice.text()
    notice.accept()
    qtbot.keyClick(window.triage, "H")  # the console takes the next contact at once
    qtbot.waitUntil(lambda: len(window.workstation.cases.list_cases()) == 1)
    window.tasks.wait_idle()
