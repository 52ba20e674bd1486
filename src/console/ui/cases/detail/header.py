"""The case detail's header: what the case is, how urgent, who has it, when it is due."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QWidget,
)

from console.cases.changes import (
    Case,
    case_vocabulary,
)
from console.cases.words import CaseWords
from console.protocol.calendar import URGENT
from console.ui.cases.detail.parts import button
from console.ui.cases.services import NOT_SET, CaseServices
from console.ui.labels import buddy, describe


class CaseHeader(QFrame):
    """Number, type, urgency, status (changeable), who has it and when it is due."""

    sig_status = Signal(str)
    """The person chose this status for the case."""

    sig_hand_off = Signal()
    """The person asked to hand the case on."""

    sig_retype = Signal(str)
    """The person chose this request type for the case (a correction of its contact type)."""

    def __init__(self, words: CaseWords, services: CaseServices,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callHeader")
        self._words = words
        self.title = QLabel()
        self.title.setObjectName("callTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.urgency = QLabel()
        self.urgency.setObjectName("urgencyBadge")
        self.status = QComboBox()
        for name in case_vocabulary().statuses:
            self.status.addItem(name.capitalize(), name)
        describe(self.status, "Case status", "Change the case's status; saved at once")
        self.status.activated.connect(lambda _index: self.sig_status.emit(
            self.status.currentData()))
        self.hand_off = button("&Hand off…", "Hand off",
                               "Hand the case to a named person or to the next shift's queue")
        self.hand_off.clicked.connect(self.sig_hand_off)
        self.kind = QComboBox()
        for kind in services.protocol.request_types:
            self.kind.addItem(kind.label, kind.id)
        describe(self.kind, "Contact type", "Correct what kind of contact this was (a hang-up "
                 "key pressed for a caller who spoke, say); saved at once, with a note")
        self.kind.activated.connect(lambda _index: self.sig_retype.emit(self.kind.currentData()))
        self.kind.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.kind.setMinimumContentsLength(12)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        for label, name in ((self.title, "Case"), (self.urgency, "Urgency"),
                            (self.facts, "Type, holder and due time")):
            label.setAccessibleName(name)
            label.setTextFormat(Qt.TextFormat.PlainText)
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(14)
        title_row = QHBoxLayout()
        title_row.setSpacing(14)
        title_row.addWidget(self.title)
        title_row.addWidget(self.urgency, 0, Qt.AlignmentFlag.AlignVCenter)
        title_row.addStretch(1)
        grid.addLayout(title_row, 0, 0)
        grid.addWidget(buddy("Stat&us:", self.status), 0, 1)
        grid.addWidget(self.status, 0, 2)
        grid.addWidget(self.hand_off, 0, 3)
        grid.addWidget(self.facts, 1, 0)
        kind_label = buddy("Typ&e:", self.kind)
        grid.addWidget(kind_label, 1, 1)
        grid.addWidget(self.kind, 1, 2, 1, 2)
        # Hidden only once in the grid: shown before it has a parent, a widget flashes up as a
        # window of its own and takes the keyboard focus from the console.
        if services.retype is None:
            self.kind.hide()
            kind_label.hide()
        grid.setColumnStretch(0, 1)

    def show_case(self, case: Case, now: datetime) -> None:
        words = self._words
        self.title.setText(words.say("casefile.title", number=case.get("number") or NOT_SET))
        urgent = case.get("urgency") == URGENT
        self.urgency.setText("URGENT" if urgent else (case.get("urgency") or "No urgency")
                             .capitalize())
        self.urgency.setProperty("urgent", urgent)
        self.urgency.style().unpolish(self.urgency)  # re-read the style sheet for the property
        self.urgency.style().polish(self.urgency)
        self.status.setCurrentIndex(max(self.status.findData(case.get("status")), 0))
        self.kind.setCurrentIndex(self.kind.findData(case.get("request_type")))
        self.facts.setText(" · ".join(words.facts(case, now)))
