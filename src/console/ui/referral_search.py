"""The referral search panel a specialist uses live on a call, in the intake's "Referrals" tab.

Every keystroke or filter change sends a new query to the directory on the "search" lane; only the
newest answer is shown, so typing never waits on the database. Results are read in one glance
(who, how to reach them, where), the selected one in full in the details pane, and either can be
added to the referral sheet with the keyboard alone.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterable
from datetime import date
from itertools import pairwise
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRegularExpression,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QRegularExpressionValidator,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from console.directory.query import SearchError, SearchQuery, SearchResult, town_text
from console.directory.vocabulary import vocabulary
from console.intake.fit import FitCheck, IntakeFilters, misfits
from console.ui.labels import buddy, describe
from console.ui.taskman import Lane, TaskManager

SEARCH_KEY = "referral-search"
SHOWN_RESULTS = 100
DEFAULT_RADIUS_MILES = 50
MAX_RADIUS_MILES = 3000  # coast to coast: a caller may be willing to travel that far
CONFIDENTIAL_NOTE = "Address confidential — call for location"
EMPTY_MESSAGE = "No services found — try fewer words or a larger radius"
SEARCHING_MESSAGE = "Searching the directory…"
NO_SELECTION_MESSAGE = "Select a service to see its details."
ON_SHEET_MARK = "✓ On sheet"

RESULT_ROLE = Qt.ItemDataRole.UserRole
LINES_ROLE = Qt.ItemDataRole.UserRole + 1
ON_SHEET_ROLE = Qt.ItemDataRole.UserRole + 2
_LIST_ROOT = QModelIndex()

log = logging.getLogger(__name__)


# -- reading a result -----------------------------------------------------------------------


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _town(result: SearchResult) -> str:
    return town_text(result.city, result.state, result.postal_code, result.confidential)


def _status(result: SearchResult) -> str:
    if result.open_24h:
        return "24 hours"
    if not result.hours_listed:
        return result.hours_today  # no schedule in the source: unknown, never "closed"
    return "Open now" if result.open_now else "Closed now"


def _distance(result: SearchResult) -> str | None:
    if result.distance_miles is not None:
        return f"{result.distance_miles:.1f} mi"
    return "serves caller's area" if result.serves_caller_area else None


def _where(result: SearchResult) -> str:
    """Distance, then the street address, or the town and the confidential note."""
    if result.confidential:
        parts = [_distance(result), _town(result), CONFIDENTIAL_NOTE]
    else:
        parts = [_distance(result), result.address or _town(result)]
    return " · ".join(part for part in parts if part)


def row_lines(result: SearchResult, misfit: tuple[str, ...] = ()) -> tuple[str, str, str]:
    """A result as three short lines: who, how to reach them and when, where (after a warning
    when it may not fit the person, e.g. "⚠ May not serve minors")."""
    reach = [result.phone or "No phone listed", _status(result)]
    if not result.open_24h and result.hours_listed:
        reach.append(f"Today: {result.hours_today}")
    where = _where(result)
    if misfit:
        where = f"{fit_warning(misfit)} · {where}"
    return (f"{result.service_name} — {result.organization_name}", " · ".join(reach), where)


def fit_warning(misfit: tuple[str, ...]) -> str:
    """ "⚠ May not serve minors; may not serve men and boys"."""
    text = "; ".join(misfit)
    return f"⚠ {text[:1].upper()}{text[1:]}"


def sheet_line(name: str, place: tuple[str, str] | None, misfit: tuple[str, ...] = ()) -> str:
    """A service on the caller's sheet: name, then its (organization, town) when known, so two
    programmes of the same name are told apart, and a warning when it may not fit the person."""
    line = name if place is None else f"{name} — {place[0]}, {place[1] or 'no town'}"
    return f"{line}  {fit_warning(misfit)}" if misfit else line


def sheet_place(result: SearchResult) -> tuple[str, str]:
    """(organization, town) of a service as the sheet list names it."""
    return result.organization_name, _town(result)


def _category_names(codes: Iterable[str]) -> str:
    categories = vocabulary().categories
    return ", ".join(categories[code].name if code in categories else code for code in codes)


def _verified(text: str | None) -> str:
    if not text:
        return "Not recorded"
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text
    return f"{day:%B} {day.day}, {day.year}"


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _distance_sentence(result: SearchResult) -> str:
    if result.distance_miles is not None:
        return f"{result.distance_miles:.1f} miles from the caller's ZIP"
    if result.serves_caller_area:
        return "Serves the caller's area (based farther away)"
    return "Give a caller ZIP to see the distance"


def details_fields(result: SearchResult) -> list[tuple[str, str]]:
    """(label, value) pairs in the order a specialist reads them to a caller."""
    address = CONFIDENTIAL_NOTE if result.confidential else (result.address or "Not listed")
    # A street address already names its city; otherwise the city is all the caller gets.
    city = [] if result.address and not result.confidential else [
        ("City", _town(result) or "Not listed")]
    organization = result.organization_name if result.organization_listed else (
        f"{result.organization_name}: the source names none that it holds; confirm who runs "
        "this service before referring")
    return [
        ("Organization", organization),
        ("Phone", result.phone or "No phone listed"),
        ("Address", address),
        *city,
        ("Distance", _distance_sentence(result)),
        ("Open now", _yes_no(result.open_now) if result.hours_listed else "Not known"),
        ("Hours today", result.hours_today),
        ("Open 24 hours", _yes_no(result.open_24h)),
        ("Languages", ", ".join(result.languages) or "Not listed"),
        ("Services", _category_names(result.categories) or "Not listed"),
        ("Last verified", _verified(result.last_verified)),
    ]


def details_html(result: SearchResult) -> str:
    rows = "".join(
        f"<tr><th align='left' valign='top'>{html.escape(label)}</th>"
        f"<td>{html.escape(value)}</td></tr>"
        for label, value in details_fields(result))
    return (f"<h2>{html.escape(result.service_name)}</h2>"
            f"<table cellspacing='0' cellpadding='4'>{rows}</table>")


# -- the results list -----------------------------------------------------------------------


class _ResultsModel(QAbstractListModel):
    """The results shown, and which of them are already on the referral sheet."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._results: list[SearchResult] = []
        self._added: set[str] = set()
        self._misfits: dict[str, tuple[str, ...]] = {}

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _LIST_ROOT) -> int:
        return 0 if parent.isValid() else len(self._results)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        result = self._results[index.row()]
        on_sheet = result.service_id in self._added
        if role == RESULT_ROLE:
            return result
        if role == ON_SHEET_ROLE:
            return on_sheet
        misfit = self._misfits.get(result.service_id, ())
        if role == LINES_ROLE:
            return row_lines(result, misfit)
        lines = ((ON_SHEET_MARK,) if on_sheet else ()) + row_lines(result, misfit)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(lines)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return ". ".join(lines)
        return None

    def set_results(self, results: list[SearchResult],
                    misfits: dict[str, tuple[str, ...]] | None = None) -> None:
        self.beginResetModel()
        self._results = results
        self._misfits = misfits or {}
        self.endResetModel()

    def misfit(self, service_id: str) -> tuple[str, ...]:
        return self._misfits.get(service_id, ())

    def set_added(self, service_ids: set[str]) -> None:
        self._added = set(service_ids)
        if self._results:
            self.dataChanged.emit(self.index(0), self.index(len(self._results) - 1))

    def is_added(self, result: SearchResult) -> bool:
        return result.service_id in self._added

    def row_of(self, service_id: str) -> int | None:
        for row, result in enumerate(self._results):
            if result.service_id == service_id:
                return row
        return None


