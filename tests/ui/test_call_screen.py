"""The call screen a specialist can trust: it reads the call back, keeps its controls still, and
does what the keys and the paper promise."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from console.ui.main_window import EMPTY_SHEET, MainWindow
from console.ui.printing.dialog import PrintDialog
from tests.ui.console import open_console, show_console, start_contact
from tests.ui.keyboard import Keyboard

CTRL, ALT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    with open_console(qtbot, clock=lambda: datetime.now(UTC)) as window:
        yield window


def start_crisis_call(qtbot: QtBot, window: MainWindow) -> Keyboard:
    return start_contact(qtbot, window, "1")


def on_screen(widget: QWidget) -> QPoint:
    return widget.mapToGlobal(QPoint(0, 0))


def add_a_service(qtbot: QtBot, window: MainWindow, keyboard: Keyboard, words: str,
                  key: Qt.Key = Qt.Key.Key_Return,
                  modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Search for ``words`` and put the highlighted result on the sheet with ``key`` pressed
    in the search box (Enter, or Ctrl+R)."""
    page = window.call_page
    keyboard.press(Qt.Key.Key_F, CTRL)
    with qtbot.waitSignal(page.referrals.sig_results_shown, timeout=10_000):
        keyboard.type(words)
    qtbot.waitUntil(lambda: page.referrals.selected_result() is not None, timeout=10_000)
    keyboard.press(key, modifiers)
    qtbot.waitUntil(lambda: page.sheet.count() == 1, timeout=10_000)


def test_the_case_number_is_in_the_header_from_the_start(qtbot: QtBot,
                                                          window: MainWindow) -> None:
    start_crisis_call(qtbot, window)
    assert window.tasks.wait_idle()
    (case,) = window.workstation.cases.list_cases()
    assert window.call_page.header.number.text() == f"Case {case['number']}"
    assert window.call_page.header.number.isVisible()


