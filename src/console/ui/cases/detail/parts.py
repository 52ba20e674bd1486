"""Small building blocks the case detail's widgets share: buttons, browsers, tables, rows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from console.ui.labels import describe

ITEM_ID_ROLE = Qt.ItemDataRole.UserRole


def button(text: str, name: str, tip: str) -> QPushButton:
    made = QPushButton(text)
    describe(made, name, tip)
    return made


def browser(name: str, tip: str) -> QTextBrowser:
    made = QTextBrowser()
    made.setOpenLinks(False)
    made.setTabChangesFocus(True)
    describe(made, name, tip)
    return made


def table(columns: tuple[str, ...], name: str, tip: str, stretch: int) -> QTableWidget:
    made = QTableWidget(0, len(columns))
    made.setHorizontalHeaderLabels(list(columns))
    made.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    made.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    made.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    made.setTabKeyNavigation(False)
    made.setWordWrap(False)  # one line a row; the tooltip holds the whole text
    made.verticalHeader().hide()
    header = made.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    describe(made, name, tip)
    return made


def fill(table: QTableWidget, rows: list[tuple[str, tuple[str, ...]]]) -> None:
    """Show (item id, cells) rows, keeping the selected item selected."""
    chosen = chosen_id(table)
    table.setRowCount(len(rows))
    for number, (item_id, cells) in enumerate(rows):
        for place, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(ITEM_ID_ROLE, item_id)
            item.setToolTip(text)
            table.setItem(number, place, item)
    ids = [item_id for item_id, _cells in rows]
    if ids:
        table.selectRow(ids.index(chosen) if chosen in ids else 0)


def chosen_id(table: QTableWidget) -> str | None:
    item = table.item(table.currentRow(), 0) if table.currentRow() >= 0 else None
    return None if item is None else item.data(ITEM_ID_ROLE)


def column(*widgets: QWidget, stretch: QWidget | None = None) -> QWidget:
    """Widgets one under another; ``stretch`` takes the spare height (none: it stays below)."""
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget, 1 if widget is stretch else 0)
    if stretch is None:
        layout.addStretch(1)
    return page


def row(*widgets: QWidget, stretch: QWidget | None = None) -> QHBoxLayout:
    layout = QHBoxLayout()
    for widget in widgets:
        layout.addWidget(widget, 1 if widget is stretch else 0)
    if stretch is None:
        layout.addStretch(1)
    return layout
