"""The intake protocol: what a specialist asks and records on each kind of contact.

The protocol is data (``resources/protocols/intake.json``) so the hotline can change its questions
without a release. ``load_protocol`` checks the file against ``protocol.schema.json``, then checks
what a schema cannot: ids are unique, conditions name fields, answers and request types that
exist, fields do not hide each other in a circle, and every request type files its cases under a
call type the case store knows. Any fault raises ``ProtocolError`` naming the file and the place
in it, so whoever edits the protocol sees exactly what to fix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from console.cases.changes import case_vocabulary
from console.directory.vocabulary import vocabulary
from console.protocol.calendar import ServiceChart, us_states
from console.settings import resources_dir

PROTOCOL_FILE = "intake.json"
SCHEMA_FILE = "protocol.schema.json"
CHOICE_KINDS = frozenset({"choice", "multichoice", "checklist"})
TEXT_KINDS = frozenset({"text", "longtext", "phone", "zip"})


class ProtocolError(ValueError):
    """A protocol file that cannot be used; the message names the file and the JSON path."""


@dataclass(frozen=True)
class Option:
    """One answer to pick, or one checklist item; ``key`` is its one-key shortcut. A
    ``required`` checklist item is a step that must be done (mandated reporting)."""

    value: str
    label: str
    key: str | None = None
    required: bool = False


YESNO_OPTIONS = (Option("yes", "Yes", "y"), Option("no", "No", "n"),
                 Option("unknown", "Don't know", "u"))


@dataclass(frozen=True)
class FieldEquals:
    """The answer is ``value`` (for multiple choice: ``value`` is among the picked answers)."""

    field: str
    value: str | int | float | bool


@dataclass(frozen=True)
class FieldIn:
    """The answer (for multiple choice: any picked answer) is one of ``values``."""

    field: str
    values: tuple[str | int | float, ...]


@dataclass(frozen=True)
class FieldAnswered:
    """The field has (or, with ``answered`` false, has not) been answered."""

    field: str
    answered: bool = True


@dataclass(frozen=True)
class RequestTypeIn:
    """The contact is one of these request types."""

    request_types: tuple[str, ...]


@dataclass(frozen=True)
class AllOf:
    """Every one of the conditions holds."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one of the conditions holds."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """The condition does not hold."""

    condition: Condition


Condition = FieldEquals | FieldIn | FieldAnswered | RequestTypeIn | AllOf | AnyOf | Not


@dataclass(frozen=True)
class Field:
    """One thing to record. Hidden while ``when`` does not hold; required (when shown) if
    ``required`` or ``required_when`` holds. Personal fields never leave the case."""

    id: str
    label: str
    kind: str
    options: tuple[Option, ...] = ()
    required: bool = False
    required_when: Condition | None = None
    when: Condition | None = None
    personal: bool = False
    prompt: str | None = None
    help: str | None = None
    placeholder: str | None = None
    max_length: int | None = None
    soft_limit: int | None = None


@dataclass(frozen=True)
class Tab:
    """A page of the intake form: its digit key, scripted prompts and fields."""

    id: str
    title: str
    key: str
    prompts: tuple[str, ...]
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class RequestType:
    """A kind of contact, chosen with one key at triage; sets the call type and first urgency."""

    id: str
    label: str
    key: str
    call_type: str
    urgency: str
    no_data: bool = False
    around_the_clock: bool = False  # taken live at any hour, never as a message
    description: str = ""
    group: str = ""


@dataclass(frozen=True)
class UrgencyRule:
    """When ``when`` holds, the contact is at least ``urgency`` and ``alerts`` are raised."""

    when: Condition
    urgency: str
    reason: str
    alerts: tuple[str, ...] = ()


@dataclass(frozen=True)
class NotSafe:
    """The answer meaning the caller cannot talk safely, and the plan then asked."""

    field: str
    equals: str
    plan: tuple[str, ...]


@dataclass(frozen=True)
class SafetyFirst:
    """On ``request_types``, the ``ask_first`` questions come before anything else."""

    request_types: tuple[str, ...]
    ask_first: tuple[str, ...]
    not_safe: NotSafe


@dataclass(frozen=True)
class ReportingLines:
    """While ``checklist`` is up, the directory's services of ``category`` in the state of the
    first of ``state_fields`` answered are the lines to report to (data, never numbers in code)."""

    checklist: str
    category: str
    state_fields: tuple[str, ...]


