"""One case in full, for reading it and working it across shifts.

The header says what the case is, how urgent, who has it and when it is due; below it, anything
that waits for the person (a case handed to them, a case in the next shift's queue, two changes
that met) sits above the tabs, so nobody has to look for it. The tabs hold the intake answers,
the case's story by time, its referrals with their outcomes, its follow-up tasks and its notes.

Reads run on the "background" lane and every change on the "writes" lane, in order; after each
change the case is read again, so the screen shows what the store holds, never a guess.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from console.cases.changes import (
    ACCEPTED,
    ANSWER_PREFIX,
    NEXT_SHIFT,
    PENDING,
    RETURNED,
    SUPERSEDED,
    Case,
    case_vocabulary,
    is_answered,
    parse_time,
)
from console.cases.index import is_overdue
from console.cases.store import CaseStore
from console.intake.desk import SUMMARY_FIELD
from console.protocol.calendar import NON_URGENT, URGENT, ServiceChart, clock_text
from console.ui.cases.handoff_dialog import HandoffDialog
from console.ui.cases.services import NOT_SET, CaseServices, answer_text
from console.ui.labels import buddy, describe
from console.ui.taskman import TaskManager

LOAD_KEY = "case-detail"
NO_CASE_MESSAGE = "Choose a case from the list to see it here."
MISSING_CASE_MESSAGE = "This case is not on this workstation (it may not have arrived yet)."
FIELD_NAMES = {"assigned_to": "Assigned to", "status": "Status", "summary": "Summary",
               "urgency": "Urgency", "call_type": "Call type", "due_at": "Due",
               "request_type": "Request type", "related_case": "Related case"}
CUSTOM_DUE = "custom"
CLOSED = "closed"
EARLIEST = datetime.min.replace(tzinfo=UTC)  # where a record without a readable time sorts
ITEM_ID_ROLE = Qt.ItemDataRole.UserRole
NOTE_LINES = 3

log = logging.getLogger(__name__)


# -- the case in words ----------------------------------------------------------------------


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _quoted(text: str | None) -> str:
    return f": “{text.strip()}”" if text and text.strip() else ""


@dataclass(frozen=True)
class CaseWords:
    """Turns a case's records into sentences, naming people as the person signed in reads
    them ("you", "the next shift's queue")."""

    services: CaseServices

    def who(self, name: str | None) -> str:
        return self.services.person(name)

    def when(self, iso: str | None) -> str:
        return self.services.time_text(iso)

    def handoff(self, case: Case, handoff: dict[str, Any]) -> str:
        """What happened to a handoff, in one sentence."""
        sent = self._handoff_sent(handoff)
        state = handoff.get("state", PENDING)
        if state == SUPERSEDED:
            return f"{sent} — not applied: {self._winner(case, handoff)}."
        if state == RETURNED:
            return (f"{sent} — returned by {self.who(handoff.get('acknowledged_by'))} at "
                    f"{self.when(handoff.get('acknowledged_at'))}"
                    f"{_quoted(handoff.get('return_reason'))}.")
        if state == ACCEPTED:
            verb = "taken" if handoff["to_user"] == NEXT_SHIFT else "accepted"
            return (f"{sent} — {verb} by {self.who(handoff.get('acknowledged_by'))} at "
                    f"{self.when(handoff.get('acknowledged_at'))}.")
        if handoff["to_user"] == NEXT_SHIFT:
            return f"{sent}{_quoted(handoff.get('note'))} — anyone on the next shift may take it."
        waiting = (f"waiting for {self.who(handoff['to_user'])} to accept"
                   if handoff["to_user"] != self.services.user
                   else "accept it, or return it with a reason")
        return f"{sent}{_quoted(handoff.get('note'))} — {waiting}."

    def _handoff_sent(self, handoff: dict[str, Any]) -> str:
        return _sentence(f"{self.who(handoff['from_user'])} handed this case to "
                         f"{self.who(handoff['to_user'])} at {self.when(handoff['created_at'])}")

    def _winner(self, case: Case, lost: dict[str, Any]) -> str:
        """Who had handed the case on first, so this handoff could not apply."""
        handoffs = case.get("handoffs", [])
        earlier = handoffs[:handoffs.index(lost)]
        winner = next((h for h in reversed(earlier) if h.get("state") != SUPERSEDED), None)
        if winner is None:
            return "someone else had already taken the case over"
        return (f"{self.who(winner['from_user'])} had already handed it to "
                f"{self.who(winner['to_user'])}")

    def timeline(self, case: Case) -> list[tuple[str, str]]:
        """(ISO time, sentence) for everything that happened to the case, oldest first."""
        events = [(case["created_at"], _sentence(
            f"{self.who(case.get('created_by'))} opened the case ("
            f"{self.services.request_label(case.get('request_type'), case.get('call_type'))})."))]
        events += [(note["created_at"], _sentence(f"{self.who(note['author'])} added a note"
                                                  f"{_quoted(note['text'])}"))
                   for note in case.get("notes", [])]
        for referral in case.get("referrals", []):
            events += self._referral_events(referral)
        for handoff in case.get("handoffs", []):
            events += self._handoff_events(case, handoff)
        for task in case.get("tasks", []):
            events += self._task_events(task)
        events += [(contact["linked_at"], _sentence(
            f"{self.who(contact['linked_by'])} attached a later contact to this case"
            f"{_quoted(contact.get('note'))}")) for contact in case.get("contacts", [])]
        return sorted(events, key=lambda event: parse_time(event[0]) or EARLIEST)

    def _referral_events(self, referral: dict[str, Any]) -> list[tuple[str, str]]:
        name = referral["service_name"]
        events = [(referral["given_at"],
                   _sentence(f"{self.who(referral['given_by'])} referred the caller to {name}."))]
        if referral.get("outcome"):
            events.append((referral["outcome_at"], _sentence(
                f"{self.who(referral.get('outcome_by'))} recorded the referral to {name}: "
                f"{referral['outcome']}{_quoted(referral.get('outcome_note'))}")))
        return events

    def _handoff_events(self, case: Case, handoff: dict[str, Any]) -> list[tuple[str, str]]:
        sent = (self.handoff(case, handoff) if handoff.get("state") == SUPERSEDED
                else f"{self._handoff_sent(handoff)}{_quoted(handoff.get('note'))}.")
        events = [(handoff["created_at"], sent)]
        by = self.who(handoff.get("acknowledged_by"))
        if handoff.get("state") == ACCEPTED:
            taken = ("took the case from the next shift's queue"
                     if handoff["to_user"] == NEXT_SHIFT else "accepted the case")
            events.append((handoff["acknowledged_at"], _sentence(f"{by} {taken}.")))
        elif handoff.get("state") == RETURNED:
            events.append((handoff["acknowledged_at"], _sentence(
                f"{by} returned the case to {self.who(handoff['from_user'])}"
                f"{_quoted(handoff.get('return_reason'))}")))
        return events

    def _task_events(self, task: dict[str, Any]) -> list[tuple[str, str]]:
        due = f" (due {self.when(task['due_at'])})" if task.get("due_at") else ""
        events = [(task["created_at"], _sentence(
            f"{self.who(task['created_by'])} added a follow-up task: {task['text']}{due}."))]
        if task.get("done_at"):
            events.append((task["done_at"], _sentence(
                f"{self.who(task.get('done_by'))} completed the follow-up task: {task['text']}.")))
        return events

    def answers_by_tab(self, case: Case) -> list[tuple[str, list[tuple[str, str]]]]:
        """(tab title, [(field label, answer)]) in protocol order, unanswered fields left out."""
        answers = dict(case.get("answers") or {})
        if answers.get(SUMMARY_FIELD) == case.get("summary"):
            answers.pop(SUMMARY_FIELD)  # shown once, as the case summary
        protocol, groups = self.services.protocol, []
        for tab in protocol.tabs:
            rows = [(spec.label, answer_text(protocol, spec.id, answers[spec.id]))
                    for spec in tab.fields if is_answered(answers.get(spec.id))]
            if rows:
                groups.append((tab.title, rows))
        asked = {spec.id for spec in protocol.fields}
        others = [(name, answer_text(protocol, name, value)) for name, value in answers.items()
                  if name not in asked and is_answered(value)]
        if others:  # asked under an earlier protocol
            groups.append(("Other answers", others))
        return groups

    def field_name(self, name: str) -> str:
        if name.startswith(ANSWER_PREFIX):
            field_id = name.removeprefix(ANSWER_PREFIX)
            try:
                return self.services.protocol.field(field_id).label
            except KeyError:
                return field_id
        return FIELD_NAMES.get(name, name)

    def value(self, name: str, value: Any) -> str:
        """A field's value as the conflict box shows it."""
        if value in (None, ""):
            return "(empty)"
        if name == "assigned_to":
            return self.who(value)
        if name == "due_at":
            return self.when(value)
        if name.startswith(ANSWER_PREFIX):
            return answer_text(self.services.protocol, name.removeprefix(ANSWER_PREFIX), value)
        return str(value)


