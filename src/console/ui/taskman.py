"""The one way widgets run slow work: off the GUI thread, with the answer back on it.

Each lane is a single worker thread, so work queued on one lane runs in the order it was queued
(``Lane``). ``run_latest`` is for work the person keeps superseding, such as a search per
keystroke: only the newest answer under a key is shown. Callbacks always run on the GUI thread,
where widgets may be touched; given an ``owner``, they are dropped once the owner is gone.

Long work (an import, an export, a first sync, a packet) is a function of a ``TaskState``
(``console.tasks``): ``start`` hands it a ``WorkState``, whose progress a dialog or the status
bar shows and whose ``cancel`` the work sees at its next check. ``shutdown`` cancels every such
piece of work and waits until every lane has stopped, so nothing still runs on a store or a
connection that is about to be closed.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QObject, QRunnable, QThreadPool, Signal

from console.tasks import TaskState

T = TypeVar("T")
Done = Callable[[Any], None]
Failed = Callable[[Exception], None]

# Progress is shown at most this often: a worker reporting every record would flood the window.
PROGRESS_EVERY_S = 0.05
log = logging.getLogger(__name__)


class Lane(StrEnum):
    """Where work waits its turn; each lane but "background" runs one piece at a time."""

    SEARCH = "search"  # the directory search, whose connection allows one thread at a time
    WRITES = "writes"  # saves, in the order they were made
    SYNC = "sync"  # talking to the server
    BACKGROUND = "background"  # reads and long work, up to four at once


class WorkState(QObject):
    """A ``TaskState`` the window can watch and stop: ``sig_progress`` reaches the GUI thread,
    and ``cancel`` (from the GUI thread) is seen by the work at its next check."""

    sig_progress = Signal(str, int, int)
    """(stage, done, total), at most every ``PROGRESS_EVERY_S`` and always at the end."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()
        self._shown_at = 0.0
        self._latest: tuple[str, int, int] | None = None

    def progress(self, stage: str, done: int, total: int) -> None:
        self._latest = (stage, done, total)  # one assignment: read whole by ``follow``
        now = time.monotonic()
        if done >= total or now - self._shown_at >= PROGRESS_EVERY_S:
            self._shown_at = now
            self.sig_progress.emit(stage, done, total)

    def follow(self, slot: Callable[[str, int, int], None]) -> None:
        """Connect ``slot`` to the progress, and give it at once the latest already reported:
        the work starts on its lane before the caller can connect, and may have reported once
        and then gone quiet for a long stretch."""
        self.sig_progress.connect(slot)
        if self._latest is not None:
            slot(*self._latest)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


def while_alive(method: Callable[..., None]) -> Callable[..., None]:
    """A widget's bound ``method`` that holds the widget weakly and does nothing once the widget
    was deleted: for callbacks that must not keep a closed window alive, nor touch a dead one."""
    held = weakref.WeakMethod(method)

    def call(*args: object) -> None:
        bound = held()
        if bound is not None and shiboken6.isValid(bound.__self__):
            bound(*args)
    return call


def _alive(owner: QObject | None) -> bool:
    return owner is None or shiboken6.isValid(owner)


@dataclass
class _Job:
    """One piece of work, its callback and, once run, its outcome. The manager holds it from
    the GUI thread until the callback ran, so whatever it holds (a widget, say) is let go of on
    the GUI thread, never freed on a worker."""

    work: Callable[[], Any]
    finish: Callable[[Any, Exception | None], None]
    value: Any = None
    error: Exception | None = None


class _Relay(QObject):
    """Carries "this job is done" from its worker thread to the GUI thread."""

    sig_finished = Signal(int)
    """The job's ticket: emitted by a worker, delivered on the GUI thread."""


class _Task(QRunnable):
    def __init__(self, ticket: int, jobs: dict[int, _Job], relay: _Relay) -> None:
        super().__init__()
        self._ticket, self._jobs, self._relay = ticket, jobs, relay

    def run(self) -> None:
        job = self._jobs[self._ticket]
        try:
            job.value = job.work()
        except Exception as failure:  # handed to the caller's on_error, never lost
            job.error = failure
        del job  # nothing of it stays on this thread
        self._relay.sig_finished.emit(self._ticket)