class _ResultDelegate(QStyledItemDelegate):
    """Paints a result as three lines, the first in bold with "✓ On sheet" at its right."""

    PADDING = 6

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        item.text = ""
        style = item.widget.style() if item.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, item, painter, item.widget)
        selected = bool(item.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setPen(item.palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        rect = item.rect.adjusted(self.PADDING, self.PADDING, -self.PADDING, -self.PADDING)
        top = rect.top()
        for number, line in enumerate(index.data(LINES_ROLE)):
            font = self._bold(item.font) if number == 0 else item.font
            painter.setFont(font)
            metrics = QFontMetrics(font)
            line_rect = rect.adjusted(0, top - rect.top(), 0, 0)
            line_rect.setHeight(metrics.lineSpacing())
            if number == 0 and index.data(ON_SHEET_ROLE):
                painter.drawText(line_rect, Qt.AlignmentFlag.AlignRight, ON_SHEET_MARK)
                line_rect.setRight(line_rect.right() - metrics.horizontalAdvance(
                    ON_SHEET_MARK + "  "))
            painter.drawText(line_rect, Qt.AlignmentFlag.AlignLeft,
                             metrics.elidedText(line, Qt.TextElideMode.ElideRight,
                                                line_rect.width()))
            top += metrics.lineSpacing()
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        plain = QFontMetrics(option.font)
        bold = QFontMetrics(self._bold(option.font))
        height = bold.lineSpacing() + 2 * plain.lineSpacing() + 2 * self.PADDING
        return QSize(plain.averageCharWidth() * 30, height)

    @staticmethod
    def _bold(font: QFont) -> QFont:
        bold = QFont(font)
        bold.setBold(True)
        return bold


class _ResultsView(QListView):
    """The results list: Enter chooses the current result; a message shows when it is empty."""

    sig_chosen = Signal()
    """Enter or Return was pressed on a result."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._empty_message = SEARCHING_MESSAGE

    def set_empty_message(self, message: str) -> None:
        self._empty_message = message
        self.viewport().update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.sig_chosen.emit()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect().adjusted(12, 12, -12, -12),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                             | Qt.TextFlag.TextWordWrap, self._empty_message)


# -- the panel ------------------------------------------------------------------------------




def _term_combo(any_label: str, terms: Iterable[tuple[str, str]]) -> QComboBox:
    """A combo of (code, name) terms after an "Any …" entry whose data is None."""
    combo = QComboBox()
    combo.addItem(any_label, None)
    for code, name in terms:
        combo.addItem(name, code)
    # Long names ("Immigration legal services (T-visa)") must not widen the filter row.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(10)
    return combo


class ReferralSearchPanel(QWidget):
    """Finds services for the caller as the specialist types, and adds them to the sheet."""

    sig_add_referral = Signal(object)
    """A ``SearchResult`` the specialist chose to add to the referral sheet."""

    sig_results_shown = Signal(int)
    """The number of results, emitted once they are on screen."""

    def __init__(self, tasks: TaskManager, search: Callable[[SearchQuery], list[SearchResult]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._search = search
        self._intake, self._checks = IntakeFilters(), ()  # what the intake last asked for
        self._model = _ResultsModel(self)
        # Several changes in one turn of the event loop (a ZIP filled in by the intake, say)
        # become one search.
        self._pending = QTimer(self, singleShot=True, interval=0)
        self._pending.timeout.connect(self._run_search)
        self._build()
        self._connect()
        self._show_selected()
        self._pending.start()

    # -- public slots -----------------------------------------------------------------------

    @Slot()
    def focus_search(self) -> None:
        """Put the cursor in the search field, its text selected so typing replaces it."""
        self._search_field.selectAll()
        self._search_field.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def reset(self) -> None:
        """A new call starts clean: no words, filters, ZIP, selection or flags of the last."""
        self._intake, self._checks = IntakeFilters(), ()
        for widget in (self._category, self._population, self._language):
            widget.setCurrentIndex(0)
        for box in (self._open_now, self._only_24h):
            box.setChecked(False)
        self._search_field.clear()
        self._zip_field.clear()
        self._radius.setValue(DEFAULT_RADIUS_MILES)
        self._model.set_results([])
        self._results_view.setCurrentIndex(QModelIndex())
        self._show_selected()
        self.refresh()

    def follow_intake(self, filters: IntakeFilters, checks: tuple[FitCheck, ...]) -> None:
        """Set the filters the intake's answers call for. Only a filter whose answer changed
        is set, so one the specialist chose stays until the intake says something new."""
        for name, combo in (("category", self._category), ("population", self._population),
                            ("language", self._language)):
            wanted = getattr(filters, name)
            if wanted != getattr(self._intake, name):
                combo.setCurrentIndex(max(combo.findData(wanted), 0))
        self._intake = filters
        if checks != self._checks:
            self._checks = checks
            self.refresh()

    def misfit(self, service_id: str) -> tuple[str, ...]:
        """Why a service listed may not fit the person (empty when it fits)."""
        return self._model.misfit(service_id)

    @Slot(object)
    def set_caller_location(self, zip_code: str | None) -> None:
        """Follow the caller's ZIP from the intake (None clears it) and search again."""
        self._zip_field.setText(zip_code or "")
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Search again with the current query, e.g. after the directory was replaced."""
        self._pending.start()

    @Slot()
    def add_selected(self) -> None:
        """Offer the selected result to the referral sheet, unless it is already on it."""
        result = self.selected_result()
        if result is not None and not self._model.is_added(result):
            self.sig_add_referral.emit(result)

    @Slot(object)
    def set_added(self, service_ids: set[str]) -> None:
        """Mark the services already on the referral sheet."""
        self._model.set_added(service_ids)
        self._show_selected()

    def selected_result(self) -> SearchResult | None:
        result = self._results_view.currentIndex().data(RESULT_ROLE)
        return result if isinstance(result, SearchResult) else None

    def query(self) -> SearchQuery:
        """The query the controls describe; a ZIP counts once it has all five digits."""
        zip_code = self._zip_field.text()
        near = len(zip_code) == 5
        return SearchQuery(
            text=self._search_field.text(),
            zip_code=zip_code if near else None,
            radius_miles=float(self._radius.value()) if near else None,
            category=self._category.currentData(),
            population=self._population.currentData(),
            language=self._language.currentData(),
            open_now=self._open_now.isChecked(),
            only_24h=self._only_24h.isChecked(),
            limit=SHOWN_RESULTS + 1,  # one more tells "more than 100" from exactly 100
        )

    # -- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_search_row())
        layout.addLayout(self._build_filters())
        self._message = QLabel()
        self._message.setWordWrap(True)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._message.setAccessibleName("Search problem")
        self._message.hide()
        layout.addWidget(self._message)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._build_results())
        splitter.addWidget(self._build_details())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, stretch=1)
        self._set_tab_order()

    def _build_search_row(self) -> QHBoxLayout:
        field = self._search_field = QLineEdit()
        field.setPlaceholderText("Search services — words, typos are fine")
        field.setClearButtonEnabled(True)
        describe(field, "Search services",
                  "Type what the caller needs; results update as you type. "
                  "Press Down to move to the results.")
        row = QHBoxLayout()
        row.addWidget(buddy("&Search services:", field))
        row.addWidget(field, stretch=1)
        return row

    def _build_filters(self) -> QGridLayout:
        vocab = vocabulary()
        self._category = _term_combo(
            "Any category", ((t.code, t.name) for t in vocab.categories.values()))
        describe(self._category, "Category", "Only services of this kind")
        self._population = _term_combo(
            "Any population", ((t.code, t.name) for t in vocab.populations.values()))
        describe(self._population, "Population",
                  "Only services for this group (services open to everyone stay listed)")
        self._language = _term_combo("Any language", vocab.languages.items())
        describe(self._language, "Language", "Only services that speak this language")
        self._zip_field = QLineEdit()
        self._zip_field.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,5}")))
        self._zip_field.setMaxLength(5)
        self._zip_field.setPlaceholderText("5 digits")
        describe(self._zip_field, "Caller ZIP",
                  "The caller's 5-digit ZIP code: nearest services first, within the radius")
        self._radius = QSpinBox()
        self._radius.setRange(1, MAX_RADIUS_MILES)
        self._radius.setValue(DEFAULT_RADIUS_MILES)
        self._radius.setSuffix(" mi")
        describe(self._radius, "Radius in miles", "How far from the caller's ZIP to look")
        self._open_now = QCheckBox("&Open now")
        describe(self._open_now, "Open now", "Only services open at this moment")
        self._only_24h = QCheckBox("24 &hours")
        describe(self._only_24h, "24 hours", "Only services available around the clock")
        grid = QGridLayout()
        for column, (text, widget) in enumerate((("&Category:", self._category),
                                                 ("&Population:", self._population),
                                                 ("&Language:", self._language))):
            grid.addWidget(buddy(text, widget), 0, 2 * column)
            grid.addWidget(widget, 0, 2 * column + 1)
        near = QHBoxLayout()
        for widget in (self._zip_field, buddy("Ra&dius:", self._radius), self._radius,
                       self._open_now, self._only_24h):
            near.addWidget(widget)
        near.addStretch(1)
        grid.addWidget(buddy("Caller &ZIP:", self._zip_field), 1, 0)
        grid.addLayout(near, 1, 1, 1, 5)
        for column in (1, 3, 5):
            grid.setColumnStretch(column, 1)
        return grid

    def _build_results(self) -> QWidget:
        view = self._results_view = _ResultsView()
        view.setModel(self._model)
        view.setItemDelegate(_ResultDelegate(view))
        view.setUniformItemSizes(True)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setAlternatingRowColors(True)
        describe(view, "Results",
                  "Services found. Press Enter to add the selected one to the sheet.")
        self._count = QLabel(SEARCHING_MESSAGE)
        return self._titled("&Results", self._count, view)

    def _build_details(self) -> QWidget:
        details = self._details = QTextBrowser()
        details.setOpenLinks(False)
        details.setTabChangesFocus(True)
        describe(details, "Service details", "Everything known about the selected service")
        self._add_button = QPushButton("&Add to sheet")
        describe(self._add_button, "Add to sheet",
                  "Add the selected service to the caller's referral sheet (Enter in the list)")
        pane = self._titled("D&etails", None, details)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self._add_button)
        layout = pane.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.addLayout(row)
        return pane

    @staticmethod
    def _titled(title: str, note: QLabel | None, body: QWidget) -> QWidget:
        """A splitter pane: a title (the body's mnemonic), an optional note, then the body."""
        pane = QWidget()
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(0, 0, 0, 0)
        heading = QHBoxLayout()
        heading.addWidget(buddy(title, body))
        if note is not None:
            heading.addWidget(note, stretch=1)
        else:
            heading.addStretch(1)
        layout.addLayout(heading)
        layout.addWidget(body, stretch=1)
        return pane

    def _set_tab_order(self) -> None:
        chain = (self._search_field, self._category, self._population, self._language,
                 self._zip_field, self._radius, self._open_now, self._only_24h,
                 self._results_view, self._details, self._add_button)
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _connect(self) -> None:
        self._search_field.textChanged.connect(self.refresh)
        self._zip_field.textChanged.connect(self.refresh)
        self._radius.valueChanged.connect(self.refresh)
        for combo in (self._category, self._population, self._language):
            combo.currentIndexChanged.connect(self.refresh)
        for box in (self._open_now, self._only_24h):
            box.toggled.connect(self.refresh)
        self._search_field.installEventFilter(self)
        self._results_view.selectionModel().currentChanged.connect(self._show_selected)
        self._results_view.sig_chosen.connect(self.add_selected)
        self._add_button.clicked.connect(self.add_selected)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self._search_field and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)):
            if event.key() == Qt.Key.Key_Down:
                self._focus_results()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.add_selected()  # the highlighted result, as Ctrl+R does
                return True
        return super().eventFilter(watched, event)

    def _focus_results(self) -> None:
        view = self._results_view
        if not view.currentIndex().isValid() and self._model.rowCount():
            view.setCurrentIndex(self._model.index(0))
        view.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- searching --------------------------------------------------------------------------

    @Slot()
    def _run_search(self) -> None:
        query, search, checks = self.query(), self._search, self._checks

        def run() -> tuple[list[SearchResult], dict[str, tuple[str, ...]]]:
            results = search(query)
            return results, misfits(search, query, results[:SHOWN_RESULTS], checks)

        self._tasks.run_latest(SEARCH_KEY, run,
                               lambda found: self._show_results(query, *found),
                               self._show_error, lane=Lane.SEARCH, owner=self)

    def _show_results(self, query: SearchQuery, results: list[SearchResult],
                      flags: dict[str, tuple[str, ...]] | None = None) -> None:
        chosen = self.selected_result()
        shown = results[:SHOWN_RESULTS]
        self._model.set_results(shown, flags)
        self._message.hide()
        self._count.setText(self._count_text(query, len(results)))
        self._results_view.set_empty_message(EMPTY_MESSAGE)
        row = self._model.row_of(chosen.service_id) if chosen else None
        if shown:
            self._results_view.setCurrentIndex(self._model.index(row or 0))
        self._show_selected()
        self.sig_results_shown.emit(len(shown))

    @staticmethod
    def _count_text(query: SearchQuery, found: int) -> str:
        if found > SHOWN_RESULTS:
            count = f"First {SHOWN_RESULTS} services — add words or filters to narrow"
        else:
            count = _plural(found, "service") if found else "No services"
        return f"{count} near {query.zip_code}" if query.zip_code else count

    def _show_error(self, error: Exception) -> None:
        if isinstance(error, SearchError):
            reason = str(error)
            problem = reason[:1].upper() + reason[1:]
        else:
            log.error("directory search failed", exc_info=error)
            problem = "The directory could not be searched just now"
        self._message.setText(f"⚠ {problem} — still showing the results from before.")
        self._message.show()

    def _show_selected(self) -> None:
        result = self.selected_result()
        if result is None:
            self._details.setPlainText(NO_SELECTION_MESSAGE)
        else:
            self._details.setHtml(details_html(result))
        on_sheet = result is not None and self._model.is_added(result)
        self._add_button.setEnabled(result is not None and not on_sheet)
        self._add_button.setText(ON_SHEET_MARK if on_sheet else "&Add to sheet")
