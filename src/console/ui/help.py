"""The Help menu's two answers for IT: About (versions, the server in use) and the support file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import PySide6
from PySide6.QtCore import QObject, QStandardPaths, Signal, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from console import __version__
from console.support import write_support_file
from console.ui.taskman import TaskManager

TITLE = "Hotline Console"


def server_in_words(server_url: str | None) -> str:
    return server_url or "the built-in server on this workstation (demo accounts)"


def window_facts(window: QWidget) -> dict[str, Any]:
    """What Qt knows about the screens and the window: the usual cause of a clipped form."""
    screens = [{"name": screen.name(), "size": f"{screen.size().width()}×"
                f"{screen.size().height()}", "device pixel ratio": screen.devicePixelRatio(),
                "logical dpi": screen.logicalDotsPerInch()}
               for screen in QGuiApplication.screens()]
    return {"Qt": qVersion(), "PySide6": PySide6.__version__,
            "platform plugin": QGuiApplication.platformName(), "screens": screens,
            "window size": f"{window.width()}×{window.height()}",
            "style": window.style().name()}


class HelpActions(QObject):
    """About and Save a support file…, for a window that knows its server and sync status."""

    sig_support_file_saved = Signal(str)
    """A support file was written (its path)."""

    def __init__(self, window: QWidget, tasks: TaskManager, server_url: str | None,
                 sync_status: Callable[[], Any]) -> None:
        super().__init__(window)
        self._window, self._tasks = window, tasks
        self._server_url, self._sync_status = server_url, sync_status

    def about_text(self) -> str:
        return (f"<b>{TITLE}</b> {__version__}<br>Qt {qVersion()}, PySide6 "
                f"{PySide6.__version__}<br>Server: {server_in_words(self._server_url)}")

    def show_about(self) -> None:
        QMessageBox.about(self._window, f"About {TITLE}", self.about_text())

    def ask_support_file(self) -> None:
        folder = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation)
        name = f"hotline-support-{datetime.now():%Y%m%d-%H%M}.zip"
        chosen, _filter = QFileDialog.getSaveFileName(
            self._window, "Save a support file for IT", str(Path(folder) / name),
            "Zip files (*.zip)")
        if chosen:
            self.save_support_file(Path(chosen))

    def save_support_file(self, path: Path) -> None:
        """Write it on a background lane; facts about the window are read here, on the GUI
        thread, where Qt allows it."""
        facts, status = window_facts(self._window), self._sync_status()
        self._tasks.run(lambda: write_support_file(path, status, facts),
                        lambda written: self.sig_support_file_saved.emit(str(written)),
                        lambda error: QMessageBox.warning(
                            self._window, TITLE, f"The support file could not be saved: {error}"))
