"""Runs the intake protocol over a contact's answers, as the specialist types them.

``evaluate`` says which fields are shown and required right now, what is still missing (in tab
order), and how urgent the contact is, with the reasons in plain words and who must be alerted.
It runs on every keystroke, so it is pure and quick, and it never raises on odd answers: a form
half filled in, or filled in with the wrong shapes, is still a form.

An answer to a hidden field counts as unanswered: when a specialist changes "labor" to "sex",
the labor indicators already ticked stop mattering instead of silently steering the rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from console.protocol.calendar import NON_URGENT, URGENCIES, URGENT, us_states
from console.protocol.definition import (
    AllOf,
    AnyOf,
    Condition,
    Field,
    FieldAnswered,
    FieldEquals,
    FieldIn,
    Not,
    Protocol,
    RequestType,
    RequestTypeIn,
)

Answers = dict[str, Any]  # field id -> str | list[str] | bool | int | None
Value = str | int | float


@dataclass(frozen=True)
class Missing:
    """A required field still unanswered, with the message shown to the specialist."""

    tab_id: str
    field_id: str
    message: str


@dataclass(frozen=True)
class Step:
    """A required checklist step not yet done (e.g. the report to child protective services)."""

    field_id: str
    value: str
    label: str


@dataclass(frozen=True)
class Evaluation:
    """What the protocol says about a contact's answers right now."""

    visible: frozenset[str]
    required: frozenset[str]
    missing: tuple[Missing, ...]
    urgency: str
    urgency_reasons: tuple[str, ...]
    alerts: tuple[str, ...]
    alert_reasons: tuple[str, ...]  # why: the reasons of the rules that raised an alert
    checklists: tuple[Field, ...]  # checklists a rule has brought up, e.g. mandatory reporting
    outstanding_steps: tuple[Step, ...] = ()  # required steps of those checklists not ticked


def evaluate(protocol: Protocol, request_type: str, answers: Answers) -> Evaluation:
    """The protocol applied to ``answers`` for a contact of ``request_type`` (KeyError if the
    protocol has no such request type)."""
    kind = protocol.request_type(request_type)
    context = _Context(protocol, kind.id, answers)
    visible = [field for field in protocol.fields if context.is_visible(field.id)]
    # A hang-up or a prank has nothing to record; asking for it would only invent data.
    required = [] if kind.no_data else [field for field in visible if _is_required(field, context)]
    missing = tuple(
        Missing(protocol.tab_of(field.id).id, field.id,
                f"{protocol.tab_of(field.id).title}: {field.label} is required")
        for field in required if not context.values(field.id))
    urgency, reasons, alerts, alert_reasons = _urgency(protocol, kind, context)
    checklists = tuple(field for field in visible
                       if field.kind == "checklist" and field.when is not None)
    return Evaluation(
        visible=frozenset(field.id for field in visible),
        required=frozenset(field.id for field in required),
        missing=missing,
        urgency=urgency,
        urgency_reasons=reasons,
        alerts=alerts,
        alert_reasons=alert_reasons,
        checklists=checklists,
        outstanding_steps=() if kind.no_data else tuple(
            Step(field.id, option.value, option.label) for field in checklists
            for option in field.options
            if option.required and option.value not in context.values(field.id)),
    )


def effective_urgency(computed: str, chosen: str | None) -> str:
    """The urgency a case is filed with: a specialist may raise it, never lower it."""
    for urgency in (computed, chosen):
        if urgency is not None and urgency not in URGENCIES:
            raise ValueError(f"unknown urgency {urgency!r}; expected one of {URGENCIES}")
    return URGENT if URGENT in (computed, chosen) else NON_URGENT


def _holds(condition: Condition, context: _Context) -> bool:
    """Whether a protocol condition is true for this contact."""
    match condition:
        case FieldEquals(field=name, value=value):
            return value in context.values(name)
        case FieldIn(field=name, values=values):
            return any(value in values for value in context.values(name))
        case FieldAnswered(field=name, answered=answered):
            return bool(context.values(name)) == answered
        case RequestTypeIn(request_types=kinds):
            return context.request_type in kinds
        case AllOf(conditions=parts):
            return all(_holds(part, context) for part in parts)
        case AnyOf(conditions=parts):
            return any(_holds(part, context) for part in parts)
        case Not(condition=inner):
            return not _holds(inner, context)
    raise TypeError(f"not a protocol condition: {condition!r}")


