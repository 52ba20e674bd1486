"""Triage: one key says what kind of contact this is.

Keys come from the protocol (1–7 for requests, letters for no-data contacts such as a hang-up),
so a specialist who knows them never reaches for the mouse; each choice is also a button.
"""

from __future__ import annotations

from itertools import groupby

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
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
from console.ui.labels import MessageSlot

UNDO_SECONDS = 10  # how long a one-key log (hang-up, silent…) can be taken back

NOTICE_LINES, NOTICE_PADDING = 2, 20  # the notice's place: two lines, the style's padding


class TriagePage(QScrollArea):
    """The first screen of every contact."""

    sig_chosen = Signal(str)
    """The specialist picked a request type (its id), by key or by button."""

    sig_retype = Signal(str, str)
    """A one-key contact was logged by mistake: (its case id, the request type it really is)."""

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
        # Always there, so the buttons below never move when a notice comes or goes.
        self.notice = MessageSlot("notice", NOTICE_LINES, NOTICE_PADDING)
        column.addWidget(self.notice)
        for group, kinds in groupby(protocol.request_types, key=lambda kind: kind.group):
            column.addWidget(self._group(group, list(kinds)))
        column.addStretch(1)
        self.setWidget(body)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._undo: tuple[str, str] | None = None  # (case id, label) of the last one-key log
        self._choosing = False  # Ctrl+Z was pressed: the next key is the right type
        self._undo_window = QTimer(self, singleShot=True, interval=UNDO_SECONDS * 1000)
        self._undo_window.timeout.connect(self._undo_expired)

    def offer_undo(self, case_id: str, label: str) -> None:
        """A one-key contact was just logged: for a few seconds, Ctrl+Z takes it back."""
        self._undo, self._choosing = (case_id, label), False
        self._undo_window.start()
        self.show_notice(f"Logged: {label}. Wrong key? Press Ctrl+Z within {UNDO_SECONDS} "
                         "seconds, then the right one.")

    def _undo_expired(self) -> None:
        if self._undo is not None and not self._choosing:
            self.show_notice(f"Logged: {self._undo[1]}. Ready for the next contact.")
            self._undo = None

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
        self.notice.show_message(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Undo) and self._undo is not None:
            self._choosing = True
            self._undo_window.stop()
            self.show_notice(f"Which kind of contact was it? Press its key (Esc keeps it as "
                             f"{self._undo[1]}).")
            return
        if event.key() == Qt.Key.Key_Escape and self._choosing and self._undo is not None:
            self._choosing = False
            self._undo_expired()
            return
        kind = self._by_key.get(event.text().lower()) if event.text() else None
        if kind is not None and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            undo, self._undo = self._undo if self._choosing else None, None
            self._choosing = False
            self._undo_window.stop()
            if undo is not None:
                self.sig_retype.emit(undo[0], kind)
            else:
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
