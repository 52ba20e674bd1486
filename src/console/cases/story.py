"""A case's story: what happened to it and what it is owed, as typed facts, decided once.

Every screen and document that tells a case — the case detail, the case printout, the case list,
the supervisor view, the shift packet, the server's listing — reads these facts and only puts them
into words (``console.cases.words``). So a handoff's state, "overdue" and "waiting for whom" mean
the same on screen and on paper.

Documents are read defensively: older records lack newer keys (a handoff stored before states
were kept has none), and a record whose time cannot be read still belongs to the story.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from console.cases.changes import (
    NEXT_SHIFT,
    SUPERSEDED,
    Case,
    handoff_state,
    parse_time,
    utc_text,
)

CLOSED = "closed"
# Services given and nothing more asked: the case's own response is no longer owed (its open
# follow-up tasks still are).
REFERRED = "referred"
# How the intake notes on a case that the supervisor must be alerted now.
ALERT_NOTE = "Supervisor alert: {reason}"
_ALERT_PREFIX = ALERT_NOTE.split("{", 1)[0]
# The note a corrected contact type leaves; the earliest one says what the case was opened as.
RETYPE_NOTE = "Contact type changed from {old} to {new}"
_RETYPED = re.compile(re.escape(RETYPE_NOTE).replace(r"\{old\}", "(?P<old>.+?)")
                      .replace(r"\{new\}", "(?P<new>.+)") + "$")
EARLIEST = datetime.min.replace(tzinfo=UTC)  # where a record without a readable time sorts


class HandoffState(StrEnum):
    """Where a handoff stands."""

    PENDING = "pending"  # its receiver holds the case and has not answered yet
    ACCEPTED = "accepted"  # accepted by its receiver, or taken from the next shift's queue
    RETURNED = "returned"  # given back to its sender with a reason
    LOST = "lost"  # two people handed the case at once; this one reached the server second
    OVERTAKEN = "overtaken"  # a later handoff moved the case on before this one was answered


@dataclass(frozen=True)
class Handoff:
    """One handoff and where it stands."""

    id: str
    from_user: str | None
    to_user: str | None
    note: str
    created_at: str | None
    state: HandoffState
    answered_by: str | None = None  # who accepted, took or returned it
    answered_at: str | None = None
    return_reason: str | None = None
    holder: str | None = None  # LOST: who held the case when it arrived
    overtaken_by: Handoff | None = None  # OVERTAKEN: the later handoff that went through

    @property
    def to_queue(self) -> bool:
        return self.to_user == NEXT_SHIFT


@dataclass(frozen=True)
class Task:
    """One follow-up task; ``mandated_step`` names the reporting step it was left for."""

    id: str
    text: str
    due_at: str | None
    created_by: str | None
    created_at: str | None
    done_by: str | None
    done_at: str | None
    mandated_step: str | None

    @property
    def done(self) -> bool:
        return self.done_at is not None

    def overdue(self, now: datetime) -> bool:
        due = parse_time(self.due_at)
        return not self.done and due is not None and due < now


@dataclass(frozen=True)
class Referral:
    """A service the caller was referred to, and how it turned out (``outcome`` None: not
    recorded yet)."""

    id: str
    service: str
    given_by: str | None
    given_at: str | None
    outcome: str | None
    outcome_note: str
    outcome_by: str | None
    outcome_at: str | None


class EventKind(StrEnum):
    OPENED = "opened"
    NOTE = "note"
    REFERRAL = "referral"
    OUTCOME = "outcome"
    HANDED_OFF = "handed_off"
    ACCEPTED = "accepted"
    TAKEN = "taken"  # from the next shift's queue
    RETURNED = "returned"
    TASK = "task"
    TASK_DONE = "task_done"
    CONTACT = "contact"


@dataclass(frozen=True)
class Event:
    """One thing that happened to the case: who did what, at what time (None: unreadable)."""

    at: datetime | None
    kind: EventKind
    who: str | None
    text: str = ""  # a note's or task's text, an outcome's note, a contact's note
    service: str = ""  # REFERRAL, OUTCOME
    outcome: str = ""  # OUTCOME
    handoff: Handoff | None = None  # HANDED_OFF, ACCEPTED, TAKEN, RETURNED
    task: Task | None = None  # TASK, TASK_DONE


def _items(case: Case, name: str) -> Iterator[dict[str, Any]]:
    items = case.get(name)
    if isinstance(items, list):
        yield from (item for item in items if isinstance(item, dict))


def _state(record: dict[str, Any]) -> HandoffState:
    stored = handoff_state(record)
    if stored == SUPERSEDED:
        # Only a handoff that lost a race records who held the case (``changes._reassign``).
        return HandoffState.LOST if "lost_to" in record else HandoffState.OVERTAKEN
    return HandoffState(stored)


def handoffs(case: Case) -> list[Handoff]:
    """The case's handoffs, oldest first, each with its state."""
    records = list(_items(case, "handoffs"))
    told: list[Handoff] = []
    for record in reversed(records):  # newest first, so an overtaken one can name its successor
        state = _state(record)
        successor = None
        if state == HandoffState.OVERTAKEN:
            successor = next((later for later in reversed(told)
                              if later.state != HandoffState.LOST), None)
        told.append(Handoff(
            id=str(record.get("id", "")), from_user=record.get("from_user"),
            to_user=record.get("to_user"), note=record.get("note") or "",
            created_at=record.get("created_at"), state=state,
            answered_by=record.get("acknowledged_by"), answered_at=record.get("acknowledged_at"),
            return_reason=record.get("return_reason"), holder=record.get("lost_to"),
            overtaken_by=successor))
    return told[::-1]


