"""The case list: a specialist's own cases, what was handed to them, the queue, what is due.

A view (My cases, Handed to me, …) narrows the list the way a shift works it; the search field
narrows it further by case number, phone, name, place or any words, as the person types. Every
listing runs on a task lane and only the newest answer is shown, so typing never waits on the
database. Urgent cases and overdue ones are marked in words as well as colour, so neither is
missed by someone who cannot tell red from grey.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.cases.changes import NEXT_SHIFT, case_vocabulary
from console.cases.listing import CaseQuery, CaseRow
from console.cases.story import CLOSED, is_overdue, owed_at
from console.ui.cases.services import NOT_SET, CaseServices
from console.ui.labels import buddy, describe
from console.ui.taskman import Lane, TaskManager

LIST_KEY, COUNTS_KEY = "case-list", "case-list-counts"
SHOWN_CASES = 200
URGENT = "urgent"
URGENT_MARK = "URGENT"
OVERDUE_MARK = "Overdue"
URGENT_BACKGROUND, URGENT_TEXT, OVERDUE_TEXT = "#b3261e", "#ffffff", "#b3261e"
LOADING_MESSAGE = "Loading cases…"
COMPACT_WIDTH = 1000  # narrower than this, the list leaves out the columns below
MINIMUM_WIDTH = 560  # the title column keeps room to be read beside number, urgency and due
COMPACT_HIDDEN = ("Status", "Type", "Place", "Assigned to")

CASE_ID_ROLE = Qt.ItemDataRole.UserRole
_TABLE_ROOT = QModelIndex()

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseView:
    """One way of looking at the cases: its listing view, title, tooltip and empty state."""

    key: str
    title: str
    tip: str
    empty: str
    supervisors_only: bool = False


VIEWS = (
    CaseView("mine", "My cases", "Open cases assigned to you",
             "No open cases are assigned to you right now."),
    CaseView("handed_to_me", "Handed to me", "Cases handed to you that wait for you to accept",
             "Nothing handed to you is waiting to be accepted."),
    CaseView("queue", "Next-shift queue", "Cases handed to the next shift; anyone may take one",
             "The next shift's queue is empty."),
    CaseView("due_soon", "Due soon", "Open cases or follow-up tasks due in the next 24 hours",
             "Nothing is due in the next 24 hours."),
    CaseView("overdue", "Overdue", "Open cases or follow-up tasks past their due time",
             "Nothing is overdue."),
    CaseView("all_open", "All open", "Every open case on the hotline (supervisors)",
             "There are no open cases.", supervisors_only=True),
    CaseView("all", "All cases", "Every case you may see, closed ones too: find a past "
             "contact by its number, phone, name or place", "There are no cases yet."),
)
CLOSED_HINT = "Closed cases are listed under “All cases”."


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def due_of(row: CaseRow) -> str | None:
    """When work is next owed on the case (its response, or its next open follow-up task)."""
    return owed_at(row.status, row.due_at, row.next_task_due)


def row_overdue(row: CaseRow, now: datetime) -> bool:
    return is_overdue(row.status, row.due_at, row.next_task_due, now)


# -- the rows -------------------------------------------------------------------------------


class CaseRowsModel(QAbstractTableModel):
    """The listed cases, one row each, in the words a specialist reads them."""

    COLUMNS = ("Number", "Urgency", "Status", "Type", "Title", "Place", "Assigned to",
               "Due (hotline time)")
    URGENCY, DUE = COLUMNS.index("Urgency"), COLUMNS.index("Due (hotline time)")

    def __init__(self, services: CaseServices, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._rows: list[CaseRow] = []
        self._now = services.clock()
        self._cell_texts: tuple[Callable[[CaseRow], str], ...] = (
            lambda row: row.number or NOT_SET,
            self._urgency_text,
            lambda row: (row.status or NOT_SET).capitalize(),
            lambda row: services.request_label(row.request_type, row.call_type),
            lambda row: row.title,
            lambda row: row.place or NOT_SET,
            self._assignee_text,
            self._due_text,
        )

    def set_rows(self, rows: list[CaseRow], now: datetime) -> None:
        self.beginResetModel()
        self._rows, self._now = rows, now
        self.endResetModel()

    def row_of(self, case_id: str) -> int | None:
        return next((number for number, row in enumerate(self._rows) if row.id == case_id), None)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _TABLE_ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _TABLE_ROOT) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._cell_texts[index.column()](row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == CASE_ID_ROLE:
            return row.id
        return self._emphasis(row, index.column(), role)

    def _emphasis(self, row: CaseRow, column: int, role: int) -> Any:
        """Urgent cases get a red badge, overdue due times red text (both also say so)."""
        urgent = column == self.URGENCY and row.urgency == URGENT
        overdue = column == self.DUE and row_overdue(row, self._now)
        if role == Qt.ItemDataRole.BackgroundRole and urgent:
            return QBrush(QColor(URGENT_BACKGROUND))
        if role == Qt.ItemDataRole.ForegroundRole and (urgent or overdue):
            return QBrush(QColor(URGENT_TEXT if urgent else OVERDUE_TEXT))
        return None

    @staticmethod
    def _urgency_text(row: CaseRow) -> str:
        return URGENT_MARK if row.urgency == URGENT else (row.urgency or NOT_SET).capitalize()

    def _assignee_text(self, row: CaseRow) -> str:
        holder = self._services.person(row.assigned_to)
        if row.pending_handoff_to and row.pending_handoff_to != NEXT_SHIFT:
            return f"{holder} (not yet accepted)"
        return holder

    def _due_text(self, row: CaseRow) -> str:
        due = self._services.time_text(due_of(row), zone=False)
        return f"{OVERDUE_MARK} · {due}" if row_overdue(row, self._now) else due

    def _tooltip(self, row: CaseRow) -> str:
        return "\n".join(f"{title}: {text(row)}" for title, text in
                         zip(self.COLUMNS, self._cell_texts, strict=True))


class _CaseTable(QTableView):
    """The list of cases: Enter opens the current one."""

    sig_chosen = Signal()
    """Enter or Return was pressed on a case."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.sig_chosen.emit()
            return
        super().keyPressEvent(event)


