"""The shift supervisor's view: who holds what, what waits for someone, what falls due, and counts.

Everything shown is read in one go on the background lane (``console.cases.report``'s shift
summary, plus who handed each waiting case and how many cases each specialist has overdue), on
request and every minute while the view is on screen, so the figures a supervisor reads out at a
handover are never more than a minute old. "Export CSV…" writes the very summary on screen, so
the file matches what was read. The printed shift handoff packet will hang off the button already
in place here, one click away, once referral sheets can be printed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QHideEvent,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.cases.changes import NEXT_SHIFT, Case, parse_time
from console.cases.listing import CaseQuery, CaseRow
from console.cases.report import (
    DIMENSIONS,
    Counts,
    OutstandingStep,
    Period,
    ShiftSummary,
    shift_summary,
    write_csv,
)
from console.cases.story import waiting_handoffs
from console.protocol.calendar import clock_text
from console.ui.cases.case_list import due_of, row_overdue
from console.ui.cases.services import HOTLINE_LOCALE, NOT_SET, CaseServices, answer_text
from console.ui.labels import ElidedLabel, describe
from console.ui.taskman import Lane, TaskManager

SUMMARY_KEY = "supervisor-summary"
REFRESH_EVERY_MS = 60_000
PACKET_TIP = "Printing the shift packet arrives with referral sheets"
NOT_RECORDED = "Not recorded"
LOADING_MESSAGE = "Reading the cases…"
URGENT = "urgent"
OVERDUE_TEXT = "#b3261e"
ROW_PADDING = 8  # pixels above and below a table row's text, together
# Shares of the width for the count tables: request types have the longest names.
COUNT_TABLE_WIDTHS = {"by_request_type": 5, "by_urgency": 2, "by_caller_type": 3, "by_state": 3}

CASE_ID_ROLE = Qt.ItemDataRole.UserRole

log = logging.getLogger(__name__)


# -- what is read off the GUI thread ----------------------------------------------------------


@dataclass(frozen=True)
class WaitingHandoff:
    """A handoff nobody has accepted or returned yet: which case, from whom, to whom, since
    when, and the sender's note."""

    case_id: str
    number: str | None
    from_user: str | None
    to_user: str | None
    since: str | None  # ISO UTC text
    note: str


@dataclass(frozen=True)
class SupervisorBoard:
    """Everything the supervisor view shows, read together so it all agrees."""

    summary: ShiftSummary
    overdue_by_specialist: dict[str | None, int]
    handoffs: tuple[WaitingHandoff, ...]


def _waiting_handoff(row: CaseRow, case: Case | None) -> WaitingHandoff:
    """The newest handoff of the case still waiting for its receiver (the listing knows only
    the receiver; the sender and the time are on the case itself)."""
    waiting = waiting_handoffs(case or {})
    newest = waiting[-1] if waiting else None
    return WaitingHandoff(row.id, row.number, newest and newest.from_user,
                          row.pending_handoff_to, newest and newest.created_at,
                          newest.note if newest else "")


def _overdue_by_specialist(services: CaseServices, specialists: Iterable[str | None],
                           now: datetime) -> dict[str | None, int]:
    """Each holder's overdue cases; cases nobody holds are what the named holders leave over."""
    def overdue(holder: str | None) -> int:
        return services.listing.count(CaseQuery(view="overdue", assigned_to=holder),
                                      services.user, now)

    counts = {holder: overdue(holder) for holder in specialists if holder is not None}
    counts[None] = overdue(None) - sum(counts.values())
    return counts


def read_board(services: CaseServices, now: datetime) -> SupervisorBoard:
    """The supervisor view's figures at ``now`` (slow: run it on a task lane)."""
    summary = shift_summary(services.cases.engine, now)
    handoffs = tuple(_waiting_handoff(row, services.cases.get(row.id))
                     for row in summary.unacknowledged_handoffs)
    overdue = _overdue_by_specialist(services, (line.specialist for line in summary.queue), now)
    return SupervisorBoard(summary, overdue, handoffs)


# -- tables -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One cell: its text, the full text for the tooltip, and whether it must stand out."""

    text: str
    tip: str = ""
    alarm: bool = False


