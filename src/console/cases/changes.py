"""A case as a document, and the changes that build it — the same rules on workstation and server.

A case is a plain JSON-ready dict (see ``new_case``). Every change a specialist makes is a small
record with an id generated on the workstation (``new_change``); the workstation applies it to its
local copy at once and queues it in its outbox, and the server applies the very same function when
the change arrives. So both sides agree on what a change means, and a workstation can replay its
unsent changes on top of a newer server copy.

Notes, referrals, tasks and contacts only ever add records with their own ids, so they never
conflict; a handoff adds one too but also moves the case, so two at once are settled by who came
first (``_reassign``), as are two people taking one case from the next shift's queue.
Field edits carry the value they replace (``from``) and the version they were based on: if the
server's value is still ``from`` (or already ``to``), the edit applies; if someone else changed
that field meanwhile, the server keeps its value and the edit comes back as a ``FieldConflict``
holding both texts, so neither is lost.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson

from console import settings

Case = dict[str, Any]
Change = dict[str, Any]

EDITABLE_FIELDS = ("call_type", "urgency", "status", "summary", "assigned_to", "request_type",
                   "protocol", "due_at", "taken_as_message", "related_case")
# The intake's answers are edited one by one as "answers.<field id>", each with its own 3-way
# check, so two people completing different fields of one intake never conflict.
ANSWER_PREFIX = "answers."
ANSWER_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
CREATE_FIELDS = ("call_type", "urgency", "status", "summary", "request_type", "protocol",
                 "due_at", "taken_as_message", "number")
# A case handed "to the next shift" waits in this queue until someone on that shift accepts it.
NEXT_SHIFT = "next shift"
PENDING, ACCEPTED, RETURNED, SUPERSEDED = "pending", "accepted", "returned", "superseded"
# The intake's summary answer, mirrored into the case's own summary.
SUMMARY_FIELD = "summary"
ITEM_LISTS = {"add_note": "notes", "add_referral": "referrals", "hand_off": "handoffs",
              "add_task": "tasks", "add_contact": "contacts"}


class InvalidChange(ValueError):
    """A change that can never apply (malformed, unknown case, value not allowed)."""


@dataclass(frozen=True)
class CaseVocabulary:
    """The values case fields may take, from ``resources/cases/fields.json``."""

    call_types: tuple[str, ...]
    urgencies: tuple[str, ...]
    statuses: tuple[str, ...]
    limits: dict[str, int]
    referral_outcomes: tuple[str, ...]


@cache
def case_vocabulary() -> CaseVocabulary:
    data = json.loads((settings.resources_dir() / "cases" / "fields.json").read_text("utf-8"))
    return CaseVocabulary(tuple(data["call_types"]), tuple(data["urgencies"]),
                          tuple(data["statuses"]), dict(data["limits"]),
                          tuple(data["referral_outcomes"]))


@dataclass(frozen=True)
class FieldConflict:
    """One field two people changed: the server kept its value; the other text rides along."""

    case_id: str
    change_id: str
    field: str
    base_value: Any
    server_value: Any
    client_value: Any

    def as_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "change_id": self.change_id, "field": self.field,
                "base_value": self.base_value, "server_value": self.server_value,
                "client_value": self.client_value}


@dataclass
class Applied:
    """The case after a change, whether the change altered it, and the fields left in conflict."""

    case: Case
    changed: bool
    conflicts: list[FieldConflict] = field(default_factory=list)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def parse_time(iso: str | None) -> datetime | None:
    """An aware time from stored ISO text; None for none or text that is not a time (a time
    without a zone is read as UTC, as every stored time is)."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def utc_text(value: Any) -> str | None:
    """An ISO time as UTC text with milliseconds, the form every stored time sorts in; None for
    anything that is not a time with a zone."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
        return None if parsed.tzinfo is None else \
            parsed.astimezone(UTC).isoformat(timespec="milliseconds")
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 shifted past the range
        return None


def is_answered(value: Any) -> bool:
    """Whether an intake answer says anything (not None, blank text or an empty list)."""
    return value not in (None, "", []) and not (isinstance(value, str) and not value.strip())


def new_id() -> str:
    return str(uuid.uuid4())


def new_change(kind: str, case_id: str, payload: dict[str, Any], base_version: int = 0,
               at: str | None = None) -> Change:
    """A change as the workstation records it; its ``change_id`` makes resending harmless."""
    return {"change_id": new_id(), "case_id": case_id, "kind": kind,
            "base_version": base_version, "at": at or utc_now(), "payload": payload}


def new_case(case_id: str, actor: str, at: str) -> Case:
    return {"id": case_id, "version": 0, "call_type": None, "urgency": None, "status": None,
            "summary": "", "created_at": at, "updated_at": at, "created_by": actor,
            "assigned_to": actor, "request_type": None, "protocol": None, "due_at": None,
            "taken_as_message": False, "number": None, "related_case": None, "answers": {},
            "notes": [], "referrals": [], "handoffs": [], "tasks": [], "contacts": []}


def is_editable(name: str) -> bool:
    if name.startswith(ANSWER_PREFIX):
        return ANSWER_ID.fullmatch(name.removeprefix(ANSWER_PREFIX)) is not None
    return name in EDITABLE_FIELDS


def get_field(case: Case, name: str) -> Any:
    """A field's value; an intake answer never given reads as None."""
    if name.startswith(ANSWER_PREFIX):
        return (case.get("answers") or {}).get(name.removeprefix(ANSWER_PREFIX))
    return case.get(name)


