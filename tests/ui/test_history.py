"""A contact's history: past cases found, closed ones too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabBar
from pytestqt.qtbot import QtBot

from console.ui.main_window import MainWindow
from tests.ui.console import open_console
from tests.ui.keyboard import Keyboard


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    with open_console(qtbot, clock=lambda: datetime.now(UTC)) as window:
        yield window


def test_a_closed_case_is_found_under_all_cases(qtbot: QtBot, window: MainWindow) -> None:
    keyboard = Keyboard(qtbot)
    keyboard.type("w")  # a wrong number: logged and closed with one key
    qtbot.waitUntil(lambda: "Logged: Wrong number" in window.triage.notice.text())
    assert window.tasks.wait_idle()
    (case,) = window.workstation.cases.list_cases()
    assert case["status"] == "closed"

    keyboard.press(Qt.Key.Key_F3)
    listing = window.cases_tab.list
    with qtbot.waitSignal(listing.sig_rows_shown, timeout=5000):
        keyboard.type(case["number"])
    assert listing.selected_case_id() is None  # "My cases" lists open cases only
    (bar,) = [b for b in listing.findChildren(QTabBar) if b.accessibleName() == "Case views"]
    (all_cases,) = [index for index in range(bar.count())
                    if bar.tabText(index).startswith("All cases")]
    with qtbot.waitSignal(listing.sig_rows_shown, timeout=5000):
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(all_cases).center())
    assert listing.current_view() == "all"
    assert listing.selected_case_id() == case["id"]
    with qtbot.waitSignal(window.cases_tab.detail.sig_shown, timeout=5000):
        listing.focus_search()
        keyboard.press(Qt.Key.Key_Return)
    assert window.cases_tab.detail.case_id == case["id"]


def test_a_one_key_contact_can_be_taken_back_within_ten_seconds(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = Keyboard(qtbot)
    keyboard.type("h")  # the caller was speaking: wrong key
    qtbot.waitUntil(lambda: "Ctrl+Z within 10 seconds" in window.triage.notice.text())
    assert window.tasks.wait_idle()
    (logged,) = window.workstation.cases.list_cases()
    keyboard.press(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "Which kind of contact was it?" in window.triage.notice.text()
    keyboard.type("1")
    qtbot.waitUntil(window.call_page.is_open)
    page = window.call_page
    assert page.call is not None and page.call.case_id == logged["id"]
    assert page.header.title.text() == "Crisis call"
    assert page.form.current_tab_id() == "safety"
    assert window.tasks.wait_idle()
    case = window.workstation.cases.get(logged["id"])
    assert (case["request_type"], case["status"], case["number"]) == (
        "crisis", "open", logged["number"])
    assert [note["text"] for note in case["notes"]] == [
        "Contact type changed from Hang-up to Crisis call"]
    events = window.workstation.audit.pending()
    assert ("case.retype", logged["id"]) in [(e["action"], e["case_id"]) for e in events]
    assert len(window.workstation.cases.list_cases()) == 1  # corrected, not a second case


def test_after_ten_seconds_the_one_key_contact_stands(qtbot: QtBot, window: MainWindow) -> None:
    keyboard = Keyboard(qtbot)
    keyboard.type("s")
    qtbot.waitUntil(lambda: "Ctrl+Z" in window.triage.notice.text())
    window.triage._undo_window.timeout.emit()  # the ten seconds pass
    assert window.triage.notice.text() == "Logged: Silent call. Ready for the next contact."
    keyboard.press(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    keyboard.type("1")  # an ordinary new contact now
    qtbot.waitUntil(window.call_page.is_open)
    assert window.tasks.wait_idle()
    kinds = sorted(case["request_type"] for case in window.workstation.cases.list_cases())
    assert kinds == ["crisis", "silent"]