def _html_rows(rows: Iterable[tuple[str, str]], heading_cell: str = "th") -> str:
    return "".join(f"<tr><{heading_cell} align='left' valign='top' nowrap>{html.escape(left)}"
                   f"</{heading_cell}><td valign='top'>{html.escape(right)}</td></tr>"
                   for left, right in rows)


def overview_html(words: CaseWords, case: Case) -> str:
    summary = (case.get("summary") or "").strip() or "No summary yet."
    parts = [f"<h3>Summary</h3><p>{html.escape(summary).replace(chr(10), '<br>')}</p>"]
    for title, rows in words.answers_by_tab(case):
        parts.append(f"<h3>{html.escape(title)}</h3>"
                     f"<table cellspacing='0' cellpadding='3'>{_html_rows(rows)}</table>")
    if len(parts) == 1:
        parts.append("<p>No intake answers were recorded.</p>")
    return "".join(parts)


def timeline_html(words: CaseWords, case: Case) -> str:
    rows = [(words.when(at), text) for at, text in words.timeline(case)]
    return f"<table cellspacing='0' cellpadding='4'>{_html_rows(rows, 'td')}</table>"


def due_choices(chart: ServiceChart, now: datetime) -> list[tuple[str, str]]:
    """Follow-up due times from the business calendar: (label, ISO UTC time)."""
    next_day = replace(chart, business_days=1).due(NON_URGENT, now).due_at
    in_days = chart.due(NON_URGENT, now).due_at
    return [(f"Next business day — {chart.time_text(next_day)}", next_day.isoformat()),
            (f"In {chart.business_days} business days — {chart.time_text(in_days)}",
             in_days.isoformat())]