@dataclass(frozen=True)
class Protocol:
    """A loaded, checked intake protocol."""

    id: str
    version: str
    title: str
    request_types: tuple[RequestType, ...]
    tabs: tuple[Tab, ...]
    service_chart: ServiceChart
    urgency_rules: tuple[UrgencyRule, ...] = ()
    safety_first: SafetyFirst | None = None
    reporting_lines: ReportingLines | None = None

    @property
    def label(self) -> str:
        """Which protocol a case was taken with; stored on every case."""
        return f"{self.id}@{self.version}"

    @property
    def fields(self) -> tuple[Field, ...]:
        """Every field, in tab order."""
        return tuple(field for tab in self.tabs for field in tab.fields)

    def request_type(self, id: str) -> RequestType:
        return self._request_types_by_id[id]

    def asks_safety_first(self, request_type: str) -> bool:
        return self.safety_first is not None and request_type in self.safety_first.request_types

    def opening(self, request_type: str) -> tuple[str, str | None]:
        """Where a new contact's form opens (tab id, field id): on the safety questions when
        the protocol asks them first for this request type, else on the first tab that does
        not hold them."""
        if self.safety_first is not None:
            first = self.safety_first.ask_first[0]
            if self.asks_safety_first(request_type):
                return self.tab_of(first).id, first
            safety_tab = self.tab_of(first).id
            return next((tab.id for tab in self.tabs if tab.id != safety_tab),
                        self.tabs[0].id), None
        return self.tabs[0].id, None

    def field(self, id: str) -> Field:
        return self._fields_by_id[id]

    def tab_of(self, field_id: str) -> Tab:
        return self._tabs_by_field_id[field_id]

    @cached_property
    def _request_types_by_id(self) -> dict[str, RequestType]:
        return {kind.id: kind for kind in self.request_types}

    @cached_property
    def _fields_by_id(self) -> dict[str, Field]:
        return {field.id: field for field in self.fields}

    @cached_property
    def _tabs_by_field_id(self) -> dict[str, Tab]:
        return {field.id: tab for tab in self.tabs for field in tab.fields}


def protocols_dir() -> Path:
    return resources_dir() / "protocols"


def load_protocol(path: Path | None = None) -> Protocol:
    """Read and check a protocol file (default: the hotline's intake protocol)."""
    path = path or protocols_dir() / PROTOCOL_FILE
    data = _read_json(path)
    problem = best_match(_schema_validator().iter_errors(data))
    if problem is not None:
        raise ProtocolError(f"{path.name} at {problem.json_path}: {_schema_message(problem)}")
    _Checker(path.name, data).check()
    return _protocol_from_json(data)


def condition_from_json(data: dict[str, Any]) -> Condition:
    """A condition as written in the protocol file (already checked against the schema)."""
    if "all" in data:
        return AllOf(tuple(condition_from_json(part) for part in data["all"]))
    if "any" in data:
        return AnyOf(tuple(condition_from_json(part) for part in data["any"]))
    if "not" in data:
        return Not(condition_from_json(data["not"]))
    if "request_type" in data:
        return RequestTypeIn(tuple(data["request_type"]))
    if "equals" in data:
        return FieldEquals(data["field"], data["equals"])
    if "in" in data:
        return FieldIn(data["field"], tuple(data["in"]))
    return FieldAnswered(data["field"], data["answered"])


def fields_named(condition: Condition) -> frozenset[str]:
    """The fields a condition reads."""
    match condition:
        case FieldEquals(field=name) | FieldIn(field=name) | FieldAnswered(field=name):
            return frozenset({name})
        case AllOf(conditions=parts) | AnyOf(conditions=parts):
            return frozenset().union(*(fields_named(part) for part in parts))
        case Not(condition=inner):
            return fields_named(inner)
    return frozenset()


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text("utf-8")
    except OSError as error:
        raise ProtocolError(f"{path.name}: cannot be read ({error.strerror})") from error
    except UnicodeDecodeError as error:
        raise ProtocolError(f"{path.name}: not UTF-8 text") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ProtocolError(f"{path.name}: not valid JSON at line {error.lineno}, "
                            f"column {error.colno}: {error.msg}") from error


@cache
def _schema_validator() -> Draft202012Validator:
    # The schema itself is checked by the tests, not at every start (a tenth of a second).
    schema = json.loads((protocols_dir() / SCHEMA_FILE).read_text("utf-8"))
    return Draft202012Validator(schema)


def _schema_message(problem: ValidationError) -> str:
    """The schema's complaint, reworded where jsonschema's own words would not help."""
    if problem.validator == "not" and problem.validator_value == {}:
        return "not allowed for this kind of field"
    if problem.validator == "oneOf" and isinstance(problem.schema, dict):
        title = problem.schema.get("title", "value")
        return f"not a valid {title}: {problem.schema.get('description', '')}"
    return problem.message


