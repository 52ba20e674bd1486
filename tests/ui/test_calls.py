"""Whole contacts taken with the keyboard alone, checked in the case store afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.ui.main_window import MainWindow
from tests.ui.console import open_console, start_contact
from tests.ui.keyboard import Keyboard

EASTERN = ZoneInfo("America/New_York")
CTRL, ALT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier
# Tuesday 24 November 2026, mid-morning at the hotline.
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 15, tzinfo=EASTERN).astimezone(UTC)


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    with open_console(qtbot, clock=lambda: TUESDAY_MORNING) as window:
        yield window


def saved_case(window: MainWindow) -> dict:
    """The newest case in the store, once every queued save has landed."""
    assert window.tasks.wait_idle()
    return window.workstation.cases.list_cases()[0]


def finish(qtbot: QtBot, window: MainWindow, keyboard: Keyboard) -> None:
    keyboard.press(Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.triage)


def test_a_crisis_call_from_greeting_to_referral(qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_contact(qtbot, window, "1")
    page = window.call_page
    # Safety before anything else: the call opens on "is it safe to talk?".
    assert page.form.current_tab_id() == "safety"
    assert keyboard.focus().accessibleName() == "Safe to talk: Yes"
    keyboard.choose("Safe to talk", "Yes")
    keyboard.choose("Immediate danger", "Yes")
    keyboard.choose("Emergency services contacted", "No")
    assert page.header.urgency.text() == "URGENT"
    assert "supervisor" in page.banner.text() and page.banner.isVisible()
    keyboard.press(Qt.Key.Key_2, ALT)
    assert keyboard.focus().accessibleName() == "Caller type"
    keyboard.type("Potential")
    keyboard.answer("Caller's ZIP code", "77002")
    keyboard.press(Qt.Key.Key_3, ALT)
    keyboard.type("Works at a restaurant; the owner keeps her passport.")
    keyboard.choose("Minors involved", "No")

    keyboard.press(Qt.Key.Key_F, CTRL)
    assert keyboard.focus().accessibleName() == "Search services"
    with qtbot.waitSignal(page.referrals.sig_results_shown, timeout=5000):
        keyboard.type("legal")
    keyboard.press(Qt.Key.Key_Down)
    keyboard.press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.sheet.count() == 1)

    keyboard.press(Qt.Key.Key_5, ALT)
    keyboard.type("Restaurant worker, passport held by owner; in danger tonight; legal referral.")
    keyboard.choose("Next steps", "Call back")
    finish(qtbot, window, keyboard)

    case = saved_case(window)
    assert case["call_type"] == "crisis" and case["request_type"] == "crisis"
    assert case["protocol"] == window.workstation.protocol.label
    assert case["urgency"] == "urgent" and case["status"] == "awaiting follow-up"
    # Urgent: answered on the call itself, 24/7; the call back is owed within 12 hours.
    assert case["due_at"] == (TUESDAY_MORNING + timedelta(hours=12)).isoformat()
    answers = case["answers"]
    assert answers["caller_type"] == "potential-victim"
    # The referral on the sheet ticked "Referral given" by itself.
    assert answers["next_steps"] == ["call-back", "referral-given"]
    assert answers["caller_zip"] == "77002" and answers["immediate_danger"] == "yes"
    assert answers["minors_involved"] == "no" and answers["safe_to_talk"] == "yes"
    assert case["summary"].startswith("Restaurant worker")
    (referral,) = case["referrals"]
    # The sheet names the organization and town, so two programmes of one name differ.
    assert page.sheet.item(0).text().startswith(f"{referral['service_name']} — ")
    assert any(n["text"] == "Supervisor alert: Immediate danger" for n in case["notes"])
    assert window.workstation.cases.get_state("open_call") == ""


def test_a_tip_about_a_minor_turns_urgent_and_shows_the_reporting_checklist(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_contact(qtbot, window, "2")
    keyboard.choose("Safe to talk", "Yes")
    keyboard.choose("Immediate danger", "No")
    keyboard.press(Qt.Key.Key_2, ALT)
    keyboard.type("Community")
    keyboard.press(Qt.Key.Key_3, ALT)
    keyboard.type("Teen girls brought to a motel by an older man every weekend.")
    page = window.call_page
    assert page.header.urgency.text() == "Non-urgent"
    keyboard.choose("Minors involved", "Yes")
    assert page.header.urgency.text() == "URGENT"
    assert "A minor is involved" in page.header.reasons.text()
    keyboard.answer("Venue", "Motel on the highway")
    keyboard.answer("Vehicle", "Grey sedan")
    keyboard.press(Qt.Key.Key_1, ALT)
    checklist = page.form.pages["safety"].editors["mandatory_reporting"]
    assert checklist.isVisible()
    for step in ("Explain limits of confidentiality",
                 "Report to child protective services in the state",
                 "Notify law enforcement per hotline policy", "Notify shift supervisor"):
        keyboard.choose("Mandatory reporting", step)
    keyboard.answer("Child protective services report number", "CPS-TX-118822")
    keyboard.press(Qt.Key.Key_5, ALT)
    keyboard.type("Tip: minors at a motel on weekends; reported per checklist.")
    finish(qtbot, window, keyboard)

    case = saved_case(window)
    assert case["call_type"] == "tip" and case["urgency"] == "urgent"
    assert case["answers"]["venue"] == "Motel on the highway"
    assert len(case["answers"]["mandatory_reporting"]) == 4
    assert case["answers"]["cps_report_reference"] == "CPS-TX-118822"
    assert case["status"] == "closed" and case["tasks"] == []  # nothing owed


def test_a_non_urgent_ta_request_after_hours_is_taken_as_a_message(
        qtbot: QtBot, window: MainWindow) -> None:
    saturday_night = datetime(2026, 11, 28, 22, 0, tzinfo=EASTERN).astimezone(UTC)
    window.workstation.desk.clock = lambda: saturday_night
    keyboard = start_contact(qtbot, window, "6")
    keyboard.type("Service")
    keyboard.choose("Assistance requested", "Speakers or trainers")
    page = window.call_page
    assert page.header.urgency.text() == "Non-urgent"
    assert "message" in page.header.due.text().lower()
    keyboard.press(Qt.Key.Key_5, ALT)
    keyboard.type("Clinic asks for a trainer for staff in January.")
    keyboard.choose("Next steps", "Follow-up by non-urgent team")
    finish(qtbot, window, keyboard)

    case = saved_case(window)
    assert case["call_type"] == "training and technical assistance"
    assert case["urgency"] == "non-urgent" and case["taken_as_message"] is True
    assert case["answers"]["ta_topics"] == ["speakers-trainers"]
    due = datetime.fromisoformat(case["due_at"]).astimezone(EASTERN)
    assert (due.year, due.month, due.day, due.hour) == (2026, 12, 2, 19)  # Wed, 3 business days
    assert case["status"] == "awaiting follow-up"


def test_a_hang_up_is_logged_with_one_key(qtbot: QtBot, window: MainWindow) -> None:
    Keyboard(qtbot).type("h")
    qtbot.waitUntil(lambda: "Logged: Hang-up" in window.triage.notice.text())
    case = saved_case(window)
    assert case["call_type"] == "no-data contact" and case["request_type"] == "hang-up"
    assert case["status"] == "closed" and case["due_at"] is None
    assert not window.call_page.is_open()
    assert window.pages.currentWidget() is window.triage


def test_finishing_with_answers_missing_explains_and_never_blocks(
        qtbot: QtBot, window: MainWindow) -> None:
    start_contact(qtbot, window, "1")
    page = window.call_page
    asked: list[list[str]] = []
    assert not page.finish(confirm=lambda missing, _steps: asked.append(missing) or False)
    assert any("Caller type" in line for line in asked[0])
    assert page.is_open() and page.form.current_tab_id() == "safety"  # asked first
    assert page.finish(confirm=lambda _missing, _steps: True)
    assert saved_case(window)["status"] == "closed"


def test_urgency_can_be_raised_but_never_lowered(qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_contact(qtbot, window, "7")
    assert window.call_page.header.urgency.text() == "Non-urgent"
    keyboard.press(Qt.Key.Key_U, CTRL)
    assert window.call_page.header.urgency.text() == "URGENT"
    assert saved_case(window)["urgency"] == "urgent"


def test_tab_shortcuts_move_through_the_protocol(qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_contact(qtbot, window, "4")
    form = window.call_page.form
    assert form.current_tab_id() == "safety"
    keyboard.press(Qt.Key.Key_PageDown, CTRL)
    assert form.current_tab_id() == "caller"
    keyboard.press(Qt.Key.Key_PageUp, CTRL, times=2)
    assert form.current_tab_id() == "summary"
    keyboard.press(Qt.Key.Key_3, ALT)
    assert form.current_tab_id() == "situation"
    keyboard.press(Qt.Key.Key_1, ALT)
    assert form.current_tab_id() == "safety"
    assert keyboard.focus().accessibleName().startswith("Safe to talk")


def test_every_control_has_a_name_for_screen_readers(qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QPlainTextEdit,
    )

    start_contact(qtbot, window, "1")
    controls = [w for kind in (QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit)
                for w in window.findChildren(kind)
                if w.focusPolicy() != Qt.FocusPolicy.NoFocus and w.isEnabled()]
    unnamed = [w for w in controls if not w.accessibleName()
               and not (isinstance(w, QLineEdit)  # the text part of a list or number box
                        and isinstance(w.parent(), QComboBox | QAbstractSpinBox))]
    assert controls and not unnamed, [type(w).__name__ + ":" + w.objectName() for w in unnamed]


def test_the_window_fits_a_1366_by_768_screen(qtbot: QtBot, window: MainWindow) -> None:
    start_contact(qtbot, window, "1")
    for tab in window.workstation.protocol.tabs:
        window.call_page.form.go_to(tab.id)
        hint = window.minimumSizeHint()
        assert hint.width() <= 1366 and hint.height() <= 768, (tab.id, hint)