def test_the_summary_reads_back_every_answer_and_what_is_still_owed(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_crisis_call(qtbot, window)
    page = window.call_page
    keyboard.choose("Safe to talk", "Yes")
    keyboard.press(Qt.Key.Key_2, ALT)
    keyboard.type("Potential")
    keyboard.answer("Caller's ZIP code", "77002")
    keyboard.press(Qt.Key.Key_3, ALT)
    keyboard.type("Two girls, about 15, work nights at a nail salon.")
    keyboard.choose("Minors involved", "Yes")
    add_a_service(qtbot, window, keyboard, "shelter")
    keyboard.press(Qt.Key.Key_5, ALT)
    text = page.read_back.toPlainText()
    assert page.sheet.item(0).text() in text[text.index("On the caller's sheet"):]
    for words in ("Safety", "Safe to talk", "Caller", "Caller type", "Potential victim",
                  "Caller's ZIP code", "77002", "Situation", "What is happening",
                  "Two girls, about 15", "Minors involved"):
        assert words in text, words
    owed = text[text.index("Still to do"):text.index("What the caller told us")]
    for words in ("Report to child protective services in the state — not done yet",
                  "Notify shift supervisor — not done yet", "Immediate danger is required",
                  "Summary is required"):
        assert words in owed, words

    # Each item is a link: Tab reaches it, Enter goes to that very field.
    page.read_back.setFocus()
    keyboard.press(Qt.Key.Key_Tab)
    keyboard.press(Qt.Key.Key_Return)
    assert page.form.current_tab_id() == "safety"
    assert keyboard.focus().accessibleName() == (
        "Mandatory reporting: Explain limits of confidentiality")
    keyboard.press(Qt.Key.Key_Space)
    keyboard.press(Qt.Key.Key_5, ALT)
    assert "Explain limits of confidentiality — not done" not in page.read_back.toPlainText()


def test_alerts_and_warnings_never_move_the_field_under_the_pointer(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_crisis_call(qtbot, window)
    page = window.call_page
    form = page.form
    keyboard.press(Qt.Key.Key_3, ALT)
    minors_yes = form.editor("minors_involved").option_target("yes")
    below = form.editor("person_gender").focus_target()
    before = on_screen(minors_yes), on_screen(below)
    qtbot.mouseClick(minors_yes, Qt.MouseButton.LeftButton)
    assert "supervisor" in page.banner.text()
    assert (on_screen(minors_yes), on_screen(below)) == before

    keyboard.press(Qt.Key.Key_2, ALT)
    state = form.editor("caller_state").focus_target()
    method = form.editor("safe_contact_method").focus_target()
    before = on_screen(state), on_screen(method)
    keyboard.answer("Caller's phone", "12")
    keyboard.answer("Caller's ZIP code", "123")
    keyboard.press(Qt.Key.Key_Tab)
    assert "phone number" in form.editor("caller_phone").warning.text()
    assert "5 digits" in form.editor("caller_zip").warning.text()
    assert (on_screen(state), on_screen(method)) == before


def test_enter_in_the_search_box_puts_the_highlighted_service_on_the_sheet(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_crisis_call(qtbot, window)
    add_a_service(qtbot, window, keyboard, "legal")
    chosen = window.call_page.referrals.selected_result()
    assert chosen is not None
    assert window.call_page.sheet.item(0).text().startswith(chosen.service_name)
    # A service on the sheet is a referral given.
    assert "referral-given" in window.call_page.form.answer("next_steps")
    keyboard.press(Qt.Key.Key_S, CTRL)
    assert window.tasks.wait_idle()
    (case,) = window.workstation.cases.list_cases()
    assert "referral-given" in case["answers"]["next_steps"]


def test_an_empty_sheet_is_said_plainly_instead_of_a_failed_print(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_crisis_call(qtbot, window)
    keyboard.press(Qt.Key.Key_P, CTRL)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QMessageBox))
    box = QApplication.activeModalWidget()
    assert isinstance(box, QMessageBox) and box.text() == EMPTY_SHEET
    assert not [d for d in window.findChildren(PrintDialog) if d.isVisible()]
    QApplication.activeModalWidget().activateWindow()
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None
                    and QApplication.focusWidget().accessibleName() == "Search services")
    assert window.call_page.form.current_tab_id() == "referrals"


def test_a_reopened_sheet_still_names_organization_and_town(qtbot: QtBot) -> None:
    first = show_console(qtbot)
    first.triage.setFocus()
    keyboard = start_crisis_call(qtbot, first)
    add_a_service(qtbot, first, keyboard, "legal", Qt.Key.Key_R, CTRL)
    line = first.call_page.sheet.item(0).text()
    assert " — " in line and ", " in line  # "Service — Organization, Town ST ZIP"
    first.close()  # mid-call, as when the console stops: the call is reopened at the next start

    second = show_console(qtbot)
    qtbot.addWidget(second)
    qtbot.waitUntil(second.call_page.is_open, timeout=10_000)
    assert second.call_page.call is not None and second.call_page.call.recovered
    qtbot.waitUntil(lambda: second.call_page.sheet.count() == 1
                    and second.call_page.sheet.item(0).text() == line, timeout=10_000)
    second.tasks.wait_idle()


def test_notifying_the_supervisor_is_one_fact_in_both_places(qtbot: QtBot,
                                                             window: MainWindow) -> None:
    keyboard = start_crisis_call(qtbot, window)
    form = window.call_page.form
    keyboard.press(Qt.Key.Key_3, ALT)
    keyboard.choose("Minors involved", "Yes")
    keyboard.press(Qt.Key.Key_1, ALT)
    keyboard.choose("Mandatory reporting", "Notify shift supervisor")
    assert form.answer("supervisor_notified") == "yes"
    keyboard.choose("Supervisor notified", "No")
    assert "shift-supervisor" not in (form.answer("mandatory_reporting") or [])
    keyboard.press(Qt.Key.Key_Left)  # back to "Yes": arrows choose within the group
    assert form.answer("supervisor_notified") == "yes"
    assert "shift-supervisor" in form.answer("mandatory_reporting")


def test_immediate_danger_asks_whether_emergency_services_were_called(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_crisis_call(qtbot, window)
    page = window.call_page
    keyboard.choose("Immediate danger", "Yes")
    safety = page.form.pages["safety"]
    assert safety.labels["emergency_services_contacted"].text().endswith("*")
    assert "Emergency services contacted" in safety.missing.text()


def test_the_lock_page_says_a_wrong_password_beside_the_field(qtbot: QtBot,
                                                              window: MainWindow) -> None:
    window.locker.lock()
    page = window.lock_page
    below = on_screen(page.other_user)
    qtbot.keyClicks(page.password, "not my password")
    qtbot.keyClick(page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Wrong" in page.message.text(), timeout=10_000)
    assert page.message.text() == "Wrong password."  # only a password was asked for
    assert on_screen(page.other_user) == below  # the answer's line was kept for it
    gap = on_screen(page.message).y() - (on_screen(page.password).y() + page.password.height())
    assert 0 <= gap <= 3 * page.password.height()  # right under the field and its button
    window.locker.unlock()


def test_a_contact_type_is_corrected_from_the_case(qtbot: QtBot, window: MainWindow) -> None:
    keyboard = Keyboard(qtbot)
    keyboard.type("h")  # logged as a hang-up; the caller had spoken
    qtbot.waitUntil(lambda: "Logged: Hang-up" in window.triage.notice.text())
    assert window.tasks.wait_idle()
    (logged,) = window.workstation.cases.list_cases()
    keyboard.press(Qt.Key.Key_F3)
    listing, detail = window.cases_tab.list, window.cases_tab.detail
    with qtbot.waitSignal(listing.sig_rows_shown, timeout=5000):
        listing.set_view("all")
    table = listing._table
    rect = table.visualRect(table.model().index(0, 0))
    with qtbot.waitSignal(detail.sig_shown, timeout=5000):
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    kind = detail.header.kind
    assert kind.isVisible() and kind.currentText() == "Hang-up"
    keyboard.press(Qt.Key.Key_E, ALT)
    assert keyboard.focus() is kind
    with qtbot.waitSignal(detail.sig_shown, timeout=5000):
        kind.setCurrentIndex(kind.findData("tip"))
        kind.activated.emit(kind.currentIndex())  # what choosing from the list sends
    case = window.workstation.cases.get(logged["id"])
    assert case["request_type"] == "tip" and case["number"] == logged["number"]
    assert "Contact type changed from Hang-up to Tip" in [n["text"] for n in case["notes"]]
    assert "opened the case (Hang-up)" in detail.timeline.toPlainText()  # history kept
    events = window.workstation.audit.pending()
    assert ("case.retype", logged["id"], "tip") in [
        (e["action"], e["case_id"], e["detail"]) for e in events]
    assert not window.call_page.is_open()  # a correction, not a call taken again
    assert kind.currentText() == "Tip"


def test_the_header_clocks_stay_put_as_the_call_changes(qtbot: QtBot,
                                                         window: MainWindow) -> None:
    keyboard = Keyboard(qtbot)
    keyboard.type("2")  # a tip: non-urgent until its answers say otherwise
    qtbot.waitUntil(window.call_page.is_open)
    header = window.call_page.header
    where = on_screen(header.timer), on_screen(header.hotline_clock)
    keyboard.choose("Safe to talk", "Yes")
    keyboard.choose("Immediate danger", "Yes")  # urgent now, with its reasons
    keyboard.press(Qt.Key.Key_2, ALT)
    keyboard.answer("Caller's ZIP code", "77002")  # the caller's clock appears
    qtbot.waitUntil(lambda: "ZIP 77002" in header.caller_clock.text(), timeout=10_000)
    assert header.urgency.text() == "URGENT"
    assert (on_screen(header.timer), on_screen(header.hotline_clock)) == where


def turn_the_wheel(widget: QWidget) -> None:
    """One notch down over the middle of ``widget``, as a mouse sends it."""
    middle = QPointF(widget.width() / 2, widget.height() / 2)
    QApplication.sendEvent(widget, QWheelEvent(
        middle, QPointF(widget.mapToGlobal(middle.toPoint())), QPoint(0, -120), QPoint(0, -120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False))


def test_the_wheel_scrolls_past_a_case_status_without_changing_it(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = Keyboard(qtbot)
    keyboard.type("h")
    qtbot.waitUntil(lambda: "Logged: Hang-up" in window.triage.notice.text())
    assert window.tasks.wait_idle()
    (logged,) = window.workstation.cases.list_cases()
    window.open_case(logged["id"])
    header = window.cases_tab.detail.header
    qtbot.waitUntil(lambda: header.kind.currentText() == "Hang-up")
    status, kind = header.status.currentIndex(), header.kind.currentIndex()
    for control in (header.status, header.kind):
        turn_the_wheel(control)
    assert (header.status.currentIndex(), header.kind.currentIndex()) == (status, kind)
    header.kind.setFocus()
    turn_the_wheel(header.kind)  # chosen first: then the wheel is the person's choice
    assert header.kind.currentIndex() != kind


def test_the_triage_keys_stay_put_when_a_notice_comes(qtbot: QtBot, window: MainWindow) -> None:
    button = window.triage.buttons["crisis"]
    before = on_screen(button)
    Keyboard(qtbot).type("h")
    qtbot.waitUntil(lambda: "Logged: Hang-up" in window.triage.notice.text())
    assert on_screen(button) == before
