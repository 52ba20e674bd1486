"""One call from triage to its last note, saved as it happens and recoverable after a crash.

``CallDesk`` turns a specialist's triage choice into a case at once (so even a call that drops
after ten seconds is on record), stores every answer as an edit of that case, recomputes urgency
and the due time from the protocol with each save, and remembers where the specialist was (tab
and field) so a console killed mid-call reopens the call exactly there. It never imports Qt: the
window calls it through the task helper, and tests call it directly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from console.cases.changes import SUMMARY_FIELD, Case
from console.cases.store import CaseStore, UnknownCase
from console.cases.story import ALERT_NOTE, RETYPE_NOTE, alerts
from console.protocol import Answers, Evaluation, Protocol, effective_urgency, evaluate
from console.protocol.calendar import EMAIL_CHANNEL, Due

OPEN_CALL_KEY = "open_call"
URGENT, NON_URGENT = "urgent", "non-urgent"
NO_FOLLOW_UP = "none"
HELP_NOW = "The specialist asked for help now"
REFERRAL_GIVEN = "referral-given"
MANDATED_TASK = "Mandated step not done on the call: {step}"
MANDATED_NOTE = "Finished with mandated steps outstanding: {steps}"
SUPERVISOR_STEP = ("mandatory_reporting", "shift-supervisor")  # (checklist, step)
SUPERVISOR_QUESTION = ("supervisor_notified", "yes")  # (question, the answer that matches)
OPEN, AWAITING_FOLLOW_UP, REFERRED = "open", "awaiting follow-up", "referred"
CLOSED = "closed"


@dataclass(frozen=True)
class Position:
    """Where the specialist was in the form."""

    tab_id: str
    field_id: str | None = None


@dataclass
class Call:
    """The call on screen: its case, the answers so far and what the protocol makes of them."""

    case_id: str
    request_type: str
    started_at: datetime
    answers: Answers = field(default_factory=dict)
    raised_urgency: str | None = None  # the specialist's choice; never below the computed one
    position: Position | None = None
    recovered: bool = False  # reopened after the console closed in the middle of it
    number: str = ""  # the case number people read out, known from the first second

    def copy(self) -> Call:
        return replace(self, answers=dict(self.answers))


def follow_supervisor_link(answers: Answers, changed: str) -> dict[str, Any]:
    """The reporting checklist's "notify the shift supervisor" step and the "Supervisor
    notified" question record one fact: after an edit of either, the answer the other must
    take (empty when it already agrees)."""
    checklist, step = SUPERVISOR_STEP
    question, yes = SUPERVISOR_QUESTION
    steps = list(answers.get(checklist) or [])
    notified = answers.get(question) == yes
    if changed == checklist and (step in steps) != notified:
        return {question: yes if step in steps else None}
    if changed == question and (step in steps) != notified:
        return {checklist: [*steps, step] if notified else [s for s in steps if s != step] or None}
    return {}


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class CallDesk:
    """Takes calls under ``protocol`` into ``store``."""

    def __init__(self, store: CaseStore, protocol: Protocol,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.protocol = protocol
        self.clock = clock  # tests and drills set the hour a call comes in
        # Told (the case, the new reasons) whenever ``alert`` records new reasons: the live
        # alert to the supervisors goes out from there. Called on the thread that saves.
        self.alert_listeners: list[Callable[[Case, list[str]], None]] = []

    # --- what the protocol makes of a call (pure, cheap: the window calls it on every change)

    def evaluation(self, call: Call) -> Evaluation:
        return evaluate(self.protocol, call.request_type, call.answers)

    def urgency(self, call: Call, evaluation: Evaluation | None = None) -> str:
        """The computed urgency, or higher when the specialist raised it; never lower."""
        evaluation = evaluation or self.evaluation(call)
        starting = self.protocol.request_type(call.request_type).urgency
        computed = URGENT if URGENT in (starting, evaluation.urgency) else NON_URGENT
        return effective_urgency(computed, call.raised_urgency)

    def settle_urgency(self, call: Call, evaluation: Evaluation | None = None) -> str:
        """The urgency now, made to stick: once a call has been urgent it stays urgent, even if
        the answer that made it so is corrected later, so urgency never drops without a person
        deciding it (a supervisor, from the case, after the call)."""
        urgency = self.urgency(call, evaluation)
        if urgency == URGENT:
            call.raised_urgency = URGENT
        return urgency

    def case_due(self, call: Call, urgency: str) -> Due:
        """When the case itself is owed: an urgent call is answered on the call, so what its
        case owes is a call back within the chart's urgent hours should the call end
        unfinished — it is never overdue while the specialist is still on the line."""
        if urgency == URGENT:
            return self.protocol.service_chart.due(URGENT, call.started_at, EMAIL_CHANNEL)
        return self.due(call, urgency)

    def due(self, call: Call, urgency: str | None = None) -> Due:
        kind = self.protocol.request_type(call.request_type)
        return self.protocol.service_chart.due(urgency or self.urgency(call), call.started_at,
                                               around_the_clock=kind.around_the_clock)

    # --- writing ---------------------------------------------------------------------------

    def start(self, request_type: str) -> Call:
        """Open a case for a new contact. A no-data contact (hang-up, silent…) is logged and
        closed in the same single change; any other becomes the call in progress."""
        kind = self.protocol.request_type(request_type)
        call = Call(case_id="", request_type=kind.id, started_at=self.clock())
        urgency = self.urgency(call)
        due = self.case_due(call, urgency)
        case = self.store.create_case(
            kind.call_type, urgency, status="closed" if kind.no_data else "open",
            summary=kind.label if kind.no_data else "", request_type=kind.id,
            protocol=self.protocol.label, due_at=None if kind.no_data else due.due_at.isoformat(),
            taken_as_message=due.taken_as_message and not kind.no_data)
        call.case_id, call.number = case["id"], case.get("number") or ""
        if not kind.no_data:
            self.remember_position(call, Position(*self.protocol.opening(kind.id)))
        return call

    def save(self, call: Call, position: Position | None = None) -> Case:
        """Store the call's answers, urgency and due time as one edit (only what changed), and
        where the specialist is. Nothing here refuses a half-filled form."""
        urgency = self.urgency(call)
        due = self.case_due(call, urgency)
        fields: dict[str, Any] = {f"answers.{name}": value for name, value in call.answers.items()}
        fields.update(urgency=urgency, due_at=due.due_at.isoformat(),
                      taken_as_message=due.taken_as_message)
        if SUMMARY_FIELD in call.answers:
            fields["summary"] = call.answers[SUMMARY_FIELD] or ""
        case = self.store.edit(call.case_id, **fields)
        if position is not None:
            self.remember_position(call, position)
        return case

    def finish(self, call: Call) -> Case:
        """Save and end the call: awaiting follow-up while something is owed (next steps, a
        message to answer, a mandated step left undone), referred when services were given and
        nothing more, else closed. Each mandated step left undone becomes a follow-up task due
        within the chart's urgent hours, and a note says which steps were outstanding."""
        case = self.save(call)
        outstanding = self.evaluation(call).outstanding_steps
        next_steps = call.answers.get("next_steps") or []
        # "Referral given" is what the referred status says: not a follow-up owed.
        steps = [step for step in next_steps if step not in (NO_FOLLOW_UP, REFERRAL_GIVEN)]
        if steps or case.get("taken_as_message") or outstanding:
            status = AWAITING_FOLLOW_UP
        elif case["referrals"] or REFERRAL_GIVEN in next_steps:
            status = REFERRED
        else:
            status = CLOSED
        fields: dict[str, Any] = {"status": status}
        # The call itself was the immediate response; what is owed now is the follow-up, due
        # like an urgent written request (within the chart's urgent hours).
        urgent_follow_up = self.protocol.service_chart.due(URGENT, self.clock(), EMAIL_CHANNEL)
        if status == AWAITING_FOLLOW_UP and (case["urgency"] == URGENT or outstanding):
            fields["due_at"] = urgent_follow_up.due_at.isoformat()
        already = {task.get("mandated_step") for task in case.get("tasks") or []
                   if not task.get("done_at")}
        for step in outstanding:
            if step.value not in already:
                self.store.add_task(call.case_id, MANDATED_TASK.format(step=step.label),
                                    urgent_follow_up.due_at.isoformat(), mandated_step=step.value)
        if outstanding:
            self.store.add_note(call.case_id, MANDATED_NOTE.format(
                steps="; ".join(step.label for step in outstanding)))
        # Forget the call on screen first: stopped between the two, the case is merely left
        # open with every answer saved, never a closed case reopened as a call in progress.
        self.store.set_state(OPEN_CALL_KEY, "")
        return self.store.edit(call.case_id, **fields)

    def retype(self, case_id: str, request_type: str, as_call: bool = True) -> Call | None:
        """Correct what kind of contact a case is (a hang-up key pressed for a caller who was
        speaking, a tip that was really a crisis). The case keeps its number, time and every
        answer; urgency follows the new type but never drops; a note says what changed. With
        ``as_call``, a contact that is no longer no-data comes back as the call in progress;
        without (a correction made later, from the case), it stays a case."""
        kind = self.protocol.request_type(request_type)
        case = self.store.get(case_id)
        if case is None:
            raise UnknownCase(case_id)
        old = case.get("request_type") or ""
        try:
            old_label = self.protocol.request_type(old).label
        except KeyError:
            old_label = old or "not recorded"
        call = Call(case_id=case_id, request_type=kind.id,
                    started_at=_parse_time(case["created_at"]),
                    answers=dict(case.get("answers") or {}),
                    raised_urgency=case.get("urgency"), number=case.get("number") or "")
        urgency = self.urgency(call)
        due = self.case_due(call, urgency)
        # A closed no-data contact that was really a call is open again.
        reopened = OPEN if case["status"] == CLOSED else case["status"]
        status = CLOSED if kind.no_data else reopened
        summary = case.get("summary") or ""
        if summary == old_label:  # the words a no-data contact is logged with, not a person's
            summary = kind.label if kind.no_data else str(call.answers.get(SUMMARY_FIELD) or "")
        self.store.edit(case_id, request_type=kind.id, call_type=kind.call_type,
                        urgency=urgency, status=status, summary=summary,
                        due_at=None if kind.no_data else due.due_at.isoformat(),
                        taken_as_message=due.taken_as_message and not kind.no_data)
        self.store.add_note(case_id, RETYPE_NOTE.format(old=old_label, new=kind.label))
        if kind.no_data or not as_call:
            return None
        self.remember_position(call, Position(*self.protocol.opening(kind.id)))
        return call

    def remember_position(self, call: Call, position: Position) -> None:
        call.position = position
        record = {"case_id": call.case_id, "request_type": call.request_type,
                  "started_at": call.started_at.isoformat(), "tab": position.tab_id,
                  "field": position.field_id, "raised_urgency": call.raised_urgency}
        self.store.set_state(OPEN_CALL_KEY, json.dumps(record))

    def alert(self, call: Call, evaluation: Evaluation) -> list[str]:
        """Record on the case, once each, the reasons a supervisor must be alerted now.

        The note travels to the server with the case, so the supervisor's queue shows it even
        when it was written offline. Returns the reasons that are new.
        """
        if "supervisor" not in evaluation.alerts:
            return []
        case = self.store.get(call.case_id) or {"notes": []}
        written = set(alerts(case))
        new = [reason for reason in evaluation.alert_reasons if reason not in written]
        for reason in new:
            self.store.add_note(call.case_id, ALERT_NOTE.format(reason=reason))
        if new and "id" in case:
            for listener in self.alert_listeners:
                listener(case, new)
        return new

    def ask_for_help(self, call: Call) -> None:
        """The specialist's own "I need help now": recorded on the case, and the supervisors
        alerted (each press is a fresh request: the last may have been answered already)."""
        case = self.store.add_note(call.case_id, ALERT_NOTE.format(reason=HELP_NOW))
        for listener in self.alert_listeners:
            listener(case, [HELP_NOW])

    def call_in_progress(self) -> dict[str, Any] | None:
        """The call on screen as the supervisor's list of calls in progress shows it (its
        case's id and number, request type, urgency, start); None between calls."""
        text = self.store.get_state(OPEN_CALL_KEY)
        if not text:
            return None
        try:
            record = json.loads(text)
            case = self.store.get(record["case_id"])
        except (ValueError, KeyError, TypeError):
            return None
        if case is None:
            return None
        return {"case_id": case["id"], "number": case.get("number"),
                "request_type": record["request_type"], "urgency": case.get("urgency"),
                "started_at": record["started_at"]}

    def add_referral(self, call: Call, service_id: str, service_name: str) -> Case:
        return self.store.add_referral(call.case_id, service_id, service_name)

    # --- after a crash ---------------------------------------------------------------------

    def resume(self) -> Call | None:
        """The call that was on screen when the console stopped, with every answer saved."""
        text = self.store.get_state(OPEN_CALL_KEY)
        if not text:
            return None
        try:
            record = json.loads(text)
            self.protocol.request_type(record["request_type"])  # still in today's protocol
            case = self.store.get(record["case_id"])
            if case is None:
                raise UnknownCase(record["case_id"])
            return Call(case_id=case["id"], request_type=record["request_type"],
                        started_at=_parse_time(record["started_at"]),
                        answers=dict(case.get("answers") or {}),
                        raised_urgency=record.get("raised_urgency"),
                        position=Position(record["tab"], record.get("field")), recovered=True,
                        number=case.get("number") or "")
        except (ValueError, KeyError, TypeError, UnknownCase):
            # A record we cannot read must not stop the console from starting; the case itself,
            # with every answer saved, is still in the store.
            self.store.set_state(OPEN_CALL_KEY, "")
            return None

    def referrals(self, call: Call) -> list[dict[str, Any]]:
        case = self.store.get(call.case_id)
        return [] if case is None else list(case["referrals"])
