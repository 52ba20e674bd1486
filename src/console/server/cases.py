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
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, union, update
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
    User,
)

# Supervisors see and may change every case; specialists the cases they took or were handed,
# and every case waiting in the next shift's queue, so that anyone on the shift can take it.
SEES_ALL_CASES = ("supervisor",)
WORKS_CASES = ("specialist", "supervisor")
# What one request may ask of the server. Over the first two the whole push is refused with 413
# (the workstation sends it again in smaller batches); a change that would take a case past the
# last two is rejected on its own, since it can never apply.
MAX_PUSH = 200  # changes in one push
MAX_PUSH_BYTES = 4 * 1024 * 1024
MAX_CASE_BYTES = 1024 * 1024  # one case document, as stored
MAX_ITEMS_PER_CASE = 2_000  # notes, contacts, tasks... in one list of one case
# Case documents in one reply (a push's answers or a page of the feed): past this, the push
# answers leave the case out (the next pull brings it) and a feed page ends early.
MAX_REPLY_CASE_BYTES = 8 * 1024 * 1024


def _now() -> datetime:
    return datetime.now(UTC)


# Built once: composing a statement costs more than running it on a case-sized row.
_ACCESS = select(CaseAccess.case_id).where(CaseAccess.user_name == bindparam("user"),
                                          CaseAccess.case_id == bindparam("case_id"))
_DOC = select(CaseRecord.doc).where(CaseRecord.id == bindparam("case_id"))
_DOC_FOR_UPDATE = _DOC.with_for_update()
_INSERT_CASE = insert(CaseRecord)
_GRANT = insert(CaseAccess)
_RECORD = insert(AppliedChange)
_AUDIT = insert(AuditEvent)
_EARLIER = select(AppliedChange.result, AppliedChange.user_name).where(
    AppliedChange.change_id == bindparam("change_id"))


def _may_use(connection: Connection, principal: Principal, case: Case) -> bool:
    # Its author and its assignee always have access (``_Batch.keep``): no need to look it up.
    if principal.role in SEES_ALL_CASES or case["assigned_to"] in (NEXT_SHIFT, principal.name) \
            or case["created_by"] == principal.name:
        return True
    return connection.execute(
        _ACCESS, {"user": principal.name, "case_id": case["id"]}).first() is not None


_RECEIVER = select(User.role, User.disabled).where(User.name == bindparam("name"))


def _check_receiver(connection: Connection, to_user: str) -> None:
    """A case is handed to the next shift's queue or to an enabled user who works cases: never
    to a name nobody holds yet (whoever took that name later would get the case)."""
    if to_user == NEXT_SHIFT:
        return
    receiver = connection.execute(_RECEIVER, {"name": to_user}).first()
    if receiver is None or receiver.disabled or receiver.role not in WORKS_CASES:
        raise InvalidChange(f"{to_user} is not a user who can take cases")


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


