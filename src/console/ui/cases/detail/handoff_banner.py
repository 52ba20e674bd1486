"""The latest handoff in words, and the answers it waits for from the person signed in."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.cases.changes import (
    Case,
)
from console.cases.story import handoffs, waiting_for
from console.cases.words import CaseWords
from console.ui.cases.detail.parts import button, row
from console.ui.labels import buddy, describe


class HandoffBanner(QFrame):
    """The latest handoff in words, with Accept / Return or Take when it waits for this person."""

    sig_accept = Signal(str)
    """Accept (or take from the queue) the handoff with this id."""

    sig_return = Signal(str, str)
    """Return the handoff with this id, for this reason."""

    def __init__(self, words: CaseWords, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._words = words
        self._handoff_id = ""
        self.text = QLabel()
        self.text.setObjectName("notice")
        self.text.setTextFormat(Qt.TextFormat.PlainText)  # it quotes what people wrote
        self.text.setWordWrap(True)
        self.text.setAccessibleName("Handoff")
        self.accept = button("&Accept", "Accept the handoff", "Take this case on as yours")
        self.give_back = button("R&eturn…", "Return the handoff",
                                "Give the case back to whoever handed it, saying why")
        self.take = button("Ta&ke this case", "Take this case",
                           "Take the case from the next shift's queue; it becomes yours")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why you are returning it (the sender reads this)")
        describe(self.reason, "Reason for returning", "Required: a short, factual reason")
        self.send_back = button("Send &back", "Send back", "Return the case with this reason")
        self.cancel = button("Cancel", "Cancel returning", "Keep the handoff as it is")
        self._reason_row = QWidget()
        reason_row = QHBoxLayout(self._reason_row)
        reason_row.setContentsMargins(0, 0, 0, 0)
        for widget in (buddy("Reason:", self.reason), self.reason, self.send_back, self.cancel):
            reason_row.addWidget(widget, 1 if widget is self.reason else 0)
        layout = QVBoxLayout(self)
        layout.addLayout(row(self.text, self.accept, self.give_back, self.take,
                             stretch=self.text))
        layout.addWidget(self._reason_row)
        self.accept.clicked.connect(lambda: self.sig_accept.emit(self._handoff_id))
        self.take.clicked.connect(lambda: self.sig_accept.emit(self._handoff_id))
        self.give_back.clicked.connect(self._ask_reason)
        self.send_back.clicked.connect(self._send_back)
        self.reason.returnPressed.connect(self._send_back)
        self.cancel.clicked.connect(lambda: self._show_reason(False))

    def show_case(self, case: Case) -> None:
        told = handoffs(case)
        self._show_reason(False)
        if not told:
            self.hide()
            return
        user = self._words.viewer
        waiting = waiting_for(case, user) if user else None
        shown = waiting or told[-1]
        self._handoff_id = shown.id
        self.text.setText(self._words.handoff(shown))
        for_me = waiting is not None and waiting.to_user == user
        self.accept.setVisible(for_me)
        self.give_back.setVisible(for_me)
        self.take.setVisible(waiting is not None and not for_me)
        self.show()

    def _ask_reason(self) -> None:
        self._show_reason(True)
        self.reason.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_reason(self, shown: bool) -> None:
        self.reason.clear()
        self._reason_row.setVisible(shown)

    def _send_back(self) -> None:
        reason = self.reason.text().strip()
        if not reason:
            self.reason.setPlaceholderText("A reason is needed to return a case")
            self.reason.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.sig_return.emit(self._handoff_id, reason)
        self._show_reason(False)
