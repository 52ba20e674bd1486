"""Ctrl+P prints what is in front of the person: the caller's sheet, a case, the shift packet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from console.ui.main_window import MainWindow
from console.ui.printing.dialog import PrintDialog
from tests.ui.console import show_console
from tests.ui.keyboard import Keyboard

CTRL = Qt.KeyboardModifier.ControlModifier


def open_dialog() -> PrintDialog:
    dialogs = [w for w in QApplication.topLevelWidgets()
               if isinstance(w, PrintDialog) and w.isVisible()]
    assert len(dialogs) == 1
    return dialogs[0]


@pytest.fixture
def supervisor(qtbot: QtBot) -> Iterator[MainWindow]:
    window = show_console(qtbot, user="demo.supervisor")
    qtbot.addWidget(window)
    window.triage.setFocus()
    yield window
    window.tasks.wait_idle()


def test_the_referral_sheet_of_a_call_previews_and_is_audited(
        qtbot: QtBot, supervisor: MainWindow, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    keyboard = Keyboard(qtbot)
    keyboard.type("4")
    qtbot.waitUntil(supervisor.call_page.is_open)
    keyboard.press(Qt.Key.Key_F, CTRL)
    with qtbot.waitSignal(supervisor.referrals.sig_results_shown, timeout=5000):
        keyboard.type("legal")
    keyboard.press(Qt.Key.Key_Down)
    keyboard.press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: supervisor.call_page.sheet.count() == 1)

    keyboard.press(Qt.Key.Key_P, CTRL)  # the Print action, as the person does it
    dialog = open_dialog()
    with qtbot.waitSignal(dialog.sig_previewed, timeout=15_000) as previewed:
        pass
    assert previewed.args[0] >= 1
    target = tmp_path / "sheet.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *_args, **_kwargs: (str(target), "")))
    with qtbot.waitSignal(dialog.sig_printed, timeout=10_000):
        dialog.save_button.click()
    assert target.read_bytes().startswith(b"%PDF")
    supervisor.tasks.wait_idle()
    actions = [e["action"] for e in supervisor.workstation.audit.pending()]
    assert "case.print" in actions
    dialog.close()


def test_the_shift_packet_is_one_click_from_the_supervisor_view(
        qtbot: QtBot, supervisor: MainWindow) -> None:
    assert supervisor.supervisor is not None
    supervisor.show_supervisor()
    button = supervisor.supervisor.packet_button
    assert button.isEnabled()
    button.click()
    dialog = open_dialog()
    with qtbot.waitSignal(dialog.sig_previewed, timeout=15_000):
        pass
    dialog.close()
