""""Overdue" means work owed past its time, never a call being handled or one already answered."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.printing.packet import shift_packet
from console.ui.main_window import MainWindow
from tests.ui.console import open_console
from tests.ui.keyboard import Keyboard

CTRL, ALT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    with open_console(qtbot, clock=lambda: datetime.now(UTC), user="demo.supervisor") as window:
        yield window


def list_texts(qtbot: QtBot, window: MainWindow) -> list[str]:
    """Every cell of the case list (all open cases), once it has been read afresh."""
    listing = window.cases_tab.list
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    with qtbot.waitSignal(listing.sig_rows_shown, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_F3)
        listing.refresh()
    model = listing._model
    return [str(model.index(row, column).data()) for row in range(model.rowCount())
            for column in range(model.columnCount())]


def supervisor_texts(qtbot: QtBot, window: MainWindow) -> list[str]:
    panel = window.supervisor
    assert panel is not None
    with qtbot.waitSignal(panel.sig_refreshed, timeout=5000):
        Keyboard(qtbot).press(Qt.Key.Key_F4)
    return [cell for table in (panel.queue_table, panel.due_table) for row in table.texts()
            for cell in row] + [row[3] for row in panel.queue_table.texts()]


def packet_text(window: MainWindow) -> str:
    out = io.BytesIO()
    shift_packet(window.workstation.cases.engine, out, protocol=window.workstation.protocol)
    reader = PdfReader(io.BytesIO(out.getvalue()))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_a_crisis_call_handled_live_is_never_overdue(qtbot: QtBot, window: MainWindow) -> None:
    keyboard = Keyboard(qtbot)
    keyboard.type("1")
    qtbot.waitUntil(window.call_page.is_open)
    keyboard.choose("Safe to talk", "Yes")
    keyboard.choose("Immediate danger", "Yes")
    keyboard.choose("Emergency services contacted", "No")
    keyboard.press(Qt.Key.Key_S, CTRL)
    assert window.tasks.wait_idle()

    # On the line: in the list, the supervisor view and the packet, nothing says overdue.
    assert not any("Overdue" in text for text in list_texts(qtbot, window))
    board = supervisor_texts(qtbot, window)
    assert not any("Overdue" in text for text in board)
    assert board[-1] == "0"  # the queue's overdue count
    assert "Overdue" not in packet_text(window)

    # Answered with a referral and nothing more owed: still not overdue.
    keyboard.press(Qt.Key.Key_F2)
    keyboard.press(Qt.Key.Key_F, CTRL)
    with qtbot.waitSignal(window.referrals.sig_results_shown, timeout=5000):
        keyboard.type("shelter")
    keyboard.press(Qt.Key.Key_Down)
    keyboard.press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.call_page.sheet.count() == 1)
    window.call_page.finish(confirm=lambda _missing, _steps: True)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.triage)
    assert window.tasks.wait_idle()
    assert window.workstation.cases.list_cases()[0]["status"] == "referred"
    assert not any("Overdue" in text for text in list_texts(qtbot, window))
    assert not any("Overdue" in text for text in supervisor_texts(qtbot, window))
    assert "Overdue" not in packet_text(window)


def test_after_a_handoff_the_list_never_selects_another_case_beside_it(
        qtbot: QtBot, window: MainWindow) -> None:
    cases = window.workstation.cases
    first = cases.create_case("tip", "non-urgent", summary="Van behind the motel",
                              status="open", request_type="tip")
    cases.create_case("tip", "non-urgent", summary="Salon workers sleep on site",
                      status="open", request_type="tip")
    texts = list_texts(qtbot, window)
    assert "Van behind the motel" in " ".join(texts)
    tab = window.cases_tab
    row = tab.list._model.row_of(first["id"])
    table = tab.list._table
    rect = table.visualRect(tab.list._model.index(row, 0))
    with qtbot.waitSignal(tab.detail.sig_shown, timeout=5000):
        # A double-click is a press, a release, then the second press.
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tab.detail.case_id == first["id"] == tab.list.selected_case_id()

    dialog = tab.detail.open_handoff()
    assert dialog is not None
    window.tasks.wait_idle()
    dialog.to_queue.setFocus()
    qtbot.keyClick(dialog.to_queue, Qt.Key.Key_Space)
    assert dialog.to_queue.isChecked()
    qtbot.keyClicks(dialog.note, "CPS report NOT yet made, do first")
    with qtbot.waitSignal(dialog.sig_handed_off, timeout=5000):
        qtbot.mouseClick(dialog.hand_off, Qt.MouseButton.LeftButton)
    assert "Van behind the motel" not in " ".join(list_texts(qtbot, window))
    # The handed case left "my cases"; the detail still shows it, so nothing else is selected.
    assert tab.detail.case_id == first["id"]
    assert tab.list.selected_case_id() in (None, first["id"])
    assert not table.selectionModel().hasSelection()
