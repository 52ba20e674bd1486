"""The workstation's cases: change them locally at once, queue every change for the server.

A specialist's change is applied to the local copy and queued in the outbox in one transaction,
so after a crash or a power cut either both happened or neither did: no case shows an edit that
will never be sent, and no change is sent that the case does not show. The sync client reads the
outbox in order (``pending_changes``), sends it, and hands the server's answers back
(``record_results``); the outbox entry goes only once the server has answered for it, and every
change carries its own id, so resending after a lost answer is harmless.

The local copy of a case is the server's newest copy with the still-unsent changes replayed on
top (``_rebase``), so a specialist never sees their own edits vanish while they wait to be sent,
and never sees a colleague's confirmed work hidden behind an old copy.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    RowMapping,
    column,
    delete,
    func,
    select,
    table,
    update,
)
from sqlalchemy.dialects.sqlite import insert

from console.cases.changes import (
    ANSWER_PREFIX,
    NEXT_SHIFT,
    Case,
    Change,
    InvalidChange,
    apply_change,
    get_field,
    is_editable,
    new_change,
    new_id,
    utc_now,
)
from console.cases.index import (
    COPIED_FIELDS,
    LISTING_COLUMNS,
    driver_cursor,
    index_case,
    listing_values,
)
from console.models.cases import SEARCH_TABLE, CaseConflict, LocalCase, OutboxEntry, SyncState
from console.models.database import WRITE_LOCK

CASES_CURSOR = "cases_cursor"
WORKSTATION_CODE, CASE_COUNTER = "workstation_code", "case_counter"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: nothing to misread aloud
PENDING, REJECTED = "pending", "rejected"
SETTLED = frozenset({"applied", "duplicate", "conflict"})  # answers that end a change's wait
STATUSES = SETTLED | {REJECTED}
# Fields a server's copy must hold as text or null: the list copies them into columns.
LISTING_FIELDS = COPIED_FIELDS
_WRITTEN_COLUMNS = ("doc", "server_version", *LISTING_COLUMNS)
# Plain SQL on the driver's cursor: through SQLAlchemy, building and running the statement cost
# more than SQLite's work, and the sync client writes thousands of cases in a row. A new case
# takes the next row of the search index, so the index is appended to in order.
_WRITE_CASE_SQL = (
    f"INSERT INTO local_case (id, search_rowid, {', '.join(_WRITTEN_COLUMNS)}) VALUES "
    f"(?, (SELECT coalesce(max(search_rowid), 0) + 1 FROM local_case), "
    f"{', '.join('?' * len(_WRITTEN_COLUMNS))}) ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _WRITTEN_COLUMNS)
    + " RETURNING search_rowid")

# Builds a change's payload from the current local case; None means there is nothing to change.
PayloadFor = Callable[[Case], dict[str, Any] | None]


class UnknownCase(LookupError):
    """No case with this id in the local store."""


class UnknownConflict(LookupError):
    """No open conflict with this id."""


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _payload(payload: dict[str, Any]) -> PayloadFor:
    return lambda _case: payload


def _edit_payload(fields: dict[str, Any]) -> PayloadFor:
    """An update from each field's current local value to its new one, leaving out no-ops."""
    unknown = sorted(name for name in fields if not is_editable(name))
    if unknown:
        raise InvalidChange(f"not fields that can be edited: {', '.join(unknown)}")

    def build(case: Case) -> dict[str, Any] | None:
        edits = {name: {"from": get_field(case, name), "to": value}
                 for name, value in fields.items() if get_field(case, name) != value}
        return {"fields": edits} if edits else None

    return build


