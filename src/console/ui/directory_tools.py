"""Importing and exporting the workstation's directory from the window, watched and stoppable.

An import or an export can take minutes on a national directory, so each runs on the background
lane with a progress dialog; Cancel stops it at its next check. An import is one transaction and
an export is written beside its target and swapped in at the end, so a stopped one leaves the
directory, and any earlier export, exactly as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from console import settings
from console.tasks import Cancelled, TaskState
from console.ui.progress import ProgressDialog
from console.ui.taskman import Lane, TaskManager, WorkState

if TYPE_CHECKING:
    from console.directory.batch import ImportReport

T = TypeVar("T")
REPORT_LINES = 25  # of an import's report shown; the command line prints it whole


def _import(path: Path, state: TaskState) -> ImportReport:
    # Loaded here, on the worker: the readers and the store are not needed to show the window.
    from console.directory.store import import_path
    from console.models.database import open_directory

    engine = open_directory(settings.directory_db_path())
    try:
        return import_path(engine, path, state)
    finally:
        engine.dispose()


def _export(out: Path, form: str, state: TaskState) -> int:
    from console.directory.export import export_csv, export_json
    from console.models.database import open_directory

    engine = open_directory(settings.directory_db_path())
    try:
        return (export_json if form == "json" else export_csv)(engine, out, state)
    finally:
        engine.dispose()


class DirectoryTools(QObject):
    """Runs directory imports and exports for a window, each with its progress dialog."""

    sig_imported = Signal(object)
    """An import finished (its ``ImportReport``): the directory search reads the new records."""

    sig_exported = Signal(str, int)
    """An export was written: (path, services written)."""

    sig_stopped = Signal(str)
    """The person cancelled; what was under way left everything as it was (what it was)."""

    sig_failed = Signal(str)
    """An import or export failed; nothing was changed (the reason)."""

    def __init__(self, tasks: TaskManager, window: QWidget) -> None:
        super().__init__(window)
        self._tasks, self._window = tasks, window

    def import_directory(self, path: Path | None = None) -> WorkState | None:
        """Import ``path`` (None: ask which) into the directory; the state shows and stops it."""
        if path is None:
            chosen, _filter = QFileDialog.getOpenFileName(
                self._window, "Import a directory", "",
                "Directory exports (*.json *.ndjson *.zip *.csv);;All files (*)")
            if not chosen:
                return None
            path = Path(chosen)
        return self._run(f"Importing {path.name}", lambda state: _import(path, state),
                         self._imported, "the import")

    def _imported(self, report: ImportReport) -> None:
        if report.anything_lost:  # said, not buried: what a messy export did not give
            lines = report.lines()
            shown = lines[:REPORT_LINES] + ([f"… and {len(lines) - REPORT_LINES} more"]
                                            if len(lines) > REPORT_LINES else [])
            box = QMessageBox(QMessageBox.Icon.Information, "Directory imported",
                              "The import kept what it could; this was skipped or left out:\n\n"
                              + "\n".join(shown), parent=self._window)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
        self.sig_imported.emit(report)

    def export_directory(self, out: Path | None = None, form: str = "json") -> WorkState | None:
        """Export the directory to ``out`` (None: ask where) as ``form``: "json" (a file) or
        "csv" (a data package: a folder of CSV files and its ``datapackage.json``)."""
        if out is None:
            if form == "json":
                chosen, _filter = QFileDialog.getSaveFileName(
                    self._window, "Export the directory as HSDS 3.0 JSON", "directory.json",
                    "HSDS 3.0 JSON (*.json *.ndjson)")
            else:
                chosen = QFileDialog.getExistingDirectory(
                    self._window, "Export the directory as an HSDS 3.0 CSV package: a folder")
            if not chosen:
                return None
            out = Path(chosen)
        return self._run(f"Exporting to {out.name}", lambda state: _export(out, form, state),
                         lambda count: self.sig_exported.emit(str(out), count), "the export")

    def _run(self, title: str, work: Callable[[TaskState], T], done: Callable[[T], None],
             what: str) -> WorkState:
        def finished(outcome: T) -> None:
            dialog.done_with()
            done(outcome)

        def failed(error: Exception) -> None:
            dialog.done_with()
            if isinstance(error, Cancelled):
                self.sig_stopped.emit(f"Stopped {what}: nothing was changed.")
            else:
                self.sig_failed.emit(f"{what[:1].upper()}{what[1:]} failed: {error}")

        state = self._tasks.start(work, finished, failed, lane=Lane.BACKGROUND, owner=self)
        dialog = ProgressDialog(state, title, self._window)
        return state
