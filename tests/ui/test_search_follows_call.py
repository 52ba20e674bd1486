"""The referral search belongs to the call: it starts clean and follows what the intake knows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit
from pytestqt.qtbot import QtBot

from console.ui.main_window import MainWindow
from tests.ui.console import open_console, start_contact

CTRL, ALT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    with open_console(qtbot, clock=lambda: datetime.now(UTC)) as window:
        yield window


def combo(window: MainWindow, name: str) -> QComboBox:
    (found,) = [c for c in window.referrals.findChildren(QComboBox) if c.accessibleName() == name]
    return found


def field(window: MainWindow, name: str) -> QLineEdit:
    (found,) = [f for f in window.referrals.findChildren(QLineEdit)
                if f.accessibleName() == name]
    return found


def test_each_call_starts_with_a_clean_search_and_sheet(qtbot: QtBot,
                                                        window: MainWindow) -> None:
    keyboard = start_contact(qtbot, window, "4")
    keyboard.press(Qt.Key.Key_2, ALT)
    keyboard.answer("Caller's ZIP code", "77002")
    keyboard.press(Qt.Key.Key_F, CTRL)
    with qtbot.waitSignal(window.referrals.sig_results_shown, timeout=5000):
        keyboard.type("legal")
    keyboard.tab_to("Language")
    keyboard.type("Spanish")
    keyboard.press(Qt.Key.Key_F, CTRL)
    keyboard.press(Qt.Key.Key_Down)
    keyboard.press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.call_page.sheet.count() == 1)
    assert window.call_page.finish(confirm=lambda _missing, _steps: True)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.triage)

    start_contact(qtbot, window, "4")
    panel = window.referrals
    assert field(window, "Search services").text() == ""
    assert field(window, "Caller ZIP").text() == ""
    assert combo(window, "Language").currentIndex() == 0
    assert panel.selected_result() is None or panel.query().text == ""
    assert window.call_page.sheet.count() == 0


def test_the_intake_sets_the_filters_and_flags_what_may_not_fit(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_contact(qtbot, window, "3")
    keyboard.press(Qt.Key.Key_2, ALT)
    keyboard.answer("Language", "Spanish")
    assert combo(window, "Language").currentData() == "es"
    keyboard.press(Qt.Key.Key_3, ALT)
    keyboard.choose("Minors involved", "Yes")
    assert combo(window, "Population").currentData() == "minors"
    keyboard.press(Qt.Key.Key_4, ALT)
    keyboard.choose("Services needed", "Shelter")
    assert combo(window, "Category").currentData() == "emergency-shelter"

    # The specialist widens the search to everyone: services that may not take a minor
    # stay listed, flagged, and keep the flag on the sheet.
    keyboard.press(Qt.Key.Key_F, CTRL)
    population, language = combo(window, "Population"), combo(window, "Language")
    language.setFocus()
    keyboard.press(Qt.Key.Key_Home)
    with qtbot.waitSignal(window.referrals.sig_results_shown, timeout=5000):
        population.setFocus()
        keyboard.press(Qt.Key.Key_Home)
    assert window.referrals.query().population is None
    assert window.tasks.wait_idle()  # the last search, with its fit check, is on screen
    qtbot.wait(10)
    model = window.referrals._model
    flagged = [row for row in range(model.rowCount())
               if "May not serve minors" in model.index(row).data()]
    assert flagged, "no shelter in the demo directory is for adults only"
    fits = [row for row in range(model.rowCount()) if row not in flagged]
    assert fits, "every shelter flagged: the check flags too much"
    view = window.referrals._results_view
    view.setCurrentIndex(model.index(flagged[0]))
    view.setFocus()
    keyboard.press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.call_page.sheet.count() == 1)
    line = window.call_page.sheet.item(0).text()
    assert "⚠ May not serve minors" in line and " — " in line and ", " in line


def test_the_callers_place_fills_and_checks_the_state_and_sets_the_clock(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = start_contact(qtbot, window, "4")
    page = window.call_page
    keyboard.press(Qt.Key.Key_3, ALT)
    keyboard.answer("State", "Calif")  # where the situation is: not the caller's clock
    assert page.form.answer("situation_state") == "CA"
    assert "time unknown" in page.header.caller_clock.text()
    keyboard.press(Qt.Key.Key_2, ALT)
    keyboard.answer("Caller's ZIP code", "10001")
    qtbot.waitUntil(lambda: page.form.answer("caller_state") == "NY", timeout=10_000)
    assert "ZIP 10001" in page.header.caller_clock.text()

    # A state typed in full picks it (not NE at "Ne"); one the ZIP contradicts is flagged.
    note = page.form.editor("caller_state").note
    keyboard.answer("Caller's state", "New Jersey")
    assert page.form.answer("caller_state") == "NJ"
    qtbot.waitUntil(lambda: note.isVisible(), timeout=10_000)
    assert note.text() == "⚠ ZIP 10001 is in NY: check with the caller"
    keyboard.press(Qt.Key.Key_Escape)
    qtbot.wait(1100)  # a pause ends one typed word, as in any list
    keyboard.type("New York")
    assert page.form.answer("caller_state") == "NY"
    qtbot.waitUntil(lambda: not note.isVisible(), timeout=10_000)
