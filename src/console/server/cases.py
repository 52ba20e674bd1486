"""Cases on the server: applying what workstations push, exactly once, and the cases feed.

Each pushed change is applied together with a row in ``applied_change`` keyed by the change's id
(one transaction per request, a savepoint per change). A resend of a change that already landed
finds that row and gets the same answer again; two copies racing each other cannot both commit
(the key is unique). A change that can never apply is answered "rejected" with the reason, and
that answer is kept too.

Supervisors see every case; a specialist sees the cases they created or were ever assigned, and
every case waiting in the next shift's queue. Neither the feed nor an answer to a push ever
carries a case to someone who may not see it — not even to the one who was too late to take it
from the queue, who is told only who took it.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, insert, select, union, update
from sqlalchemy.exc import DataError, IntegrityError

from console.cases.changes import (
    NEXT_SHIFT,
    Applied,
    Case,
    InvalidChange,
    apply_change,
    validate_change,
)
from console.server.auth import Principal
from console.server.db import take_seqs, write_transaction
from console.server.models import (
    AppliedChange,
    AuditEvent,
    CaseAccess,
    CaseConflict,
    CaseRecord,
)

# Supervisors see and may change every case; specialists the cases they took or were handed,
# and every case waiting in the next shift's queue, so that anyone on the shift can take it.
SEES_ALL_CASES = ("supervisor",)
WORKS_CASES = ("specialist", "supervisor")
MAX_PUSH = 500


def _now() -> datetime:
    return datetime.now(UTC)


# Built once: composing a statement costs more than running it on a case-sized row.
_ACCESS = select(CaseAccess.case_id).where(CaseAccess.user_name == bindparam("user"),
                                          CaseAccess.case_id == bindparam("case_id"))
_DOC = select(CaseRecord.doc).where(CaseRecord.id == bindparam("case_id"))
_DOC_FOR_UPDATE = _DOC.with_for_update()
_UPDATE_CASE = update(CaseRecord).where(CaseRecord.id == bindparam("case_id"))
_INSERT_CASE = insert(CaseRecord)
_GRANT = insert(CaseAccess)
_RECORD = insert(AppliedChange)
_AUDIT = insert(AuditEvent)
_EARLIER = select(AppliedChange.result, AppliedChange.user_name).where(
    AppliedChange.change_id == bindparam("change_id"))


def _may_use(connection: Connection, principal: Principal, case: Case) -> bool:
    # Its author and its assignee always have access (``_store``): no need to look it up.
    if principal.role in SEES_ALL_CASES or case["assigned_to"] in (NEXT_SHIFT, principal.name) \
            or case["created_by"] == principal.name:
        return True
    return connection.execute(
        _ACCESS, {"user": principal.name, "case_id": case["id"]}).first() is not None


def _takes_from_queue(case: Case, change: dict[str, Any]) -> bool:
    """Whether ``change`` accepts a handoff to the next shift's queue: anyone on the shift may
    try, even once the case has left the queue, to be told who took it."""
    if change["kind"] != "acknowledge_handoff":
        return False
    handoff_id = change["payload"].get("handoff_id")
    return any(h["id"] == handoff_id and h["to_user"] == NEXT_SHIFT
               for h in case.get("handoffs", []))


def _load(connection: Connection, case_id: str) -> Case | None:
    # On PostgreSQL, changes to one case apply one after another (SQLite has one writer anyway).
    query = _DOC_FOR_UPDATE if connection.dialect.name == "postgresql" else _DOC
    doc = connection.execute(query, {"case_id": case_id}).scalar()
    return None if doc is None else orjson.loads(doc)


def _unnumbered() -> int:
    """A stand-in feed number until the request's end (negative: no reader ever asks for it)."""
    return -1 - secrets.randbits(62)


def _store(connection: Connection, applied: Applied, existed: bool) -> None:
    case = applied.case
    values = {"seq": _unnumbered(), "version": case["version"],
              "doc": orjson.dumps(case).decode(), "assigned_to": case["assigned_to"],
              "status": case["status"], "urgency": case["urgency"],
              "updated_at": case["updated_at"]}
    if existed:
        connection.execute(_UPDATE_CASE, {"case_id": case["id"], **values})
    else:
        connection.execute(_INSERT_CASE, {"id": case["id"], "created_by": case["created_by"],
                                          "created_at": case["created_at"], **values})
    for user in {case["created_by"], case["assigned_to"]} - {None}:
        _grant(connection, user, case["id"])