class SummaryTable(QTableWidget):
    """A small read-only table; Enter or a double-click on a row about a case opens it."""

    sig_open_case = Signal(str)
    """The id of the case on the row chosen."""

    def __init__(self, name: str, tip: str, columns: tuple[str, ...], empty: str,
                 stretch: int = 0, counts: bool = False, parent: QWidget | None = None) -> None:
        """``stretch``: the column given the room left over; ``counts``: every column after
        the first holds a number, set flush right so the digits line up."""
        super().__init__(0, len(columns), parent)
        describe(self, name, tip)
        self._empty, self._counts = empty, counts
        self.setHorizontalHeaderLabels(list(columns))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTabKeyNavigation(False)  # Tab leaves the table; arrows move within it
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        rows = self.verticalHeader()
        rows.hide()
        # Rows a little above the text's height: more of them fit on a small screen, and
        # each is still easy to follow across.
        self.ensurePolished()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().lineSpacing() + ROW_PADDING)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        self.doubleClicked.connect(lambda index: self._open_row(index.row()))

    def set_rows(self, rows: list[tuple[Cell, ...]], case_ids: list[str] | None = None) -> None:
        self.setRowCount(len(rows))
        for number, cells in enumerate(rows):
            for column, cell in enumerate(cells):
                item = QTableWidgetItem(cell.text)
                item.setToolTip(cell.tip or cell.text)
                if case_ids is not None:
                    item.setData(CASE_ID_ROLE, case_ids[number])
                if self._counts and column > 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if cell.alarm:
                    font = QFont(self.font())
                    font.setBold(True)
                    item.setFont(font)
                    item.setForeground(QBrush(QColor(OVERDUE_TEXT)))
                self.setItem(number, column, item)

    def texts(self) -> list[list[str]]:
        """The table as shown, row by row (for reading it back)."""
        return [[self.item(row, column).text() for column in range(self.columnCount())]
                for row in range(self.rowCount())]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._open_row(self.currentRow())
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect().adjusted(8, 8, -8, -8),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                             | Qt.TextFlag.TextWordWrap, self._empty)

    def _open_row(self, row: int) -> None:
        item = self.item(row, 0)
        case_id = item.data(CASE_ID_ROLE) if item is not None else None
        if isinstance(case_id, str):
            self.sig_open_case.emit(case_id)


# -- words ------------------------------------------------------------------------------------


def local_text(local: datetime, pattern: str) -> str:
    """A time as it reads on the hotline's clock, in the hotline's English whatever the
    workstation's language ("h:mm AP" -> "3:04 PM", "d MMM, h:mm AP" -> "19 Nov, 9:05 AM")."""
    return HOTLINE_LOCALE.toString(local.replace(tzinfo=None), pattern)


def hour_text(local: datetime) -> str:
    """The time of day alone: "3:04 PM"."""
    return local_text(local, "h:mm AP")


def period_text(period: Period) -> str:
    """ "Evening shift: Thu 14 Nov, 3:00 PM ET – 11:00 PM" (the end's day too when it differs)."""
    start, end = period.start, period.end
    until = hour_text(end) if end.date() == start.date() else clock_text(end)
    return f"{period.label}: {clock_text(start)} – {until}"


def export_name(summary: ShiftSummary) -> str:
    """A file name that says which shift: "shift-2024-11-14-evening-shift.csv"."""
    shift = summary.shift
    return f"shift-{shift.start:%Y-%m-%d}-{'-'.join(shift.label.lower().split())}.csv"


def about(row: CaseRow) -> str:
    """What the case is about: its title, and its place when the title does not say it."""
    if row.place and row.place not in row.title:
        return f"{row.title} — {row.place}" if row.title else row.place
    return row.title


