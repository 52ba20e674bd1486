"""The status bar: online or offline, last good sync, changes waiting, who is signed in, and
how far a long sync (the first one) has come.

It is always visible and always current, so a specialist never has to wonder whether the work of
the last hour has reached the server.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from console.sync.client import SyncStatus
from console.ui.labels import ElidedLabel


def _ago(moment: datetime, now: datetime) -> str:
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    return f"at {moment.astimezone():%H:%M}"


class SyncStatusBar(QStatusBar):
    """Permanent indicators on the right; passing messages on the left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.connection = QLabel()
        self.connection.setObjectName("connectionState")
        # On a narrow screen these shorten with "…" (whole in their tooltips) rather than
        # widening the window past it.
        self.last_sync = ElidedLabel()
        self.waiting = ElidedLabel()
        self.user = ElidedLabel()
        self.release = ElidedLabel()  # only while the server announces a newer console
        self.release.setObjectName("releaseNotice")
        self.progress = QProgressBar()  # only while a sync reports how far it has come
        self.progress.setMaximumWidth(self.fontMetrics().horizontalAdvance("M") * 24)
        self.progress.hide()
        names = {self.connection: "Connection", self.last_sync: "Last successful sync",
                 self.waiting: "Changes waiting to be sent", self.user: "Signed in as",
                 self.release: "Newer console available", self.progress: "Sync progress"}
        for label, name in names.items():
            label.setAccessibleName(name)
            self.addPermanentWidget(label)
        self.show_status(SyncStatus(), "")

    def show_progress(self, stage: str, done: int, total: int) -> None:
        """How far the sync under way has come: "downloading the directory 40%"."""
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, total))
        self.progress.setFormat(f"{stage[:1].upper()}{stage[1:]} %p%")
        self.progress.setToolTip(f"Sync: {stage}")
        self.progress.setVisible(done < total)

    def show_status(self, status: SyncStatus, user: str, connecting: bool = False) -> None:
        now = datetime.now(UTC)
        self.progress.hide()  # a new status means the sync that reported progress has ended
        if connecting and status.online is None:
            state, online = "Connecting…", ""
        else:
            state = {None: "Not synced yet", True: "Online", False: "Offline"}[status.online]
            online = {None: "", True: "yes", False: "no"}[status.online]
        self.connection.setText(state)
        self.connection.setProperty("online", online)
        self.connection.style().unpolish(self.connection)
        self.connection.style().polish(self.connection)
        self.connection.setToolTip(status.last_error or "")
        self.last_sync.setText("Last sync " + (_ago(status.last_success, now)
                                               if status.last_success else "never"))
        waiting = f"{status.pending} waiting to send"
        if status.conflicts:
            waiting += f" · {status.conflicts} conflict(s)"
        if status.rejected:
            waiting += f" · {status.rejected} refused"
        self.waiting.setText(waiting)
        self.user.setText(f"Signed in: {user}" if user else "Not signed in")
        self.release.setVisible(status.release is not None)
        if status.release is not None:
            self.release.setText(status.release.words())
            self.release.set_tip(status.release.details())