class _Context:
    """One contact's answers as conditions see them: normalized, and empty for hidden fields."""

    def __init__(self, protocol: Protocol, request_type: str, answers: Answers) -> None:
        self.protocol = protocol
        self.request_type = request_type
        self.answers = answers
        self._visible: dict[str, bool] = {}
        self._deciding: set[str] = set()

    def is_visible(self, field_id: str) -> bool:
        if field_id not in self._visible:
            self._visible[field_id] = self._decide_visible(self.protocol.field(field_id))
        return self._visible[field_id]

    def values(self, field_id: str) -> tuple[Value, ...]:
        """The field's answer as comparable values; empty when unanswered or hidden."""
        if not self.is_visible(field_id):
            return ()
        return answer_values(self.protocol.field(field_id).kind, self.answers.get(field_id))

    def _decide_visible(self, field: Field) -> bool:
        if field.when is None:
            return True
        if field.id in self._deciding:
            return False  # a circle, which load_protocol refuses; hiding beats looping forever
        self._deciding.add(field.id)
        try:
            return _holds(field.when, self)
        finally:
            self._deciding.discard(field.id)


def answer_values(kind: str, answer: Any) -> tuple[Value, ...]:
    """An answer as the values conditions compare: () when unanswered, one value for a single
    answer, each ticked value for multiple choice. Odd shapes never raise."""
    items = answer if isinstance(answer, list | tuple | set | frozenset) else (answer,)
    normalized = (_normalized(kind, item) for item in items)
    return tuple(value for value in normalized if value is not None)


def _normalized(kind: str, item: Any) -> Value | None:
    if isinstance(item, bool):
        return "yes" if item else "no"
    if isinstance(item, int | float):
        return item if kind == "number" else str(item)
    if not isinstance(item, str) or not item.strip():
        return None
    text = item.strip()
    if kind == "yesno":
        return text.lower()
    if kind == "number":
        return _number(text)
    return text


def _number(text: str) -> Value:
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            continue
    return text


def _is_required(field: Field, context: _Context) -> bool:
    if field.required:
        return True
    return field.required_when is not None and _holds(field.required_when, context)


def _urgency(protocol: Protocol, kind: RequestType, context: _Context
             ) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Urgency, its reasons, the alerts raised, and the reasons behind those alerts."""
    urgency = kind.urgency
    reasons = [kind.label] if kind.urgency == URGENT else []
    alerts: list[str] = []
    alert_reasons: list[str] = []
    for rule in protocol.urgency_rules:
        if not _holds(rule.when, context):
            continue
        urgency = effective_urgency(urgency, rule.urgency)
        if rule.urgency == URGENT and rule.reason not in reasons:
            reasons.append(rule.reason)
        alerts.extend(alert for alert in rule.alerts if alert not in alerts)
        if rule.alerts and rule.reason not in alert_reasons:
            alert_reasons.append(rule.reason)
    return urgency, tuple(reasons), tuple(alerts), tuple(alert_reasons)


def answer_in_words(protocol: Protocol, field_id: str, value: Any, yes: str = "Yes",
                    no: str = "No", state: Callable[[str, str], str] = lambda _code, name: name
                    ) -> str:
    """An intake answer in words: option labels for choices, ``yes``/``no`` for true/false,
    states through ``state(code, name)``; an answer to a field no longer in the protocol (taken
    under an earlier version) as it was stored."""
    try:
        spec = protocol.field(field_id)
    except KeyError:
        spec = None
    labels: dict[Any, str] = {}
    if spec is not None:
        labels = ({code: state(code, name) for code, name in us_states()} if spec.kind == "state"
                  else {option.value: option.label for option in spec.options})
    if isinstance(value, bool):
        return yes if value else no
    if isinstance(value, list):
        return ", ".join(labels.get(item, str(item)) for item in value)
    return labels.get(value, str(value))
