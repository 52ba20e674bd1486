"""The window holds its layout on common screens, at 100 % and at 200 % scaling.

Each screen is the logical size a specialist's desktop gives the window (a 1024×768 laptop, a
1366×768 one, a 1920×1080 monitor, less a taskbar). The whole shift is walked with keys and the
mouse — triage, every tab of an urgent call with a minor and a mistyped ZIP, the referral search
and the caller's sheet, the print dialog, the case list with each section of a case, the
supervisor view, the lock page — and at every stop nothing may stick out, overlap or be cut off,
and the window may never grow past the screen. Each screen is a process of its own with a screen
of that size (Qt's offscreen screen, configured); 200 % is twice the pixels with
``QT_SCALE_FACTOR=2``: the same logical screen, every size and font rounded the way a
high-density screen rounds them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from console.embedded import DEMO_SUPERVISOR
from console.ui.main_window import MainWindow
from console.ui.printing.dialog import PrintDialog
from tests.ui.console import open_console
from tests.ui.geometry import layout_problems
from tests.ui.keyboard import Keyboard

SCREENS = {"1024x768": QSize(1024, 768), "1366x768": QSize(1366, 768),
           "1920x1080": QSize(1920, 1080)}
TASKBAR = 40  # what a desktop keeps for itself at the screen's edge
SCREEN_ENV = "HOTLINE_TEST_SCREEN"  # set in the process that runs on the screen asked for
CTRL = Qt.KeyboardModifier.ControlModifier
REPO = Path(__file__).resolve().parents[2]


def run_on_screen(nodeid: str, screen: str, scale: int, folder: Path) -> None:
    """Run this very test in a process of its own whose (offscreen) screen is ``screen`` at
    ``scale``: ``scale`` times the pixels, as on a high-density display (both are fixed when Qt
    starts)."""
    logical = SCREENS[screen]
    config = folder / "screen.json"
    config.write_text(json.dumps({"screens": [{
        "name": screen, "x": 0, "y": 0, "width": logical.width() * scale,
        "height": logical.height() * scale, "logicalDpi": 96, "logicalBaseDpi": 96,
        "dpr": 1}]}))
    environment = {**os.environ, SCREEN_ENV: f"{screen}@{scale}", "QT_SCALE_FACTOR": str(scale),
                   "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    done = subprocess.run([sys.executable, "-m", "pytest", nodeid, "-q", "-p", "no:cacheprovider",
                           "-o", "addopts="], cwd=REPO, env=environment, capture_output=True,
                          text=True, timeout=280, check=False)
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]


class Looker:
    """Looks at the window (or a dialog of it) at each stop and keeps what is wrong."""

    def __init__(self, window: MainWindow, screen: QSize) -> None:
        self.window, self.screen = window, screen
        self.problems: dict[str, list[str]] = {}

    def look(self, where: str, widget: QWidget | None = None) -> None:
        for _ in range(3):  # layouts settle over a few turns of the event loop
            QApplication.processEvents()
        shown = widget or self.window
        found = layout_problems(shown)
        for what, size in (("is", shown.size()), ("needs at least", shown.minimumSizeHint())):
            if size.width() > self.screen.width() or size.height() > self.screen.height():
                found.append(f"the window {what} {size.toTuple()}, the screen has "
                             f"{self.screen.toTuple()}")
        if found:
            self.problems[where] = found

    def report(self) -> str:
        return "\n".join(f"{where}:\n  " + "\n  ".join(found)
                         for where, found in self.problems.items())


def walk_a_shift(qtbot: QtBot, window: MainWindow, looker: Looker) -> None:
    keyboard = Keyboard(qtbot)
    look = looker.look
    look("triage")
    keyboard.type("1")
    qtbot.waitUntil(window.call_page.is_open)
    page = window.call_page
    look("call: safety, nothing answered")
    keyboard.choose("Safe to talk", "Yes")
    keyboard.choose("Immediate danger", "Yes")
    look("call: safety, immediate danger")
    keyboard.press(Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    keyboard.answer("Caller's phone", "12")
    keyboard.answer("Caller's ZIP code", "123")
    keyboard.press(Qt.Key.Key_Tab)
    look("call: caller, phone and ZIP mistyped")
    keyboard.press(Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    keyboard.type("Two teenagers work nights at a nail salon and sleep in the back room.")
    keyboard.choose("Type of trafficking", "Both or unclear")
    keyboard.choose("Sex trafficking indicators", "Under 18 and in commercial sex")
    keyboard.choose("Minors involved", "Yes")  # three reasons to alert: the longest banner
    look("call: situation, a minor involved")
    page.form.go_to("safety")
    look("call: safety, the reporting checklist")
    keyboard.press(Qt.Key.Key_F, CTRL)
    with qtbot.waitSignal(page.referrals.sig_results_shown, timeout=10_000):
        keyboard.type("shelter")
    keyboard.press(Qt.Key.Key_R, CTRL)
    qtbot.waitUntil(lambda: page.sheet.count() == 1, timeout=10_000)
    look("call: referrals, a service on the sheet")
    page.form.go_to("summary")
    look("call: summary")
    keyboard.press(Qt.Key.Key_P, CTRL)
    dialog = next(d for d in window.findChildren(PrintDialog) if d.isVisible())
    # The preview is made (or, had it failed, the dialog says why).
    qtbot.waitUntil(lambda: dialog.print_button.isEnabled() or dialog.problem.isVisible(),
                    timeout=20_000)
    look("print dialog: referral sheet", dialog)
    dialog.reject()
    assert page.finish(confirm=lambda _missing, _steps: True)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.triage)

    window.show_cases()
    cases = window.cases_tab
    with qtbot.waitSignal(cases.list.sig_rows_shown, timeout=10_000):
        cases.list.set_view("all")
    look("cases: the list")
    table = cases.list._table
    rect = table.visualRect(table.model().index(0, 0))
    with qtbot.waitSignal(cases.detail.sig_shown, timeout=10_000):
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    for index in range(cases.detail.tabs.count()):
        cases.detail.tabs.setCurrentIndex(index)
        look(f"cases: {cases.detail.tabs.tabText(index).replace('&', '')}")
    window.show_supervisor()
    assert window.tasks.wait_idle()
    look("supervisor view")
    window.locker.lock()
    look("lock page")
    qtbot.keyClicks(window.lock_page.password, "not the password")
    qtbot.keyClick(window.lock_page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "…" not in window.lock_page.message.text()
                    and bool(window.lock_page.message.text()), timeout=10_000)
    look("lock page: a wrong password")
    window.locker.unlock()
    window.show_calls()
    qtbot.keyClick(window.triage, Qt.Key.Key_2)
    qtbot.waitUntil(window.call_page.is_open)
    look("the next call, after the whole walk")


@pytest.mark.parametrize("scale", [1, pytest.param(2, marks=pytest.mark.slow)])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_nothing_is_cut_off_overlapping_or_past_the_screen(
        qtbot: QtBot, request: pytest.FixtureRequest, tmp_path: Path, screen: str,
        scale: int) -> None:
    if os.environ.get(SCREEN_ENV) != f"{screen}@{scale}":
        run_on_screen(request.node.nodeid, screen, scale, tmp_path)
        return
    available = SCREENS[screen] - QSize(0, TASKBAR)
    with open_console(qtbot, user=DEMO_SUPERVISOR, size=available) as window:
        assert window.screen().size() == SCREENS[screen]
        assert window.devicePixelRatio() == scale
        looker = Looker(window, available)
        try:
            walk_a_shift(qtbot, window, looker)
        finally:
            print(looker.report())  # shown with any failure, the walk's own included
    assert not looker.problems, looker.report()
