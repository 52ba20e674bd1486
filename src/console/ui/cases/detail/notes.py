"""The case's notes, and a box to write one."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from console.cases.changes import (
    Case,
)
from console.cases.words import CaseWords
from console.ui.cases.detail.parts import browser, button, row
from console.ui.labels import buddy, describe

NOTE_LINES = 3


class NotesSection(QWidget):
    """The case's notes, newest first, and a box to write one."""

    sig_add = Signal(str)
    """The text of a note to add."""

    def __init__(self, words: CaseWords, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._words = words
        self.notes = browser("Notes", "The case's notes, newest first")
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText("Short facts: what happened, what was agreed, what is next")
        self.text.setFixedHeight(self.text.fontMetrics().lineSpacing() * NOTE_LINES + 16)
        describe(self.text, "New note", "Write a note for the case; Save note adds it")
        self.save = button("Sa&ve note", "Save note", "Add the note to the case")
        layout = QVBoxLayout(self)
        layout.addWidget(self.notes, 1)
        layout.addWidget(buddy("&Write a note:", self.text))
        layout.addWidget(self.text)
        layout.addLayout(row(self.save))
        self.text.textChanged.connect(
            lambda: self.save.setEnabled(bool(self.text.toPlainText().strip())))
        self.save.clicked.connect(self._save)
        self.save.setEnabled(False)

    def show_case(self, case: Case) -> None:
        words = self._words
        notes = sorted(case.get("notes") or [], key=lambda n: n["created_at"], reverse=True)
        if not notes:
            self.notes.setHtml(f"<p>{html.escape(words.say('case.notes.none'))}</p>")
            return
        self.notes.setHtml("".join(
            "<p><b>" + html.escape(words.say("case.note.by", who=words.who(note["author"]),
                                             when=words.when(note["created_at"]))) + "</b><br>"
            f"{html.escape(note['text']).replace(chr(10), '<br>')}</p>" for note in notes))

    def _save(self) -> None:
        text = self.text.toPlainText().strip()
        if text:
            self.sig_add.emit(text)
