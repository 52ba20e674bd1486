"""The print dialog over a small two-page document made with reportlab alone.

The system dialogs are stood in for the way a specialist answers them: the save dialog names a
file, the print dialog picks "print to file" (a PDF the test reads back with pypdf).
"""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QComboBox,
    QDialog,
    QFileDialog,
    QWidget,
)
from pytestqt.qtbot import QtBot
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from console.printing.base import PrintError
from console.tasks import Cancelled, TaskState, check_cancelled
from console.ui.printing import SHEET_OPTIONS, OptionsSpec, PrintDialog, PrintOptions
from console.ui.taskman import TaskManager

TITLE = "Referral sheet"
LETTER_POINTS = (612, 792)
UNKNOWN_SERVICE = "No service has the id svc-404"


def two_pages(options: PrintOptions) -> bytes:
    """A two-page PDF whose heading shows the options it was made with."""
    out = BytesIO()
    canvas = Canvas(out, pagesize=letter, invariant=True)
    for page in (1, 2):
        canvas.setFont("Helvetica", 24 if options.large_print else 12)
        canvas.drawString(72, 720, f"{options.language} discreet={options.discreet} page {page}")
        canvas.showPage()
    canvas.save()
    return out.getvalue()


@dataclass
class Builder:
    """Makes the two-page document, noting every build's options and the bytes it returned;
    options that ``fails`` picks raise the way an unknown service does."""

    fails: Callable[[PrintOptions], bool] = lambda _options: False
    asked: list[PrintOptions] = field(default_factory=list)
    made: list[bytes] = field(default_factory=list)

    def __call__(self, options: PrintOptions, _state: TaskState) -> bytes:
        self.asked.append(options)
        if self.fails(options):
            raise PrintError(UNKNOWN_SERVICE)
        pdf = two_pages(options)
        self.made.append(pdf)
        return pdf


@dataclass
class Opened:
    """A dialog on screen with its first preview shown, and what it reported as done."""

    dialog: PrintDialog
    builder: Builder
    printed: list[str]


OpenDialog = Callable[..., Opened]


@pytest.fixture
def open_dialog(qtbot: QtBot, tasks: TaskManager) -> Iterator[OpenDialog]:
    def open_one(builder: Builder | None = None, spec: OptionsSpec = SHEET_OPTIONS) -> Opened:
        builder, printed = builder or Builder(), []
        dialog = PrintDialog(tasks, TITLE, builder, spec, on_printed=printed.append)
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.sig_previewed):
            dialog.show()
        return Opened(dialog, builder, printed)

    yield open_one
    tasks.wait_idle()  # every build and job has called back before the dialogs go


@pytest.fixture
def save_to(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], list[str]]:
    """Answers the save dialog with a path; returns the paths it suggested."""
    def answer_with(path: Path) -> list[str]:
        suggested: list[str] = []

        def get_save_file_name(_parent: QWidget, _caption: str, directory: str,
                               _filter: str) -> tuple[str, str]:
            suggested.append(directory)
            return str(path), "PDF documents (*.pdf)"

        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(get_save_file_name))
        return suggested
    return answer_with


