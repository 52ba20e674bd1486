"""Handing a case on: to a named person, or to the next shift's queue, always with a note.

The note is what the next person reads first, so it is required and the prompt asks for short
facts. The handoff is stored on the "writes" lane; the dialog closes only once it is stored, and
says so in place if it could not be.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from console.cases.changes import NEXT_SHIFT, Case
from console.cases.listing import CaseQuery
from console.ui.cases.services import CaseServices
from console.ui.labels import buddy, describe
from console.ui.taskman import Lane, TaskManager

PEOPLE_SCAN = 2000  # cases enough to meet everyone who works them on this workstation
NOTE_LINES = 5
WIDTH_CHARS, INDENT_CHARS = 80, 4

log = logging.getLogger(__name__)


def people_on(case: Case) -> set[str]:
    """Everyone a case names: its creator, its holder, and both ends of each handoff."""
    names = {case.get("created_by"), case.get("assigned_to")}
    for handoff in case.get("handoffs") or []:
        names |= {handoff.get("from_user"), handoff.get("to_user")}
    return {name for name in names if name}


class HandoffDialog(QDialog):
    """Asks whom to hand ``case`` to and what they need to know, then hands it on."""

    sig_handed_off = Signal(object)
    """The case after the handoff was stored."""

    def __init__(self, services: CaseServices, tasks: TaskManager, case: Case,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services, self._tasks, self._case = services, tasks, case
        self.setWindowTitle(f"Hand off case {case.get('number') or ''}".strip())
        self.setAccessibleName("Hand off the case")
        self._build()
        self._load_people()

    # -- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        services, case = self._services, self._case
        intro = QLabel(f"Case {case.get('number') or ''} is now with "
                       f"{services.person(case.get('assigned_to'))}. Hand it to:")
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        self.to_person = QRadioButton("A named &person")
        describe(self.to_person, "Hand to a named person", "They accept it, or return it to you")
        self.person = QComboBox()
        self.person.setEditable(True)
        self.person.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.person.lineEdit().setPlaceholderText("Their user name")
        describe(self.person, "Person", "Pick or type the user name of the person taking it")
        self.to_queue = QRadioButton("The ne&xt shift's queue")
        describe(self.to_queue, "Hand to the next shift's queue",
                 "Anyone on the next shift may take it from the queue")
        group = QButtonGroup(self)
        for button in (self.to_person, self.to_queue):
            group.addButton(button)
        self.to_person.setChecked(True)
        self.note = QPlainTextEdit()
        self.note.setTabChangesFocus(True)
        self.note.setPlaceholderText("Short facts: what was done, what is still to do, when the "
                                     "caller expects contact, any safety concern.")
        self.note.setFixedHeight(self.note.fontMetrics().lineSpacing() * NOTE_LINES + 16)
        describe(self.note, "Handoff note", "Required: what the next person needs to know")
        note_label = buddy("&Note for whoever takes it:", self.note)
        self.problem = QLabel()
        self.problem.setObjectName("fieldWarning")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problem")
        self.problem.hide()
        self.buttons = QDialogButtonBox()
        self.hand_off = self._dialog_button("&Hand off", QDialogButtonBox.ButtonRole.AcceptRole,
                                            "Hand the case on with this note")
        self.cancel = self._dialog_button("Cancel", QDialogButtonBox.ButtonRole.RejectRole,
                                          "Keep the case as it is")
        self.hand_off.setDefault(True)
        layout = QVBoxLayout(self)
        person_row = QHBoxLayout()
        person_row.addSpacing(self.fontMetrics().averageCharWidth() * INDENT_CHARS)
        person_row.addWidget(self.person)
        layout.addWidget(intro)
        layout.addWidget(self.to_person)
        layout.addLayout(person_row)
        for widget in (self.to_queue, note_label, self.note, self.problem, self.buttons):
            layout.addWidget(widget)
        self.buttons.accepted.connect(self._hand_off)
        self.buttons.rejected.connect(self.reject)
        self.to_queue.toggled.connect(lambda queue: self.person.setEnabled(not queue))
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * WIDTH_CHARS)

    def _dialog_button(self, text: str, role: QDialogButtonBox.ButtonRole, tip: str
                       ) -> QPushButton:
        button = self.buttons.addButton(text, role)
        describe(button, text.replace("&", ""), tip)
        return button

    # -- people to hand to --------------------------------------------------------------------

    def _load_people(self) -> None:
        listing, user, case = self._services.listing, self._services.user, self._case

        def people() -> list[str]:
            rows = listing.list(CaseQuery(view="all", limit=PEOPLE_SCAN), user)
            names = {name for row in rows for name in (row.assigned_to, row.created_by) if name}
            names |= people_on(case)
            names -= {NEXT_SHIFT, case.get("assigned_to")}
            return sorted(names, key=str.casefold)

        self._tasks.run(people, self._show_people,
                        lambda error: log.warning("could not list people", exc_info=error),
                        owner=self)

    def _show_people(self, names: list[str]) -> None:
        typed = self.person.currentText()
        self.person.clear()
        self.person.addItems(names)
        self.person.setCurrentIndex(-1)
        self.person.setEditText(typed)

    # -- handing off --------------------------------------------------------------------------

    def target(self) -> str:
        """Whom the case goes to: a user name, or the next shift's queue."""
        return NEXT_SHIFT if self.to_queue.isChecked() else self.person.currentText().strip()

    def _problem_with(self, target: str, note: str) -> tuple[str, QWidget] | None:
        if not target:
            return "Say who takes the case, or choose the next shift's queue.", self.person
        if target == self._case.get("assigned_to"):
            return f"The case is already with {self._services.person(target)}.", self.person
        if not note:
            return "Write a short note: the next person reads it first.", self.note
        return None

    def _hand_off(self) -> None:
        target, note = self.target(), self.note.toPlainText().strip()
        problem = self._problem_with(target, note)
        if problem is not None:
            self._show_problem(*problem)
            return
        self._set_busy(True)
        cases, case_id = self._services.cases, self._case["id"]
        self._tasks.run(lambda: cases.hand_off(case_id, target, note), self._handed_off,
                        self._failed, lane=Lane.WRITES)

    def _handed_off(self, case: Case) -> None:
        self.sig_handed_off.emit(case)
        self.accept()

    def _failed(self, error: Exception) -> None:
        log.warning("handoff failed", exc_info=error)
        self._set_busy(False)
        self._show_problem(f"The case could not be handed off: {error}", self.hand_off)

    def _show_problem(self, text: str, focus: QWidget) -> None:
        self.problem.setText(f"⚠ {text}")
        self.problem.show()
        focus.setFocus(Qt.FocusReason.OtherFocusReason)

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.hand_off, self.to_person, self.to_queue, self.note):
            widget.setEnabled(not busy)
        self.person.setEnabled(not busy and not self.to_queue.isChecked())