class TaskManager(QObject):
    """Runs work on lanes and calls back on the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools: dict[Lane, QThreadPool] = {}
        for lane in Lane:
            pool = QThreadPool(self)
            pool.setMaxThreadCount(4 if lane == Lane.BACKGROUND else 1)
            self._pools[lane] = pool
        self._relay = _Relay(self)
        self._relay.sig_finished.connect(self._deliver)
        self._newest: dict[str, int] = {}
        self._jobs: dict[int, _Job] = {}
        self._tickets = itertools.count()
        self._states: set[WorkState] = set()
        self._closed = False

    def run(self, work: Callable[[], T], on_done: Callable[[T], None] | None = None,
            on_error: Failed | None = None, lane: Lane = Lane.BACKGROUND,
            owner: QObject | None = None) -> None:
        """Run ``work`` on ``lane``; then ``on_done(value)`` or ``on_error(exception)``, unless
        ``owner`` was deleted meanwhile (then the answer is dropped: nobody is left to show it).
        After ``shutdown`` nothing new starts."""
        if self._closed:
            log.debug("work after shutdown dropped")
            return
        held = weakref.ref(owner) if owner is not None else None

        def finish(value: Any, error: Exception | None) -> None:
            if held is not None and not _alive(held()):
                return
            if error is None:
                if on_done is not None:
                    on_done(value)
            elif on_error is not None:
                on_error(error)
            else:
                log.error("background work failed", exc_info=error)

        ticket = next(self._tickets)
        self._jobs[ticket] = _Job(work, finish)
        self._pools[Lane(lane)].start(_Task(ticket, self._jobs, self._relay))

    def start(self, work: Callable[[TaskState], T], on_done: Callable[[T], None] | None = None,
              on_error: Failed | None = None, lane: Lane = Lane.BACKGROUND,
              owner: QObject | None = None) -> WorkState:
        """Run long ``work(state)`` on ``lane``; the returned state shows its progress and
        cancels it. ``shutdown`` cancels it too."""
        state = WorkState(self)
        self._states.add(state)

        def settled(callback: Callable[[Any], None] | None) -> Callable[[Any], None]:
            def call(outcome: Any) -> None:
                self._states.discard(state)
                state.deleteLater()
                if callback is not None:
                    callback(outcome)
            return call

        self.run(lambda: work(state), settled(on_done), settled(on_error), lane, owner)
        return state

    def run_latest(self, key: str, work: Callable[[], T], on_done: Callable[[T], None],
                   on_error: Failed | None = None, lane: Lane = Lane.SEARCH,
                   owner: QObject | None = None) -> None:
        """Like ``run``, but an answer is dropped once newer work was queued under ``key``."""
        ticket = self._newest.get(key, 0) + 1
        self._newest[key] = ticket

        def unless_superseded() -> Any:
            # Work still waiting in the lane when newer work arrives is skipped, not run: a
            # fast typist's keystrokes never pile up searches nobody will see.
            return None if self._newest[key] != ticket else work()

        def current_only(callback: Callable[[Any], None] | None) -> Callable[[Any], None]:
            def call(value: Any) -> None:
                if self._newest[key] == ticket and callback is not None:
                    callback(value)
            return call

        self.run(unless_superseded, current_only(on_done), current_only(on_error), lane, owner)

    def busy(self) -> bool:
        return bool(self._jobs)

    def wait_idle(self, timeout_ms: int = 5000) -> bool:
        """Wait until every queued task has run and called back (tests, shutting down)."""
        deadline = QDeadlineTimer(timeout_ms)
        while self._jobs and not deadline.hasExpired():
            for pool in self._pools.values():
                pool.waitForDone(10)
            QCoreApplication.processEvents()
        return not self._jobs

    def shutdown(self, timeout_ms: int = 60_000) -> bool:
        """Cancel every long piece of work, start nothing new, and wait until every lane has
        stopped; False if something still ran after ``timeout_ms`` (it is logged)."""
        self._closed = True
        for state in self._states:
            state.cancel()
        stopped = self.wait_idle(timeout_ms)
        if not stopped:
            log.error("work still running at shutdown after %d ms", timeout_ms)
        return stopped

    def _deliver(self, ticket: int) -> None:
        job = self._jobs.pop(ticket)
        job.finish(job.value, job.error)
