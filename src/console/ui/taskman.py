"""The one way widgets run slow work: off the GUI thread, with the answer back on it.

Each lane is a single worker thread, so work queued on one lane runs in the order it was queued:
"search" serves the directory search (whose connection allows one thread at a time), "writes"
keeps a call's saves in order, "sync" talks to the server. ``run_latest`` is for work the person
keeps superseding, such as a search per keystroke: only the newest answer under a key is shown.
Callbacks always run on the GUI thread, where widgets may be touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QObject, QRunnable, QThreadPool, Signal

T = TypeVar("T")
Done = Callable[[Any], None]
Failed = Callable[[Exception], None]

LANES = ("search", "writes", "sync", "background")
log = logging.getLogger(__name__)


class _Relay(QObject):
    """Carries a finished task's outcome from its worker thread to the GUI thread."""

    sig_finished = Signal(object, object, object)
    """(callback, value, error): emitted by a worker, delivered on the GUI thread."""


class _Task(QRunnable):
    def __init__(self, work: Callable[[], Any], finish: Callable[[Any, Exception | None], None],
                 relay: _Relay) -> None:
        super().__init__()
        self._work, self._finish, self._relay = work, finish, relay

    def run(self) -> None:
        try:
            value, error = self._work(), None
        except Exception as failure:  # handed to the caller's on_error, never lost
            value, error = None, failure
        self._relay.sig_finished.emit(self._finish, value, error)


class TaskManager(QObject):
    """Runs work on named lanes and calls back on the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools: dict[str, QThreadPool] = {}
        for lane in LANES:
            pool = QThreadPool(self)
            pool.setMaxThreadCount(4 if lane == "background" else 1)
            self._pools[lane] = pool
        self._relay = _Relay(self)
        self._relay.sig_finished.connect(self._deliver)
        self._newest: dict[str, int] = {}
        self._running = 0

    def run(self, work: Callable[[], T], on_done: Callable[[T], None] | None = None,
            on_error: Failed | None = None, lane: str = "background") -> None:
        """Run ``work`` on ``lane``; then ``on_done(value)`` or ``on_error(exception)``."""

        def finish(value: Any, error: Exception | None) -> None:
            self._running -= 1
            if error is None:
                if on_done is not None:
                    on_done(value)
            elif on_error is not None:
                on_error(error)
            else:
                log.error("background work failed", exc_info=error)

        self._running += 1
        self._pools[lane].start(_Task(work, finish, self._relay))

    def run_latest(self, key: str, work: Callable[[], T], on_done: Callable[[T], None],
                   on_error: Failed | None = None, lane: str = "search") -> None:
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

        self.run(unless_superseded, current_only(on_done), current_only(on_error), lane)

    def busy(self) -> bool:
        return self._running > 0

    def wait_idle(self, timeout_ms: int = 5000) -> bool:
        """Wait until every queued task has run and called back (tests, shutting down)."""
        deadline = QDeadlineTimer(timeout_ms)
        while self._running and not deadline.hasExpired():
            for pool in self._pools.values():
                pool.waitForDone(10)
            QCoreApplication.processEvents()
        return not self._running

    @staticmethod
    def _deliver(finish: Callable[[Any, Exception | None], None], value: Any,
                 error: Exception | None) -> None:
        finish(value, error)