def first_line(text: str) -> str:
    """The first line of a note that has words on it."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _merged_keys(first: Mapping[str | None, int],
                 second: Mapping[str | None, int]) -> list[str | None]:
    """The day's groups in the day's order, then any only the shift has (a night shift reaches
    back into yesterday)."""
    return [*second, *(key for key in first if key not in second)]


# -- the panel --------------------------------------------------------------------------------


class SupervisorPanel(QWidget):
    """The current shift at a glance for the shift supervisor; opens any case it lists."""

    sig_open_case = Signal(str)
    """The id of a case chosen in the handoff or due list (Enter or double-click)."""

    sig_refreshed = Signal()
    """New figures are on screen."""

    sig_exported = Signal(str)
    """The shift summary was written to this CSV file (its path)."""

    def __init__(self, services: CaseServices, tasks: TaskManager,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services, self._tasks = services, tasks
        self._board: SupervisorBoard | None = None
        self._count_labels: dict[str, Callable[[str], str]] = {
            "by_request_type": lambda value: services.request_label(value, None),
            "by_urgency": str.capitalize,
            "by_caller_type": lambda value: answer_text(services.protocol, "caller_type", value),
            "by_state": lambda value: answer_text(services.protocol, "caller_state", value),
        }
        self._every_minute = QTimer(self, interval=REFRESH_EVERY_MS)
        self._every_minute.timeout.connect(self.refresh)
        self._build()
        self._connect()
        services.events.sig_cases_changed.connect(self._cases_changed)

    # -- public -----------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Read the figures again (they are also read when shown and every minute)."""
        services, now = self._services, self._services.clock()
        self._tasks.run_latest(SUMMARY_KEY, lambda: read_board(services, now),
                               self._show_board, self._read_failed, lane=Lane.BACKGROUND,
                               owner=self)

    def add_band(self, band: QWidget) -> None:
        """Put ``band`` (live alerts and calls) above the shift's figures."""
        self._bands.insertWidget(0, band)

    def board(self) -> SupervisorBoard | None:
        """The figures on screen (None until first read)."""
        return self._board

    def export_csv(self, path: Path | None = None) -> None:
        """Write the summary on screen as CSV to ``path`` (None: ask where, with a dialog)."""
        board = self._board
        target = path or (self._ask_export_path(board.summary) if board else None)
        if board is None or target is None:
            return
        record_audit = self._services.record_audit

        def export() -> int:
            # Audited first: an export that leaves no audit event must not happen at all.
            record_audit("cases.export", None, target.name)
            return write_csv(board.summary, target)

        self._tasks.run(export, lambda lines: self._exported(target, lines),
                        lambda error: self._export_failed(target, error), lane=Lane.BACKGROUND)

    # -- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_top())
        self._problem = self._message_label("Problem reading the figures", "")
        self._notice = self._message_label("Export result", "notice")
        layout.addWidget(self._problem)
        layout.addWidget(self._notice)
        # Three bands, each the full width, so case numbers, names and times are never cut
        # short at 1366 pixels; the person may drag the dividers.
        holders = QWidget()
        row = QHBoxLayout(holders)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self._build_queue(), 2)
        row.addWidget(self._build_handoffs(), 3)
        owed = QWidget()
        row = QHBoxLayout(owed)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self._build_due(), 3)
        row.addWidget(self._build_mandated(), 2)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        for band in (holders, owed, self._build_counts()):
            splitter.addWidget(band)
        self._bands = splitter
        layout.addWidget(splitter, stretch=1)
        chain = (self._refresh_button, self._export_button, self.queue_table,
                 self.handoff_table, self.due_table, self.mandated_table,
                 *self.count_tables.values())
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _build_top(self) -> QHBoxLayout:
        heading = QLabel("Shift overview")
        heading.setObjectName("pageHeading")
        # Shortened with "…" on a narrow screen (whole in the tooltip), never widening it.
        self._period = ElidedLabel(LOADING_MESSAGE)
        self._period.setAccessibleName("Shift")
        self._updated = ElidedLabel()
        self._updated.setAccessibleName("Figures read at")
        self._refresh_button = QPushButton("Re&fresh")
        describe(self._refresh_button, "Refresh",
                 "Read the figures again now (they are read every minute anyway)")
        self._export_button = QPushButton("E&xport CSV…")
        self._export_button.setEnabled(False)
        describe(self._export_button, "Export CSV",
                 "Save this shift's and today's counts as a CSV file for a spreadsheet")
        self.packet_button = QPushButton("Shift handoff &packet…")
        self.packet_button.setEnabled(False)
        describe(self.packet_button, "Shift handoff packet", PACKET_TIP)
        self.packet_button.setAccessibleDescription(PACKET_TIP)
        row = QHBoxLayout()
        row.addWidget(heading)
        row.addSpacing(12)
        row.addWidget(self._period)
        row.addStretch(1)
        for widget in (self._updated, self._refresh_button, self._export_button,
                       self.packet_button):
            row.addWidget(widget)
        return row

    @staticmethod
    def _message_label(name: str, style: str) -> QLabel:
        label = QLabel()
        label.setObjectName(style)
        label.setWordWrap(True)
        label.setAccessibleName(name)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.hide()
        return label

    @staticmethod
    def _box(title: str, *tables: QWidget) -> QGroupBox:
        """A titled group; its mnemonic moves the keyboard to its first table."""
        box = QGroupBox(title)
        row = QHBoxLayout(box)
        for table in tables:
            row.addWidget(table)
        return box

    def _build_queue(self) -> QGroupBox:
        self.queue_table = SummaryTable(
            "Queue by specialist", "Open cases each specialist holds, by urgency, and how many "
            "of them are overdue", ("Specialist", "Urgent", "Non-urgent", "Overdue"),
            "No open cases.", counts=True)
        return self._box("&Queue by specialist", self.queue_table)

    def _build_handoffs(self) -> QGroupBox:
        self.handoff_table = SummaryTable(
            "Handoffs not yet accepted", "Cases handed on that nobody has accepted or returned "
            "yet. Press Enter or double-click to open one.",
            ("Case", "From", "To", "Since", "Note"), "Every handoff has been answered.", stretch=4)
        return self._box("&Handoffs not yet accepted", self.handoff_table)

    def _build_due(self) -> QGroupBox:
        self.due_table = SummaryTable(
            "Due this shift", "Cases and follow-up tasks due before this shift ends. Press "
            "Enter or double-click to open one.",
            ("Case", "Due", "Assigned to", "Urgency", "About"), "Nothing falls due this shift.",
            stretch=4)
        return self._box("&Due this shift", self.due_table)

    def _build_mandated(self) -> QGroupBox:
        self.mandated_table = SummaryTable(
            "Mandated steps outstanding", "Mandated reporting steps left undone on a call, each "
            "a follow-up task until someone marks it done. Press Enter or double-click to open "
            "the case.", ("Case", "Step", "Due", "Assigned to"),
            "No mandated step is outstanding.", stretch=1)
        return self._box("&Mandated steps outstanding", self.mandated_table)

    def _build_counts(self) -> QGroupBox:
        self.count_tables: dict[str, SummaryTable] = {
            name: SummaryTable(f"Contacts by {title.lower()}",
                               f"Contacts received this shift and today, by {title.lower()}",
                               (title, "Shift", "Today"), "No contacts yet.", counts=True)
            for name, title in DIMENSIONS}
        self._counts_box = self._box("Contact co&unts", *self.count_tables.values())
        row = self._counts_box.layout()
        for index, name in enumerate(self.count_tables):
            row.setStretch(index, COUNT_TABLE_WIDTHS[name])
        self._counts_box.setAccessibleName("Contact counts")
        return self._counts_box

    def _connect(self) -> None:
        self._refresh_button.clicked.connect(self.refresh)
        self._export_button.clicked.connect(lambda: self.export_csv())
        for table in (self.handoff_table, self.due_table, self.mandated_table):
            table.sig_open_case.connect(self.sig_open_case)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()
        self._every_minute.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._every_minute.stop()

    @Slot(object)
    def _cases_changed(self, _case_ids: frozenset[str]) -> None:
        # Hidden, it is read again when next shown (``showEvent``), not for every change.
        if self.isVisible():
            self.refresh()

    # -- showing ----------------------------------------------------------------------------

    def _show_board(self, board: SupervisorBoard) -> None:
        self._board = board
        summary = board.summary
        self._period.setText(period_text(summary.shift))
        self._updated.setText(f"Read at {hour_text(summary.generated_at)}")
        self._export_button.setEnabled(True)
        self._problem.hide()
        self._show_queue(board)
        self._show_handoffs(board.handoffs, summary.generated_at.date())
        self._show_due(summary.due_this_shift, summary.generated_at)
        self._show_mandated(summary.mandated_outstanding, summary.generated_at)
        self._show_counts(summary)
        self.sig_refreshed.emit()

    def _show_queue(self, board: SupervisorBoard) -> None:
        rows = []
        for line in board.summary.queue:
            urgent = line.by_urgency.get(URGENT, 0)
            overdue = board.overdue_by_specialist.get(line.specialist, 0)
            rows.append((Cell(self._holder(line.specialist)), Cell(str(urgent)),
                         Cell(str(line.total - urgent)), Cell(str(overdue), alarm=overdue > 0)))
        self.queue_table.set_rows(rows)

    def _show_handoffs(self, handoffs: tuple[WaitingHandoff, ...], today: date) -> None:
        self.handoff_table.set_rows(
            [(Cell(handoff.number or NOT_SET), Cell(self._holder(handoff.from_user)),
              Cell(self._holder(handoff.to_user)), self._time_cell(handoff.since, today),
              Cell(first_line(handoff.note), handoff.note))
             for handoff in handoffs],
            [handoff.case_id for handoff in handoffs])

    def _show_due(self, rows: tuple[CaseRow, ...], now: datetime) -> None:
        cells = []
        for row in rows:
            due = due_of(row)
            late = row_overdue(row, now)
            time_cell = self._time_cell(due, now.date())
            cells.append((Cell(row.number or NOT_SET),
                          Cell(f"Overdue · {time_cell.text}" if late else time_cell.text,
                               time_cell.tip, alarm=late),
                          Cell(self._holder(row.assigned_to)),
                          Cell((row.urgency or NOT_SET).capitalize()),
                          Cell(about(row))))
        self.due_table.set_rows(cells, [row.id for row in rows])

    def _show_mandated(self, steps: tuple[OutstandingStep, ...], now: datetime) -> None:
        self.mandated_table.set_rows(
            [(Cell(step.number or NOT_SET), Cell(step.text),
              self._time_cell(step.due_at, now.date()), Cell(self._holder(step.assigned_to)))
             for step in steps],
            [step.case_id for step in steps])

    def _show_counts(self, summary: ShiftSummary) -> None:
        shift, day = summary.shift_counts, summary.day_counts
        self._counts_box.setTitle(f"Contact co&unts — this shift {shift.total}, "
                                  f"today {day.total}")
        for name, table in self.count_tables.items():
            table.set_rows(self._count_rows(name, shift, day))

    def _count_rows(self, name: str, shift: Counts, day: Counts) -> list[tuple[Cell, ...]]:
        in_shift: Mapping[str | None, int] = getattr(shift, name)
        in_day: Mapping[str | None, int] = getattr(day, name)
        label = self._count_labels[name]
        return [(Cell(label(key) if key else NOT_RECORDED), Cell(str(in_shift.get(key, 0))),
                 Cell(str(in_day.get(key, 0)))) for key in _merged_keys(in_shift, in_day)]

    def _holder(self, name: str | None) -> str:
        if not name:
            return "Unassigned"
        if name == NEXT_SHIFT:
            return "Next-shift queue"
        return f"{name} (you)" if name == self._services.user else name

    def _time_cell(self, iso: str | None, today: date) -> Cell:
        """Today's times by the hour alone; others with their day (full text in the tip)."""
        moment = parse_time(iso)
        if moment is None:
            return Cell(NOT_SET)
        local = self._services.protocol.service_chart.hotline_time(moment)
        full = clock_text(local)
        short = hour_text(local) if local.date() == today else local_text(local, "d MMM, h:mm AP")
        return Cell(short, full)

    def _read_failed(self, error: Exception) -> None:
        log.error("reading the supervisor's figures failed", exc_info=error)
        self._problem.setText("⚠ The figures could not be read just now — still showing the "
                              "ones from before. They are read again every minute.")
        self._problem.show()

    # -- exporting --------------------------------------------------------------------------

    def _ask_export_path(self, summary: ShiftSummary) -> Path | None:
        folder = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation)
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Export the shift's counts", str(Path(folder) / export_name(summary)),
            "CSV files (*.csv)")
        return Path(chosen) if chosen else None

    def _exported(self, path: Path, lines: int) -> None:
        self._notice.setText(f"Exported {lines} lines of counts to {path.name}.")
        self._notice.show()
        self.sig_exported.emit(str(path))

    def _export_failed(self, path: Path, error: Exception) -> None:
        log.error("exporting the shift summary failed", exc_info=error)
        self._problem.setText(f"⚠ Could not export to {path.name}: {error}")
        self._problem.show()
        self._notice.hide()
