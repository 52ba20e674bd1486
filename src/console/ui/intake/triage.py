"""Triage: one key says what kind of contact this is.

Keys come from the protocol (1–7 for requests, letters for no-data contacts such as a hang-up),
so a specialist who knows them never reaches for the mouse; each choice is also a button.
"""

from __future__ import annotations

from itertools import groupby

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from console.protocol import Protocol, RequestType


class TriagePage(QScrollArea):
    """The first screen of every contact."""

    sig_chosen = Signal(str)
    """The specialist picked a request type (its id), by key or by button."""

    COLUMNS = 2

    def __init__(self, protocol: Protocol, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName("New contact: choose its type")
        self._by_key = {kind.key.lower(): kind.id for kind in protocol.request_types}
        self.buttons: dict[str, QPushButton] = {}
        body = QWidget()
        column = QVBoxLayout(body)
        heading = QLabel("What kind of contact is this? Press its key.")
        heading.setObjectName("pageHeading")
        column.addWidget(heading)
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        column.addWidget(self.notice)
        for group, kinds in groupby(protocol.request_types, key=lambda kind: kind.group):
            column.addWidget(self._group(group, list(kinds)))
        column.addStretch(1)
        self.setWidget(body)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def _group(self, title: str, kinds: list[RequestType]) -> QGroupBox:
        box = QGroupBox(title)
        grid = QGridLayout(box)
        for number, kind in enumerate(kinds):
            button = _two_line_button(f"{kind.key.upper()}   {kind.label}", kind.description)
            button.setAccessibleName(kind.label)
            button.setAccessibleDescription(f"Key {kind.key.upper()}. {kind.description}")
            button.clicked.connect(lambda _checked=False, k=kind.id: self.sig_chosen.emit(k))
            self.buttons[kind.id] = button
            grid.addWidget(button, number // self.COLUMNS, number % self.COLUMNS)
        return box

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        kind = self._by_key.get(event.text().lower()) if event.text() else None
        if kind is not None and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.sig_chosen.emit(kind)
            return
        super().keyPressEvent(event)


def _two_line_button(title: str, description: str) -> QPushButton:
    """A button with its key and name on the first line and what it is for below."""
    button = QPushButton()
    button.setObjectName("triageButton")
    button.setToolTip(description)
    lines = QVBoxLayout(button)
    lines.setContentsMargins(10, 6, 10, 6)
    lines.setSpacing(2)
    for text, name in ((title, "triageTitle"), (description, "triageDescription")):
        label = QLabel(text)
        label.setObjectName(name)
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        lines.addWidget(label)
    button.setMinimumHeight(lines.sizeHint().height())
    return button
