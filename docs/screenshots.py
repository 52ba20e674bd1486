"""Makes the README's screenshots from the real console window, drawn offscreen.

    python docs/screenshots.py

Writes ``docs/screenshots/``: the triage page, then each intake tab during a demo crisis call, at
1366×768 (a common laptop screen), and the Situation tab again at 200 % scaling (a second process
with ``QT_SCALE_FACTOR=2``: 2732×1536 pixels showing the same 1366×768 layout); then the Safety and
Referrals tabs and the case list on a 1024×768 screen (``-1024`` in their names), where the case
opens under the list. Run it under a desktop or Xvfb with ``QT_QPA_PLATFORM=xcb`` to take the
real window; without one it is drawn offscreen. Each process runs
the console on a fresh data folder of its own, with the demo directory and the embedded server,
so nothing from a real workstation can appear. The call is answered through the window's own
controls, the way a specialist would: the caller's ZIP moves the referral search near them, the
immediate danger makes the call urgent and raises the supervisor alert.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QSpinBox, QWidget

from console import settings
from console.app import open_workstation
from console.cases.changes import NEXT_SHIFT
from console.embedded import DEMO_SUPERVISOR as SUPERVISOR
from console.security.credentials import CredentialStore
from console.ui.intake.fields import (
    ChoiceEditor,
    FieldEditor,
    LongTextEditor,
    ManyEditor,
    TextEditor,
    YesNoEditor,
)
from console.ui.launch import application, build_window
from console.ui.main_window import MainWindow

OUTPUT = Path(__file__).resolve().parent / "screenshots"
WINDOW_SIZE = (1366, 768)
WAIT_LIMIT_S = 60.0
SEARCH_TEXT = "legal"
HANDOFF_NOTE = "Caller agreed to a call back after 6 pm on the safe number; legal referral given."
SEARCH_RADIUS_MILES = 250  # the demo directory has few legal services near Houston

# A made-up call: no names, no numbers, nothing a real caller said.
DEMO_ANSWERS: tuple[tuple[str, Any], ...] = (
    ("caller_type", "community-member"),
    ("language", "en"),
    ("interpreter_used", "no"),
    ("caller_zip", "77002"),
    ("caller_state", "TX"),
    ("safe_contact_method", "phone-call"),
    ("what_is_happening",
     "Caller works next to a restaurant. Four kitchen workers live above it; the manager "
     "holds their passports and drives them to and from work. One worker asked the caller "
     "for help today and said the manager threatened them last night."),
    ("location_description", "Restaurant with rooms upstairs, near a light-rail stop"),
    ("city", "Houston"),
    ("situation_state", "TX"),
    ("trafficking_type", ["labor"]),
    ("labor_indicators", ["not-free-to-leave", "documents-held", "threats"]),
    ("people_count", 4),
    ("minors_involved", "no"),
    ("venue", "Restaurant"),
    ("safe_to_talk", "yes"),
    ("immediate_danger", "yes"),
    ("emergency_services_contacted", "no"),
    ("referral_needs", ["legal", "immigration-legal", "labor"]),
    ("referral_notes", "Caller will pass on the hotline number and one legal referral."),
    ("summary",
     "Community member reports four restaurant workers whose passports are held by the "
     "manager; threat made last night. Supervisor alerted; 911 offered."),
    ("next_steps", ["referral-given", "call-back"]),
)

# Each intake tab is shown with the keyboard in the field a specialist would be at.
TAB_FOCUS = {"caller": "caller_type", "situation": "what_is_happening",
             "safety": "immediate_danger", "referrals": None, "summary": "summary"}


# --- driving the window ---------------------------------------------------------------------


def pause(milliseconds: int) -> None:
    """Run the event loop a while. (``QTest.qWait`` would keep the interpreter to itself,
    starving the worker threads that sync and search.)"""
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        pause(20)


def settle(window: MainWindow) -> None:
    """Every queued task done and the window repainted."""
    if not window.tasks.wait_idle(round(WAIT_LIMIT_S * 1000)):
        raise SystemExit("the console's background work did not finish")
    pause(50)


def control(parent: QWidget, name: str) -> QWidget:
    (widget,) = [w for w in parent.findChildren(QWidget) if w.accessibleName() == name]
    return widget


def editor(window: MainWindow, field_id: str) -> FieldEditor:
    form = window.call_page.form
    return form.pages[form.protocol.tab_of(field_id).id].editors[field_id]


def answer(window: MainWindow, field_id: str, value: Any) -> None:
    """Answer a field through its control, as typing or clicking would."""
    window.call_page.form.go_to(window.call_page.form.protocol.tab_of(field_id).id, field_id)
    match editor(window, field_id):
        case TextEditor() as text:
            QTest.keyClicks(text.line, str(value))
        case LongTextEditor() as notes:
            notes.text.setPlainText(value)
        case ChoiceEditor() as choice:
            choice.combo.setCurrentIndex(choice.combo.findData(value))
        case YesNoEditor() as yes_no:
            yes_no.buttons[value].click()
        case ManyEditor() as many:
            for option in value:
                many.boxes[option].click()


def start_window(user: str | None = None) -> MainWindow:
    workstation = open_workstation(None, CredentialStore.for_this_process(), demo_user=user)
    window = build_window(workstation)
    window.resize(*WINDOW_SIZE)
    window.show()
    if not QTest.qWaitForWindowExposed(window, 30_000):
        raise SystemExit("the window was never shown")
    window.activateWindow()
    # The status bar is part of the picture: wait for the first sync with the embedded server.
    wait_until(lambda: window.runner.status.last_success is not None, "the first sync")
    settle(window)
    return window


def take_call(window: MainWindow) -> None:
    """A crisis call, answered; a legal service near the caller added to the referral sheet."""
    QTest.keyClick(window.triage, Qt.Key.Key_1)
    wait_until(window.call_page.is_open, "the call page")
    for field_id, value in DEMO_ANSWERS:
        answer(window, field_id, value)
    settle(window)
    panel = window.referrals
    answered: list[str] = []
    panel.sig_results_shown.connect(lambda _count: answered.append(panel.query().text))
    window.actions_by_name["search"].trigger()
    radius = control(panel, "Radius in miles")
    assert isinstance(radius, QSpinBox)
    radius.setValue(SEARCH_RADIUS_MILES)
    QTest.keyClicks(control(panel, "Search services"), SEARCH_TEXT)
    wait_until(lambda: SEARCH_TEXT in answered and panel.selected_result() is not None,
               f"the results for {SEARCH_TEXT!r}")
    window.actions_by_name["add"].trigger()
    settle(window)


def show_tab(window: MainWindow, tab_id: str) -> None:
    window.call_page.form.go_to(tab_id, TAB_FOCUS[tab_id])
    if tab_id == "referrals":
        control(window.referrals, "Results").setFocus(Qt.FocusReason.OtherFocusReason)
    settle(window)


def save(window: MainWindow, name: str) -> None:
    path = OUTPUT / f"{name}.png"
    if not window.grab().save(str(path), "PNG", 9):
        raise SystemExit(f"could not write {path.name}")
    print(f"wrote {path.relative_to(OUTPUT.parent)}", file=sys.stderr, flush=True)


# --- the runs -------------------------------------------------------------------------------


def shoot(only: set[str] | None, suffix: str) -> None:
    application()
    window = start_window()
    try:
        if only is None:
            save(window, f"triage{suffix}")
        take_call(window)
        tabs = window.workstation.protocol.tabs
        for number, tab in enumerate(tabs, start=1):
            if only is None or tab.id in only:
                show_tab(window, tab.id)
                save(window, f"call-{number}-{tab.id}{suffix}")
        window.call_page.finish(confirm=lambda _missing, _steps: True)
        settle(window)
    finally:
        window.close()


def shoot_cases(suffix: str) -> None:
    """As the shift supervisor: the call handed to the next shift, the case, the overview."""
    application()
    window = start_window(SUPERVISOR)
    try:
        take_call(window)
        case_id = window.call_page.call.case_id if window.call_page.call else ""
        window.call_page.finish(confirm=lambda _missing, _steps: True)
        settle(window)
        window.workstation.cases.hand_off(case_id, NEXT_SHIFT, HANDOFF_NOTE)
        window.show_cases()
        window.cases_tab.list.set_view("all_open")
        window.open_case(case_id)
        settle(window)
        save(window, f"cases{suffix}")
        window.show_supervisor()
        settle(window)
        save(window, f"supervisor{suffix}")
    finally:
        window.close()


def shoot_scaled(tab_id: str) -> None:
    """The same tab at 200 %, in a process of its own (the scale is fixed at start)."""
    environment = {**os.environ, "QT_SCALE_FACTOR": "2"}
    command = [sys.executable, __file__, "--only", tab_id, "--suffix=-200pct",
               f"--size={WINDOW_SIZE[0]}x{WINDOW_SIZE[1]}"]
    if subprocess.run(command, env=environment, check=False).returncode:
        raise SystemExit("the 200 % screenshot failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="intake tabs (their ids, comma-separated) to shoot")
    parser.add_argument("--size", default="1366x768", help="the window's size, e.g. 1024x768")
    parser.add_argument("--suffix", default="", help="added to the file names")
    parser.add_argument("--cases", action="store_true", help="the case list and supervisor view")
    args = parser.parse_args()
    global WINDOW_SIZE  # one size per process, chosen on the command line
    width, height = (int(part) for part in args.size.split("x"))
    WINDOW_SIZE = (width, height)
    only = set(args.only.split(",")) if args.only else None
    OUTPUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="console-screenshots-") as home:
        os.environ[settings.HOME_ENV] = home
        if args.cases:
            shoot_cases(args.suffix)
        else:
            shoot(only, args.suffix)
    if only is None and not args.cases:
        shoot_scaled("situation")
        narrow = ["--size=1024x768", "--suffix=-1024"]
        for extra in (["--cases"], ["--cases", *narrow], ["--only", "safety,referrals", *narrow]):
            if subprocess.run([sys.executable, __file__, *extra], check=False).returncode:
                raise SystemExit(f"the screenshots with {' '.join(extra)} failed")


if __name__ == "__main__":
    main()