def _set_field(case: Case, name: str, value: Any) -> None:
    if name.startswith(ANSWER_PREFIX):
        case.setdefault("answers", {})[name.removeprefix(ANSWER_PREFIX)] = value
    else:
        case[name] = value


# --- checking what a change says ---------------------------------------------------------------

def _text(payload: dict[str, Any], key: str, limit: str, required: bool = True) -> str | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidChange(f"{key} must be {'non-empty ' if required else ''}text")
    maximum = case_vocabulary().limits[limit]
    if len(value) > maximum:
        raise InvalidChange(f"{key} is longer than {maximum:,} characters")
    return value


def _check_field(name: str, value: Any) -> None:
    vocab = case_vocabulary()
    allowed = {"call_type": vocab.call_types, "urgency": vocab.urgencies,
               "status": vocab.statuses}.get(name)
    if allowed is not None:
        if value not in allowed:
            raise InvalidChange(f"{name} must be one of: {', '.join(allowed)}")
    elif name == "summary":
        if value is None:
            raise InvalidChange("summary must be text (empty is fine)")
        _text({name: value}, name, "summary", required=False)
    elif name in ("assigned_to", "request_type", "protocol", "number") and value is not None:
        _text({name: value}, name, "short_text")
    elif name == "related_case" and value is not None:
        _check_uuid(value, name)
    elif name == "due_at" and value is not None:
        _check_time(value, name)
    elif name == "taken_as_message" and not isinstance(value, bool):
        raise InvalidChange("taken_as_message must be true or false")
    elif name.startswith(ANSWER_PREFIX):
        _check_answer(name, value)


def _check_answer(name: str, value: Any) -> None:
    """An intake answer: a number, yes/no, a short or long text, or a list of choices."""
    limit = case_vocabulary().limits["summary"]
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, str):
        if len(value) > limit:
            raise InvalidChange(f"{name} is longer than {limit:,} characters")
        return
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        if len(value) > 100 or sum(map(len, value)) > limit:
            raise InvalidChange(f"{name} lists too many choices")
        return
    raise InvalidChange(f"{name} must be text, a number, true/false or a list of texts")


