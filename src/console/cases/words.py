"""A case's story in words: the one place that says what the case and its records mean.

The case detail on screen and the printed case file both read the facts of ``console.cases.story``
and say them through ``CaseWords``, so a handoff, a task or an overdue case is told alike on
screen and on paper. The phrases are the hotline's translations (``resources/translations``):
the screen reads them in English and names the person signed in "you"; a printout names everyone
and is in the language chosen for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.cases.changes import (
    ANSWER_PREFIX,
    NEXT_SHIFT,
    SUMMARY_FIELD,
    Case,
    is_answered,
    parse_time,
)
from console.cases.story import (
    Event,
    EventKind,
    Handoff,
    HandoffState,
    Referral,
    Task,
    case_overdue,
    case_owed_at,
    timeline,
)
from console.protocol import Protocol
from console.protocol.engine import answer_in_words

NOT_SET = "—"
# The case's own fields by their phrase, as a conflict on one of them is told.
FIELD_PHRASES = {"assigned_to": "casefile.assigned_to", "status": "casefile.status",
                 "summary": "casefile.summary", "urgency": "casefile.urgency",
                 "call_type": "casefile.call_type", "due_at": "casefile.due",
                 "request_type": "casefile.request_type", "related_case": "casefile.related_case"}


def _state_name(_code: str, name: str) -> str:
    return name


@dataclass(frozen=True)
class CaseWords:
    """A case's facts as sentences, for one reader: ``moment`` says an instant, ``viewer`` is
    the person reading (named "you"; None on paper), ``state`` says a US state answer, and
    ``capitalize`` starts every sentence with a capital (on paper user names stay as they are
    spelled)."""

    protocol: Protocol
    phrases: Mapping[str, str]
    moment: Callable[[datetime], str]
    viewer: str | None = None
    state: Callable[[str, str], str] = _state_name
    capitalize: bool = False

    # -- the parts of a sentence -------------------------------------------------------------

    def say(self, key: str, **values: str) -> str:
        """The phrase ``key`` with ``values`` put in."""
        text = self.phrases[key].format(**values)
        return text[:1].upper() + text[1:] if self.capitalize else text

    def who(self, name: str | None) -> str:
        if not name:
            return self.phrases["casefile.nobody"]
        if name == NEXT_SHIFT:
            return self.phrases["casefile.queue"]
        return self.phrases["case.you"] if name == self.viewer else name

    def when(self, iso: str | None) -> str:
        at = parse_time(iso)
        return self.moment(at) if at else NOT_SET

    def term(self, value: str | None) -> str:
        """A stored value from the case vocabulary (urgency, status, outcome…) in words."""
        if not value:
            return NOT_SET
        return self.phrases.get(f"term.{value}", value)

    def quoted(self, text: str | None) -> str:
        return self.say("casefile.quote", text=text.strip()) if text and text.strip() else ""

    def request(self, case: Case) -> str:
        """What the case is: its request type's label, else its call type."""
        request_type = case.get("request_type")
        if request_type:
            try:
                return self.protocol.request_type(request_type).label
            except KeyError:
                return request_type
        return self.term(case.get("call_type"))

    # -- the case's facts --------------------------------------------------------------------

    def due(self, case: Case, now: datetime) -> str:
        """When work is next owed on the case, saying so when it is late."""
        owed = case_owed_at(case)
        if owed is None:
            return self.say("case.no_due")
        key = "case.overdue" if case_overdue(case, now) else "case.due"
        return self.say(key, when=self.when(owed))

    def facts(self, case: Case, now: datetime) -> list[str]:
        """What the case is, who has it, when work is owed, who opened it and when."""
        opened = self.say("case.opened", when=self.when(case.get("created_at")),
                          who=self.who(case.get("created_by")))
        assigned = self.say("case.assigned", who=self.who(case.get("assigned_to")))
        return [self.request(case), assigned, self.due(case, now), opened]

    def overview(self, case: Case) -> list[tuple[str, str]]:
        """The case's header facts as label/value pairs (the printout's first table)."""
        say, phrases = self.say, self.phrases
        return [
            (phrases["casefile.request_type"], self.request(case)),
            (phrases["casefile.call_type"], self.term(case.get("call_type"))),
            (phrases["casefile.urgency"], self.term(case.get("urgency"))),
            (phrases["casefile.status"], self.term(case.get("status"))),
            (phrases["casefile.assigned_to"], self.who(case.get("assigned_to"))),
            (phrases["casefile.due"], self.when(case.get("due_at"))),
            (phrases["casefile.created"], say("casefile.created_by",
                                              when=self.when(case.get("created_at")),
                                              who=self.who(case.get("created_by")))),
            (phrases["casefile.updated"], self.when(case.get("updated_at"))),
            (phrases["casefile.protocol"], case.get("protocol") or NOT_SET),
        ]

    def answer(self, field_id: str, value: Any) -> str:
        return answer_in_words(self.protocol, field_id, value, self.phrases["term.yes"],
                               self.phrases["term.no"], self.state)

    def answers_by_tab(self, case: Case) -> list[tuple[str, list[tuple[str, str]]]]:
        """(tab title, [(label, answer)]) in protocol order, unanswered fields left out, personal
        ones marked; the summary answer is left out when it is the case's summary."""
        answers = dict(case.get("answers") or {})
        if answers.get(SUMMARY_FIELD) == case.get("summary"):
            answers.pop(SUMMARY_FIELD, None)
        groups = []
        for tab in self.protocol.tabs:
            rows = [(self.say("casefile.personal", label=spec.label) if spec.personal
                     else spec.label, self.answer(spec.id, answers[spec.id]))
                    for spec in tab.fields if is_answered(answers.get(spec.id))]
            if rows:
                groups.append((tab.title, rows))
        asked = {spec.id for spec in self.protocol.fields}
        others = [(name, self.answer(name, value)) for name, value in answers.items()
                  if name not in asked and is_answered(value)]
        if others:  # asked under an earlier protocol
            groups.append((self.phrases["casefile.other_answers"], others))
        return groups

    def field_name(self, name: str) -> str:
        """A case field, or an intake answer, by the name people know it by."""
        if name.startswith(ANSWER_PREFIX):
            field_id = name.removeprefix(ANSWER_PREFIX)
            try:
                return self.protocol.field(field_id).label
            except KeyError:
                return field_id
        return self.phrases[FIELD_PHRASES[name]] if name in FIELD_PHRASES else name

    def value(self, name: str, value: Any) -> str:
        """A field's value as a conflict over it is told."""
        if value in (None, ""):
            return self.phrases["case.empty"]
        if name == "assigned_to":
            return self.who(value)
        if name == "due_at":
            return self.when(value)
        if name.startswith(ANSWER_PREFIX):
            return self.answer(name.removeprefix(ANSWER_PREFIX), value)
        return str(value)

    # -- records -----------------------------------------------------------------------------

    def outcome(self, referral: Referral) -> str:
        """How a referral turned out, with who recorded it and when."""
        if not referral.outcome:
            return self.say("case.outcome.none")
        note = referral.outcome_note
        return self.say("case.outcome", outcome=self.term(referral.outcome),
                        note=self.say("case.outcome.note", note=note) if note else "",
                        who=self.who(referral.outcome_by), when=self.when(referral.outcome_at))

    def task_state(self, task: Task, now: datetime) -> str:
        if task.done:
            return self.say("case.task.done", who=self.who(task.done_by),
                            when=self.when(task.done_at))
        return self.say("case.task.overdue" if task.overdue(now) else "case.task.open")

    def handoff(self, handoff: Handoff) -> str:
        """Where a handoff stands, in one sentence, for the person reading."""
        sent = self.say("case.handoff.sent", who=self.who(handoff.from_user),
                        to=self.who(handoff.to_user), when=self.when(handoff.created_at),
                        note=self.quoted(handoff.note))
        by, at = self.who(handoff.answered_by), self.when(handoff.answered_at)
        match handoff.state:
            case HandoffState.PENDING if handoff.to_queue:
                status = self.phrases["case.handoff.queue"]
            case HandoffState.PENDING if handoff.to_user == self.viewer:
                status = self.phrases["case.handoff.yours"]
            case HandoffState.PENDING:
                status = self.phrases["case.handoff.pending"].format(to=self.who(handoff.to_user))
            case HandoffState.ACCEPTED:
                key = "case.handoff.taken" if handoff.to_queue else "case.handoff.accepted"
                status = self.phrases[key].format(by=by, when=at)
            case HandoffState.RETURNED:
                status = self.phrases["case.handoff.returned"].format(
                    by=by, when=at, reason=self.quoted(handoff.return_reason))
            case HandoffState.LOST:
                status = self.phrases["case.handoff.lost"].format(holder=self.who(handoff.holder))
            case HandoffState.OVERTAKEN if handoff.overtaken_by is not None:
                later = handoff.overtaken_by
                status = self.phrases["case.handoff.overtaken"].format(
                    who=self.who(later.from_user), to=self.who(later.to_user),
                    when=self.when(later.created_at))
            case _:
                status = self.phrases["case.handoff.overtaken_later"]
        return sent + status

    def event(self, event: Event, request: str) -> str:
        """One event of the timeline as a sentence (``request``: what the case is)."""
        who = self.who(event.who)
        match event.kind:
            case EventKind.OPENED:  # as what it was opened, whatever it was corrected to since
                return self.say("casefile.event.created", who=who, request=event.text or request)
            case EventKind.NOTE:
                return self.say("casefile.event.note", who=who, text=event.text)
            case EventKind.REFERRAL:
                return self.say("casefile.event.referral", who=who, service=event.service)
            case EventKind.OUTCOME:
                return self.say("casefile.event.outcome", who=who, service=event.service,
                                outcome=self.term(event.outcome), note=self.quoted(event.text))
            case EventKind.HANDED_OFF:
                assert event.handoff is not None
                return self._handed_off(event.handoff)
            case EventKind.ACCEPTED | EventKind.TAKEN:
                return self.say(f"casefile.event.{event.kind}", who=who)
            case EventKind.RETURNED:
                assert event.handoff is not None
                return self.say("casefile.event.returned", who=who,
                                to=self.who(event.handoff.from_user),
                                reason=self.quoted(event.handoff.return_reason))
            case EventKind.TASK:
                assert event.task is not None
                due = (self.say("casefile.task.due", due=self.when(event.task.due_at))
                       if event.task.due_at else "")
                return self.say("casefile.event.task", who=who, text=event.task.text, due=due)
            case EventKind.TASK_DONE:
                assert event.task is not None
                return self.say("casefile.event.task_done", who=who, text=event.task.text)
            case EventKind.CONTACT:
                return self.say("casefile.event.contact", who=who, note=self.quoted(event.text))

    def timeline(self, case: Case) -> list[tuple[str, str]]:
        """(time in words, sentence) for everything that happened to the case, oldest first."""
        request = self.request(case)
        return [(self.moment(event.at) if event.at else NOT_SET, self.event(event, request))
                for event in timeline(case)]

    def _handed_off(self, handoff: Handoff) -> str:
        sent = self.say("casefile.event.handoff", who=self.who(handoff.from_user),
                        to=self.who(handoff.to_user), note=self.quoted(handoff.note))
        match handoff.state:
            case HandoffState.PENDING:
                return f"{sent} {self.say('casefile.handoff.pending')}"
            case HandoffState.LOST:
                holder = self.who(handoff.holder)
                return f"{sent} {self.say('casefile.handoff.lost', holder=holder)}"
            case HandoffState.OVERTAKEN if handoff.overtaken_by is not None:
                later = handoff.overtaken_by
                return f"{sent} " + self.say("casefile.handoff.overtaken",
                                             who=self.who(later.from_user),
                                             to=self.who(later.to_user))
            case HandoffState.OVERTAKEN:
                return f"{sent} {self.say('casefile.handoff.overtaken_later')}"
        return sent
