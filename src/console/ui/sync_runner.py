"""Keeps the workstation in step with the central server, in the background, forever.

Connecting (starting the embedded server, signing in) and every sync run on the "sync" lane;
a failure only changes what the status bar says and when the next try comes (with backoff), so
losing the network changes nothing in what the specialist can do.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from console.app import Connection
from console.sync.api import SignInNeeded, SyncError
from console.sync.client import Backoff, SyncStatus
from console.ui.taskman import TaskManager

SYNC_INTERVAL_S = 30.0
SOON_AFTER_A_CHANGE_MS = 2_000


class SyncRunner(QObject):
    """Connects once, then syncs every half minute and soon after each local change."""

    sig_status = Signal(object)
    """The sync status changed (a ``SyncStatus``)."""

    sig_sign_in_needed = Signal(str)
    """The server wants a sign-in (the message); syncing waits for ``retry``."""

    def __init__(self, tasks: TaskManager, connect: Callable[[], Connection],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks, self._connect = tasks, connect
        self.connection: Connection | None = None
        self.status = SyncStatus()
        self._backoff = Backoff()
        self._busy = False
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
        self._stopped = True
        self._timer.stop()

    def close(self) -> None:
        """Stop and let go of the server (the embedded one stops with it)."""
        self.stop()
        self._tasks.wait_idle(10_000)
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def soon(self) -> None:
        """A local change was saved: send it shortly, unless a sync is on its way already."""
        if not self._busy and not self._stopped and self.status.online is not False:
            self._timer.start(SOON_AFTER_A_CHANGE_MS)

    def sync_now(self) -> None:
        if self._busy or self._stopped:
            return
        self._busy = True
        self._timer.stop()
        self._tasks.run(self._work, self._done, self._failed, lane="sync")

    def _work(self) -> SyncStatus:
        if self.connection is None:
            self.connection = self._connect()
        self.connection.client.sync_once()
        return self.connection.client.status

    def _done(self, status: SyncStatus) -> None:
        self._busy = False
        self.status = status
        self._backoff.reset()
        self.sig_status.emit(status)
        self._schedule(SYNC_INTERVAL_S)

    def _failed(self, error: Exception) -> None:
        self._busy = False
        if self.connection is not None:
            self.status = self.connection.client.status
        else:
            self.status.online = False
            self.status.last_error = str(error)
        if not isinstance(error, SyncError):
            self.status.last_error = f"sync stopped by an unexpected error: {error}"
        self.sig_status.emit(self.status)
        if isinstance(error, SignInNeeded):
            self.sig_sign_in_needed.emit(str(error))
            return
        self._schedule(self._backoff.next_delay())

    def show_pending(self, counts: dict[str, int]) -> None:
        """Local counts of what waits (read after a save), shown before the next sync."""
        self.status.pending = counts["pending"]
        self.status.rejected = counts["rejected"]
        self.status.conflicts = counts["conflicts"]
        self.sig_status.emit(self.status)

    def _schedule(self, seconds: float) -> None:
        if not self._stopped:
            self._timer.start(int(seconds * 1000))