def waiting_handoffs(case: Case) -> list[Handoff]:
    """Handoffs still waiting for their receiver's answer, oldest first."""
    return [handoff for handoff in handoffs(case) if handoff.state == HandoffState.PENDING]


def pending_handoff_to(case: Case) -> str | None:
    """Whom the newest handoff still waiting for an answer was made to."""
    waiting = waiting_handoffs(case)
    receiver = waiting[-1].to_user if waiting else None
    return receiver if isinstance(receiver, str) else None


def waiting_for(case: Case, user: str) -> Handoff | None:
    """The newest handoff that waits for ``user`` to answer it: made to them (or to the next
    shift's queue), while the case is still with its receiver."""
    return next((handoff for handoff in reversed(waiting_handoffs(case))
                 if handoff.to_user in (user, NEXT_SHIFT)
                 and case.get("assigned_to") == handoff.to_user), None)


def referrals(case: Case) -> list[Referral]:
    return [Referral(id=str(referral.get("id", "")),
                     service=str(referral.get("service_name") or ""),
                     given_by=referral.get("given_by"), given_at=referral.get("given_at"),
                     outcome=referral.get("outcome") or None,
                     outcome_note=str(referral.get("outcome_note") or ""),
                     outcome_by=referral.get("outcome_by"),
                     outcome_at=referral.get("outcome_at"))
            for referral in _items(case, "referrals")]


def tasks(case: Case) -> list[Task]:
    return [Task(id=str(task.get("id", "")), text=str(task.get("text") or ""),
                 due_at=task.get("due_at"), created_by=task.get("created_by"),
                 created_at=task.get("created_at"), done_by=task.get("done_by"),
                 done_at=task.get("done_at"), mandated_step=task.get("mandated_step"))
            for task in _items(case, "tasks")]


def next_task_due(case: Case) -> str | None:
    """The earliest due time of the follow-up tasks not done yet (ISO UTC text)."""
    due = (utc_text(task.due_at) for task in tasks(case) if not task.done)
    return min((time for time in due if time), default=None)


def outstanding_mandated_steps(case: Case) -> list[Task]:
    """Follow-up tasks left for mandated-reporting steps and not done yet."""
    return [task for task in tasks(case) if task.mandated_step and not task.done]