def _check_time(value: Any, what: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidChange(f"{what} must be an ISO 8601 time with a zone")
    return parsed


def _check_uuid(value: Any, what: str) -> str:
    """``value`` if it is a UUID in its canonical form (lower case, with hyphens)."""
    try:
        canonical = str(uuid.UUID(str(value)))
    except ValueError:
        canonical = None
    if canonical is None or canonical != value:  # None would otherwise equal a missing id
        raise InvalidChange(f"{what} must be a UUID in lower case with hyphens")
    return canonical


def validate_change(change: Any) -> Change:
    """The change if it is well formed; otherwise ``InvalidChange`` saying what is wrong."""
    if not isinstance(change, dict):
        raise InvalidChange("a change must be an object")
    kind = change.get("kind")
    if not isinstance(kind, str) or kind not in _APPLIERS:  # a list or object is unhashable
        raise InvalidChange(f"unknown change kind: {kind!r}")
    _check_uuid(change.get("change_id"), "change_id")
    _check_uuid(change.get("case_id"), "case_id")
    base = change.get("base_version")
    if not isinstance(base, int) or isinstance(base, bool) or base < 0:
        raise InvalidChange("base_version must be a whole number ≥ 0")
    _check_time(change.get("at"), "at")
    if not isinstance(change.get("payload"), dict):
        raise InvalidChange("payload must be an object")
    return change


# --- applying ----------------------------------------------------------------------------------

def _create(case: Case | None, change: Change, actor: str) -> Applied:
    if case is not None:
        raise InvalidChange("this case already exists")
    payload = change["payload"]
    created = new_case(change["case_id"], actor, change["at"])
    for name in CREATE_FIELDS:
        value = payload.get(name, created[name])
        if name in payload or value is not None:
            _check_field(name, value)
        created[name] = value
    answers = payload.get("answers", {})
    if not isinstance(answers, dict):
        raise InvalidChange("answers must be an object")
    for answer_id, value in answers.items():
        name = ANSWER_PREFIX + str(answer_id)
        if not is_editable(name):
            raise InvalidChange(f"{answer_id!r} is not a valid answer id")
        _check_field(name, value)
        _set_field(created, name, value)
    return Applied(created, changed=True)


def _update(case: Case, change: Change, actor: str) -> Applied:
    fields = change["payload"].get("fields")
    if not isinstance(fields, dict) or not fields:
        raise InvalidChange("an update names the fields it changes")
    edits: list[tuple[str, Any, Any]] = []
    for name, edit in fields.items():
        if not isinstance(name, str) or not is_editable(name):
            raise InvalidChange(f"{name!r} is not a field that can be edited")
        if not isinstance(edit, dict) or "to" not in edit or "from" not in edit:
            raise InvalidChange(f"the edit of {name} needs 'from' and 'to'")
        _check_field(name, edit["to"])
        edits.append((name, edit["from"], edit["to"]))
    conflicts, changed = [], False
    for name, before, after in edits:
        current = get_field(case, name)
        if current == after:
            continue
        if current == before:
            _set_field(case, name, after)
            changed = True
        else:
            conflicts.append(FieldConflict(case["id"], change["change_id"], name, before,
                                           current, after))
    return Applied(case, changed, conflicts)


def _add_item(case: Case, change: Change, actor: str) -> Applied:
    payload, kind = change["payload"], change["kind"]
    item_id = _check_uuid(payload.get("id"), "payload.id")
    items = case.setdefault(ITEM_LISTS[kind], [])
    known = next((item for item in items if item["id"] == item_id), None)
    if known is not None:
        # A resent handoff that lost its race says so again, as its first copy did.
        lost = kind == "hand_off" and "lost_to" in known
        return Applied(case, changed=False,
                       conflicts=[_lost_handoff(case, change, known)] if lost else [])
    item = _ITEM_BUILDERS[kind](payload, actor, change["at"])
    items.append({"id": item_id, **item})
    conflicts = _reassign(case, change, items[-1]) if kind == "hand_off" else []
    return Applied(case, changed=True, conflicts=conflicts)


def _reassign(case: Case, change: Change, handoff: dict[str, Any]) -> list[FieldConflict]:
    """Hand the case on, unless someone else handed it on first.

    The sender says whom they are taking it from (``from_assignee``); when that is no longer who
    holds the case, two people handed it at once and the first to reach the server won. The
    later handoff stays on the case, marked superseded with its note and ``lost_to`` (who held
    the case; only a handoff that lost a race has this key), and comes back to its sender as a
    conflict naming the winner, so nothing is lost and nobody is left guessing. A handoff that
    goes through supersedes any earlier one still waiting for its receiver: that receiver no
    longer holds the case, so cannot accept it any more.
    """
    if case["assigned_to"] != change["payload"].get("from_assignee", case["assigned_to"]):
        handoff.update(state=SUPERSEDED, lost_to=case["assigned_to"])
        return [_lost_handoff(case, change, handoff)]
    for earlier in case["handoffs"][:-1]:
        if handoff_state(earlier) == PENDING:
            earlier["state"] = SUPERSEDED
    case["assigned_to"] = handoff["to_user"]
    return []


def _lost_handoff(case: Case, change: Change, handoff: dict[str, Any]) -> FieldConflict:
    """A handoff that lost its race: whom it expected, who held the case, whom it named."""
    return FieldConflict(case["id"], change["change_id"], "assigned_to",
                         change["payload"].get("from_assignee"), handoff["lost_to"],
                         handoff["to_user"])


def handoff_state(handoff: dict[str, Any]) -> str:
    """A handoff's state; records from before states were kept are pending or accepted."""
    return handoff.get("state") or (ACCEPTED if handoff.get("acknowledged_at") else PENDING)


def _note(payload: dict[str, Any], actor: str, at: str) -> dict[str, Any]:
    return {"text": _text(payload, "text", "note"), "author": actor, "created_at": at}


def _referral(payload: dict[str, Any], actor: str, at: str) -> dict[str, Any]:
    return {"service_id": _text(payload, "service_id", "short_text"),
            "service_name": _text(payload, "service_name", "short_text"),
            "given_by": actor, "given_at": at, "outcome": None, "outcome_note": "",
            "outcome_at": None, "outcome_by": None}


def _handoff(payload: dict[str, Any], actor: str, at: str) -> dict[str, Any]:
    from_assignee = payload.get("from_assignee")
    if from_assignee is not None:
        _text(payload, "from_assignee", "short_text")
    return {"from_user": actor, "to_user": _text(payload, "to_user", "short_text"),
            "note": _text(payload, "note", "note", required=False) or "", "created_at": at,
            "state": PENDING, "acknowledged_at": None, "acknowledged_by": None,
            "return_reason": None}


def _task(payload: dict[str, Any], actor: str, at: str) -> dict[str, Any]:
    due_at = payload.get("due_at")
    if due_at is not None:
        _check_time(due_at, "due_at")
    # A task made for a mandated step left undone on the call names that step, so the case,
    # the packet and the supervisor view can carry it until someone marks it done.
    return {"text": _text(payload, "text", "short_text"), "due_at": due_at,
            "mandated_step": _text(payload, "mandated_step", "short_text", required=False),
            "created_by": actor, "created_at": at, "done_at": None, "done_by": None}


def _contact(payload: dict[str, Any], actor: str, at: str) -> dict[str, Any]:
    return {"case_id": _check_uuid(payload.get("case_id"), "payload.case_id"),
            "note": _text(payload, "note", "note", required=False) or "",
            "linked_by": actor, "linked_at": at}


_ITEM_BUILDERS: dict[str, Callable[[dict[str, Any], str, str], dict[str, Any]]] = {
    "add_note": _note, "add_referral": _referral, "hand_off": _handoff, "add_task": _task,
    "add_contact": _contact}


def _item(case: Case, list_name: str, payload_key: str, change: Change) -> dict[str, Any]:
    item_id = _check_uuid(change["payload"].get(payload_key), f"payload.{payload_key}")
    found = next((i for i in case.get(list_name, []) if i["id"] == item_id), None)
    if found is None:
        raise InvalidChange(f"no such {list_name[:-1]} on this case")
    return found


def _acknowledge(case: Case, change: Change, actor: str) -> Applied:
    """The receiver accepts a handoff; from the next-shift queue, whoever takes it first."""
    handoff = _item(case, "handoffs", "handoff_id", change)
    if handoff["to_user"] == NEXT_SHIFT:
        return _take_from_queue(case, change, actor, handoff)
    if handoff["to_user"] != actor:
        raise InvalidChange("only the person a case was handed to can accept it")
    state = handoff_state(handoff)
    if state == ACCEPTED:
        return Applied(case, changed=False)
    if state != PENDING:
        raise InvalidChange(f"this handoff was {state}")
    handoff.update(state=ACCEPTED, acknowledged_at=change["at"], acknowledged_by=actor)
    return Applied(case, changed=True)


def _take_from_queue(case: Case, change: Change, actor: str,
                     handoff: dict[str, Any]) -> Applied:
    """The first to accept a case from the queue becomes its assignee; anyone after that gets
    a conflict naming who has it, however the case left the queue."""
    state = handoff_state(handoff)
    if state == ACCEPTED and handoff.get("acknowledged_by") == actor:
        return Applied(case, changed=False)
    if state == PENDING and case["assigned_to"] == NEXT_SHIFT:
        case["assigned_to"] = actor
        handoff.update(state=ACCEPTED, acknowledged_at=change["at"], acknowledged_by=actor)
        return Applied(case, changed=True)
    holder = handoff.get("acknowledged_by") if state == ACCEPTED else case["assigned_to"]
    return Applied(case, changed=False, conflicts=[FieldConflict(
        case["id"], change["change_id"], "assigned_to", NEXT_SHIFT, holder, actor)])


def _return(case: Case, change: Change, actor: str) -> Applied:
    """The receiver gives a handoff back, saying why; the case goes back to its sender."""
    handoff = _item(case, "handoffs", "handoff_id", change)
    reason = _text(change["payload"], "reason", "note")
    if handoff["to_user"] != actor:
        raise InvalidChange("only the person a case was handed to can return it")
    state = handoff_state(handoff)
    if state == RETURNED:
        return Applied(case, changed=False)
    if state != PENDING:
        raise InvalidChange(f"this handoff was {state}")
    handoff.update(state=RETURNED, return_reason=reason, acknowledged_at=change["at"],
                   acknowledged_by=actor)
    if case["assigned_to"] == actor:
        case["assigned_to"] = handoff["from_user"]
    return Applied(case, changed=True)


def _complete_task(case: Case, change: Change, actor: str) -> Applied:
    task = _item(case, "tasks", "task_id", change)
    if task["done_at"] is not None:
        return Applied(case, changed=False)
    task.update(done_at=change["at"], done_by=actor)
    return Applied(case, changed=True)


def _outcome(case: Case, change: Change, actor: str) -> Applied:
    """How a referral turned out (reached, services received…), closing the loop."""
    referral = _item(case, "referrals", "referral_id", change)
    outcome = change["payload"].get("outcome")
    if outcome not in case_vocabulary().referral_outcomes:
        raise InvalidChange("outcome must be one of: "
                            + ", ".join(case_vocabulary().referral_outcomes))
    note = _text(change["payload"], "note", "note", required=False) or ""
    if referral.get("outcome") == outcome and referral.get("outcome_note", "") == note:
        return Applied(case, changed=False)
    referral.update(outcome=outcome, outcome_note=note, outcome_at=change["at"],
                    outcome_by=actor)
    return Applied(case, changed=True)


_APPLIERS: dict[str, Callable[..., Applied]] = {
    "create": _create, "update": _update, "add_note": _add_item, "add_referral": _add_item,
    "hand_off": _add_item, "acknowledge_handoff": _acknowledge, "return_handoff": _return,
    "add_task": _add_item, "complete_task": _complete_task, "referral_outcome": _outcome,
    "add_contact": _add_item}


def apply_change(case: Case | None, change: Change, actor: str) -> Applied:
    """Apply ``change`` made by ``actor`` to a copy of ``case`` (None: the case does not exist).

    Raises ``InvalidChange`` for a change that can never apply. The version goes up by one for
    every change that alters the case.
    """
    validate_change(change)
    if change["kind"] != "create":
        if case is None:
            raise InvalidChange("no such case")
        # Never alter the caller's copy. orjson: a long backlog on one large case replays this
        # copy once per change, on the server and on the workstation.
        case = orjson.loads(orjson.dumps(case))
    applied = _APPLIERS[change["kind"]](case, change, actor)
    if applied.changed:
        applied.case["version"] += 1
        # A change made offline may arrive late: the case never looks older than it was.
        applied.case["updated_at"] = max(applied.case["updated_at"], change["at"],
                                         key=datetime.fromisoformat)
    return applied
