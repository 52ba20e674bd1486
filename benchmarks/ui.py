"""Desktop console responsiveness: the real main window, on a national-size directory.

    python benchmarks/ui.py --services 100000

The console works on its own data folder holding a copy of the generated directory (made once and
cached under ``benchmarks/.data/`` like the other benchmarks' directories). The window runs on Qt's
offscreen platform unless ``QT_QPA_PLATFORM`` says otherwise.

``startup_ms`` is the median of ``--starts`` fresh processes, from just before the process is
started (so the interpreter, Qt and the console's imports are included) until the main window is
shown with the triage page current and every task it queued at start has called back (resuming an
unfinished call, the referral panel's first search): a specialist can take a call. One start
before those is not counted (it makes the case store); ``first_start_ms`` is its figure.
``startup_shown_ms`` is the median time until the window is on screen, before the queued work.
``bare_qt_ms`` is the same measure, in the same run, for a process that only shows an empty
``QMainWindow`` of the same size: what any PySide6 window costs on this machine, so the ratio
``startup_ms / bare_qt_ms`` can be judged. Both programs run with their bytecode cached, as an
installed console has it (pip and the installer compile it), whatever
``PYTHONDONTWRITEBYTECODE`` says here.

``new_call_ms`` is the median of ``--calls`` presses of "1" (crisis call) on the triage page until
the call page is open with the keyboard in its first field: the case is created on the disk first,
so a call that drops at once is still on record.

``keystroke_to_results_*`` times realistic queries typed one key at a time into the referral
search field (on the Referrals tab of an open call, after Ctrl+F), one key every
``TYPING_INTERVAL_S``, first without and then with the caller's ZIP entered on the Caller tab.
Each sample runs from the key event to the first ``sig_results_shown`` whose results answer the
text typed so far. When a key's results are later than the next key is due, that next key waits
for them: a slow answer is measured in full rather than hidden by the key that supersedes it.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, QTimer, SignalInstance
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from common import generated_store, percentile, report, say
from console import settings
from console.app import open_workstation
from console.security.credentials import CredentialStore
from console.ui.launch import application, build_window, show_window
from console.ui.main_window import MainWindow
from console.ui.referral_search import ReferralSearchPanel

WINDOW_SIZE = (1366, 768)  # the smallest laptop screen a hotline workstation is likely to have
TYPING_INTERVAL_S = 0.12  # a steady typist: about 100 words a minute
WAIT_LIMIT_S = 30.0
POLL_MS = 1  # for what no signal announces, e.g. "the keyboard is in the first field"
QUERIES = ("shelter", "legal aid", "immigration lawyer", "mental health", "youth housing")
CALLER_ZIP = "77002"
CRISIS_KEY = Qt.Key.Key_1

# The start measured in a fresh process. It imports only what ``hotline`` itself imports, and
# builds the window without sync: sync starts only after the window is shown, talks to the
# server on its own thread, and on a first start spends seconds starting the embedded server,
# none of which the specialist waits for before taking a call.
STARTUP_PROGRAM = """
from console.app import open_workstation
from console.security.credentials import CredentialStore
from console.ui.launch import application, build_window, show_window
from PySide6.QtTest import QTest

app = application()
window = build_window(open_workstation(None, CredentialStore.for_this_process()),
                      start_sync=False)
show_window(window, {width}, {height})
if not QTest.qWaitForWindowExposed(window, 30_000):
    raise SystemExit("the window was never shown")
print("shown", flush=True)
if not window.tasks.wait_idle(60_000):
    raise SystemExit("the window's start-up work did not finish")
app.processEvents()
if window.pages.currentWidget() is not window.triage:
    raise SystemExit("the triage page is not the one shown")
print("ready", flush=True)
window.close()
"""

# The floor: the interpreter, Qt and one empty main window, shown the same way.
BARE_QT_PROGRAM = """
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMainWindow

app = QApplication([])
window = QMainWindow()
window.resize({width}, {height})
window.show()
if not QTest.qWaitForWindowExposed(window, 30_000):
    raise SystemExit("the window was never shown")