def alerts(case: Case) -> list[str]:
    """The reasons, noted on the case by the intake, that a supervisor had to be alerted."""
    return [str(note.get("text"))[len(_ALERT_PREFIX):] for note in _items(case, "notes")
            if str(note.get("text") or "").startswith(_ALERT_PREFIX)]


def owed_at(status: str | None, due_at: str | None, task_due: str | None) -> str | None:
    """When work is next owed on a case (ISO UTC text), or None when nothing is: the case's own
    response until it is referred or closed, and its open follow-up tasks until it is closed.
    The one rule behind "due" and "overdue" everywhere a case is shown or printed."""
    if status == CLOSED:
        return None
    owed = [utc_text(time) for time in (None if status == REFERRED else due_at, task_due)]
    return min((time for time in owed if time), default=None)


def is_overdue(status: str | None, due_at: str | None, task_due: str | None,
               now: datetime) -> bool:
    """Whether work owed on a case is past its due time at ``now``."""
    owed = owed_at(status, due_at, task_due)
    return owed is not None and owed < utc_text(now.isoformat())


def case_owed_at(case: Case) -> str | None:
    """``owed_at`` for a whole case document."""
    return owed_at(case.get("status"), case.get("due_at"), next_task_due(case))


def case_overdue(case: Case, now: datetime) -> bool:
    """``is_overdue`` for a whole case document: its own response or an open task is late."""
    return is_overdue(case.get("status"), case.get("due_at"), next_task_due(case), now)


def opened_as(case: Case) -> str | None:
    """What the case was opened as, where its contact type was corrected since (the type's
    label then); None when it never was."""
    notes = sorted(_items(case, "notes"), key=lambda note: str(note.get("created_at") or ""))
    for note in notes:
        retyped = _RETYPED.match(str(note.get("text") or ""))
        if retyped:
            return retyped["old"]
    return None


def timeline(case: Case) -> list[Event]:
    """Everything that happened to the case, oldest first (unreadable times first of all).
    The opening's ``text`` is what the case was opened as when its type was corrected since."""
    events = [Event(parse_time(case.get("created_at")), EventKind.OPENED, case.get("created_by"),
                    text=opened_as(case) or "")]
    events += [Event(parse_time(note.get("created_at")), EventKind.NOTE, note.get("author"),
                     text=str(note.get("text") or "")) for note in _items(case, "notes")]
    for referral in referrals(case):
        events.append(Event(parse_time(referral.given_at), EventKind.REFERRAL,
                            referral.given_by, service=referral.service))
        if referral.outcome:
            events.append(Event(parse_time(referral.outcome_at), EventKind.OUTCOME,
                                referral.outcome_by, service=referral.service,
                                outcome=referral.outcome, text=referral.outcome_note))
    for handoff in handoffs(case):
        events.append(Event(parse_time(handoff.created_at), EventKind.HANDED_OFF,
                            handoff.from_user, handoff=handoff))
        answered = {HandoffState.ACCEPTED: EventKind.TAKEN if handoff.to_queue
                    else EventKind.ACCEPTED, HandoffState.RETURNED: EventKind.RETURNED}
        if handoff.state in answered:
            events.append(Event(parse_time(handoff.answered_at), answered[handoff.state],
                                handoff.answered_by, handoff=handoff))
    for task in tasks(case):
        events.append(Event(parse_time(task.created_at), EventKind.TASK, task.created_by,
                            task=task))
        if task.done:
            events.append(Event(parse_time(task.done_at), EventKind.TASK_DONE, task.done_by,
                                task=task))
    events += [Event(parse_time(contact.get("linked_at")), EventKind.CONTACT,
                     contact.get("linked_by"), text=str(contact.get("note") or ""))
               for contact in _items(case, "contacts")]
    return sorted(events, key=lambda event: event.at or EARLIEST)
