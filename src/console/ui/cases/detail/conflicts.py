"""Changes that met another person's change, each with a choice between the two texts."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.cases.words import CaseWords
from console.ui.cases.detail.parts import button, row


class ConflictsBox(QFrame):
    """Changes that met another person's change: both texts, and a choice between them."""

    sig_keep = Signal(int, object)
    """Settle the conflict with this id on this value."""

    def __init__(self, words: CaseWords, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._words = words
        self._layout = QVBoxLayout(self)
        self.buttons: list[QPushButton] = []
        self.hide()

    def show_conflicts(self, conflicts: list[dict[str, Any]]) -> None:
        while self._layout.count():
            line = self._layout.takeAt(0).widget()
            line.hide()
            line.deleteLater()
        self.buttons = []
        for conflict in conflicts:
            self._layout.addWidget(self._conflict_row(conflict))
        self.setVisible(bool(conflicts))

    def _conflict_row(self, conflict: dict[str, Any]) -> QWidget:
        words, name = self._words, conflict["field"]
        field = words.field_name(name)
        text = QLabel(words.say("case.conflict", field=field,
                                theirs=words.value(name, conflict["server_value"]),
                                mine=words.value(name, conflict["client_value"])))
        text.setObjectName("missing")
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setWordWrap(True)
        text.setAccessibleName(f"Conflict on {field}")
        theirs = button("Keep theirs", f"Keep theirs: {field}",
                        "Keep the value that reached the server first")
        mine = button("Keep mine", f"Keep mine: {field}", "Replace it with your value")
        theirs.clicked.connect(lambda: self.sig_keep.emit(conflict["id"],
                                                          conflict["server_value"]))
        mine.clicked.connect(lambda: self.sig_keep.emit(conflict["id"], conflict["client_value"]))
        self.buttons += [theirs, mine]
        line = QWidget()
        line.setLayout(row(text, theirs, mine, stretch=text))
        line.layout().setContentsMargins(0, 0, 0, 0)
        return line