class _Batch:
    """The cases one push works on, each read once and written once, in its final state.

    A backlog of many changes to one case used to read, copy, store and send back the whole
    (growing) document once per change. Here each case is read on first use and kept; a change
    that alters it replaces the kept copy; the request's end stores each changed case once and
    answers with each case once. A new case is inserted at once, so that two copies of its
    create racing each other collide on its key inside the change's savepoint.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.cases: dict[str, Case | None] = {}
        self.changed: set[str] = set()

    def case(self, case_id: str) -> Case | None:
        if case_id not in self.cases:
            self.cases[case_id] = _load(self._connection, case_id)
        return self.cases[case_id]

    def keep(self, applied: Applied) -> None:
        case = applied.case
        if self.case(case["id"]) is None:
            # Its document and feed number come at the request's end (``store``).
            self._connection.execute(_INSERT_CASE, {
                "id": case["id"], "created_by": case["created_by"],
                "created_at": case["created_at"], "seq": _unnumbered(), **_columns(case, "{}")})
        self.cases[case["id"]] = case
        self.changed.add(case["id"])
        for user in {case["created_by"], case["assigned_to"]} - {None}:
            _grant(self._connection, user, case["id"])

    def mark(self) -> tuple[dict[str, Case | None], set[str]]:
        return dict(self.cases), set(self.changed)

    def undo(self, mark: tuple[dict[str, Case | None], set[str]]) -> None:
        """Forget what a change rolled back to its savepoint did."""
        self.cases, self.changed = dict(mark[0]), set(mark[1])

    def store(self) -> dict[str, bytes]:
        """Write every changed case once; their documents.

        Taking the feed numbers locks the feed clock until commit (see ``console.server.models``);
        taken as the very last step, that lock is held for a few statements, not the request.
        """
        encoded = {case_id: orjson.dumps(self.cases[case_id]) for case_id in self.changed}
        if encoded:
            first = take_seqs(self._connection, len(encoded))
            self._connection.execute(_STORE_CASE, [
                {"case_id": case_id, "new_seq": first + n,
                 **_columns(self.cases[case_id], encoded[case_id].decode())}
                for n, case_id in enumerate(sorted(encoded))])
        return encoded


def _columns(case: Case | None, doc: str) -> dict[str, Any]:
    assert case is not None
    return {"version": case["version"], "doc": doc,
            "assigned_to": case["assigned_to"], "status": case["status"],
            "urgency": case["urgency"], "updated_at": case["updated_at"]}


_STORE_CASE = update(CaseRecord).where(CaseRecord.id == bindparam("case_id")).values(
    seq=bindparam("new_seq"), version=bindparam("version"), doc=bindparam("doc"),
    assigned_to=bindparam("assigned_to"), status=bindparam("status"),
    urgency=bindparam("urgency"), updated_at=bindparam("updated_at"))


def _check_bounds(case: Case) -> None:
    """A case document stays a size every workstation and every reply can carry."""
    for name, items in case.items():
        if isinstance(items, list) and len(items) > MAX_ITEMS_PER_CASE:
            raise InvalidChange(f"this case already holds {MAX_ITEMS_PER_CASE:,} {name}; "
                                "start a new case for this caller and link them")
    if len(orjson.dumps(case)) > MAX_CASE_BYTES:
        raise InvalidChange(f"this case would be larger than {MAX_CASE_BYTES // 1024:,} KB; "
                            "start a new case for this caller and link them")


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


def _apply_one(connection: Connection, principal: Principal, change: dict[str, Any],
               batch: _Batch) -> dict[str, Any]:
    case = batch.case(change["case_id"])
    if case is not None and not _takes_from_queue(case, change):
        if not _may_use(connection, principal, case):
            raise InvalidChange("you may not change this case")
        if case["assigned_to"] == NEXT_SHIFT and principal.role not in SEES_ALL_CASES:
            raise InvalidChange("this case waits in the next shift's queue: take it first")
    applied = apply_change(case, change, principal.name)  # the change itself checked first
    if change["kind"] == "hand_off":
        _check_receiver(connection, change["payload"]["to_user"])
    if applied.changed:
        _check_bounds(applied.case)
        batch.keep(applied)
    _keep_conflicts(connection, principal, applied)
    return {"status": "conflict" if applied.conflicts else "applied",
            "conflicts": [c.as_dict() for c in applied.conflicts]}


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
    Each case the push touched is written once, and comes back once, in its final state, on the
    last answer about it (see ``_attach_cases``).
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
            batch = _Batch(connection)
            for position, change in valid:
                answers[position] = _apply_in_savepoint(connection, principal, change, batch)
            encoded = batch.store()
            _attach_cases(connection, principal, [a for a in answers if a is not None],
                          batch, encoded)
    return [answer for answer in answers if answer is not None]


def _attach_cases(connection: Connection, principal: Principal, answers: list[dict[str, Any]],
                  batch: _Batch, encoded: dict[str, bytes]) -> None:
    """Put each case on the last answer about it: as it is now when the caller may see it,
    else "withdrawn" (someone else took it from the queue) so the workstation drops its copy
    without learning anything. Past ``MAX_REPLY_CASE_BYTES`` the case is left to the next pull."""
    budget = MAX_REPLY_CASE_BYTES
    seen: set[str] = set()
    for answer in reversed(answers):
        case_id = answer.get("case_id")
        if case_id is None or case_id in seen:
            continue
        seen.add(case_id)
        case = batch.case(case_id)
        if case is None:
            continue
        if not _may_use(connection, principal, case):
            answer["withdrawn"] = True
            continue
        doc = encoded.get(case_id) or orjson.dumps(case)
        if len(doc) <= budget:
            answer["case"] = orjson.Fragment(doc)
            budget -= len(doc)


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
                        batch: _Batch) -> dict[str, Any]:
    for _attempt in range(3):
        mark = batch.mark()
        try:
            with connection.begin_nested():
                return _apply_here(connection, principal, change, batch)
        except IntegrityError:
            batch.undo(mark)
            # A copy of this change (or a create of this case) committed first: read it anew.
            if change["case_id"] not in batch.changed:
                batch.cases.pop(change["case_id"], None)
            continue
        except DataError:
            batch.undo(mark)
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
    if _holds_nul(change):
        # PostgreSQL keeps no NUL character in text; refused on SQLite too, so both agree.
        raise InvalidChange("the change holds text the database cannot store")


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(map(_holds_nul, value.keys())) or any(map(_holds_nul, value.values()))
    if isinstance(value, list):
        return any(map(_holds_nul, value))
    return False


def _apply_here(connection: Connection, principal: Principal, change: dict[str, Any],
                batch: _Batch) -> dict[str, Any]:
    """The answer to ``change`` (the case goes on later, see ``_attach_cases``)."""
    result = _earlier_answer(connection, principal, change["change_id"])
    if result is None:
        try:
            result = _apply_one(connection, principal, change, batch)
        except InvalidChange as problem:
            result = {"status": "rejected", "reason": str(problem), "conflicts": []}
        _record(connection, principal, change, result)
    return {"change_id": change["change_id"], "case_id": change["case_id"], **result}


def visible_cases(connection: Connection, principal: Principal, case_ids: set[str]) -> set[str]:
    """Those of ``case_ids`` that exist and ``principal`` may see (as the cases feed decides)."""
    if not case_ids:
        return set()
    wanted = sorted(case_ids)
    found = connection.execute(select(CaseRecord.id, CaseRecord.assigned_to).where(
        CaseRecord.id.in_(wanted))).all()
    if principal.role in SEES_ALL_CASES:
        return {case_id for case_id, _ in found}
    granted = set(connection.scalars(select(CaseAccess.case_id).where(
        CaseAccess.user_name == principal.name, CaseAccess.case_id.in_(wanted))))
    return {case_id for case_id, assigned in found
            if case_id in granted or assigned == NEXT_SHIFT}


def cases_after(engine: Engine, principal: Principal, after: int, limit: int,
                served_ids: list[str] | None = None) -> tuple[list[Any], int, bool]:
    """Cases this user may see that changed after feed number ``after``, oldest change first;
    the page ends early past ``MAX_REPLY_CASE_BYTES``. Their ids are in ``served_ids`` (for the
    audit log) when a list is given."""
    query = select(CaseRecord.seq, CaseRecord.doc, CaseRecord.id).where(CaseRecord.seq > after)
    if principal.role not in SEES_ALL_CASES:
        # The few ids this user may see first (their own, the queue), then those cases by key:
        # never a walk through every case in the feed.
        visible = union(
            select(CaseAccess.case_id.label("id")).where(CaseAccess.user_name == principal.name),
            select(CaseRecord.id).where(CaseRecord.assigned_to == NEXT_SHIFT)).subquery()
        query = query.join(visible, visible.c.id == CaseRecord.id)
    # The database sums the sizes as it goes and sends no case that starts past the budget
    # (one round trip, however large the cases: no server-side cursor for the common empty page).
    size_before = func.sum(func.length(CaseRecord.doc)).over(order_by=CaseRecord.seq) \
        - func.length(CaseRecord.doc)
    page = query.add_columns(size_before.label("size_before")).order_by(CaseRecord.seq) \
        .limit(limit + 1).subquery()
    budgeted = select(page.c.seq, page.c.doc, page.c.id).where(
        page.c.size_before < MAX_REPLY_CASE_BYTES).order_by(page.c.seq)
    rows: list[tuple[int, str]] = []
    size, more = 0, False
    with engine.connect() as connection:
        for seq, doc, case_id in connection.execute(budgeted):
            if len(rows) == limit or (rows and size + len(doc) > MAX_REPLY_CASE_BYTES):
                more = True
                break
            rows.append((seq, doc))
            size += len(doc)
            if served_ids is not None:
                served_ids.append(case_id)
    # A full budget may have left cases out in the database: say there may be more (at worst
    # the next page is empty).
    more = more or size >= MAX_REPLY_CASE_BYTES
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