# -- small building blocks ------------------------------------------------------------------


def _button(text: str, name: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    describe(button, name, tip)
    return button


def _browser(name: str, tip: str) -> QTextBrowser:
    browser = QTextBrowser()
    browser.setOpenLinks(False)
    browser.setTabChangesFocus(True)
    describe(browser, name, tip)
    return browser


def _table(columns: tuple[str, ...], name: str, tip: str, stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)
    table.setWordWrap(False)  # one line a row; the tooltip holds the whole text
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    describe(table, name, tip)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, tuple[str, ...]]]) -> None:
    """Show (item id, cells) rows, keeping the selected item selected."""
    chosen = _chosen_id(table)
    table.setRowCount(len(rows))
    for number, (item_id, cells) in enumerate(rows):
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(ITEM_ID_ROLE, item_id)
            item.setToolTip(text)
            table.setItem(number, column, item)
    ids = [item_id for item_id, _cells in rows]
    if ids:
        table.selectRow(ids.index(chosen) if chosen in ids else 0)


def _chosen_id(table: QTableWidget) -> str | None:
    item = table.item(table.currentRow(), 0) if table.currentRow() >= 0 else None
    return None if item is None else item.data(ITEM_ID_ROLE)


def _column(*widgets: QWidget, stretch: QWidget | None = None) -> QWidget:
    """Widgets one under another; ``stretch`` takes the spare height (none: it stays below)."""
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget, 1 if widget is stretch else 0)
    if stretch is None:
        layout.addStretch(1)
    return page


def _row(*widgets: QWidget, stretch: QWidget | None = None) -> QHBoxLayout:
    layout = QHBoxLayout()
    for widget in widgets:
        layout.addWidget(widget, 1 if widget is stretch else 0)
    if stretch is None:
        layout.addStretch(1)
    return layout


# -- the header and what waits for the person -----------------------------------------------


