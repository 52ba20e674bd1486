"""The task helper: work off the GUI thread, answers back on it, newest search wins."""

from __future__ import annotations

import threading
import time

import shiboken6
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QWidget

from console.tasks import Cancelled, TaskState, check_cancelled
from console.ui.taskman import Lane, TaskManager, while_alive


def test_work_runs_off_the_gui_thread_and_answers_on_it(qtbot) -> None:
    tasks = TaskManager()
    seen: dict[str, object] = {}

    def work() -> str:
        seen["worker"] = threading.get_ident()
        return "done"

    def done(value: str) -> None:
        seen["value"] = value
        seen["callback_on_gui"] = QThread.currentThread() is qtbot_thread

    qtbot_thread = QThread.currentThread()
    tasks.run(work, done)
    assert tasks.wait_idle()
    assert seen["value"] == "done"
    assert seen["callback_on_gui"] is True
    assert seen["worker"] != threading.get_ident()


def test_failures_reach_on_error(qtbot) -> None:
    tasks = TaskManager()
    errors: list[Exception] = []

    def boom() -> None:
        raise ValueError("no such ZIP")

    tasks.run(boom, on_error=errors.append)
    assert tasks.wait_idle()
    assert [str(e) for e in errors] == ["no such ZIP"]


def test_only_the_newest_answer_under_a_key_is_delivered(qtbot) -> None:
    tasks = TaskManager()
    answers: list[int] = []

    def slow(value: int) -> int:
        time.sleep(0.02)
        return value

    for value in range(5):
        tasks.run_latest("search", lambda v=value: slow(v), answers.append)
    assert tasks.wait_idle()
    assert answers == [4]


def test_a_lane_keeps_the_order_work_was_queued_in(qtbot) -> None:
    tasks = TaskManager()
    order: list[int] = []
    for value in range(20):
        tasks.run(lambda v=value: v, order.append, lane=Lane.WRITES)
    assert tasks.wait_idle()
    assert order == list(range(20))


def test_a_callback_to_a_deleted_owner_is_dropped(qtbot) -> None:
    tasks = TaskManager()
    owner, kept = QWidget(), QWidget()
    release = threading.Event()
    answers: list[str] = []
    tasks.run(lambda: release.wait(5) and "late", answers.append, owner=owner)
    tasks.run(lambda: "kept", answers.append, owner=kept)
    shiboken6.delete(owner)  # the panel was closed while its read was under way
    release.set()
    assert tasks.wait_idle()
    assert answers == ["kept"]
    kept.deleteLater()


def test_while_alive_does_nothing_once_the_widget_is_gone(qtbot) -> None:
    calls: list[str] = []

    class Panel(QWidget):
        def show_answer(self, value: str) -> None:
            calls.append(value)

    panel = Panel()
    call = while_alive(panel.show_answer)
    call("first")
    shiboken6.delete(panel)
    call("second")
    assert calls == ["first"]


def test_long_work_reports_progress_and_stops_when_cancelled(qtbot) -> None:
    tasks = TaskManager()
    steps: list[int] = []
    failures: list[Exception] = []

    def count(state: TaskState) -> None:
        for done in range(10_000):
            state.progress("counting", done, 10_000)
            check_cancelled(state)
            time.sleep(0.001)

    state = tasks.start(count, on_error=failures.append)
    state.sig_progress.connect(lambda _stage, done, _total: steps.append(done))
    qtbot.waitUntil(lambda: len(steps) >= 2)
    state.cancel()
    assert tasks.wait_idle()
    assert [type(failure) for failure in failures] == [Cancelled]
    assert steps[-1] < 9_999


def test_a_follower_hears_the_progress_reported_before_it_followed(qtbot) -> None:
    tasks = TaskManager()
    reported = threading.Event()

    def report_once_then_wait(state: TaskState) -> None:
        state.progress("each specialist's cases", 1, 4)
        reported.set()
        while not state.cancelled():
            time.sleep(0.005)

    state = tasks.start(report_once_then_wait)
    assert reported.wait(5)  # reported before anyone connected: the signal went to no one
    heard: list[tuple[str, int, int]] = []
    state.follow(lambda *progress: heard.append(progress))
    assert heard == [("each specialist's cases", 1, 4)]
    state.cancel()
    assert tasks.wait_idle()


def test_shutdown_cancels_long_work_waits_for_it_and_starts_nothing_new(qtbot) -> None:
    tasks = TaskManager()
    finished = threading.Event()

    def endless(state: TaskState) -> None:
        try:
            while True:
                check_cancelled(state)
                time.sleep(0.001)
        finally:
            finished.set()

    tasks.start(endless, lane=Lane.SYNC)
    assert tasks.shutdown(5_000)
    assert finished.is_set()
    ran: list[int] = []
    tasks.run(lambda: ran.append(1))
    assert tasks.wait_idle() and ran == []