def _grant(connection: Connection, user: str, case_id: str) -> None:
    if connection.execute(_ACCESS, {"user": user, "case_id": case_id}).first() is None:
        connection.execute(_GRANT, {"user_name": user, "case_id": case_id})


def _keep_conflicts(connection: Connection, principal: Principal, applied: Applied) -> None:
    for conflict in applied.conflicts:
        connection.execute(insert(CaseConflict).values(
            case_id=conflict.case_id, change_id=conflict.change_id, user_name=principal.name,
            field=conflict.field, base_value=json.dumps(conflict.base_value),
            server_value=json.dumps(conflict.server_value),
            client_value=json.dumps(conflict.client_value), created_at=_now()))


def _apply_one(connection: Connection, principal: Principal, change: dict[str, Any]
               ) -> tuple[dict[str, Any], Applied]:
    case_id = change["case_id"]
    case = _load(connection, case_id)
    if case is not None and not _may_use(connection, principal, case) \
            and not _takes_from_queue(case, change):
        raise InvalidChange("you may not change this case")
    applied = apply_change(case, change, principal.name)
    if applied.changed:
        _store(connection, applied, existed=case is not None)
    _keep_conflicts(connection, principal, applied)
    return {"status": "conflict" if applied.conflicts else "applied",
            "conflicts": [c.as_dict() for c in applied.conflicts]}, applied


def _record(connection: Connection, principal: Principal, change: dict[str, Any],
            result: dict[str, Any]) -> None:
    connection.execute(_RECORD, {
        "change_id": change["change_id"], "case_id": change["case_id"],
        "user_name": principal.name, "status": result["status"], "result": json.dumps(result),
        "applied_at": _now()})
    connection.execute(_AUDIT, {
        "at": _now(), "user_name": principal.name, "action": f"case.{change.get('kind')}",
        "subject": change["case_id"], "detail": result["status"]})


def _earlier_answer(connection: Connection, principal: Principal, change_id: str
                   ) -> dict[str, Any] | None:
    """The answer given when this change first arrived; only its sender hears it again."""
    stored = connection.execute(_EARLIER, {"change_id": change_id}).first()
    if stored is None:
        return None
    if stored.user_name != principal.name:
        return {"status": "rejected", "reason": "another user sent a change with this id",
                "conflicts": [], "duplicate": True}
    return {**json.loads(stored.result), "duplicate": True}


def push_changes(engine: Engine, principal: Principal, changes: list[Any]
                 ) -> list[dict[str, Any]]:
    """Apply pushed changes, each exactly once, in order; one answer per change.

    One transaction for the whole request (one commit, not one per change), each change inside
    its own savepoint, so a change that collides or cannot be stored costs only itself. A
    malformed change is answered "rejected" at once (resending it gives the same answer).
    """
    answers: list[dict[str, Any] | None] = []
    valid: list[tuple[int, dict[str, Any]]] = []
    for position, change in enumerate(changes):
        problem = _problem(principal, change)
        answers.append(_rejected(change, problem) if problem else None)
        if problem is None:
            valid.append((position, change))
    if valid:
        with write_transaction(engine) as connection:
            changed: set[str] = set()
            for position, change in valid:
                answers[position] = _apply_in_savepoint(connection, principal, change, changed)
            _number(connection, changed)
    return [answer for answer in answers if answer is not None]


def _number(connection: Connection, case_ids: set[str]) -> None:
    """Give the cases this request changed their feed numbers, as the very last step.

    Taking the numbers locks the feed clock until commit (see ``console.server.models``); taken
    last, that lock is held for a few statements, not for the whole request.
    """
    if not case_ids:
        return
    first = take_seqs(connection, len(case_ids))
    connection.execute(
        update(CaseRecord).where(CaseRecord.id == bindparam("case_id"))
        .values(seq=bindparam("new_seq")),
        [{"case_id": case_id, "new_seq": first + n} for n, case_id in
         enumerate(sorted(case_ids))])


def push_change(engine: Engine, principal: Principal, change: Any) -> dict[str, Any]:
    """Apply one pushed change exactly once (see ``push_changes``)."""
    return push_changes(engine, principal, [change])[0]


