"""Safety before anything else, and mandated reporting that cannot slip by in silence."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from console import settings
from console.directory.store import import_path
from console.models.database import open_directory
from console.tasks import QuietState
from console.ui.main_window import MainWindow
from tests.ui.console import open_console, start_contact
from tests.ui.keyboard import Keyboard

EASTERN = ZoneInfo("America/New_York")
CTRL, ALT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier
# Saturday 28 November 2026, 10 pm at the hotline: outside the chart's business hours.
SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=EASTERN).astimezone(UTC)
ALL_STEPS = ("Explain limits of confidentiality",
             "Report to child protective services in the state",
             "Notify law enforcement per hotline policy", "Notify shift supervisor")


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    with open_console(qtbot, clock=lambda: SATURDAY_NIGHT) as window:
        yield window


def saved_case(window: MainWindow) -> dict:
    assert window.tasks.wait_idle()
    return window.workstation.cases.list_cases()[0]


def when_dialog_shows(qtbot: QtBot, act: Callable[[QMessageBox], None]
                      ) -> list[tuple[str, str]]:
    """Act on the next modal message box once it is up (it runs its own event loop); the
    list gets its text and the text of its default button."""
    seen: list[tuple[str, str]] = []

    def look() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            seen.append((box.text(), box.defaultButton().text()))
            act(box)
        else:
            QTimer.singleShot(20, look)

    QTimer.singleShot(0, look)
    return seen


@pytest.mark.parametrize("key", ["1", "2", "3", "4"])
def test_crisis_tip_and_referral_calls_open_on_the_safety_questions(
        qtbot: QtBot, window: MainWindow, key: str) -> None:
    keyboard = start_contact(qtbot, window, key)
    form = window.call_page.form
    assert form.currentIndex() == 0 and form.current_tab_id() == "safety"
    assert keyboard.focus().accessibleName() == "Safe to talk: Yes"
    keyboard.press(Qt.Key.Key_Tab)
    assert keyboard.focus().accessibleName().startswith("Immediate danger")
    assert form.pages["safety"].labels["safe_to_talk"].text().endswith("*")  # required


def test_a_professional_request_opens_on_the_caller(qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_contact(qtbot, window, "6")
    assert window.call_page.form.current_tab_id() == "caller"
    assert keyboard.focus().accessibleName() == "Caller type"


def test_one_key_takes_an_unsafe_caller_to_the_safety_plan(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_contact(qtbot, window, "1")
    page = window.call_page
    note = page.form.pages["safety"].script.note
    assert note.isVisible() and "F9" in note.text()
    keyboard.press(Qt.Key.Key_F9)
    assert page.form.answer("safe_to_talk") == "no"
    assert keyboard.focus().accessibleName() == "Safe callback number"
    assert "Caller is not safe to talk" in page.header.reasons.text()
    keyboard.type("713 555 0150")
    keyboard.answer("Safe time to call back", "weekdays after 6 pm")
    keyboard.answer("Code word", "pizza")
    keyboard.answer("If the call must end", "hang up; she calls us back")
    window.call_page.save_now()

    answers = saved_case(window)["answers"]
    assert answers["safe_to_talk"] == "no" and answers["code_word"] == "pizza"
    assert answers["safe_callback_number"] == "713 555 0150"
    assert answers["hang_up_plan"] == "hang up; she calls us back"


def minor_on_a_crisis_call(qtbot: QtBot, window: MainWindow, *steps: str) -> Keyboard:
    """A crisis call with every required answer given, a minor involved and only ``steps``
    of the mandated reporting checklist ticked."""
    keyboard = start_contact(qtbot, window, "1")
    keyboard.choose("Safe to talk", "Yes")
    keyboard.choose("Immediate danger", "Yes")
    keyboard.choose("Emergency services contacted", "No")
    keyboard.press(Qt.Key.Key_2, ALT)
    keyboard.type("Potential")
    keyboard.press(Qt.Key.Key_3, ALT)
    keyboard.type("A 16-year-old kept at a house and sold online.")
    keyboard.choose("Minors involved", "Yes")
    keyboard.press(Qt.Key.Key_1, ALT)
    for step in steps:
        keyboard.choose("Mandatory reporting", step)
    keyboard.press(Qt.Key.Key_5, ALT)
    keyboard.type("16-year-old in commercial sex, in danger tonight.")
    return keyboard


def test_finishing_with_mandated_steps_undone_asks_and_enter_goes_back(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = minor_on_a_crisis_call(qtbot, window, ALL_STEPS[0], ALL_STEPS[3])
    shown = when_dialog_shows(qtbot, lambda box: QTest.keyClick(box, Qt.Key.Key_Return))
    keyboard.press(Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: bool(shown))
    text, default = shown[0]
    assert default == "&Go back and do them"  # the safe choice
    assert "Report to child protective services in the state" in text
    assert "Notify law enforcement per hotline policy" in text
    assert "Explain limits" not in text  # done already

    page = window.call_page
    assert page.is_open() and page.form.current_tab_id() == "safety"
    # The window takes the focus back from the closed dialog, onto the first undone step.
    qtbot.waitUntil(lambda: keyboard.focus().accessibleName() == f"Mandatory reporting: "
                                                                 f"{ALL_STEPS[1]}")
    assert saved_case(window)["tasks"] == []


def test_finishing_anyway_leaves_a_task_per_step_carried_on_the_case(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = minor_on_a_crisis_call(qtbot, window, ALL_STEPS[0], ALL_STEPS[3])

    def click_finish(box: QMessageBox) -> None:
        button = next(b for b in box.findChildren(QPushButton) if "leave follow-up" in b.text())
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    shown = when_dialog_shows(qtbot, click_finish)
    keyboard.press(Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.triage)
    assert shown

    case = saved_case(window)
    assert case["status"] == "awaiting follow-up"
    tasks = [task for task in case["tasks"] if task["done_at"] is None]
    assert [task["mandated_step"] for task in tasks] == ["child-protective-services",
                                                         "law-enforcement"]
    due = (SATURDAY_NIGHT + timedelta(hours=12)).isoformat()
    assert {task["due_at"] for task in tasks} == {due} and case["due_at"] == due
    assert any("mandated steps outstanding" in note["text"] for note in case["notes"])

    # The case carries the steps: the follow-up tasks of the case show them until done.
    window.open_case(case["id"])
    detail = window.cases_tab.detail
    qtbot.waitUntil(lambda: detail.case_id == case["id"]
                    and detail.follow_up.table.rowCount() == 2, timeout=5000)
    texts = [detail.follow_up.table.item(row, 0).text() for row in range(2)]
    assert any("child protective services" in text for text in texts)


def reporting_line(state: str, name: str, phone: str) -> dict:
    """A state's child abuse reporting line as the hotline's directory holds it (HSDS 3.0)."""
    service, organization, term = str(uuid4()), str(uuid4()), str(uuid4())
    return {
        "id": service, "organization_id": organization, "name": name, "status": "active",
        "description": "Takes reports of suspected child abuse and neglect, 24 hours a day.",
        "organization": {"id": organization, "name": f"{state} Department of Family Services",
                         "description": "State child protective services."},
        "phones": [{"id": str(uuid4()), "service_id": service, "number": phone,
                    "type": "voice"}],
        "service_areas": [{"id": str(uuid4()), "service_id": service, "name": state,
                           "extent_type": "state"}],
        "attributes": [{"id": str(uuid4()), "link_id": service, "link_entity": "service",
                        "link_type": "service_category", "taxonomy_term_id": term,
                        "taxonomy_term": {"id": term, "code": "reporting-line",
                                          "name": "Child abuse reporting line",
                                          "taxonomy": "Hotline service category"}}]}


def test_the_states_reporting_lines_come_from_the_directory(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    export = tmp_path / "lines.json"
    export.write_text(json.dumps([
        reporting_line("TX", "Texas Abuse Hotline", "(800) 555-0123"),
        reporting_line("OK", "Oklahoma Child Abuse Hotline", "(800) 555-0456")]), "utf-8")
    window.tasks.wait_idle()  # the start's first search has made the local directory
    engine = open_directory(settings.directory_db_path())
    import_path(engine, export, QuietState())
    engine.dispose()
    window.workstation.lookup.reopen()

    keyboard = minor_on_a_crisis_call(qtbot, window)
    lines = window.call_page.reporting_lines
    keyboard.press(Qt.Key.Key_1, ALT)
    assert lines.isVisible() and "choose the state" in lines.text()
    keyboard.press(Qt.Key.Key_3, ALT)
    editor = window.call_page.form.pages["situation"].editors["situation_state"]
    checklist = window.call_page.form.pages["safety"].editors["mandatory_reporting"]
    qtbot.mouseClick(editor.focus_target(), Qt.MouseButton.LeftButton)
    keyboard.press(Qt.Key.Key_Escape)  # close the list the click opened; type to choose
    keyboard.type("TX")
    assert window.call_page.form.answer("situation_state") == "TX"
    keyboard.press(Qt.Key.Key_1, ALT)
    qtbot.waitUntil(lambda: "Texas Abuse Hotline" in lines.text(), timeout=5000)
    assert "Reporting lines for Texas" in lines.text() and "(800) 555-0123" in lines.text()
    assert "Oklahoma" not in lines.text()
    # Beside the checklist, never above it: showing the lines moved no field.
    def on_window(widget: QWidget) -> QRect:
        return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())

    assert on_window(lines).left() >= on_window(checklist).right()


def test_a_tip_at_night_is_taken_live_and_turns_urgent_from_its_answers(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_contact(qtbot, window, "2")  # Saturday, 10 pm
    header = window.call_page.header
    assert header.urgency.text() == "Non-urgent"
    assert header.due.text().startswith("Taken live (24/7)")
    assert "message" not in header.due.text()
    keyboard.choose("Safe to talk", "Yes")
    keyboard.choose("Immediate danger", "Yes")
    assert header.urgency.text() == "URGENT"
    assert header.due.text() == "Urgent: respond now (24/7)"
    keyboard.press(Qt.Key.Key_S, CTRL)
    case = saved_case(window)
    assert case["taken_as_message"] is False and case["urgency"] == "urgent"


def test_enter_on_missing_answers_goes_back_to_the_safety_questions(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_contact(qtbot, window, "2")  # a tip, nothing answered
    shown = when_dialog_shows(qtbot, lambda box: QTest.keyClick(box, Qt.Key.Key_Return))
    keyboard.press(Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: bool(shown))
    text, default = shown[0]
    assert default == "&Go to the first one" and "Safe to talk" in text
    page = window.call_page
    assert page.is_open() and page.form.current_tab_id() == "safety"
    assert saved_case(window)["status"] == "open"
