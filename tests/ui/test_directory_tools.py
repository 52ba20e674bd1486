"""Importing and exporting the directory from the window: progress shown, Cancel stops the work
and leaves the directory (and any earlier export) as it was."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from console import settings
from console.directory import loader
from console.models.database import open_directory
from console.tasks import QuietState
from console.ui.main_window import MainWindow
from console.ui.progress import ProgressDialog
from tests.ui.console import open_console
from tools.demo_directory import generate_directory

SERVICES = 300


def directory_rows() -> dict[str, int]:
    engine = open_directory(settings.directory_db_path())
    try:
        with engine.connect() as connection:
            return {table: connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
                    for table in ("service", "organization", "location",
                                  "directory_record_source")}
    finally:
        engine.dispose()


def held_after_first_write(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event,
                                                                      threading.Event]:
    """Hold the import just after it wrote its first rows, until told to go on."""
    writing, go_on = threading.Event(), threading.Event()
    write = loader.execute_many

    def first_then_wait(*args: Any) -> Any:
        done = write(*args)
        if not writing.is_set():
            writing.set()
            go_on.wait(10)
        return done

    monkeypatch.setattr(loader, "execute_many", first_then_wait)
    return writing, go_on


def progress_dialog(window: MainWindow) -> ProgressDialog:
    (dialog,) = window.findChildren(ProgressDialog)
    return dialog


def press_cancel(qtbot: QtBot, dialog: ProgressDialog) -> None:
    (cancel,) = [button for button in dialog.findChildren(QPushButton)
                 if button.text() == "Cancel"]
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)


def test_cancelling_an_import_part_way_leaves_the_directory_as_it_was(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    national = tmp_path / "national.json"
    generate_directory(SERVICES, national, QuietState())
    with open_console(qtbot) as window:
        before = directory_rows()
        writing, go_on = held_after_first_write(monkeypatch)
        state = window.directory.import_directory(national)
        assert state is not None
        qtbot.waitUntil(writing.is_set)
        dialog = progress_dialog(window)
        qtbot.waitUntil(dialog.isVisible)
        with qtbot.waitSignal(window.directory.sig_stopped) as stopped:
            press_cancel(qtbot, dialog)
            assert state.cancelled() and dialog.isVisible()  # until the work has stopped
            assert "Stopping" in dialog.labelText()
            go_on.set()

        assert stopped.args == ["Stopped the import: nothing was changed."]
        assert directory_rows() == before
        assert "Stopped the import" in window.status.currentMessage()
        qtbot.waitUntil(lambda: not window.findChildren(ProgressDialog))


def test_an_import_shows_its_progress_and_searches_the_new_records(
        qtbot: QtBot, tmp_path: Path) -> None:
    national = tmp_path / "national.json"
    generate_directory(SERVICES, national, QuietState())
    with open_console(qtbot) as window:
        stages: list[str] = []
        state = window.directory.import_directory(national)
        assert state is not None
        state.sig_progress.connect(lambda stage, _done, _total: stages.append(stage))
        with qtbot.waitSignal(window.directory.sig_imported, timeout=60_000):
            pass
        assert "writing records" in stages
        assert directory_rows()["service"] == SERVICES  # the demo directory made way
        assert "Directory imported: 300 services." in window.status.currentMessage()


def test_a_cancelled_export_leaves_an_earlier_one_as_it_was(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_console(qtbot) as window:
        out = tmp_path / "directory.json"
        with qtbot.waitSignal(window.directory.sig_exported) as exported:
            window.directory.export_directory(out)
        assert exported.args[1] > 0
        earlier = written(tmp_path)
        cancel_on_progress(monkeypatch)
        with qtbot.waitSignal(window.directory.sig_stopped):
            window.directory.export_directory(out)
        assert written(tmp_path) == earlier  # no part file left either


def written(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def cancel_on_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every export asks to stop at its first report of progress, as a person pressing Cancel
    at once would."""
    from console.ui import directory_tools

    export: Callable[..., int] = directory_tools._export

    def stopped_at_once(out: Path, form: str, state: Any) -> int:
        state.sig_progress.connect(lambda *_: state.cancel(), Qt.ConnectionType.DirectConnection)
        return export(out, form, state)

    monkeypatch.setattr(directory_tools, "_export", stopped_at_once)


def test_what_an_import_left_out_is_said(qtbot: QtBot, tmp_path: Path) -> None:
    messy = tmp_path / "messy.json"
    generate_directory(5, messy, QuietState())
    services = json.loads(messy.read_text("utf-8"))
    services[0]["intake_fax_line"] = "713-555-0100"  # a field the directory does not keep
    messy.write_text(json.dumps(services), "utf-8")
    with open_console(qtbot) as window:
        with qtbot.waitSignal(window.directory.sig_imported):
            window.directory.import_directory(messy)
        (box,) = [box for box in window.findChildren(QMessageBox) if box.isVisible()]
        assert "not kept: service.intake_fax_line (1 value)" in box.text()
        box.close()