# -- the panel ------------------------------------------------------------------------------


class CaseListPanel(QWidget):
    """Lists cases by view, search and status; opens the one chosen."""

    sig_open_case = Signal(str)
    """The id of the case the person chose to open (Enter or a click)."""

    sig_rows_shown = Signal(int)
    """The number of cases listed, emitted once they are on screen."""

    def __init__(self, services: CaseServices, tasks: TaskManager,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services, self._tasks = services, tasks
        self._views = tuple(view for view in VIEWS
                            if services.is_supervisor or not view.supervisors_only)
        self._model = CaseRowsModel(services, self)
        self._open_case_id: str | None = None  # the case open beside the list, if any
        # Several changes in one turn of the event loop (a view and a search) become one listing.
        self._pending = QTimer(self, singleShot=True, interval=0)
        self._pending.timeout.connect(self._list)
        self._build()
        self._connect()
        self.setMinimumWidth(MINIMUM_WIDTH)
        services.events.sig_cases_changed.connect(self.refresh)
        self.refresh()

    # -- public -----------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """List again, and recount every view (after a sync or a change, say)."""
        self._schedule_listing()
        self._count_views()

    @Slot()
    def focus_search(self) -> None:
        """Put the cursor in the search field, its text selected so typing replaces it."""
        self._search_field.selectAll()
        self._search_field.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def width_for_every_view(self) -> int:
        """How wide the list must be to show every view's whole title and count."""
        margins = self.layout().contentsMargins()
        return max(self.minimumSizeHint().width(),
                   self._view_bar.sizeHint().width() + margins.left() + margins.right())

    def current_view(self) -> str:
        return self._views[self._view_bar.currentIndex()].key

    def set_view(self, key: str) -> None:
        self._view_bar.setCurrentIndex([view.key for view in self._views].index(key))

    def query(self) -> CaseQuery:
        return CaseQuery(view=self.current_view(), text=self._search_field.text().strip(),
                         status=self._status.currentData(), limit=SHOWN_CASES + 1)

    def selected_case_id(self) -> str | None:
        case_id = self._table.currentIndex().data(CASE_ID_ROLE)
        return case_id if isinstance(case_id, str) else None

    # -- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        bar = self._view_bar = QTabBar()
        bar.setExpanding(False)
        # Every view stays in sight: a narrow list shortens the titles (each has its tooltip)
        # rather than hiding views behind scroll arrows.
        bar.setUsesScrollButtons(False)
        bar.setElideMode(Qt.TextElideMode.ElideRight)
        for number, view in enumerate(self._views):
            bar.addTab(view.title)
            bar.setTabToolTip(number, view.tip)
        describe(bar, "Case views", "Which cases to list; Left and Right arrows switch views")
        self._count = QLabel(LOADING_MESSAGE)
        self._count.setAccessibleName("Cases listed")
        layout.addWidget(bar)
        filters = self._build_filters()
        filters.addWidget(self._count)
        layout.addLayout(filters)
        self._message = QLabel()
        self._message.setWordWrap(True)
        self._message.setAccessibleName("Listing problem")
        self._message.hide()
        layout.addWidget(self._message)
        layout.addWidget(self._build_table(), stretch=1)
        for first, second in pairwise((bar, self._search_field, self._status, self._table)):
            QWidget.setTabOrder(first, second)

    def _build_filters(self) -> QHBoxLayout:
        field = self._search_field = QLineEdit()
        field.setPlaceholderText("Case number, phone, name, place or words")
        field.setClearButtonEnabled(True)
        describe(field, "Find cases", "Narrows the list as you type. Press Down to move to the "
                                      "cases, Enter to open one.")
        status = self._status = QComboBox()
        status.addItem("Any status", None)
        for name in case_vocabulary().statuses:
            status.addItem(name.capitalize(), name)
        describe(status, "Status", "Only cases with this status")
        row = QHBoxLayout()
        row.addWidget(buddy("F&ind:", field))
        row.addWidget(field, stretch=1)
        row.addWidget(buddy("&Status:", status))
        row.addWidget(status)
        return row

    def _build_table(self) -> QStackedWidget:
        table = self._table = _CaseTable()
        table.setModel(self._model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setTabKeyNavigation(False)  # Tab leaves the list; arrows move within it
        table.setWordWrap(False)
        table.setAlternatingRowColors(True)
        table.verticalHeader().hide()
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CaseRowsModel.COLUMNS.index("Title"),
                                    QHeaderView.ResizeMode.Stretch)
        describe(table, "Cases", "Press Enter or click a case to open it beside the list")
        self._empty = QLabel(LOADING_MESSAGE)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._empty.setWordWrap(True)
        self._empty.setObjectName("notice")
        self._empty.setAccessibleName("No cases")
        stack = self._stack = QStackedWidget()
        stack.addWidget(table)
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.addWidget(self._empty)
        column.addStretch(1)
        stack.addWidget(holder)
        return stack

    def _connect(self) -> None:
        self._view_bar.currentChanged.connect(self._schedule_listing)
        self._search_field.textChanged.connect(self._schedule_listing)
        self._status.currentIndexChanged.connect(self._schedule_listing)
        self._search_field.installEventFilter(self)
        self._table.sig_chosen.connect(self._open_current)
        self._table.clicked.connect(self._open_current)  # one click shows the case beside

    def resizeEvent(self, event: QResizeEvent) -> None:
        # Beside an open case the panel is narrow: the title keeps its room, and the columns
        # left out are still in each row's tooltip and in the case itself.
        compact = event.size().width() < COMPACT_WIDTH
        for column in COMPACT_HIDDEN:
            self._table.setColumnHidden(CaseRowsModel.COLUMNS.index(column), compact)
        super().resizeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self._search_field and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            self._focus_table(open_it=event.key() != Qt.Key.Key_Down)
            return True
        return super().eventFilter(watched, event)

    def _focus_table(self, open_it: bool) -> None:
        """Down moves to the cases; Enter in the search field opens the first (or only) one."""
        if not self._model.rowCount():
            return
        if not self._table.currentIndex().isValid():
            self._table.setCurrentIndex(self._model.index(0, 0))
        self._table.setFocus(Qt.FocusReason.OtherFocusReason)
        if open_it:
            self._open_current()

    @Slot()
    def _open_current(self) -> None:
        case_id = self.selected_case_id()
        if case_id is not None:
            self.sig_open_case.emit(case_id)

    # -- listing ----------------------------------------------------------------------------

    @Slot()
    def _schedule_listing(self) -> None:
        self._pending.start()

    @Slot()
    def _list(self) -> None:
        query, user, now = self.query(), self._services.user, self._services.clock()
        listing = self._services.listing
        self._tasks.run_latest(LIST_KEY, lambda: listing.list(query, user, now),
                               lambda rows: self._show_rows(query, rows, now),
                               self._show_error, lane=Lane.BACKGROUND, owner=self)

    def keep_in_step_with(self, case_id: str | None) -> None:
        """The case open beside the list: the selection follows it, and never moves to another
        case on its own (a case handed on leaves the list with nothing selected)."""
        self._open_case_id = case_id
        row = self._model.row_of(case_id) if case_id else None
        if row is None:
            self._table.setCurrentIndex(QModelIndex())
            self._table.clearSelection()
        else:
            self._table.setCurrentIndex(self._model.index(row, 0))

    def _show_rows(self, query: CaseQuery, rows: list[CaseRow], now: datetime) -> None:
        chosen = self.selected_case_id()
        shown = rows[:SHOWN_CASES]
        self._model.set_rows(shown, now)
        self._message.hide()
        self._count.setText(self._count_text(len(rows)))
        self._empty.setText(self._empty_text(query))
        self._stack.setCurrentIndex(0 if shown else 1)
        if shown and self._open_case_id is not None:
            self.keep_in_step_with(self._open_case_id)
        elif shown:
            row = self._model.row_of(chosen) if chosen else None
            self._table.setCurrentIndex(self._model.index(row or 0, 0))
        self.sig_rows_shown.emit(len(shown))

    @staticmethod
    def _count_text(found: int) -> str:
        if found > SHOWN_CASES:
            return f"First {SHOWN_CASES} cases — add words to narrow"
        return _plural(found, "case") if found else "No cases"

    def _empty_text(self, query: CaseQuery) -> str:
        view = next(view for view in self._views if view.key == query.view)
        if query.status == CLOSED and query.view != "all":
            return CLOSED_HINT  # the other views list open cases only
        if query.text or query.status:
            return f"No cases in “{view.title}” match this search or status."
        return view.empty

    def _show_error(self, error: Exception) -> None:
        log.error("case listing failed", exc_info=error)
        self._message.setText("⚠ The cases could not be listed just now — still showing the "
                              "list from before.")
        self._message.show()

    def _count_views(self) -> None:
        """Each view's count in its title: cheap counts, on the background lane."""
        listing, user, now = self._services.listing, self._services.user, self._services.clock()
        keys = [view.key for view in self._views]

        def count_all() -> list[int]:
            return [listing.count(CaseQuery(view=key), user, now) for key in keys]

        self._tasks.run_latest(COUNTS_KEY, count_all, self._show_counts,
                               lambda error: log.error("counting cases failed", exc_info=error),
                               lane=Lane.BACKGROUND, owner=self)

    def _show_counts(self, counts: list[int]) -> None:
        for number, (view, count) in enumerate(zip(self._views, counts, strict=True)):
            self._view_bar.setTabText(number, f"{view.title} ({count})")
