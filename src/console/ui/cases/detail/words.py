"""The case on screen in words: sentences for its records, its answers and timeline as HTML."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from console.cases.changes import (
    ACCEPTED,
    ANSWER_PREFIX,
    NEXT_SHIFT,
    PENDING,
    RETURNED,
    SUPERSEDED,
    Case,
    is_answered,
    parse_time,
)
from console.intake.desk import SUMMARY_FIELD
from console.ui.cases.services import CaseServices, answer_text

FIELD_NAMES = {"assigned_to": "Assigned to", "status": "Status", "summary": "Summary",
               "urgency": "Urgency", "call_type": "Call type", "due_at": "Due",
               "request_type": "Request type", "related_case": "Related case"}
EARLIEST = datetime.min.replace(tzinfo=UTC)  # where a record without a readable time sorts


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def quoted(text: str | None) -> str:
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
                    f"{quoted(handoff.get('return_reason'))}.")
        if state == ACCEPTED:
            verb = "taken" if handoff["to_user"] == NEXT_SHIFT else "accepted"
            return (f"{sent} — {verb} by {self.who(handoff.get('acknowledged_by'))} at "
                    f"{self.when(handoff.get('acknowledged_at'))}.")
        if handoff["to_user"] == NEXT_SHIFT:
            return f"{sent}{quoted(handoff.get('note'))} — anyone on the next shift may take it."
        waiting = (f"waiting for {self.who(handoff['to_user'])} to accept"
                   if handoff["to_user"] != self.services.user
                   else "accept it, or return it with a reason")
        return f"{sent}{quoted(handoff.get('note'))} — {waiting}."

    def _handoff_sent(self, handoff: dict[str, Any]) -> str:
        return sentence(f"{self.who(handoff['from_user'])} handed this case to "
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
        events = [(case["created_at"], sentence(
            f"{self.who(case.get('created_by'))} opened the case ("
            f"{self.services.request_label(case.get('request_type'), case.get('call_type'))})."))]
        events += [(note["created_at"], sentence(f"{self.who(note['author'])} added a note"
                                                 f"{quoted(note['text'])}"))
                   for note in case.get("notes", [])]
        for referral in case.get("referrals", []):
            events += self._referral_events(referral)
        for handoff in case.get("handoffs", []):
            events += self._handoff_events(case, handoff)
        for task in case.get("tasks", []):
            events += self._task_events(task)
        events += [(contact["linked_at"], sentence(
            f"{self.who(contact['linked_by'])} attached a later contact to this case"
            f"{quoted(contact.get('note'))}")) for contact in case.get("contacts", [])]
        return sorted(events, key=lambda event: parse_time(event[0]) or EARLIEST)

    def _referral_events(self, referral: dict[str, Any]) -> list[tuple[str, str]]:
        name = referral["service_name"]
        events = [(referral["given_at"],
                   sentence(f"{self.who(referral['given_by'])} referred the caller to {name}."))]
        if referral.get("outcome"):
            events.append((referral["outcome_at"], sentence(
                f"{self.who(referral.get('outcome_by'))} recorded the referral to {name}: "
                f"{referral['outcome']}{quoted(referral.get('outcome_note'))}")))
        return events

    def _handoff_events(self, case: Case, handoff: dict[str, Any]) -> list[tuple[str, str]]:
        sent = (self.handoff(case, handoff) if handoff.get("state") == SUPERSEDED
                else f"{self._handoff_sent(handoff)}{quoted(handoff.get('note'))}.")
        events = [(handoff["created_at"], sent)]
        by = self.who(handoff.get("acknowledged_by"))
        if handoff.get("state") == ACCEPTED:
            taken = ("took the case from the next shift's queue"
                     if handoff["to_user"] == NEXT_SHIFT else "accepted the case")
            events.append((handoff["acknowledged_at"], sentence(f"{by} {taken}.")))
        elif handoff.get("state") == RETURNED:
            events.append((handoff["acknowledged_at"], sentence(
                f"{by} returned the case to {self.who(handoff['from_user'])}"
                f"{quoted(handoff.get('return_reason'))}")))
        return events

    def _task_events(self, task: dict[str, Any]) -> list[tuple[str, str]]:
        due = f" (due {self.when(task['due_at'])})" if task.get("due_at") else ""
        events = [(task["created_at"], sentence(
            f"{self.who(task['created_by'])} added a follow-up task: {task['text']}{due}."))]
        if task.get("done_at"):
            events.append((task["done_at"], sentence(
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


def html_rows(rows: Iterable[tuple[str, str]], heading_cell: str = "th") -> str:
    return "".join(f"<tr><{heading_cell} align='left' valign='top' nowrap>{html.escape(left)}"
                   f"</{heading_cell}><td valign='top'>{html.escape(right)}</td></tr>"
                   for left, right in rows)


def overview_html(words: CaseWords, case: Case) -> str:
    summary = (case.get("summary") or "").strip() or "No summary yet."
    parts = [f"<h3>Summary</h3><p>{html.escape(summary).replace(chr(10), '<br>')}</p>"]
    for title, rows in words.answers_by_tab(case):
        parts.append(f"<h3>{html.escape(title)}</h3>"
                     f"<table cellspacing='0' cellpadding='3'>{html_rows(rows)}</table>")
    if len(parts) == 1:
        parts.append("<p>No intake answers were recorded.</p>")
    return "".join(parts)


def timeline_html(words: CaseWords, case: Case) -> str:
    rows = [(words.when(at), text) for at, text in words.timeline(case)]
    return f"<table cellspacing='0' cellpadding='4'>{html_rows(rows, 'td')}</table>"