@pytest.fixture
def print_to(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Answers the print dialog with "print to file", optionally only pages ``first``-``last``."""
    def answer_with(path: Path, first: int = 0, last: int = 0) -> None:
        def exec_accepting(print_dialog: QPrintDialog) -> int:
            printer = print_dialog.printer()
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(str(path))
            if first:
                printer.setPrintRange(QPrinter.PrintRange.PageRange)
                printer.setFromTo(first, last)
            return QDialog.DialogCode.Accepted

        monkeypatch.setattr(QPrintDialog, "exec", exec_accepting)
    return answer_with


def press(dialog: PrintDialog, key: Qt.Key,
          modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.ControlModifier) -> None:
    QTest.keyClick(dialog.focusWidget() or dialog, key, modifiers)


def test_the_preview_shows_both_pages(open_dialog: OpenDialog, qtbot: QtBot) -> None:
    opened = open_dialog()
    dialog = opened.dialog

    assert dialog.preview.page_count() == 2
    assert opened.builder.asked == [PrintOptions()]
    assert dialog.page_label.text() == "Page 1 of 2"
    assert "2 pages" in dialog.status.text()
    assert dialog.print_button.isEnabled() and dialog.save_button.isEnabled()
    bar = dialog.preview.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)  # the pages are laid out
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: dialog.page_label.text() == "Page 2 of 2")


def test_changing_an_option_makes_the_document_again(open_dialog: OpenDialog,
                                                     qtbot: QtBot) -> None:
    opened = open_dialog()
    dialog, asked = opened.dialog, opened.builder.asked
    assert dialog.language is not None and dialog.discreet and dialog.large_print

    with qtbot.waitSignal(dialog.sig_previewed):
        dialog.discreet.setChecked(True)
    assert asked[-1] == PrintOptions(discreet=True)
    with qtbot.waitSignal(dialog.sig_previewed):
        dialog.language.setCurrentIndex(dialog.language.findData("es"))
    assert asked[-1] == PrintOptions(language="es", discreet=True)
    with qtbot.waitSignal(dialog.sig_previewed):
        dialog.large_print.setChecked(True)
    assert asked[-1] == PrintOptions(language="es", discreet=True, large_print=True)
    assert dialog.preview.page_count() == 2


def test_only_a_discreet_sheet_may_leave_out_the_hotlines_number(
        open_dialog: OpenDialog, qtbot: QtBot) -> None:
    opened = open_dialog()
    dialog, asked = opened.dialog, opened.builder.asked
    without = dialog.without_hotline
    assert without is not None and dialog.discreet is not None
    assert not without.isEnabled()
    with qtbot.waitSignal(dialog.sig_previewed):
        qtbot.mouseClick(dialog.discreet, Qt.MouseButton.LeftButton,
                         pos=dialog.discreet.rect().center())
    assert without.isEnabled()
    with qtbot.waitSignal(dialog.sig_previewed):
        without.setFocus()
        qtbot.keyClick(without, Qt.Key.Key_Space)
    assert asked[-1] == PrintOptions(discreet=True, without_hotline=True)
    with qtbot.waitSignal(dialog.sig_previewed):
        dialog.discreet.setChecked(False)  # back to a plain sheet: the number is printed
    assert asked[-1] == PrintOptions() and not without.isEnabled()


def test_a_document_without_options_shows_none(open_dialog: OpenDialog) -> None:
    opened = open_dialog(spec=OptionsSpec())
    dialog = opened.dialog

    assert (dialog.language, dialog.discreet, dialog.large_print) == (None, None, None)
    assert opened.builder.asked == [PrintOptions()]
    assert dialog.preview.page_count() == 2


def test_save_writes_the_very_bytes_shown(open_dialog: OpenDialog, qtbot: QtBot,
                                          save_to: Callable[[Path], list[str]],
                                          tmp_path: Path) -> None:
    opened = open_dialog()
    dialog = opened.dialog
    with qtbot.waitSignal(dialog.sig_previewed):
        dialog.discreet.setChecked(True)
    suggested = save_to(tmp_path / "for the caller")

    with qtbot.waitSignal(dialog.sig_printed):
        press(dialog, Qt.Key.Key_S)

    saved = tmp_path / "for the caller.pdf"
    assert saved.read_bytes() == opened.builder.made[-1] == two_pages(PrintOptions(discreet=True))
    assert Path(suggested[0]).name == "Referral sheet.pdf"
    assert opened.printed == ["save"]
    assert str(saved) in dialog.status.text()
    assert not dialog.problem.isVisible()
    # The next save starts in the folder this one went to.
    suggested = save_to(saved)
    with qtbot.waitSignal(dialog.sig_printed):
        dialog.save_button.click()
    assert suggested == [str(tmp_path / "Referral sheet.pdf")]


def test_a_failed_save_is_said_and_can_be_done_again(open_dialog: OpenDialog, qtbot: QtBot,
                                                     save_to: Callable[[Path], list[str]],
                                                     tmp_path: Path) -> None:
    opened = open_dialog()
    dialog = opened.dialog
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("a file, not a folder")
    save_to(not_a_folder / "sheet.pdf")

    with qtbot.waitSignal(dialog.sig_problem) as problem:
        dialog.save_button.click()

    assert "could not be saved" in problem.args[0]
    assert dialog.problem.isVisible() and "could not be saved" in dialog.problem.text()
    assert opened.printed == []
    assert dialog.save_button.isEnabled()
    save_to(tmp_path / "sheet.pdf")
    with qtbot.waitSignal(dialog.sig_printed):
        dialog.save_button.click()
    assert (tmp_path / "sheet.pdf").read_bytes() == opened.builder.made[-1]
    assert opened.printed == ["save"]


def test_a_save_is_recorded_even_when_the_dialog_is_gone(
        open_dialog: OpenDialog, qtbot: QtBot, save_to: Callable[[Path], list[str]],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    disk_answers = threading.Event()

    def slow_disk(path: Path, data: bytes) -> None:
        disk_answers.wait(10)
        path.write_bytes(data)

    monkeypatch.setattr("console.ui.printing.dialog.write_atomically", slow_disk)
    opened = open_dialog()
    printed, made = opened.printed, opened.builder.made
    save_to(tmp_path / "sheet.pdf")
    opened.dialog.save_button.click()
    opened.dialog.reject()
    gone = weakref.ref(opened.dialog)
    del opened
    gc.collect()
    assert gone() is None  # the job under way does not keep the dialog

    disk_answers.set()
    qtbot.waitUntil(lambda: printed == ["save"])
    assert (tmp_path / "sheet.pdf").read_bytes() == made[-1]


def test_print_sends_each_page_to_a_sheet(open_dialog: OpenDialog, qtbot: QtBot,
                                          print_to: Callable[..., None], tmp_path: Path) -> None:
    opened = open_dialog()
    dialog = opened.dialog
    printed_file = tmp_path / "printed.pdf"
    print_to(printed_file)

    with qtbot.waitSignal(dialog.sig_printed, timeout=20_000):
        press(dialog, Qt.Key.Key_P)

    pages = PdfReader(printed_file).pages
    assert len(pages) == 2
    for page in pages:
        assert (round(page.mediabox.width), round(page.mediabox.height)) == LETTER_POINTS
        assert len(page.images) == 1  # the page as pdfium drew it
    assert opened.printed == ["print"]
    assert "Sent 2 pages" in dialog.status.text()


def test_print_keeps_to_the_pages_asked_for(open_dialog: OpenDialog, qtbot: QtBot,
                                            print_to: Callable[..., None],
                                            tmp_path: Path) -> None:
    dialog = open_dialog().dialog
    printed_file = tmp_path / "second page.pdf"
    print_to(printed_file, first=2, last=2)

    with qtbot.waitSignal(dialog.sig_printed, timeout=20_000):
        dialog.print_button.click()

    assert len(PdfReader(printed_file).pages) == 1


def test_a_printer_failure_is_said_and_nothing_is_lost(open_dialog: OpenDialog, qtbot: QtBot,
                                                       print_to: Callable[..., None],
                                                       tmp_path: Path) -> None:
    opened = open_dialog()
    dialog = opened.dialog
    print_to(tmp_path / "no such folder" / "printed.pdf")

    with qtbot.waitSignal(dialog.sig_problem, timeout=20_000) as problem:
        dialog.print_button.click()

    assert problem.args[0].startswith("Printing failed")
    assert dialog.problem.isVisible()
    assert opened.printed == []
    assert dialog.print_button.isEnabled()
    print_to(tmp_path / "printed.pdf")
    with qtbot.waitSignal(dialog.sig_printed, timeout=20_000):
        dialog.print_button.click()
    assert opened.printed == ["print"]
    assert not dialog.problem.isVisible()


def test_a_document_that_cannot_be_made_leaves_the_dialog_usable(
        open_dialog: OpenDialog, qtbot: QtBot, save_to: Callable[[Path], list[str]],
        tmp_path: Path) -> None:
    opened = open_dialog(Builder(fails=lambda options: options.discreet))
    dialog = opened.dialog
    suggested = save_to(tmp_path / "sheet.pdf")

    with qtbot.waitSignal(dialog.sig_problem) as problem:
        dialog.discreet.setChecked(True)

    assert UNKNOWN_SERVICE in problem.args[0]
    assert dialog.problem.isVisible() and UNKNOWN_SERVICE in dialog.problem.text()
    assert dialog.preview.page_count() == 0
    assert not dialog.print_button.isEnabled() and not dialog.save_button.isEnabled()
    press(dialog, Qt.Key.Key_S)
    assert suggested == []  # nothing to save: the keys obey the buttons
    assert dialog.retry.isVisible()
    with qtbot.waitSignal(dialog.sig_problem):
        dialog.retry.click()
    assert opened.builder.asked[-2:] == [PrintOptions(discreet=True)] * 2

    with qtbot.waitSignal(dialog.sig_previewed):
        dialog.discreet.setChecked(False)
    assert not dialog.problem.isVisible()
    assert dialog.preview.page_count() == 2 and dialog.print_button.isEnabled()


def test_every_control_is_named_and_escape_closes(open_dialog: OpenDialog) -> None:
    dialog = open_dialog().dialog
    controls = [widget for widget in dialog.findChildren(QWidget) if widget.isVisible()
                and isinstance(widget, QAbstractButton | QComboBox | QAbstractScrollArea)]

    assert len(controls) == 8  # four options, the preview, three buttons
    assert all(widget.accessibleName() for widget in controls)
    press(dialog, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)
    assert not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_a_preview_being_made_shows_its_progress_and_a_new_option_stops_it(
        qtbot: QtBot, tasks: TaskManager) -> None:
    stopped: list[bool] = []

    def long_document(options: PrintOptions, state: TaskState) -> bytes:
        if not options.discreet:  # the first preview: it would take as long as it is let
            state.progress("each specialist's cases", 1, 4)
            while not state.cancelled():
                time.sleep(0.005)
            stopped.append(True)
            check_cancelled(state)
        return two_pages(options)

    dialog = PrintDialog(tasks, TITLE, long_document, SHEET_OPTIONS)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: "each specialist's cases (1 of 4)" in dialog.status.text())
    with qtbot.waitSignal(dialog.sig_previewed):
        dialog.discreet.setChecked(True)
    assert tasks.wait_idle()  # the stopped build may end after the new one was shown
    assert stopped == [True]
    assert not dialog.problem.isVisible()


def test_closing_the_dialog_stops_a_preview_being_made(qtbot: QtBot, tasks: TaskManager) -> None:
    stopped = threading.Event()

    def endless(_options: PrintOptions, state: TaskState) -> bytes:
        while not state.cancelled():
            time.sleep(0.005)
        stopped.set()
        raise Cancelled()

    dialog = PrintDialog(tasks, TITLE, endless, SHEET_OPTIONS)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.close()
    assert tasks.wait_idle()
    assert stopped.is_set()
