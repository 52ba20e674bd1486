"""A console killed mid-call (kill -9: no close event, no last save) reopens the call where it was.

A child process runs the real window, takes a crisis call by keyboard and types into real
widgets; once the debounced save has landed it says READY and is killed with SIGKILL. The window
built afterwards on the same data folder must show the call again, exactly as it was typed.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.intake.desk import OPEN_CALL_KEY
from console.ui.main_window import MainWindow
from console.ui.sync_runner import SOON_AFTER_A_CHANGE_MS
from tests.ui.console import show_console

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

HALF_TYPED = "Caller says her employer keeps her passp"
CALLER_ZIP = "10001"
READY_SECONDS = 90.0

# The child: the real window, driven by key presses as a specialist would, until READY.
CHILD = r"""
import json, signal, sys, time

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtTest import QTest

from console.app import open_workstation
from console.intake.desk import OPEN_CALL_KEY
from console.security.credentials import CredentialStore
from console.ui.launch import application, build_window

HALF_TYPED, CALLER_ZIP, MODE = sys.argv[1], sys.argv[2], sys.argv[3]
ALT = Qt.KeyboardModifier.AltModifier


def wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {condition.__name__}")
        QCoreApplication.processEvents()
        time.sleep(0.01)


def one_case_logged():
    return len(workstation.cases.list_cases()) == 1


def call_saved_on_safety_tab():
    case = workstation.cases.get(window.call_page.call.case_id) or {}
    answers = case.get("answers") or {}
    record = json.loads(workstation.cases.get_state(OPEN_CALL_KEY) or "{}")
    return (answers.get("caller_zip") == CALLER_ZIP
            and answers.get("what_is_happening") == HALF_TYPED
            and answers.get("safe_to_talk") == "yes" and record.get("tab") == "safety")


def editor(field_id):
    form = window.call_page.form
    return form.pages[form.protocol.tab_of(field_id).id].editors[field_id].focus_target()


app = application()
workstation = open_workstation(None, CredentialStore.for_this_process())
window = build_window(workstation, start_sync=False)
window.resize(1280, 760)
window.show()
window.activateWindow()
wait_for(window.isActiveWindow)
window.tasks.wait_idle(10_000)

if MODE == "idle":  # a hang-up leaves no call open
    QTest.keyClick(window.triage, Qt.Key.Key_H)
    wait_for(one_case_logged)
else:
    QTest.keyClick(window.triage, Qt.Key.Key_1)
    wait_for(window.call_page.is_open)
    QTest.keyClicks(editor("caller_zip"), CALLER_ZIP)
    QTest.keyClick(window, Qt.Key.Key_3, ALT)
    QTest.keyClicks(editor("what_is_happening"), HALF_TYPED)
    QTest.keyClick(window, Qt.Key.Key_1, ALT)
    QTest.keyClick(app.focusWidget(), Qt.Key.Key_Space)  # "Yes", the first choice, has focus
    wait_for(call_saved_on_safety_tab)  # the save comes once the typing pauses
window.tasks.wait_idle(10_000)
print("READY", workstation.cases.list_cases()[0]["id"], flush=True)
signal.pause()  # until the test kills this process, however long that takes
"""


def run_child_until_ready(home: Path, mode: str) -> str:
    """Run the child until it says READY, kill it with SIGKILL, and return what it said."""
    env = {**os.environ, "HOTLINE_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    log = home.parent / f"child-{mode}.log"
    with log.open("w") as errors:
        child = subprocess.Popen([sys.executable, "-c", CHILD, HALF_TYPED, CALLER_ZIP, mode],
                                 env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
    try:
        line = _read_line(child, READY_SECONDS)
        assert line.startswith("READY"), (
            f"the child said {line!r}; its log:\n{log.read_text(errors='replace')}")
        child.send_signal(signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
        return line.split()[1]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        assert child.stdout is not None
        child.stdout.close()


def _read_line(child: subprocess.Popen[str], seconds: float) -> str:
    assert child.stdout is not None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([child.stdout], [], [], 0.2)
        if ready:
            return child.stdout.readline()
        if child.poll() is not None:
            return f"(exited with {child.returncode})"
    return "(no answer in time)"


@pytest.fixture
def reopen(qtbot: QtBot) -> Iterator[Callable[[], MainWindow]]:
    """Builds the window on the data folder the child used, as a console restarted would."""
    windows: list[MainWindow] = []

    def build() -> MainWindow:
        window = show_console(qtbot)
        windows.append(window)
        return window

    yield build
    for window in windows:
        window.close()


def test_a_call_killed_mid_typing_reopens_where_it_was(
        qtbot: QtBot, hotline_home: Path, reopen: Callable[[], MainWindow]) -> None:
    case_id = run_child_until_ready(hotline_home, "call")

    window = reopen()
    qtbot.waitUntil(window.call_page.is_open, timeout=10_000)

    page = window.call_page
    assert window.pages.currentWidget() is page
    assert page.call is not None and page.call.case_id == case_id and page.call.recovered
    assert page.form.current_tab_id() == "safety"
    assert page.form.answer("caller_zip") == CALLER_ZIP
    assert page.form.answer("what_is_happening") == HALF_TYPED
    assert page.form.answer("safe_to_talk") == "yes"
    assert "recovered" in page.banner.text()
    assert not page.banner.isHidden()
    assert page.header.title.text() == "Crisis call"
    safe_to_talk = page.form.pages["safety"].editors["safe_to_talk"].focus_target()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is safe_to_talk, timeout=5_000)

    with qtbot.waitSignal(page.sig_finished, timeout=10_000):
        assert page.finish(confirm=lambda _missing, _steps: True)
    window.tasks.wait_idle()

    cases = window.workstation.cases.list_cases()
    assert [case["id"] for case in cases] == [case_id]
    (case,) = cases
    assert case["status"] == "closed"
    assert case["answers"]["what_is_happening"] == HALF_TYPED
    assert window.pages.currentWidget() is window.triage
    assert not window.workstation.cases.get_state(OPEN_CALL_KEY)
    # Built without sync, the console keeps everything local, even after a change.
    qtbot.wait(SOON_AFTER_A_CHANGE_MS + 500)
    assert window.runner.connection is None


def test_a_console_killed_between_calls_starts_on_triage(
        qtbot: QtBot, hotline_home: Path, reopen: Callable[[], MainWindow]) -> None:
    case_id = run_child_until_ready(hotline_home, "idle")

    window = reopen()
    assert window.tasks.wait_idle()

    assert window.pages.currentWidget() is window.triage
    assert not window.call_page.is_open()
    assert [case["id"] for case in window.workstation.cases.list_cases()] == [case_id]
    assert not window.actions_by_name["finish"].isEnabled()
