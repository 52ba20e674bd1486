"""The print dialog every printed document shares: options, a preview, Print…, Save as PDF….

The caller passes a plain function (no Qt) that makes the PDF for the chosen options. It runs on
the background lane every time an option changes, and only the newest build is shown. Print and
Save use exactly the bytes on screen and are off while a new build is on its way, so what leaves
the workstation is what the specialist saw. The dialog does not know which document it shows:
the caller records what was done through ``on_printed``.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.printing import write_atomically
from console.settings import read_preference, write_preference
from console.tasks import Cancelled, TaskState, check_cancelled
from console.ui.labels import buddy, describe
from console.ui.printing.pages import PageImage, draw_pages
from console.ui.printing.preview import PagePreview
from console.ui.printing.printer import chosen_pages, destination, print_pages, printer_for
from console.ui.taskman import Lane, TaskManager, WorkState, while_alive

PREVIEW_DPI = 100  # sharp enough at the width of a laptop screen; about 4 MB a page in memory
LANGUAGES = (("en", "English"), ("es", "Español"))
FOLDER_PREFERENCE = "print_folder"
WIDTH, HEIGHT, SCREEN_SHARE = 1000, 720, 0.92
OPTIONS_WIDTH_CHARS = 30
UNSAFE_IN_FILE_NAMES = re.compile(r'[\x00-\x1f<>:"/\\|?*]+')
DISCREET_HINT = ("A neutral title, and no mention of trafficking or of the hotline: safe for the "
                 "caller to carry.")
LARGE_PRINT_HINT = "Bigger type, for anyone who finds small print hard to read."
NO_HOTLINE_HINT = ("For a caller who must not be seen with our number: the discreet sheet "
                   "lists only the services.")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrintOptions:
    """The choices a document is made with (documents ignore those they do not offer)."""

    language: str = "en"
    discreet: bool = False
    large_print: bool = False
    without_hotline: bool = False  # discreet only


@dataclass(frozen=True)
class OptionsSpec:
    """Which choices the dialog offers for a document."""

    language: bool = False
    discreet: bool = False
    large_print: bool = False

    def offers_any(self) -> bool:
        return self.language or self.discreet or self.large_print


SHEET_OPTIONS = OptionsSpec(language=True, discreet=True, large_print=True)
"""The referral sheet's choices; other documents offer none (``OptionsSpec()``)."""


@dataclass(frozen=True)
class _Built:
    """A document made for one set of options, and its pages drawn for the preview."""

    pdf: bytes
    pages: list[PageImage]


Build = Callable[[PrintOptions, TaskState], bytes]
"""Makes a document with the options chosen, reporting progress to (and stopping when asked
by) the state: a long one, the shift packet, shows how far it has come."""


def _build_and_draw(build: Build, options: PrintOptions, state: TaskState) -> _Built:
    pdf = build(options, state)
    check_cancelled(state)  # drawing a preview nobody waits for any more is wasted
    return _Built(pdf, list(draw_pages(pdf, PREVIEW_DPI)))


def file_name_for(title: str) -> str:
    """A PDF file name made from a document's title, safe on every system."""
    name = UNSAFE_IN_FILE_NAMES.sub("-", title).strip(" .-")
    return f"{name or 'document'}.pdf"


def pages_text(count: int) -> str:
    return "1 page" if count == 1 else f"{count} pages"


