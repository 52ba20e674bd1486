"""The window's three workspaces: calls, cases and (for supervisors) the shift overview."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from console.ui.main_window import MainWindow
from tests.ui.console import show_console
from tests.ui.keyboard import Keyboard

SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=ZoneInfo("America/New_York"))


def console_as(qtbot: QtBot, user: str) -> MainWindow:
    window = show_console(qtbot, user=user)
    qtbot.addWidget(window)
    window.triage.setFocus()
    return window


@pytest.fixture
def specialist(qtbot: QtBot) -> Iterator[MainWindow]:
    window = console_as(qtbot, "demo.specialist")
    yield window
    window.tasks.wait_idle()


def take_call(qtbot: QtBot, window: MainWindow, key: str, phone: str) -> None:
    keyboard = Keyboard(qtbot)
    keyboard.type(key)
    qtbot.waitUntil(window.call_page.is_open)
    keyboard.press(Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)  # past the safety questions
    keyboard.type("Community")
    keyboard.answer("Caller's phone", phone)


def test_a_finished_call_is_in_my_cases_and_opens_from_there(
        qtbot: QtBot, specialist: MainWindow) -> None:
    specialist.workstation.desk.clock = lambda: SATURDAY_NIGHT  # a message to answer Monday
    take_call(qtbot, specialist, "4", "713-555-0150")
    assert specialist.call_page.finish(confirm=lambda _missing, _steps: True)
    specialist.tasks.wait_idle()
    case = specialist.workstation.cases.list_cases()[0]
    assert case["status"] == "awaiting follow-up"  # a non-urgent request answered later

    keyboard = Keyboard(qtbot)
    keyboard.press(Qt.Key.Key_F3)
    assert specialist.workspace.currentWidget() is specialist.cases_page
    listing = specialist.cases_tab.list
    with qtbot.waitSignal(listing.sig_rows_shown, timeout=5000):
        keyboard.type(case["number"])
    with qtbot.waitSignal(specialist.cases_tab.detail.sig_shown, timeout=5000):
        keyboard.press(Qt.Key.Key_Return)
    specialist.tasks.wait_idle()
    events = specialist.workstation.audit.pending()
    assert [(e["action"], e["case_id"]) for e in events] == [("case.view", case["id"])]


def test_a_repeat_caller_is_linked_to_the_earlier_case(
        qtbot: QtBot, specialist: MainWindow) -> None:
    take_call(qtbot, specialist, "2", "713-555-0150")
    assert specialist.call_page.finish(confirm=lambda _missing, _steps: True)
    specialist.tasks.wait_idle()
    earlier = specialist.workstation.cases.list_cases()[0]

    Keyboard(qtbot).press(Qt.Key.Key_F2)
    specialist.triage.setFocus()
    with qtbot.waitSignal(specialist.repeats.sig_checked, timeout=5000,
                          check_params_cb=lambda found: found > 0):
        take_call(qtbot, specialist, "2", "(713) 555 0150")
    specialist.repeats.sig_attach.emit(earlier["id"])
    specialist.tasks.wait_idle()
    now = specialist.call_page.call
    assert now is not None
    linked = specialist.workstation.cases.get(earlier["id"])
    assert linked is not None and [c["case_id"] for c in linked["contacts"]] == [now.case_id]
    assert specialist.workstation.cases.get(now.case_id)["related_case"] == earlier["id"]


def test_a_specialist_has_no_shift_overview(specialist: MainWindow) -> None:
    assert specialist.supervisor is None and "supervisor" not in specialist.actions_by_name
    assert specialist.workspace.count() == 2


def test_a_supervisor_opens_the_shift_overview_with_f4(qtbot: QtBot) -> None:
    supervisor = console_as(qtbot, "demo.supervisor")
    QTest.keyClick(supervisor.triage, Qt.Key.Key_F4)
    assert supervisor.workspace.currentWidget() is supervisor.supervisor_page
    supervisor.tasks.wait_idle()
