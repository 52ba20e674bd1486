"""Keeps the workstation in step with the central server, in the background, forever.

Connecting (starting the embedded server, signing in) and every sync run on the sync lane with a
``WorkState``, so a long first sync shows its progress and stops when the window closes. A
failure only changes what the status bar says and when the next try comes (with backoff), so
losing the network changes nothing in what the specialist can do. What the status bar shows is a
``SyncStatus`` snapshot handed over from the sync thread, never an object both threads write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, QTimer, Signal

from console.app import Connection
from console.sync.api import SignInNeeded, SyncError
from console.sync.client import Backoff, SyncStatus
from console.tasks import Cancelled, TaskState
from console.ui.taskman import Lane, TaskManager, WorkState

SYNC_INTERVAL_S = 30.0
SOON_AFTER_A_CHANGE_MS = 2_000


class SyncRunner(QObject):
    """Connects once, then syncs every half minute and soon after each local change."""

    sig_status = Signal(object)
    """The sync status changed (a ``SyncStatus``)."""

    sig_progress = Signal(str, int, int)
    """A sync under way reports (stage, done, total): a first sync's download, say."""

    sig_cases_changed = Signal(object)
    """A sync changed these cases here (a frozenset of ids): pulled, answered or withdrawn."""

    sig_sign_in_needed = Signal(str)
    """The server wants a sign-in (the message); syncing waits for ``retry``."""

    def __init__(self, tasks: TaskManager, connect: Callable[[], Connection],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks, self._connect = tasks, connect
        self.connection: Connection | None = None
        self.status = SyncStatus()
        self._backoff = Backoff()
        self._state: WorkState | None = None  # the sync under way
        self._stopped = True  # until ``start``: a window built without sync never connects
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.sync_now)

    @property
    def running(self) -> bool:
        return not self._stopped

    def start(self) -> None:
        self._stopped = False
        self.sig_status.emit(self.status)  # "connecting…" until the first answer
        self.sync_now()

    def stop(self) -> None:
        """Sync no more, and stop a sync under way at its next check."""
        self._stopped = True
        self._timer.stop()
        if self._state is not None:
            self._state.cancel()

    def close(self) -> None:
        """Let go of the server (the embedded one stops with it): once no sync runs, after the
        task manager's ``shutdown``."""
        self.stop()
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def soon(self) -> None:
        """A local change was saved: send it shortly, unless a sync is on its way already."""
        if self._state is None and not self._stopped and self.status.online is not False:
            self._timer.start(SOON_AFTER_A_CHANGE_MS)

    def sync_now(self) -> None:
        if self._state is not None or self._stopped:
            return
        self._timer.stop()
        self._state = self._tasks.start(self._work, self._done, self._failed, lane=Lane.SYNC)
        self._state.follow(self.sig_progress.emit)

    def _work(self, state: TaskState) -> tuple[SyncStatus, frozenset[str]]:
        if self.connection is None:
            self.connection = self._connect()
        report = self.connection.client.sync_once(state)
        return self.connection.client.status, frozenset(report.changed_cases)

    def _done(self, outcome: tuple[SyncStatus, frozenset[str]]) -> None:
        self._state = None
        self.status, changed = outcome
        self._backoff.reset()
        self.sig_status.emit(self.status)
        if changed:
            self.sig_cases_changed.emit(changed)
        self._schedule(SYNC_INTERVAL_S)

    def _failed(self, error: Exception) -> None:
        self._state = None
        if isinstance(error, Cancelled):
            return  # stopped on purpose: nothing went wrong, and nothing more is to be done
        status = (self.connection.client.status if self.connection is not None
                  else replace(self.status, online=False, last_error=str(error)))
        if not isinstance(error, SyncError):
            status = replace(status, last_error=f"sync stopped by an unexpected error: {error}")
        self.status = status
        self.sig_status.emit(status)
        if isinstance(error, SignInNeeded):
            self.sig_sign_in_needed.emit(str(error))
            return
        self._schedule(self._backoff.next_delay())

    def show_pending(self, counts: dict[str, int]) -> None:
        """Local counts of what waits (read after a save), shown before the next sync."""
        self.status = replace(self.status, pending=counts["pending"],
                              rejected=counts["rejected"], conflicts=counts["conflicts"])
        self.sig_status.emit(self.status)

    def _schedule(self, seconds: float) -> None:
        if not self._stopped:
            self._timer.start(int(seconds * 1000))