class _CaseHeader(QFrame):
    """Number, type, urgency, status (changeable), who has it and when it is due."""

    sig_status = Signal(str)
    """The person chose this status for the case."""

    sig_hand_off = Signal()
    """The person asked to hand the case on."""

    sig_retype = Signal(str)
    """The person chose this request type for the case (a correction of its contact type)."""

    def __init__(self, words: CaseWords, parent: QWidget | None = None) -> None:
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
        self.kind = QComboBox()
        for kind in words.services.protocol.request_types:
            self.kind.addItem(kind.label, kind.id)
        describe(self.kind, "Contact type", "Correct what kind of contact this was (a hang-up "
                 "key pressed for a caller who spoke, say); saved at once, with a note")
        self.kind.activated.connect(lambda _index: self.sig_retype.emit(self.kind.currentData()))
        self.kind.setVisible(words.services.retype is not None)
        self.kind.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.kind.setMinimumContentsLength(12)
        self.hand_off = _button("&Hand off…", "Hand off",
                                "Hand the case to a named person or to the next shift's queue")
        self.hand_off.clicked.connect(self.sig_hand_off)
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
        kind_label.setVisible(self.kind.isVisibleTo(self))
        grid.addWidget(kind_label, 1, 1)
        grid.addWidget(self.kind, 1, 2, 1, 2)
        grid.setColumnStretch(0, 1)

    def show_case(self, case: Case, now: datetime) -> None:
        words = self._words
        kind = words.services.request_label(case.get("request_type"), case.get("call_type"))
        self.title.setText(f"Case {case.get('number') or NOT_SET}")
        urgent = case.get("urgency") == URGENT
        self.urgency.setText("URGENT" if urgent else (case.get("urgency") or "No urgency")
                             .capitalize())
        self.urgency.setProperty("urgent", urgent)
        self.urgency.style().unpolish(self.urgency)  # re-read the style sheet for the property
        self.urgency.style().polish(self.urgency)
        self.status.setCurrentIndex(max(self.status.findData(case.get("status")), 0))
        self.kind.setCurrentIndex(self.kind.findData(case.get("request_type")))
        self.facts.setText(" · ".join((
            kind,
            f"Assigned to {words.who(case.get('assigned_to'))}",
            self._due_text(case, now),
            f"Opened {words.when(case.get('created_at'))} by {words.who(case.get('created_by'))}",
        )))

    def _due_text(self, case: Case, now: datetime) -> str:
        due = parse_time(case.get("due_at"))
        if due is None:
            return "No due time"
        overdue = is_overdue(case.get("status"), case["due_at"], None, now)
        return f"{'OVERDUE — was due' if overdue else 'Due'} {self._words.when(case['due_at'])}"


class _HandoffBanner(QFrame):
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
        self.accept = _button("&Accept", "Accept the handoff", "Take this case on as yours")
        self.give_back = _button("R&eturn…", "Return the handoff",
                                 "Give the case back to whoever handed it, saying why")
        self.take = _button("Ta&ke this case", "Take this case",
                            "Take the case from the next shift's queue; it becomes yours")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why you are returning it (the sender reads this)")
        describe(self.reason, "Reason for returning", "Required: a short, factual reason")
        self.send_back = _button("Send &back", "Send back", "Return the case with this reason")
        self.cancel = _button("Cancel", "Cancel returning", "Keep the handoff as it is")
        self._reason_row = QWidget()
        reason_row = QHBoxLayout(self._reason_row)
        reason_row.setContentsMargins(0, 0, 0, 0)
        for widget in (buddy("Reason:", self.reason), self.reason, self.send_back, self.cancel):
            reason_row.addWidget(widget, 1 if widget is self.reason else 0)
        layout = QVBoxLayout(self)
        layout.addLayout(_row(self.text, self.accept, self.give_back, self.take,
                              stretch=self.text))
        layout.addWidget(self._reason_row)
        self.accept.clicked.connect(lambda: self.sig_accept.emit(self._handoff_id))
        self.take.clicked.connect(lambda: self.sig_accept.emit(self._handoff_id))
        self.give_back.clicked.connect(self._ask_reason)
        self.send_back.clicked.connect(self._send_back)
        self.reason.returnPressed.connect(self._send_back)
        self.cancel.clicked.connect(lambda: self._show_reason(False))

    def show_case(self, case: Case) -> None:
        handoffs = case.get("handoffs") or []
        self._show_reason(False)
        if not handoffs:
            self.hide()
            return
        user = self._words.services.user
        waiting = next((h for h in reversed(handoffs) if h.get("state", PENDING) == PENDING
                        and h["to_user"] in (user, NEXT_SHIFT)
                        and case.get("assigned_to") == h["to_user"]), None)
        shown = waiting or handoffs[-1]
        self._handoff_id = shown["id"]
        self.text.setText(self._words.handoff(case, shown))
        for_me = waiting is not None and waiting["to_user"] == user
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


class _ConflictsBox(QFrame):
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
            row = self._layout.takeAt(0).widget()
            row.hide()
            row.deleteLater()
        self.buttons = []
        for conflict in conflicts:
            self._layout.addWidget(self._conflict_row(conflict))
        self.setVisible(bool(conflicts))

    def _conflict_row(self, conflict: dict[str, Any]) -> QWidget:
        words, name = self._words, conflict["field"]
        field = words.field_name(name)
        text = QLabel(f"{field}: your change met someone else's.\n"
                      f"Kept (theirs reached the server first): "
                      f"“{words.value(name, conflict['server_value'])}”\n"
                      f"Yours: “{words.value(name, conflict['client_value'])}”")
        text.setObjectName("missing")
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setWordWrap(True)
        text.setAccessibleName(f"Conflict on {field}")
        theirs = _button("Keep theirs", f"Keep theirs: {field}",
                         "Keep the value that reached the server first")
        mine = _button("Keep mine", f"Keep mine: {field}", "Replace it with your value")
        theirs.clicked.connect(lambda: self.sig_keep.emit(conflict["id"],
                                                          conflict["server_value"]))
        mine.clicked.connect(lambda: self.sig_keep.emit(conflict["id"], conflict["client_value"]))
        self.buttons += [theirs, mine]
        row = QWidget()
        row.setLayout(_row(text, theirs, mine, stretch=text))
        row.layout().setContentsMargins(0, 0, 0, 0)
        return row


