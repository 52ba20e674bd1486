"""The task helper: work off the GUI thread, answers back on it, newest search wins."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QThread

from console.ui.taskman import TaskManager


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
        tasks.run(lambda v=value: v, order.append, lane="writes")
    assert tasks.wait_idle()
    assert order == list(range(20))