def _problem(principal: Principal, change: Any) -> str | None:
    try:
        validate_change(change)
        if principal.role not in WORKS_CASES:
            raise InvalidChange("your role does not work on cases")
        _check_storable(change)
    except InvalidChange as problem:
        return str(problem)
    return None


def _apply_in_savepoint(connection: Connection, principal: Principal, change: dict[str, Any],
                        changed: set[str]) -> dict[str, Any]:
    for _attempt in range(3):
        try:
            with connection.begin_nested():
                answer, applied = _apply_here(connection, principal, change)
            if applied is not None and applied.changed:
                changed.add(change["case_id"])
            return answer
        except IntegrityError:
            continue  # a copy of this change (or a create of this case) committed first
        except DataError:
            # Text PostgreSQL cannot keep in a column (a NUL character): it never will.
            return _rejected(change, "the change holds text the database cannot store")
    raise RuntimeError("the change kept colliding with another; try again")


def _rejected(change: Any, reason: str) -> dict[str, Any]:
    change_id = change.get("change_id") if isinstance(change, dict) else None
    if not isinstance(change_id, str) or not change_id.isascii():
        change_id = None  # echo only what could be an id: anything else may not even encode
    return {"change_id": change_id, "status": "rejected", "reason": reason, "conflicts": []}


def _check_storable(change: dict[str, Any]) -> None:
    """A case is stored as JSON: text that is not valid Unicode can never be part of one."""
    try:
        orjson.dumps(change)
    except orjson.JSONEncodeError as error:
        raise InvalidChange(f"the change cannot be stored: {error}") from None


def _apply_here(connection: Connection, principal: Principal, change: dict[str, Any]
                ) -> tuple[dict[str, Any], Applied | None]:
    """The answer to ``change`` and what it did.

    The answer holds the case as it is now when the caller may see it. When the case exists but
    the caller may not see it (any more: someone else took it from the queue), the answer says
    only that — "withdrawn" — so the workstation can drop its copy without learning anything.
    """
    applied = None
    result = _earlier_answer(connection, principal, change["change_id"])
    if result is None:
        try:
            result, applied = _apply_one(connection, principal, change)
        except InvalidChange as problem:
            result = {"status": "rejected", "reason": str(problem), "conflicts": []}
        _record(connection, principal, change, result)
    case = applied.case if applied is not None else _load(connection, change["case_id"])
    if case is not None and _may_use(connection, principal, case):
        result["case"] = case
    elif case is not None:
        result["withdrawn"] = True
    return {"change_id": change["change_id"], "case_id": change["case_id"], **result}, applied


def cases_after(engine: Engine, principal: Principal, after: int, limit: int
                ) -> tuple[list[Any], int, bool]:
    """Cases this user may see that changed after feed number ``after``, oldest change first."""
    query = select(CaseRecord.seq, CaseRecord.doc).where(CaseRecord.seq > after)
    if principal.role not in SEES_ALL_CASES:
        # The few ids this user may see first (their own, the queue), then those cases by key:
        # never a walk through every case in the feed.
        visible = union(
            select(CaseAccess.case_id.label("id")).where(CaseAccess.user_name == principal.name),
            select(CaseRecord.id).where(CaseRecord.assigned_to == NEXT_SHIFT)).subquery()
        query = query.join(visible, visible.c.id == CaseRecord.id)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(CaseRecord.seq).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    docs = [orjson.Fragment(doc) for _, doc in rows]
    return docs, rows[-1][0] if rows else after, more


def queued_case_ids(engine: Engine) -> list[str]:
    """The cases waiting in the next shift's queue now (every specialist sees them)."""
    query = select(CaseRecord.id).where(CaseRecord.assigned_to == NEXT_SHIFT)
    with engine.connect() as connection:
        return list(connection.scalars(query.order_by(CaseRecord.id)))


def open_conflicts(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(CaseConflict).order_by(CaseConflict.id)).all()
    return [{"id": r.id, "case_id": r.case_id, "change_id": r.change_id, "user": r.user_name,
             "field": r.field, "base_value": json.loads(r.base_value),
             "server_value": json.loads(r.server_value),
             "client_value": json.loads(r.client_value),
             "created_at": r.created_at.isoformat()} for r in rows]