# -- the sections under the tabs -------------------------------------------------------------


class _ReferralsSection(QWidget):
    """The case's referrals and how each turned out; the selected one's outcome can be set."""

    sig_outcome = Signal(str, str, str)
    """(referral id, outcome, note) to record."""

    def __init__(self, words: CaseWords, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._words = words
        self._referrals: dict[str, dict[str, Any]] = {}
        self.table = _table(("Service", "Referred", "Outcome"), "Referrals",
                            "The services the caller was referred to", stretch=2)
        self.outcome = QComboBox()
        self.outcome.addItem("Choose an outcome…", None)
        for outcome in case_vocabulary().referral_outcomes:
            self.outcome.addItem(outcome.capitalize(), outcome)
        describe(self.outcome, "Referral outcome", "How the selected referral turned out")
        self.note = QLineEdit()
        self.note.setPlaceholderText("Optional: what the caller or the service said")
        describe(self.note, "Outcome note", "A short note about the outcome")
        self.record = _button("Recor&d outcome", "Record outcome",
                              "Save the outcome of the selected referral")
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        outcome_label = buddy("Outco&me of the selected referral:", self.outcome)
        layout.addLayout(_row(outcome_label, self.outcome, buddy("N&ote:", self.note), self.note,
                              self.record, stretch=self.note))
        self.table.itemSelectionChanged.connect(self._show_selected)
        self.outcome.currentIndexChanged.connect(self._enable)
        self.record.clicked.connect(self._record)

    def show_case(self, case: Case) -> None:
        words = self._words
        referrals = case.get("referrals") or []
        self._referrals = {referral["id"]: referral for referral in referrals}
        _fill(self.table, [(referral["id"], (
            referral["service_name"],
            f"{words.when(referral['given_at'])} by {words.who(referral['given_by'])}",
            self._outcome_text(referral))) for referral in referrals])
        self._show_selected()

    def _outcome_text(self, referral: dict[str, Any]) -> str:
        if not referral.get("outcome"):
            return "Not recorded yet"
        note = f" — {referral['outcome_note']}" if referral.get("outcome_note") else ""
        words = self._words
        return (f"{referral['outcome'].capitalize()}{note} ({words.who(referral['outcome_by'])}, "
                f"{words.when(referral['outcome_at'])})")

    def _show_selected(self) -> None:
        referral = self._referrals.get(_chosen_id(self.table) or "")
        self.outcome.setCurrentIndex(max(self.outcome.findData(
            referral.get("outcome") if referral else None), 0))
        self.note.setText(referral.get("outcome_note", "") if referral else "")
        for widget in (self.outcome, self.note):
            widget.setEnabled(referral is not None)
        self._enable()

    def _enable(self) -> None:
        self.record.setEnabled(_chosen_id(self.table) is not None
                               and self.outcome.currentData() is not None)

    def _record(self) -> None:
        referral_id, outcome = _chosen_id(self.table), self.outcome.currentData()
        if referral_id is not None and outcome is not None:
            self.sig_outcome.emit(referral_id, outcome, self.note.text().strip())


class _TasksSection(QWidget):
    """Follow-up tasks: what to do and by when; add one, mark one done."""

    sig_add = Signal(str, object)
    """(task text, ISO UTC due time or None) to add."""

    sig_done = Signal(str)
    """The id of the task to mark done."""

    sig_problem = Signal(str)
    """Something the person must fix before the task can be added."""

    def __init__(self, words: CaseWords, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._words = words
        self._open_ids: set[str] = set()
        self.table = _table(("Task", "Due", "Done"), "Follow-up tasks",
                            "The case's follow-up tasks", stretch=0)
        self.done = _button("Mark &done", "Mark done", "Mark the selected task as done")
        self.text = QLineEdit()
        self.text.setPlaceholderText("What to do, e.g. call the caller back on the safe number")
        self.text.setMaxLength(case_vocabulary().limits["short_text"])
        describe(self.text, "New task", "What needs doing next on this case")
        self.due = QComboBox()
        describe(self.due, "Task due", "When the task is due, on the hotline's business calendar")
        self.custom = QDateTimeEdit()
        self.custom.setCalendarPopup(True)
        self.custom.setDisplayFormat("ddd d MMM yyyy, h:mm AP")
        describe(self.custom, "Custom due time", "The due date and time on the hotline's clock")
        self.add = _button("Add ta&sk", "Add task", "Add this follow-up task to the case")
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(_row(self.done))
        layout.addLayout(_row(buddy("Ne&w task:", self.text), self.text, stretch=self.text))
        layout.addLayout(_row(buddy("Due b&y:", self.due), self.due, self.custom,
                              QLabel("hotline time"), self.add))
        self.table.itemSelectionChanged.connect(self._enable)
        self.due.currentIndexChanged.connect(self._enable)
        self.text.textChanged.connect(self._enable)
        self.text.returnPressed.connect(self._add)
        self.done.clicked.connect(self._mark_done)
        self.add.clicked.connect(self._add)

    def show_case(self, case: Case, now: datetime) -> None:
        tasks = case.get("tasks") or []
        self._open_ids = {task["id"] for task in tasks if not task.get("done_at")}
        _fill(self.table, [(task["id"], (task["text"], self._words.when(task.get("due_at")),
                                         self._done_text(task, now))) for task in tasks])
        self._offer_due_times(now)
        self._enable()

    def _done_text(self, task: dict[str, Any], now: datetime) -> str:
        if task.get("done_at"):
            words = self._words
            return f"Done by {words.who(task.get('done_by'))}, {words.when(task['done_at'])}"
        due = parse_time(task.get("due_at"))
        return "OVERDUE — not done" if due is not None and due < now else "Not done yet"

    def _offer_due_times(self, now: datetime) -> None:
        chart = self._words.services.protocol.service_chart
        chosen = self.due.currentIndex()
        self.due.clear()
        for label, due_at in due_choices(chart, now):
            self.due.addItem(label, due_at)
        self.due.addItem("A date and time of my choosing", CUSTOM_DUE)
        self.due.addItem("No set time", None)
        self.due.setCurrentIndex(max(chosen, 0))
        if self.due.currentData() != CUSTOM_DUE:
            local = chart.hotline_time(now + timedelta(days=1)).replace(second=0, microsecond=0)
            self.custom.setDateTime(local.replace(tzinfo=None))

    def _enable(self) -> None:
        chosen = _chosen_id(self.table)
        self.done.setEnabled(chosen in self._open_ids)
        self.custom.setEnabled(self.due.currentData() == CUSTOM_DUE)
        self.add.setEnabled(bool(self.text.text().strip()))

    def _mark_done(self) -> None:
        chosen = _chosen_id(self.table)
        if chosen in self._open_ids:
            self.sig_done.emit(chosen)

    def due_at(self, now: datetime) -> str | None:
        """The chosen due time as ISO UTC text (a custom one is read on the hotline's clock)."""
        chosen = self.due.currentData()
        if chosen != CUSTOM_DUE:
            return chosen
        chart = self._words.services.protocol.service_chart
        local = self.custom.dateTime().toPython().replace(tzinfo=chart.zone)
        if local <= now:
            raise ValueError(f"{clock_text(local)} has already passed; choose a later time.")
        return local.astimezone(UTC).isoformat()

    def _add(self) -> None:
        text = self.text.text().strip()
        if not text:
            return
        try:
            due_at = self.due_at(self._words.services.clock())
        except ValueError as problem:
            self.sig_problem.emit(str(problem))
            return
        self.sig_add.emit(text, due_at)


class _NotesSection(QWidget):
    """The case's notes, newest first, and a box to write one."""

    sig_add = Signal(str)
    """The text of a note to add."""

    def __init__(self, words: CaseWords, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._words = words
        self.notes = _browser("Notes", "The case's notes, newest first")
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText("Short facts: what happened, what was agreed, what is next")
        self.text.setFixedHeight(self.text.fontMetrics().lineSpacing() * NOTE_LINES + 16)
        describe(self.text, "New note", "Write a note for the case; Save note adds it")
        self.save = _button("Sa&ve note", "Save note", "Add the note to the case")
        layout = QVBoxLayout(self)
        layout.addWidget(self.notes, 1)
        layout.addWidget(buddy("&Write a note:", self.text))
        layout.addWidget(self.text)
        layout.addLayout(_row(self.save))
        self.text.textChanged.connect(
            lambda: self.save.setEnabled(bool(self.text.toPlainText().strip())))
        self.save.clicked.connect(self._save)
        self.save.setEnabled(False)

    def show_case(self, case: Case) -> None:
        words = self._words
        notes = sorted(case.get("notes") or [], key=lambda n: n["created_at"], reverse=True)
        if not notes:
            self.notes.setHtml("<p>No notes yet.</p>")
            return
        self.notes.setHtml("".join(
            f"<p><b>{html.escape(_sentence(words.who(note['author'])))}, "
            f"{html.escape(words.when(note['created_at']))}</b><br>"
            f"{html.escape(note['text']).replace(chr(10), '<br>')}</p>" for note in notes))

    def _save(self) -> None:
        text = self.text.toPlainText().strip()
        if text:
            self.sig_add.emit(text)


# -- the panel ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Loaded:
    case: Case | None
    conflicts: list[dict[str, Any]]


class CaseDetail(QWidget):
    """Shows one case (``show_case``) and makes the changes the person asks for."""

    sig_changed = Signal(str)
    """A change to the case with this id was stored (lists showing it may be out of date)."""

    sig_shown = Signal(str)
    """The case with this id is on screen, freshly read (after opening it or a change)."""

    def __init__(self, services: CaseServices, tasks: TaskManager,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services, self._tasks = services, tasks
        self._words = CaseWords(services)
        self._case: Case | None = None
        self._case_id: str | None = None
        self._handoff_dialog: HandoffDialog | None = None
        self._build()
        self._connect()

    # -- public -----------------------------------------------------------------------------

    @property
    def case_id(self) -> str | None:
        """The case on screen, if any."""
        return self._case_id

    def show_case(self, case_id: str) -> None:
        """Open a case: read it off the GUI thread and note the view in the audit log."""
        if case_id != self._case_id:
            self.problem.hide()
            for typed in (self.follow_up.text, self.notes.text):
                typed.clear()  # words meant for the case shown before
        self._case_id = case_id
        record = self._services.record_audit
        self._tasks.run(lambda: record("case.view", case_id, ""), lane="writes",
                        on_error=lambda error: log.error("could not record a case view",
                                                         exc_info=error))
        self._load()

    @Slot()
    def reload(self) -> None:
        """Read the case on screen again (after a sync, say); not a new view for the audit."""
        self._load()

    def open_handoff(self) -> HandoffDialog | None:
        """Open the handoff dialog for the case on screen (window-modal; returns at once)."""
        if self._case is None:
            return None
        if self._handoff_dialog is not None:
            # Kept until now, not deleted on closing: the people it offers may still be on
            # their way back from the background lane.
            self._handoff_dialog.deleteLater()
        dialog = self._handoff_dialog = HandoffDialog(self._services, self._tasks, self._case,
                                                      self)
        case_id = self._case["id"]
        dialog.sig_handed_off.connect(lambda _case: self._stored(case_id))
        dialog.open()
        return dialog

    # -- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        words = self._words
        self.header = _CaseHeader(words)
        self.handoff_banner = _HandoffBanner(words)
        self.conflicts = _ConflictsBox(words)
        self.problem = QLabel()
        self.problem.setObjectName("fieldWarning")
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setAccessibleName("Problem")
        self.problem.hide()
        self.overview = _browser("Case answers", "The summary and the intake answers")
        self.timeline = _browser("Timeline", "Everything that happened to the case, by time")
        self.referrals = _ReferralsSection(words)
        self.follow_up = _TasksSection(words)
        self.notes = _NotesSection(words)
        self.tabs = QTabWidget()
        for page, title in ((self.overview, "&Overview"), (self.timeline, "T&imeline"),
                            (self.referrals, "Re&ferrals"), (self.follow_up, "Follow-u&p tasks"),
                            (self.notes, "&Notes")):
            self.tabs.addTab(page, title)
        # The tab widget hands its focus to its tab bar; left in the Tab chain it would send
        # Tab from the last section back to the tab bar instead of on to the next control.
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        describe(self.tabs.tabBar(), "Case sections",
                 "Overview, timeline, referrals, follow-up tasks and notes; "
                 "Ctrl+Tab moves between them")
        self._empty = QLabel(NO_CASE_MESSAGE)
        self._empty.setObjectName("notice")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self._empty.setWordWrap(True)
        self._empty.setAccessibleName("No case")
        self._pages = QStackedWidget()
        self._pages.addWidget(_column(self._empty))
        self._pages.addWidget(_column(self.header, self.handoff_banner, self.conflicts,
                                      self.problem, self.tabs, stretch=self.tabs))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._pages)
        self._set_tab_order()

    def _set_tab_order(self) -> None:
        header, banner, referrals = self.header, self.handoff_banner, self.referrals
        tasks, notes = self.follow_up, self.notes
        chain = (header.status, header.hand_off, header.kind, banner.accept, banner.give_back,
                 banner.take, banner.reason, banner.send_back, banner.cancel, self.tabs.tabBar(),
                 self.overview, self.timeline, referrals.table, referrals.outcome,
                 referrals.note, referrals.record, tasks.table, tasks.done, tasks.text, tasks.due,
                 tasks.custom, tasks.add, notes.notes, notes.text, notes.save)
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _connect(self) -> None:
        header, banner = self.header, self.handoff_banner
        header.sig_status.connect(lambda status: self._change(
            "change the status", lambda cases, case_id: cases.edit(case_id, status=status)))
        header.sig_hand_off.connect(self.open_handoff)
        header.sig_retype.connect(lambda kind: self._change(
            "change the contact type",
            lambda _cases, case_id: self._services.retype and self._services.retype(
                case_id, kind)))
        banner.sig_accept.connect(lambda handoff_id: self._change(
            "accept the case",
            lambda cases, case_id: cases.acknowledge_handoff(case_id, handoff_id)))
        banner.sig_return.connect(lambda handoff_id, reason: self._change(
            "return the case",
            lambda cases, case_id: cases.return_handoff(case_id, handoff_id, reason)))
        self.conflicts.sig_keep.connect(lambda conflict_id, value: self._change(
            "settle the conflict", lambda cases, _case_id: cases.resolve_conflict(
                conflict_id, value)))
        self.referrals.sig_outcome.connect(lambda referral_id, outcome, note: self._change(
            "record the outcome", lambda cases, case_id: cases.record_outcome(
                case_id, referral_id, outcome, note)))
        self.follow_up.sig_add.connect(lambda text, due_at: self._change(
            "add the task", lambda cases, case_id: cases.add_task(case_id, text, due_at),
            self.follow_up.text.clear))
        self.follow_up.sig_done.connect(lambda task_id: self._change(
            "mark the task done", lambda cases, case_id: cases.complete_task(case_id, task_id)))
        self.follow_up.sig_problem.connect(self._show_problem)
        self.notes.sig_add.connect(lambda text: self._change(
            "save the note", lambda cases, case_id: cases.add_note(case_id, text),
            self.notes.text.clear))

    # -- reading ----------------------------------------------------------------------------

    def _load(self) -> None:
        case_id, cases = self._case_id, self._services.cases
        if case_id is None:
            return
        self._tasks.run_latest(LOAD_KEY, lambda: _Loaded(cases.get(case_id),
                                                         cases.conflicts(case_id)),
                               lambda loaded: self._show(case_id, loaded),
                               lambda error: self._show_problem(
                                   f"The case could not be read just now: {error}"),
                               lane="background")

    def _show(self, case_id: str, loaded: _Loaded) -> None:
        if case_id != self._case_id:
            return
        self._case = loaded.case
        if loaded.case is None:
            self._empty.setText(MISSING_CASE_MESSAGE)
            self._pages.setCurrentIndex(0)
            return
        now = self._services.clock()
        case = loaded.case
        self.header.show_case(case, now)
        self.handoff_banner.show_case(case)
        self.conflicts.show_conflicts(loaded.conflicts)
        for first, second in pairwise((self.handoff_banner.cancel, *self.conflicts.buttons,
                                       self.tabs.tabBar())):
            QWidget.setTabOrder(first, second)
        self.overview.setHtml(overview_html(self._words, case))
        self.timeline.setHtml(timeline_html(self._words, case))
        self.referrals.show_case(case)
        self.follow_up.show_case(case, now)
        self.notes.show_case(case)
        self._pages.setCurrentIndex(1)
        self.sig_shown.emit(case_id)

    # -- changing ---------------------------------------------------------------------------

    def _change(self, doing: str, change: Callable[[CaseStore, str], object],
                then: Callable[[], None] | None = None) -> None:
        """Make ``change`` on the "writes" lane; once stored, ``then`` (e.g. clear what was
        typed: kept until then, so a failed save loses nothing), read the case again, say so."""
        case_id, cases = self._case_id, self._services.cases
        if case_id is None:
            return
        self.problem.hide()

        def stored(_case: object) -> None:
            if then is not None and case_id == self._case_id:
                then()
            self._stored(case_id)

        self._tasks.run(lambda: change(cases, case_id), stored,
                        lambda error: self._failed(doing, error), lane="writes")

    def _stored(self, case_id: str) -> None:
        self.sig_changed.emit(case_id)
        if case_id == self._case_id:
            self._load()

    def _failed(self, doing: str, error: Exception) -> None:
        log.warning("could not %s", doing, exc_info=error)
        self._show_problem(f"Could not {doing}: {error}")
        self._load()  # show what the store holds, not what was hoped for

    @Slot(str)
    def _show_problem(self, text: str) -> None:
        self.problem.setText(f"⚠ {text}")
        self.problem.show()
