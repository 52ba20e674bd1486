"""The call read back before it ends: every answer given, by tab, and what is still owed.

Qt-free: the Summary tab puts these into words on screen; the protocol's own labels name every
field and option, so the read-back says what the specialist saw while asking.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.cases.changes import is_answered
from console.protocol import Answers, Evaluation, Protocol
from console.protocol.engine import answer_in_words


@dataclass(frozen=True)
class Answered:
    """One answer as read back: the field's label and the answer in the protocol's words."""

    field_id: str
    label: str
    text: str


@dataclass(frozen=True)
class Owed:
    """Something still to do on the call, and where it is (a checklist step: its option)."""

    tab_id: str
    field_id: str
    option: str | None
    text: str


def answers_by_tab(protocol: Protocol, answers: Answers, evaluation: Evaluation
                   ) -> list[tuple[str, list[Answered]]]:
    """(tab title, answers) in the protocol's order; fields not shown or not answered are left
    out (a hidden field's old answer is not part of this call's story)."""
    groups = []
    for tab in protocol.tabs:
        given = [Answered(spec.id, spec.label, answer_in_words(
                     protocol, spec.id, answers[spec.id],
                     state=lambda code, name: f"{code} — {name}"))
                 for spec in tab.fields
                 if spec.id in evaluation.visible and is_answered(answers.get(spec.id))]
        if given:
            groups.append((tab.title, given))
    return groups


def still_owed(protocol: Protocol, evaluation: Evaluation) -> list[Owed]:
    """Unfinished mandated steps first (they cannot wait), then required answers missing."""
    steps = [Owed(protocol.tab_of(step.field_id).id, step.field_id, step.value,
                  f"{protocol.field(step.field_id).label}: {step.label} — not done yet")
             for step in evaluation.outstanding_steps]
    missing = [Owed(item.tab_id, item.field_id, None, item.message)
               for item in evaluation.missing]
    return steps + missing