def _protocol_from_json(data: dict[str, Any]) -> Protocol:
    return Protocol(
        id=data["id"], version=data["version"], title=data["title"],
        request_types=tuple(RequestType(**raw) for raw in data["request_types"]),
        tabs=tuple(_tab_from_json(raw) for raw in data["tabs"]),
        service_chart=ServiceChart.from_json(data["service_chart"]),
        urgency_rules=tuple(
            UrgencyRule(condition_from_json(raw["when"]), raw["urgency"], raw["reason"],
                        tuple(raw.get("alerts", ())))
            for raw in data["urgency_rules"]),
        safety_first=_safety_first_from_json(data.get("safety_first")),
        reporting_lines=(ReportingLines(data["reporting_lines"]["checklist"],
                                        data["reporting_lines"]["category"],
                                        tuple(data["reporting_lines"]["state_fields"]))
                         if "reporting_lines" in data else None),
    )


def _safety_first_from_json(data: dict[str, Any] | None) -> SafetyFirst | None:
    if data is None:
        return None
    raw = data["not_safe"]
    return SafetyFirst(tuple(data["request_types"]), tuple(data["ask_first"]),
                       NotSafe(raw["field"], raw["equals"], tuple(raw["plan"])))


def _tab_from_json(data: dict[str, Any]) -> Tab:
    return Tab(data["id"], data["title"], data["key"], tuple(data["prompts"]),
               tuple(_field_from_json(raw) for raw in data["fields"]))


def _field_from_json(data: dict[str, Any]) -> Field:
    conditions = {name: condition_from_json(data[name])
                  for name in ("when", "required_when") if name in data}
    options = (YESNO_OPTIONS if data["kind"] == "yesno"
               else tuple(Option(**raw) for raw in data.get("options", ())))
    plain = {name: value for name, value in data.items()
             if name not in conditions and name != "options"}
    return Field(**plain, **conditions, options=options)