print("shown", flush=True)
print("ready", flush=True)
window.close()
"""


# --- waiting on the event loop --------------------------------------------------------------


def wait_until(condition: Callable[[], bool], signals: Sequence[SignalInstance] = (),
               limit_s: float = WAIT_LIMIT_S) -> None:
    """Run the event loop until ``condition`` holds, checking it whenever one of ``signals``
    fires, or every millisecond when none is given. The loop sleeps in Qt in between, so the
    worker threads have the interpreter to themselves."""
    if condition():
        return
    loop = QEventLoop()

    def check(*_args: object) -> None:
        if condition():
            loop.quit()

    poll = QTimer(interval=POLL_MS)
    poll.timeout.connect(check)
    for signal in signals:
        signal.connect(check)
    QTimer.singleShot(round(limit_s * 1000), loop.quit)
    if not signals:
        poll.start()
    try:
        loop.exec()
    finally:
        poll.stop()
        for signal in signals:
            signal.disconnect(check)
    if not condition():
        raise SystemExit(f"gave up waiting after {limit_s:.0f} s")


def pause(seconds: float) -> None:
    """Let the event loop run for ``seconds`` (never less than what is queued now)."""
    loop = QEventLoop()
    QTimer.singleShot(max(0, round(seconds * 1000)), loop.quit)
    loop.exec()


def settle(window: MainWindow) -> None:
    if not window.tasks.wait_idle(round(WAIT_LIMIT_S * 1000)):
        raise SystemExit("the console's background work did not finish")
    QCoreApplication.processEvents()


def control(parent: QWidget, name: str) -> QWidget:
    (widget,) = [w for w in parent.findChildren(QWidget) if w.accessibleName() == name]
    return widget


# --- the data folder ------------------------------------------------------------------------


def prepare_home(services: int, home: Path) -> None:
    """``home`` with a copy of the generated directory, as a synced workstation has it."""
    say(f"preparing a {services:,}-service directory (generated once, then cached)")
    engine = generated_store(services)
    cached = Path(str(engine.url.database))
    engine.dispose()
    # SQLite's backup copies the file with whatever its write-ahead log still holds.
    with closing(sqlite3.connect(cached)) as source, \
            closing(sqlite3.connect(home / "directory.sqlite")) as target:
        source.backup(target)


# --- start-up -------------------------------------------------------------------------------


def one_start(home: Path, template: str = STARTUP_PROGRAM) -> tuple[float, float]:
    """(ms until shown, ms until ready) for a fresh process running ``template`` on ``home``."""
    program = template.format(width=WINDOW_SIZE[0], height=WINDOW_SIZE[1])
    environment = {**os.environ, settings.HOME_ENV: str(home)}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE,
                               env=environment, text=True)
    assert process.stdout is not None
    marks: dict[str, float] = {}
    for line in process.stdout:
        marks[line.strip()] = (time.perf_counter() - start) * 1000
    if process.wait() or set(marks) != {"shown", "ready"}:
        raise SystemExit(f"the console did not start (exit status {process.returncode})")
    return marks["shown"], marks["ready"]


def measure_startup(home: Path, starts: int) -> dict[str, object]:
    say("starting the console in fresh processes")
    _, first = one_start(home)
    say(f"  first start (makes the case store): {first:.0f} ms")
    one_start(home, BARE_QT_PROGRAM)  # not counted either: the same warm caches for both
    shown, ready, bare = [], [], []
    # Taken in turns, so a change in the machine's load touches both figures alike.
    for number in range(starts):
        on_screen, usable = one_start(home)
        shown.append(on_screen)
        ready.append(usable)
        _, empty = one_start(home, BARE_QT_PROGRAM)
        bare.append(empty)
        say(f"  start {number + 1}: shown {on_screen:.0f} ms, ready {usable:.0f} ms; "
            f"a bare Qt window {empty:.0f} ms")
    return {"startup_ms": round(statistics.median(ready)),
            "bare_qt_ms": round(statistics.median(bare)),
            "startup_shown_ms": round(statistics.median(shown)),
            "first_start_ms": round(first), "starts": starts}


# --- a new call -----------------------------------------------------------------------------


def first_field_focused(window: MainWindow) -> bool:
    if not window.call_page.is_open():
        return False
    form = window.call_page.form
    first = next(e for e in form.pages[form.current_tab_id()].editors.values() if not e.isHidden())
    return QApplication.focusWidget() is first.focus_target()


def finish_call(window: MainWindow) -> None:
    window.call_page.finish(confirm=lambda _missing, _steps: True)
    settle(window)
    wait_until(lambda: window.pages.currentWidget() is window.triage)


def open_crisis_call(window: MainWindow) -> float:
    """Press the crisis key at triage; ms until the call is open with its first field focused."""
    window.show_triage()
    settle(window)
    start = time.perf_counter()
    QTest.keyClick(window.triage, CRISIS_KEY)
    wait_until(lambda: first_field_focused(window))
    return (time.perf_counter() - start) * 1000


def measure_new_call(window: MainWindow, calls: int) -> dict[str, object]:
    say("opening crisis calls from the triage page")
    times = []
    for _ in range(calls):
        times.append(open_crisis_call(window))
        finish_call(window)
    say(f"  {', '.join(f'{t:.0f}' for t in times)} ms")
    return {"new_call_ms": round(statistics.median(times), 1), "calls": calls}


# --- typing a referral search ---------------------------------------------------------------


class KeystrokeTimer:
    """Types into the referral search field and times each key to the results answering it."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.panel: ReferralSearchPanel = window.referrals
        field = control(self.panel, "Search services")
        assert isinstance(field, QLineEdit)
        self.field = field
        self.samples: list[float] = []
        self._expected: str | None = None
        self._answered_at: float | None = None
        self.panel.sig_results_shown.connect(self._on_results)

    def _on_results(self, _count: int) -> None:
        if self._answered_at is None and self.panel.query().text == self._expected:
            self._answered_at = time.perf_counter()

    def type_query(self, text: str) -> None:
        """The search action (Ctrl+F: the old words selected, so the first key replaces them),
        then ``text`` one key at a time."""
        self.window.actions_by_name["search"].trigger()
        settle(self.window)
        for typed in range(1, len(text) + 1):
            self._expected, self._answered_at = text[:typed], None
            pressed = time.perf_counter()
            QTest.keyClicks(self.field, text[typed - 1])
            wait_until(lambda: self._answered_at is not None, [self.panel.sig_results_shown])
            assert self._answered_at is not None
            self.samples.append((self._answered_at - pressed) * 1000)
            pause(TYPING_INTERVAL_S - (time.perf_counter() - pressed))
        settle(self.window)
        typed_keys = self.samples[-len(text):]
        say(f"  {text!r}: {', '.join(f'{t:.0f}' for t in typed_keys)} ms")