def _reason(error: Exception) -> str:
    """Why something failed, in the words the person can act on."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    if isinstance(error, ValueError):  # the builders' PrintError says what is wrong
        return str(error)
    return f"an unexpected problem ({type(error).__name__}: {error})"


class PrintDialog(QDialog):
    """Previews a document, then prints it or saves it as a PDF."""

    sig_previewed = Signal(int)
    """The preview shows a freshly made document of this many pages."""
    sig_problem = Signal(str)
    """A problem was shown in the dialog: the document, the printer or the disk failed."""
    sig_printed = Signal(str)
    """The document was sent to the printer ("print") or written to a file ("save"); the
    ``on_printed`` callback hears the same, even after the dialog was closed."""

    def __init__(self, tasks: TaskManager, title: str, build: Build,
                 options: OptionsSpec, on_printed: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks, self._title, self._build, self._spec = tasks, title, build, options
        self._on_printed = on_printed
        self._built: _Built | None = None  # the document on screen; None while one is made
        self._busy = False  # a print job or a save is under way
        self._printer: QPrinter | None = None  # kept so a second print goes where the first went
        self._preview: WorkState | None = None  # the preview being made, if one is
        self.setWindowTitle(f"Print: {title}")
        self.setAccessibleName(f"Print {title}")
        self._make_controls()
        self._lay_out()
        self._connect()
        self._fit_screen()
        self.refresh()

    # -- building the dialog -------------------------------------------------------------------

    def _make_controls(self) -> None:
        spec = self._spec
        self.language = self._language_box() if spec.language else None
        self.discreet = self._check("&Discreet layout", DISCREET_HINT) if spec.discreet else None
        self.without_hotline = (self._check("Leave out the hotline's &number", NO_HOTLINE_HINT)
                                if spec.discreet else None)
        if self.without_hotline is not None:
            self.without_hotline.setEnabled(False)  # until the layout is discreet
        self.large_print = self._check("Lar&ge print", LARGE_PRINT_HINT) \
            if spec.large_print else None
        self.preview = PagePreview()
        describe(self.preview, "Print preview", "The pages as they will print; scroll to see all")
        self.page_label = self._plain_label("Page in sight")
        self.status = self._plain_label("Status")
        self.problem = self._plain_label("Problem")
        self.problem.setObjectName("fieldWarning")
        self.problem.hide()
        self.retry = self._button("&Try again", "Make the document again")
        self.retry.hide()
        self.save_button = self._button("&Save as PDF…", "Save the pages shown as a PDF file "
                                        "(Ctrl+S)")
        self.print_button = self._button("&Print…", "Choose a printer and print the pages shown "
                                         "(Ctrl+P)")
        self.print_button.setDefault(True)
        self.close_button = self._button("Close", "Close without printing (Esc)")

    def _language_box(self) -> QComboBox:
        box = QComboBox()
        for code, name in LANGUAGES:
            box.addItem(name, code)
        describe(box, "Language", "The language every printed word is in")
        return box

    def _check(self, text: str, hint: str) -> QCheckBox:
        box = QCheckBox(text)
        describe(box, text.replace("&", ""), hint)
        return box

    @staticmethod
    def _plain_label(name: str) -> QLabel:
        label = QLabel()
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.setAccessibleName(name)
        return label

    @staticmethod
    def _button(text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        describe(button, text.replace("&", "").rstrip("…"), tip)
        return button

    def _lay_out(self) -> None:
        pages = QHBoxLayout()
        if self._spec.offers_any():
            pages.addWidget(self._options_box())
        pages.addWidget(self.preview, 1)
        problem_row = QHBoxLayout()
        problem_row.addWidget(self.problem, 1)
        problem_row.addWidget(self.retry)
        buttons = QHBoxLayout()
        buttons.addWidget(self.page_label, 1)
        for button in (self.save_button, self.print_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(pages, 1)
        layout.addWidget(self.status)
        layout.addLayout(problem_row)
        layout.addLayout(buttons)
        order = [widget for widget in (self.language, self.discreet, self.without_hotline,
                                       self.large_print) if widget]
        order += [self.preview, self.retry, self.save_button, self.print_button,
                  self.close_button]
        for before, after in pairwise(order):
            QWidget.setTabOrder(before, after)

    def _options_box(self) -> QGroupBox:
        box = QGroupBox("Options")
        box.setAccessibleName("Options")
        column = QVBoxLayout(box)
        if self.language:
            column.addWidget(buddy("&Language:", self.language))
            column.addWidget(self.language)
        for check, hint in ((self.discreet, DISCREET_HINT),
                            (self.without_hotline, NO_HOTLINE_HINT),
                            (self.large_print, LARGE_PRINT_HINT)):
            if check:
                column.addWidget(check)
                column.addWidget(self._hint(hint))
        column.addStretch(1)
        # Narrow, the hints wrapping under their boxes; never narrower than a box's own words.
        box.ensurePolished()
        box.setMaximumWidth(max(self.fontMetrics().averageCharWidth() * OPTIONS_WIDTH_CHARS,
                                box.minimumSizeHint().width()))
        return box

    def _hint(self, text: str) -> QLabel:
        label = self._plain_label(text)
        label.setText(text)
        label.setObjectName("fieldHint")
        return label

    def _connect(self) -> None:
        if self.language:
            self.language.currentIndexChanged.connect(self.refresh)
        for check in (self.discreet, self.without_hotline, self.large_print):
            if check:
                check.toggled.connect(self.refresh)
        if self.discreet and self.without_hotline:
            self.discreet.toggled.connect(self.without_hotline.setEnabled)
        self.preview.sig_page_in_sight.connect(self._show_page_in_sight)
        self.retry.clicked.connect(self.refresh)
        self.save_button.clicked.connect(self.save_pdf)
        self.print_button.clicked.connect(self.print_document)
        self.close_button.clicked.connect(self.reject)
        # click() does nothing on a disabled button: the keys obey the buttons' state.
        QShortcut(QKeySequence.StandardKey.Print, self).activated.connect(self.print_button.click)
        QShortcut(QKeySequence.StandardKey.Save, self).activated.connect(self.save_button.click)

    def _fit_screen(self) -> None:
        available = self.screen().availableGeometry().size()
        self.resize(min(WIDTH, int(available.width() * SCREEN_SHARE)),
                    min(HEIGHT, int(available.height() * SCREEN_SHARE)))

    # -- the document --------------------------------------------------------------------------

    def options(self) -> PrintOptions:
        """The choices shown now."""
        return PrintOptions(
            language=self.language.currentData() if self.language else "en",
            discreet=bool(self.discreet and self.discreet.isChecked()),
            large_print=bool(self.large_print and self.large_print.isChecked()),
            without_hotline=bool(self.discreet and self.discreet.isChecked()
                                 and self.without_hotline
                                 and self.without_hotline.isChecked()),
        )

    def refresh(self) -> None:
        """Make the document again with the options shown, and preview it when it is ready."""
        options, build = self.options(), self._build
        self._built = None
        self._update_buttons()
        self._clear_problem()
        self.status.setText("Preparing the preview…")
        if not self.preview.page_count():
            self.preview.show_note("Preparing the preview…")
        if self._preview is not None:
            self._preview.cancel()  # made with other options: nobody will look at it

        def shown(built: _Built) -> None:
            if state is self._preview:
                self._preview = None
                self._show_built(built)

        def failed(error: Exception) -> None:
            if state is self._preview:
                self._preview = None
                if not isinstance(error, Cancelled):  # stopped on closing: nothing to say
                    self._build_failed(error)

        state = self._tasks.start(lambda state: _build_and_draw(build, options, state),
                                  shown, failed, lane=Lane.BACKGROUND, owner=self)
        state.follow(self._show_preparing)
        self._preview = state

    def done(self, result: int) -> None:
        """Closing stops a preview still being made: nobody is left to look at it."""
        if self._preview is not None:
            self._preview.cancel()
        super().done(result)

    def _show_preparing(self, stage: str, done: int, total: int) -> None:
        self.status.setText(f"Preparing the preview: {stage} ({done:,} of {total:,})…")

    def _show_built(self, built: _Built) -> None:
        self._built = built
        self.preview.show_pages([page.to_qimage() for page in built.pages])
        self.status.setText(f"Ready to print: {pages_text(len(built.pages))}.")
        self._update_buttons()
        self.sig_previewed.emit(len(built.pages))

    def _build_failed(self, error: Exception) -> None:
        if isinstance(error, ValueError):  # said in words below; no trace needed
            log.warning("a document could not be made: %s", error)
        else:
            log.error("a document could not be made", exc_info=error)
        self.preview.show_note("No preview: the document could not be made.")
        self.status.clear()
        another_way = ", or change an option" if self._spec.offers_any() else ""
        self._show_problem(f"The document could not be made: {_reason(error)}. "
                           f"Try again{another_way}.")
        self.retry.show()

    def _show_page_in_sight(self, page: int, pages: int) -> None:
        self.page_label.setText(f"Page {page} of {pages}" if pages else "")

    # -- printing and saving -------------------------------------------------------------------

    def print_document(self) -> None:
        """Ask the system print dialog where and what to print, then print it off the GUI thread."""
        built = self._built
        if built is None or self._busy:
            return
        printer = self._printer_for(built)
        if not self._ask_printer(printer, len(built.pages)):
            return
        pages = chosen_pages(printer, len(built.pages))
        if not pages:
            self._show_problem("None of the pages asked for is in this document: it has "
                               f"{pages_text(len(built.pages))}.")
            return

        def send() -> str:
            sent = print_pages(built.pdf, printer, pages)
            return f"Sent {pages_text(sent)} to {destination(printer)}."

        self._run_job("print", f"Printing {pages_text(len(pages))}…", send,
                      lambda error: f"Printing failed: {_reason(error)}. Nothing is lost: check "
                                    "the printer and print again, or save as PDF.")

    def _printer_for(self, built: _Built) -> QPrinter:
        if self._printer is None:
            self._printer = printer_for(self._title, built.pages[0].paper_points)
        return self._printer

    def _ask_printer(self, printer: QPrinter, page_count: int) -> bool:
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(f"Print {self._title}")
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintPageRange, True)
        dialog.setMinMax(1, page_count)
        try:
            return dialog.exec() == QDialog.DialogCode.Accepted
        finally:
            dialog.deleteLater()

    def save_pdf(self) -> None:
        """Ask where to save the document, then write it there in one step."""
        built = self._built
        if built is None or self._busy:
            return
        chosen, _filter = QFileDialog.getSaveFileName(
            self, f"Save {self._title} as PDF", str(self._suggested_path()),
            "PDF documents (*.pdf)")
        if not chosen:
            return
        target = Path(chosen)
        target = target if target.suffix else target.with_suffix(".pdf")

        def save() -> str:
            write_atomically(target, built.pdf)
            with contextlib.suppress(OSError):  # remembering the folder is only a convenience
                write_preference(FOLDER_PREFERENCE, str(target.parent))
            return f"Saved to {target}."

        self._run_job("save", f"Saving to {target}…", save,
                      lambda error: f"The PDF could not be saved to {target}: {_reason(error)}. "
                                    "Nothing is lost: choose another place and save again.")

    def _suggested_path(self) -> Path:
        folder = read_preference(FOLDER_PREFERENCE) or QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation)
        return Path(folder) / file_name_for(self._title)

    def _run_job(self, action: str, doing: str, work: Callable[[], str],
                 failure: Callable[[Exception], str]) -> None:
        """Print or save off the GUI thread; ``work`` returns the words saying it is done.

        ``on_printed`` is called even when the dialog was closed while the job ran: what left
        the workstation is always recorded.
        """
        on_printed, finish, fail = self._on_printed, while_alive(self._finish), \
            while_alive(self._fail)

        def done(said: str) -> None:
            if on_printed is not None:
                on_printed(action)
            finish(action, said)

        self._start(doing)
        self._tasks.run(work, done, lambda error: fail(failure(error)), lane=Lane.BACKGROUND)

    # -- state shown ---------------------------------------------------------------------------

    def _start(self, text: str) -> None:
        self._busy = True
        self._update_buttons()
        self._clear_problem()
        self.status.setText(text)

    def _finish(self, action: str, text: str) -> None:
        self._busy = False
        self._update_buttons()
        self.status.setText(text)
        self.sig_printed.emit(action)

    def _fail(self, text: str) -> None:
        self._busy = False
        self._update_buttons()
        self.status.clear()
        self._show_problem(text)

    def _update_buttons(self) -> None:
        ready = self._built is not None and not self._busy
        self.print_button.setEnabled(ready)
        self.save_button.setEnabled(ready)

    def _show_problem(self, text: str) -> None:
        self.problem.setText(f"⚠ {text}")
        self.problem.show()
        self.sig_problem.emit(text)

    def _clear_problem(self) -> None:
        self.problem.hide()
        self.retry.hide()