class CaseStore:
    """Cases of one workstation, changed by ``actor`` (the specialist signed in)."""

    def __init__(self, engine: Engine, actor: str) -> None:
        self.engine = engine
        self.actor = actor
        self._writer = engine.execution_options(**{WRITE_LOCK: True})

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction holding the store's write lock from its first read."""
        with self._writer.begin() as connection:
            yield connection

    # --- local changes ---------------------------------------------------------------------

    def create_case(self, call_type: str, urgency: str, status: str = "open",
                    summary: str = "", **details: Any) -> Case:
        """A new case assigned to the actor; its id is made here, so it exists offline too.

        ``details`` are further fields set from the start (request type, protocol, due time,
        ``answers``…), so a contact logged with one action is one change. The case number is
        this workstation's code and its next count, taken in the same transaction.
        """
        case_id = new_id()
        with self.transaction() as connection:
            payload = {"call_type": call_type, "urgency": urgency, "status": status,
                       "summary": summary, "number": self._next_number(connection), **details}
            return self._commit(connection, None, 0, new_change("create", case_id, payload))

    def _next_number(self, connection: Connection) -> str:
        """A case number people can read out ("K7QD2X-0042"), unique without asking a server:
        a random code made once per workstation (30 bits: among a thousand workstations the
        odds that two share one are about 1 in 2,000) and a counter only this workstation moves.
        The case's id, not its number, is what every system keys on."""
        code = self.get_state(WORKSTATION_CODE, connection)
        if code is None:
            code = "".join(secrets.choice(CROCKFORD) for _ in range(6))
            self.set_state(WORKSTATION_CODE, code, connection)
        count = int(self.get_state(CASE_COUNTER, connection) or 0) + 1
        self.set_state(CASE_COUNTER, str(count), connection)
        return f"{code}-{count:04d}"

    def edit(self, case_id: str, **fields: Any) -> Case:
        """One update of the fields that differ from the local copy (none: nothing is queued)."""
        return self._change(case_id, "update", _edit_payload(fields))

    def answer(self, case_id: str, answers: dict[str, Any]) -> Case:
        """Record intake answers (field id -> value), as one update of those that changed."""
        return self.edit(case_id, **{ANSWER_PREFIX + name: value
                                     for name, value in answers.items()})

    # Notes, referrals and handoffs carry their own new ids: resent, they are still added once.

    def add_note(self, case_id: str, text: str) -> Case:
        return self._change(case_id, "add_note", _payload({"id": new_id(), "text": text}))

    def add_referral(self, case_id: str, service_id: str, service_name: str) -> Case:
        payload = {"id": new_id(), "service_id": service_id, "service_name": service_name}
        return self._change(case_id, "add_referral", _payload(payload))

    def hand_off(self, case_id: str, to_user: str, note: str = "") -> Case:
        """Hand the case to ``to_user`` (or ``NEXT_SHIFT``) from whoever holds it now here; if
        someone else hands it on first, the server keeps theirs and reports a conflict."""
        handoff_id = new_id()
        return self._change(case_id, "hand_off", lambda case: {
            "id": handoff_id, "to_user": to_user, "note": note,
            "from_assignee": case["assigned_to"]})

    def acknowledge_handoff(self, case_id: str, handoff_id: str) -> Case:
        """Accept a case handed to the actor (or take one from the next-shift queue)."""
        return self._change(case_id, "acknowledge_handoff", _payload({"handoff_id": handoff_id}))

    def return_handoff(self, case_id: str, handoff_id: str, reason: str) -> Case:
        payload = {"handoff_id": handoff_id, "reason": reason}
        return self._change(case_id, "return_handoff", _payload(payload))

    def add_task(self, case_id: str, text: str, due_at: str | None = None,
                 mandated_step: str | None = None) -> Case:
        payload = {"id": new_id(), "text": text, "due_at": due_at}
        if mandated_step is not None:
            payload["mandated_step"] = mandated_step
        return self._change(case_id, "add_task", _payload(payload))

    def complete_task(self, case_id: str, task_id: str) -> Case:
        return self._change(case_id, "complete_task", _payload({"task_id": task_id}))

    def record_outcome(self, case_id: str, referral_id: str, outcome: str,
                       note: str = "") -> Case:
        payload = {"referral_id": referral_id, "outcome": outcome, "note": note}
        return self._change(case_id, "referral_outcome", _payload(payload))

    def link_contact(self, case_id: str, new_case_id: str, note: str = "") -> Case:
        """Attach a new contact (its own case) to an earlier case about the same situation;
        both sides point at each other."""
        with self.transaction() as connection:
            self._change_in(connection, new_case_id, "update",
                            _edit_payload({"related_case": case_id}))
            return self._change_in(connection, case_id, "add_contact", _payload(
                {"id": new_id(), "case_id": new_case_id, "note": note}))

    def _change(self, case_id: str, kind: str, payload_for: PayloadFor) -> Case:
        with self.transaction() as connection:
            return self._change_in(connection, case_id, kind, payload_for)

    def _change_in(self, connection: Connection, case_id: str, kind: str,
                   payload_for: PayloadFor) -> Case:
        """Apply a change of ``kind`` to the current local copy inside ``connection``."""
        case, server_version = self._require(connection, case_id)
        payload = payload_for(case)
        if payload is None:
            return case
        change = new_change(kind, case_id, payload, base_version=server_version)
        return self._commit(connection, case, server_version, change)

    def _commit(self, connection: Connection, case: Case | None, server_version: int,
                change: Change) -> Case:
        """The case after ``change``, written together with its outbox entry (if it did
        anything: a change that alters nothing is not worth sending)."""
        applied = apply_change(case, change, self.actor)
        if not applied.changed:
            return applied.case
        self._write_case(connection, applied.case, server_version)
        self._enqueue(connection, change)
        return applied.case

    def _enqueue(self, connection: Connection, change: Change) -> None:
        connection.execute(insert(OutboxEntry).values(
            change_id=change["change_id"], case_id=change["case_id"], kind=change["kind"],
            change=_dump(change), created_at=utc_now(), attempts=0, state=PENDING))

    # --- reading ---------------------------------------------------------------------------

    def get(self, case_id: str) -> Case | None:
        """The local copy: the server's newest copy with this workstation's unsent changes."""
        with self.engine.connect() as connection:
            doc = connection.scalar(select(LocalCase.doc).where(LocalCase.id == case_id))
        return None if doc is None else json.loads(doc)

    def list_cases(self) -> list[Case]:
        """Every local case, the most recently updated first."""
        query = select(LocalCase.doc).order_by(LocalCase.updated_at.desc(), LocalCase.id)
        with self.engine.connect() as connection:
            return [json.loads(doc) for doc in connection.scalars(query)]

    def _require(self, connection: Connection, case_id: str) -> tuple[Case, int]:
        row = self._row(connection, case_id)
        if row is None:
            raise UnknownCase(f"no case {case_id!r} in the local case store")
        return row

    @staticmethod
    def _row(connection: Connection, case_id: str) -> tuple[Case, int] | None:
        """The local copy of a case and the server version it is based on."""
        row = connection.execute(select(LocalCase.doc, LocalCase.server_version)
                                 .where(LocalCase.id == case_id)).first()
        return None if row is None else (json.loads(row.doc), row.server_version)

    @staticmethod
    def _write_case(connection: Connection, case: Case, server_version: int) -> None:
        """Store the document, the list's columns and the search entry derived from it, always
        together."""
        values = listing_values(case)
        written = driver_cursor(connection).execute(_WRITE_CASE_SQL, (
            case["id"], _dump(case), server_version,
            *(values[name] for name in LISTING_COLUMNS)))
        index_case(connection, written.fetchone()[0], case)

    # --- the sync client's side ------------------------------------------------------------

    def pending_changes(self, limit: int = 200) -> list[Change]:
        """The next changes to send, in the order they were made."""
        query = (select(OutboxEntry.change).where(OutboxEntry.state == PENDING)
                 .order_by(OutboxEntry.seq).limit(limit))
        with self.engine.connect() as connection:
            return [json.loads(change) for change in connection.scalars(query)]

    def record_attempt(self, change_ids: Iterable[str], error: str | None) -> None:
        """Count a send of these changes and keep its error (None: it got through)."""
        with self.transaction() as connection:
            connection.execute(update(OutboxEntry)
                               .where(OutboxEntry.change_id.in_(list(change_ids)))
                               .values(attempts=OutboxEntry.attempts + 1, last_error=error))

    def record_results(self, results: list[dict[str, Any]]) -> None:
        """The server's answer for each change sent, recorded in one transaction.

        Applied, duplicate and conflict answers settle the change, so it leaves the outbox; the
        conflicts the server reports are kept, both texts, until a person resolves them. A
        rejected change stays in the outbox, marked, never resent on its own. An answer for a
        change no longer in the outbox was recorded before; only its server copy is still used.
        Server copies are applied last, so each case is replayed on what is still unsent. A case
        the server says this user may no longer see ("withdrawn": someone else took it from the
        next shift's queue) leaves the store; its refused changes stay for a person to review.
        """
        with self.transaction() as connection:
            for result in results:
                self._settle(connection, result)
            for result in results:
                if result.get("case"):
                    self._rebase(connection, result["case"])
                elif result.get("withdrawn"):
                    self._forget(connection, [result["case_id"]])

    def _settle(self, connection: Connection, result: dict[str, Any]) -> None:
        status, change_id = result["status"], result["change_id"]
        if status not in STATUSES:
            raise ValueError(f"unknown result status from the server: {status!r}")
        entry = OutboxEntry.change_id == change_id
        if connection.scalar(select(OutboxEntry.seq).where(entry)) is None:
            return
        self._store_conflicts(connection, result.get("conflicts") or [])
        if status == REJECTED:
            connection.execute(update(OutboxEntry).where(entry).values(
                state=REJECTED, last_error=result.get("reason") or "rejected by the server"))
        else:
            connection.execute(delete(OutboxEntry).where(entry))

    @staticmethod
    def _store_conflicts(connection: Connection, conflicts: list[dict[str, Any]]) -> None:
        now = utc_now()
        for conflict in conflicts:
            connection.execute(insert(CaseConflict).values(
                case_id=conflict["case_id"], change_id=conflict["change_id"],
                field=conflict["field"], base_value=_dump(conflict["base_value"]),
                server_value=_dump(conflict["server_value"]),
                client_value=_dump(conflict["client_value"]), created_at=now))

    def apply_server_cases(self, docs: list[Case], cursor: str) -> None:
        """Cases changed on the server since the last pull, and where the next pull starts.

        One transaction, so the cursor never moves past cases that were not stored.
        """
        with self.transaction() as connection:
            for doc in docs:
                self._rebase(connection, doc)
            self.set_state(CASES_CURSOR, cursor, connection)

    def _rebase(self, connection: Connection, server_case: Case) -> None:
        """Make the local copy the server's copy with the unsent changes replayed on it.

        A copy older than one already seen is ignored (answers and pulls may arrive out of
        order). A change that no longer applies is left out of the copy but kept in the outbox:
        the server has the last word on it.
        """
        known = self._row(connection, server_case["id"])
        known_version = 0 if known is None else known[1]
        if known_version > server_case["version"]:
            return
        case = server_case
        for change in self._unsent(connection, server_case["id"]):
            try:
                case = apply_change(case, change, self.actor).case
            except InvalidChange:
                continue
        self._write_case(connection, case, server_case["version"])

    def drop_left_queue(self, still_queued: Iterable[str]) -> list[str]:
        """Drop the local copies of cases that have left the next shift's queue; their ids.

        Every specialist sees the queue, but once someone takes a case only the people who
        worked on it still do, so the server's feed stops sending it to everyone else: what they
        hold is a queue entry that no longer exists. Call after a complete pull with the ids the
        server has in the queue now; a case still shown here is either still queued or no longer
        this user's to see. (Should it have left the queue after the pull, the next pull brings
        it back.) Cases with changes still to send stay until the server has answered them.
        """
        unsent = select(OutboxEntry.case_id).where(OutboxEntry.state == PENDING)
        gone = (LocalCase.assigned_to == NEXT_SHIFT) & LocalCase.id.not_in(list(still_queued)) \
            & LocalCase.id.not_in(unsent)
        with self.transaction() as connection:
            ids = list(connection.scalars(select(LocalCase.id).where(gone)))
            self._forget(connection, ids)
        return ids

    @staticmethod
    def _forget(connection: Connection, case_ids: list[str]) -> None:
        """Remove local copies with their search entries: nothing of them stays findable."""
        search = table(SEARCH_TABLE, column("rowid"))
        rows = select(LocalCase.search_rowid).where(LocalCase.id.in_(case_ids))
        connection.execute(delete(search).where(search.c.rowid.in_(rows)))
        connection.execute(delete(LocalCase).where(LocalCase.id.in_(case_ids)))

    @staticmethod
    def _unsent(connection: Connection, case_id: str) -> list[Change]:
        query = (select(OutboxEntry.change)
                 .where(OutboxEntry.case_id == case_id, OutboxEntry.state == PENDING)
                 .order_by(OutboxEntry.seq))
        return [json.loads(change) for change in connection.scalars(query)]

    # --- sync state ------------------------------------------------------------------------

    def get_state(self, key: str, connection: Connection | None = None) -> str | None:
        """The value of ``key``; pass ``connection`` to read inside the caller's transaction."""
        query = select(SyncState.value).where(SyncState.key == key)
        if connection is not None:
            return connection.scalar(query)
        with self.engine.connect() as own:
            return own.scalar(query)

    def set_state(self, key: str, value: str, connection: Connection | None = None) -> None:
        """Set ``key``; pass ``connection`` to make it part of the caller's transaction."""
        if connection is None:
            with self.transaction() as own:
                self.set_state(key, value, own)
            return
        statement = insert(SyncState).values(key=key, value=value)
        connection.execute(statement.on_conflict_do_update(index_elements=[SyncState.key],
                                                           set_={"value": value}))

    # --- what needs a person ---------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Unsent changes, changes the server refused, and conflicts still open."""
        state_counts = (select(OutboxEntry.state, func.count())
                        .group_by(OutboxEntry.state))
        open_conflicts = (select(func.count()).select_from(CaseConflict)
                          .where(CaseConflict.resolved_at.is_(None)))
        with self.engine.connect() as connection:
            by_state: dict[str, int] = dict(connection.execute(state_counts).all())
            conflicts = connection.scalar(open_conflicts) or 0
        return {"pending": by_state.get(PENDING, 0), "rejected": by_state.get(REJECTED, 0),
                "conflicts": conflicts}

    def conflicts(self, case_id: str | None = None) -> list[dict[str, Any]]:
        """Open conflicts (of one case, or all), oldest first, both texts decoded."""
        query = select(CaseConflict).where(CaseConflict.resolved_at.is_(None))
        if case_id is not None:
            query = query.where(CaseConflict.case_id == case_id)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(CaseConflict.id)).mappings()
            return [self._conflict(row) for row in rows]

    @staticmethod
    def _conflict(row: RowMapping) -> dict[str, Any]:
        conflict = dict(row)
        for name in ("base_value", "server_value", "client_value"):
            conflict[name] = json.loads(conflict[name])
        return conflict

    def resolve_conflict(self, conflict_id: int, value: Any) -> Case:
        """Settle a conflict on ``value`` (either side's text, or a merge of both).

        The choice is an ordinary edit from what the case shows now, so it reaches the server
        like any other; the conflict is closed in the same transaction.
        """
        open_conflict = (CaseConflict.id == conflict_id) & CaseConflict.resolved_at.is_(None)
        with self.transaction() as connection:
            row = connection.execute(select(CaseConflict.case_id, CaseConflict.field)
                                     .where(open_conflict)).first()
            if row is None:
                raise UnknownConflict(f"no open conflict {conflict_id!r}")
            case = self._change_in(connection, row.case_id, "update",
                                   _edit_payload({row.field: value}))
            connection.execute(update(CaseConflict).where(open_conflict)
                               .values(resolved_at=utc_now()))
            return case