def enter_caller_zip(window: MainWindow, zip_code: str) -> None:
    """Type the caller's ZIP on the Caller tab, as the intake asks for it."""
    window.call_page.form.go_to("caller", "caller_zip")
    zip_field = QApplication.focusWidget()
    assert isinstance(zip_field, QLineEdit)
    QTest.keyClicks(zip_field, zip_code)
    settle(window)
    wait_until(lambda: window.referrals.query().zip_code == zip_code)


def measure_typing(window: MainWindow) -> dict[str, object]:
    open_crisis_call(window)
    timer = KeystrokeTimer(window)
    say("typing referral searches, no caller ZIP yet")
    for text in QUERIES:
        timer.type_query(text)
    without_zip = len(timer.samples)
    enter_caller_zip(window, CALLER_ZIP)
    say(f"typing referral searches near ZIP {CALLER_ZIP}")
    for text in QUERIES:
        timer.type_query(text)
    finish_call(window)
    samples = timer.samples
    say(f"  slowest keys: {', '.join(f'{t:.0f}' for t in sorted(samples)[-5:])} ms")
    return {"keystroke_to_results_p50_ms": round(percentile(samples, 0.5), 1),
            "keystroke_to_results_p95_ms": round(percentile(samples, 0.95), 1),
            "keystroke_to_results_max_ms": round(max(samples), 1),
            "keystroke_samples": len(samples),
            "keystroke_samples_with_zip": len(samples) - without_zip}


# --- the run --------------------------------------------------------------------------------


def measure_window(calls: int) -> dict[str, object]:
    app = application()
    window = build_window(open_workstation(None, CredentialStore.for_this_process()),
                          start_sync=False)
    show_window(window, *WINDOW_SIZE)
    if not QTest.qWaitForWindowExposed(window, 30_000):
        raise SystemExit("the window was never shown")
    window.activateWindow()
    settle(window)
    try:
        figures = measure_new_call(window, calls)
        figures.update(measure_typing(window))
    finally:
        window.close()
        app.processEvents()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-console-") as folder:
        home = Path(folder)
        prepare_home(args.services, home)
        os.environ[settings.HOME_ENV] = str(home)
        figures: dict[str, object] = {"services": args.services}
        figures.update(measure_startup(home, args.starts))
        figures.update(measure_window(args.calls))
    report({"startup_ms": figures.pop("startup_ms"), "bare_qt_ms": figures.pop("bare_qt_ms"),
            "new_call_ms": figures.pop("new_call_ms"),
            "keystroke_to_results_p95_ms": figures.pop("keystroke_to_results_p95_ms"),
            **figures})


if __name__ == "__main__":
    main()
