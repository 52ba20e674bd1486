"""The case's referrals and their outcomes."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.cases.changes import (
    Case,
    case_vocabulary,
)
from console.cases.story import Referral, referrals
from console.cases.words import CaseWords
from console.ui.cases.detail.parts import button, chosen_id, fill, row, table
from console.ui.labels import buddy, describe


class ReferralsSection(QWidget):
    """The case's referrals and how each turned out; the selected one's outcome can be set."""

    sig_outcome = Signal(str, str, str)
    """(referral id, outcome, note) to record."""

    def __init__(self, words: CaseWords, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._words = words
        self._referrals: dict[str, Referral] = {}
        self.table = table(("Service", "Referred", "Outcome"), "Referrals",
                           "The services the caller was referred to", stretch=2)
        self.outcome = QComboBox()
        self.outcome.addItem("Choose an outcome…", None)
        for outcome in case_vocabulary().referral_outcomes:
            self.outcome.addItem(outcome.capitalize(), outcome)
        describe(self.outcome, "Referral outcome", "How the selected referral turned out")
        self.note = QLineEdit()
        self.note.setPlaceholderText("Optional: what the caller or the service said")
        describe(self.note, "Outcome note", "A short note about the outcome")
        self.record = button("Recor&d outcome", "Record outcome",
                             "Save the outcome of the selected referral")
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        outcome_label = buddy("Outco&me of the selected referral:", self.outcome)
        layout.addLayout(row(outcome_label, self.outcome, buddy("N&ote:", self.note), self.note,
                             self.record, stretch=self.note))
        self.table.itemSelectionChanged.connect(self._show_selected)
        self.outcome.currentIndexChanged.connect(self._enable)
        self.record.clicked.connect(self._record)

    def show_case(self, case: Case) -> None:
        words, told = self._words, referrals(case)
        self._referrals = {referral.id: referral for referral in told}
        fill(self.table, [(referral.id, (
            referral.service,
            words.say("casefile.created_by", when=words.when(referral.given_at),
                      who=words.who(referral.given_by)),
            words.outcome(referral))) for referral in told])
        self._show_selected()

    def _show_selected(self) -> None:
        referral = self._referrals.get(chosen_id(self.table) or "")
        self.outcome.setCurrentIndex(max(self.outcome.findData(
            referral.outcome if referral else None), 0))
        self.note.setText(referral.outcome_note if referral else "")
        for widget in (self.outcome, self.note):
            widget.setEnabled(referral is not None)
        self._enable()

    def _enable(self) -> None:
        self.record.setEnabled(chosen_id(self.table) is not None
                               and self.outcome.currentData() is not None)

    def _record(self) -> None:
        referral_id, outcome = chosen_id(self.table), self.outcome.currentData()
        if referral_id is not None and outcome is not None:
            self.sig_outcome.emit(referral_id, outcome, self.note.text().strip())
