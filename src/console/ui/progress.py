"""A progress dialog for long work on a task lane: how far it has come, and Cancel.

It follows a ``WorkState`` (``TaskManager.start``): the work's stages and counts show as they
come, and Cancel (or Escape) asks the work to stop at its next check; the work itself says when
it has stopped, so the dialog stays until then and never claims a stop that has not happened.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from console.ui.taskman import WorkState

SHOW_AFTER_MS = 400  # quick work finishes without a dialog flashing up


class ProgressDialog(QProgressDialog):
    """Shows ``state``'s progress under ``title``; Cancel cancels it. ``done`` closes it."""

    def __init__(self, state: WorkState, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, "Cancel", 0, 0, parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(SHOW_AFTER_MS)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self._title = title
        state.follow(self._show_progress)
        self.canceled.disconnect()  # QProgressDialog would hide itself at once: wait for the work
        self.canceled.connect(state.cancel)
        self.canceled.connect(lambda: self.setLabelText(f"{title}\nStopping…"))
        self.setValue(0)

    def reject(self) -> None:
        """Escape asks the work to stop, as Cancel does; the dialog stays until it has."""
        self.canceled.emit()

    def _show_progress(self, stage: str, done: int, total: int) -> None:
        self.setLabelText(f"{self._title}\n{stage[:1].upper()}{stage[1:]}: {done:,} of {total:,}")
        self.setMaximum(max(total, 1))
        self.setValue(min(done, total))

    def done_with(self) -> None:
        """The work has ended (finished, failed or stopped): close the dialog for good."""
        self.reset()
        self.hide()
        self.deleteLater()