class _Checker:
    """The checks a JSON schema cannot express, each failing with the place it found."""

    def __init__(self, source: str, data: dict[str, Any]) -> None:
        self.source = source
        self.data = data
        self.fields: dict[str, tuple[str, dict[str, Any]]] = {}  # id -> (path, raw field)
        for path, field in self._all_fields():
            self.fields.setdefault(field["id"], (path, field))
        self.request_type_ids = {kind["id"] for kind in data["request_types"]}

    def fail(self, path: str, message: str) -> None:
        raise ProtocolError(f"{self.source} at {path}: {message}")

    def check(self) -> None:
        self._check_unique(_listed(self.data["request_types"], "$.request_types"), ("id", "key"))
        self._check_unique(_listed(self.data["tabs"], "$.tabs"), ("id", "key"))
        self._check_unique(self._all_fields(), ("id",))
        self._check_call_types()
        for path, field in self._all_fields():
            self._check_field(path, field)
        for index, rule in enumerate(self.data["urgency_rules"]):
            self._check_condition(f"$.urgency_rules[{index}].when", rule["when"])
        self._check_no_visibility_circle()
        if "safety_first" in self.data:
            self._check_safety_first(self.data["safety_first"])
        if "reporting_lines" in self.data:
            self._check_reporting_lines(self.data["reporting_lines"])
        try:
            ServiceChart.from_json(self.data["service_chart"])
        except ValueError as error:
            self.fail("$.service_chart", str(error))

    def _all_fields(self) -> list[tuple[str, dict[str, Any]]]:
        return [(f"$.tabs[{tab_index}].fields[{field_index}]", field)
                for tab_index, tab in enumerate(self.data["tabs"])
                for field_index, field in enumerate(tab["fields"])]

    def _check_unique(self, items: list[tuple[str, dict[str, Any]]], keys: tuple[str, ...]
                      ) -> None:
        for key in keys:
            first_seen: dict[Any, str] = {}
            for item_path, item in items:
                if key not in item:
                    continue
                if item[key] in first_seen:
                    self.fail(f"{item_path}.{key}", f"duplicate {key} {item[key]!r} "
                                                    f"(also at {first_seen[item[key]]})")
                first_seen[item[key]] = item_path

    def _check_call_types(self) -> None:
        allowed = case_vocabulary().call_types
        for index, kind in enumerate(self.data["request_types"]):
            if kind["call_type"] not in allowed:
                self.fail(f"$.request_types[{index}].call_type",
                          f"call type {kind['call_type']!r} is not one the case store knows "
                          f"({', '.join(allowed)})")

    def _check_field(self, path: str, field: dict[str, Any]) -> None:
        self._check_unique(_listed(field.get("options", []), f"{path}.options"), ("value", "key"))
        if "required" in field and "required_when" in field:
            self.fail(f"{path}.required_when", "give either required or required_when, not both")
        if field.get("soft_limit", 0) >= field.get("max_length", float("inf")):
            self.fail(f"{path}.soft_limit", "the soft limit must be below max_length")
        for name in ("when", "required_when"):
            if name in field:
                self._check_condition(f"{path}.{name}", field[name])

    def _check_condition(self, path: str, condition: dict[str, Any]) -> None:
        for combined in ("all", "any"):
            for index, part in enumerate(condition.get(combined, ())):
                self._check_condition(f"{path}.{combined}[{index}]", part)
        if "not" in condition:
            self._check_condition(f"{path}.not", condition["not"])
        for index, kind in enumerate(condition.get("request_type", ())):
            if kind not in self.request_type_ids:
                self.fail(f"{path}.request_type[{index}]", f"unknown request type {kind!r}")
        if "field" in condition:
            self._check_field_test(path, condition)

    def _check_field_test(self, path: str, condition: dict[str, Any]) -> None:
        name = condition["field"]
        if name not in self.fields:
            self.fail(f"{path}.field", f"unknown field {name!r}")
        field = self.fields[name][1]
        tests = ([(f"{path}.equals", condition["equals"])] if "equals" in condition else
                 [(f"{path}.in[{index}]", value)
                  for index, value in enumerate(condition.get("in", ()))])
        for value_path, value in tests:
            problem = _answer_problem(field, value)
            if problem:
                self.fail(value_path, problem)

    def _check_safety_first(self, safety: dict[str, Any]) -> None:
        path = "$.safety_first"
        for index, kind in enumerate(safety["request_types"]):
            if kind not in self.request_type_ids:
                self.fail(f"{path}.request_types[{index}]", f"unknown request type {kind!r}")
        named = [(f"{path}.ask_first[{index}]", name)
                 for index, name in enumerate(safety["ask_first"])]
        named += [(f"{path}.not_safe.plan[{index}]", name)
                  for index, name in enumerate(safety["not_safe"]["plan"])]
        named.append((f"{path}.not_safe.field", safety["not_safe"]["field"]))
        for where, name in named:
            if name not in self.fields:
                self.fail(where, f"unknown field {name!r}")
        tabs = {self.fields[name][0].split(".fields")[0] for name in safety["ask_first"]}
        if len(tabs) > 1:
            self.fail(f"{path}.ask_first", "the questions asked first must share one tab")
        self._check_field_test(f"{path}.not_safe", safety["not_safe"])

    def _check_reporting_lines(self, lines: dict[str, Any]) -> None:
        path = "$.reporting_lines"
        checklist = self.fields.get(lines["checklist"])
        if checklist is None or checklist[1]["kind"] != "checklist":
            self.fail(f"{path}.checklist", f"{lines['checklist']!r} is not a checklist field")
        for index, name in enumerate(lines["state_fields"]):
            if name not in self.fields or self.fields[name][1]["kind"] != "state":
                self.fail(f"{path}.state_fields[{index}]", f"{name!r} is not a state field")
        if lines["category"] not in vocabulary().categories:
            self.fail(f"{path}.category", f"{lines['category']!r} is not a directory category "
                                          "(resources/taxonomy/hotline.json)")

    def _check_no_visibility_circle(self) -> None:
        shown_after = {name: fields_named(condition_from_json(raw["when"])) if "when" in raw
                       else frozenset() for name, (_, raw) in self.fields.items()}
        settled: set[str] = set()

        def visit(name: str, trail: tuple[str, ...]) -> None:
            if name in trail:
                circle = " → ".join((*trail[trail.index(name):], name))
                self.fail(f"{self.fields[trail[-1]][0]}.when",
                          f"fields hide each other in a circle: {circle}")
            if name not in settled:
                for needed in shown_after[name]:
                    visit(needed, (*trail, name))
                settled.add(name)

        for name in shown_after:
            visit(name, ())


def _listed(items: list[dict[str, Any]], path: str) -> list[tuple[str, dict[str, Any]]]:
    """Each item of a JSON list with its path."""
    return [(f"{path}[{index}]", item) for index, item in enumerate(items)]


def _answer_problem(field: dict[str, Any], value: Any) -> str | None:
    """Why ``value`` can never be an answer to ``field``, or None when it can."""
    kind = field["kind"]
    allowed = _allowed_answers(field)
    if allowed is not None and value not in allowed:
        return (f"{value!r} is not an answer field {field['id']!r} offers "
                f"({', '.join(sorted(allowed))})")
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return f"field {field['id']!r} takes numbers, not {value!r}"
    if kind in TEXT_KINDS and not isinstance(value, str):
        return f"field {field['id']!r} takes text, not {value!r}"
    return None


def _allowed_answers(field: dict[str, Any]) -> frozenset[str] | None:
    kind = field["kind"]
    if kind in CHOICE_KINDS:
        return frozenset(option["value"] for option in field["options"])
    if kind == "yesno":
        return frozenset(option.value for option in YESNO_OPTIONS)
    if kind == "state":
        return frozenset(code for code, _ in us_states())
    return None

