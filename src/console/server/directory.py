"""The server's copy of the directory: imports, administrators' edits, and the change feed.

Every HSDS row is one ``directory_record`` (its table is the ``kind``). A change gives the record a
new feed number; a deleted record stays as a tombstone so workstations learn to delete it too. A
record that an import brings back unchanged keeps its number, so re-importing the same export
sends nothing to the workstations.

A confidential address (a shelter's) leaves the server only scrubbed (see
``console.directory.confidential``): the feed and the snapshot carry no street line and no exact
point. When an address becomes confidential (or stops being), it and its location are sent again,
so every workstation replaces what it holds at its next sync.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from console.directory.batch import COLUMNS, REFERENCES, DirectoryBatch, ImportReport, Row
from console.directory.confidential import ConfidentialPlaces, flag_term_id, flagged_address
from console.directory.formats import read_directory
from console.directory.loader import (
    DETAILS_OF,
    ROOT_KINDS,
    clean_batch,
    listed_records,
    refuse_unusable,
    source_name,
)
from console.server.db import take_seqs, write_transaction
from console.server.models import DirectoryRecord, DirectoryRecordSource
from console.tasks import QuietState, TaskState

TAXONOMY_TABLES = ("taxonomy", "taxonomy_term")
WRITE_CHUNK = 5_000


class RecordProblem(ValueError):
    """An administrator's record cannot be stored; the message says why."""


def _encode(row: Row) -> str:
    return orjson.dumps(row, option=orjson.OPT_SORT_KEYS).decode()


def _live_ids(connection: Connection, without: set[tuple[str, str]]
              ) -> Callable[[str], set[str]]:
    def ids(kind: str) -> set[str]:
        query = select(DirectoryRecord.id).where(DirectoryRecord.kind == kind,
                                                 DirectoryRecord.deleted.is_(False))
        return {rid for rid in connection.execute(query).scalars() if (kind, rid) not in without}
    return ids


class _LiveIdsOf:
    """Whether an id of one kind is live, asked of the database id by id.

    An administrator's edit checks a handful of references; loading every id of a national
    directory to answer them would cost more than the whole rest of the edit.
    """

    def __init__(self, connection: Connection, kind: str) -> None:
        self._connection = connection
        self._kind = kind
        self._answers: dict[object, bool] = {}

    def __contains__(self, record_id: object) -> bool:
        if record_id not in self._answers:
            self._answers[record_id] = self._connection.execute(
                select(DirectoryRecord.id).where(
                    DirectoryRecord.kind == self._kind, DirectoryRecord.id == record_id,
                    DirectoryRecord.deleted.is_(False))).first() is not None
        return self._answers[record_id]


def _live_id_lookup(connection: Connection) -> Callable[[str], Container[str]]:
    return lambda kind: _LiveIdsOf(connection, kind)


def _live_records(connection: Connection, kinds: Iterable[str] | None = None
                  ) -> dict[tuple[str, str], str]:
    query = select(DirectoryRecord.kind, DirectoryRecord.id, DirectoryRecord.data).where(
        DirectoryRecord.deleted.is_(False))
    if kinds is not None:
        query = query.where(DirectoryRecord.kind.in_(list(kinds)))
    return {(kind, rid): data for kind, rid, data in connection.execute(query)}


def _stored_versions(connection: Connection, cleaned: dict[str, dict[str, Row]]
                     ) -> dict[tuple[str, str], str]:
    """The stored taxonomy and the stored versions of the records ``cleaned`` re-sends: all that
    planning one edit needs (not the rest of the directory)."""
    stored = _live_records(connection, ["taxonomy", "taxonomy_term"])
    for kind, rows in cleaned.items():
        if kind in ("taxonomy", "taxonomy_term") or not rows:
            continue
        query = select(DirectoryRecord.id, DirectoryRecord.data).where(
            DirectoryRecord.kind == kind, DirectoryRecord.id.in_(list(rows)),
            DirectoryRecord.deleted.is_(False))
        stored.update(((kind, rid), data) for rid, data in connection.execute(query))
    return stored


@dataclass
class _Plan:
    """What a write will do: rows to store (new or changed) and records to delete."""

    upserts: list[tuple[str, str, str]]
    deletes: list[tuple[str, str]]


def _plan(cleaned: dict[str, dict[str, Row]], stored: dict[tuple[str, str], str],
          replaced: set[tuple[str, str]] | None = None,
          adopted: set[tuple[str, str]] | None = None) -> _Plan:
    """What writing ``cleaned`` changes. ``replaced``: the stored records the batch replaces
    (what it no longer holds is removed); None to add and update only. ``adopted``: records of
    no source that the batch's source takes over; what hung off them goes unless re-sent, since
    the source gives its own rows new ids."""
    upserts = [(table, rid, encoded) for table, rows in cleaned.items()
               for rid, row in rows.items()
               if stored.get((table, rid)) != (encoded := _encode(row))]
    kept = {(table, rid) for table, rows in cleaned.items() for rid in rows}
    if replaced is not None:
        deletes = [key for key in replaced if key not in kept]
    else:
        deletes = _stale_children(cleaned, stored, kept)
    if adopted:
        deletes = list(dict.fromkeys([*deletes, *(key for key in _source_records(stored, adopted)
                                                  if key not in kept)]))
    return _Plan(upserts, deletes)


def _described(table: str, row: Row) -> list[tuple[Any, Any]]:
    """The record an attribute or a metadata row describes, as (kind, id); the row names it."""
    if table == "attribute":
        return [(row.get("link_entity"), row.get("link_id"))]
    if table == "metadata":
        return [(row.get("resource_type"), row.get("resource_id"))]
    return []


def _owners(table: str, row: Row) -> list[tuple[Any, Any]]:
    """The records ``row`` hangs off, as (kind, id)."""
    return [(target, row.get(column)) for column, target in REFERENCES[table].items()] \
        + _described(table, row)


def _stale_children(cleaned: dict[str, dict[str, Row]], stored: dict[tuple[str, str], str],
                    kept: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Stored details of a re-sent record that the new version no longer has (as on a
    workstation, ``DETAILS_OF``: never a record's own services or locations)."""
    parents = {(table, rid) for table in DETAILS_OF for rid in cleaned.get(table, {})
               if (table, rid) in stored}
    if not parents:
        return []
    stale = []
    for (table, rid), data in stored.items():
        if (table, rid) in kept or table not in _DETAIL_COLUMNS:
            continue
        row = orjson.loads(data)
        owners = _described(table, row) + [(parent, row.get(column))
                                           for column, parent in _DETAIL_COLUMNS[table]]
        if any(owner in parents for owner in owners):
            stale.append((table, rid))
    return stale


def _detail_columns() -> dict[str, list[tuple[str, str]]]:
    """For each kind of detail, its columns that tie it to what it is a detail of, and their
    kinds (attributes and metadata say theirs in the row)."""
    columns: dict[str, list[tuple[str, str]]] = {"attribute": [], "metadata": []}
    for parent, details in DETAILS_OF.items():
        for table, column in details:
            columns.setdefault(table, []).append((column, parent))
    return columns


_DETAIL_COLUMNS = _detail_columns()


def _source_records(stored: dict[tuple[str, str], str],
                    listed: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The stored records of one source: those it lists, and every record that hangs off them
    (as the workstation removes a source: a link to a taxonomy term does not tie a row to it,
    since terms are shared)."""
    found = {key for key in listed if key in stored}
    rows_of: dict[str, list[tuple[str, str]]] = {table: [] for table in COLUMNS}
    for (table, rid), data in stored.items():
        if table not in ROOT_KINDS:
            rows_of[table].append((rid, data))
    for table in COLUMNS:  # dependency order: a row's owners are settled before it is checked
        for rid, data in rows_of[table]:
            if any(owner in found for owner in _owners(table, orjson.loads(data))
                   if owner[0] not in TAXONOMY_TABLES):
                found.add((table, rid))
    return found


def _listed(connection: Connection, source: str) -> set[tuple[str, str]]:
    """The records ``source`` listed at its earlier imports."""
    return set(connection.execute(
        select(DirectoryRecordSource.kind, DirectoryRecordSource.id)
        .where(DirectoryRecordSource.source == source)).all())


def _unlisted(connection: Connection, cleaned: dict[str, dict[str, Row]],
              stored: dict[tuple[str, str], str]) -> set[tuple[str, str]]:
    """The stored records of ``cleaned`` that no source lists (stored before imports had
    sources, or added by an administrator), except the hotline's own taxonomy."""
    listed = set(connection.execute(
        select(DirectoryRecordSource.kind, DirectoryRecordSource.id)).all())
    return {key for key in listed_records(cleaned) if key in stored and key not in listed}


def _other_sources_ids(connection: Connection, source: str) -> Callable[[str], set[str]]:
    """The ids of a kind that sources other than ``source`` listed: never to be reused by it."""
    return lambda kind: set(connection.scalars(
        select(DirectoryRecordSource.id).where(DirectoryRecordSource.kind == kind,
                                               DirectoryRecordSource.source != source)))


def _record_sources(connection: Connection, cleaned: dict[str, dict[str, Row]], source: str,
                    replace: bool) -> None:
    if replace:
        connection.execute(DirectoryRecordSource.__table__.delete().where(
            DirectoryRecordSource.source == source))
    rows = [{"kind": kind, "id": rid, "source": source}
            for kind, rid in listed_records(cleaned)]
    statement = _upsert_statement(connection, DirectoryRecordSource, ("source",))
    for offset in range(0, len(rows), WRITE_CHUNK):
        connection.execute(statement, rows[offset:offset + WRITE_CHUNK])


def _upsert_statement(connection: Connection, model: Any, updated: tuple[str, ...]) -> Any:
    """An insert into ``model``'s table that updates the ``updated`` columns of a row already
    there (same kind and id)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model)
    return statement.on_conflict_do_update(
        index_elements=["kind", "id"],
        set_={column: statement.excluded[column] for column in updated})


def _resend_flagged_places(connection: Connection, plan: _Plan) -> None:
    """Add to ``plan`` the addresses whose confidential flag it sets or removes, and their
    locations, as stored: their new feed numbers send them out again, scrubbed or not."""
    flagged = {flagged_address(orjson.loads(data)) for kind, _, data in plan.upserts
               if kind == "attribute"}
    for kind, record_id in plan.deletes:
        if kind == "attribute" and (stored := _record(connection, kind, record_id)):
            flagged.add(flagged_address(stored))
    flagged.discard(None)
    planned = {(kind, record_id) for kind, record_id, _ in plan.upserts} | set(plan.deletes)
    resend = _records(connection, "address", flagged)
    locations = {orjson.loads(data).get("location_id") for _, data in resend}
    resend += _records(connection, "location", locations - {None})
    plan.upserts += [(kind, record_id, data) for (kind, record_id), data in _keyed(resend)
                     if (kind, record_id) not in planned]


def _records(connection: Connection, kind: str, ids: set[Any]) -> list[tuple[str, str]]:
    if not ids:
        return []
    return [(kind, data) for data in connection.scalars(select(DirectoryRecord.data).where(
        DirectoryRecord.kind == kind, DirectoryRecord.id.in_(sorted(ids)),
        DirectoryRecord.deleted.is_(False)))]


def _keyed(records: list[tuple[str, str]]) -> Iterable[tuple[tuple[str, str], str]]:
    for kind, data in records:
        yield (kind, orjson.loads(data)["id"]), data


def resend_all_confidential(connection: Connection) -> int:
    """Send every confidential address and its location again (scrubbed), once: for
    workstations that received them whole from an earlier server. Returns how many."""
    places = confidential_places(connection)
    records = _records(connection, "address", places.addresses) + _records(
        connection, "location", set(places.zip_of_location))
    plan = _Plan([(kind, record_id, data) for (kind, record_id), data in _keyed(records)], [])
    return _write(connection, plan, QuietState(), resend_flagged=False)


def confidential_places(connection: Connection) -> ConfidentialPlaces:
    """The confidential addresses in the server's directory now, and their locations."""
    attributes = connection.scalars(select(DirectoryRecord.data).where(
        DirectoryRecord.kind == "attribute", DirectoryRecord.deleted.is_(False),
        DirectoryRecord.data.contains(flag_term_id())))
    flagged = {flagged_address(orjson.loads(data)) for data in attributes} - {None}
    return ConfidentialPlaces.of(orjson.loads(data)
                                 for _, data in _records(connection, "address", flagged))


def _write(connection: Connection, plan: _Plan, state: TaskState,
           resend_flagged: bool = True) -> int:
    """Give every planned change its feed number and store it; returns how many."""
    if resend_flagged:
        _resend_flagged_places(connection, plan)
    total = len(plan.upserts) + len(plan.deletes)
    if not total:
        return 0
    first = take_seqs(connection, total)
    records = [{"kind": k, "id": i, "seq": first + n, "deleted": False, "data": d}
               for n, (k, i, d) in enumerate(plan.upserts)]
    start = first + len(records)
    records += [{"kind": k, "id": i, "seq": start + n, "deleted": True, "data": None}
                for n, (k, i) in enumerate(plan.deletes)]
    statement = _upsert_statement(connection, DirectoryRecord, ("seq", "deleted", "data"))
    for offset in range(0, len(records), WRITE_CHUNK):
        connection.execute(statement, records[offset:offset + WRITE_CHUNK])
        state.progress("writing records", min(offset + WRITE_CHUNK, total), total)
    return total


def import_directory(engine: Engine, path: Path, state: TaskState | None = None,
                     replace: bool = False, source: str | None = None) -> ImportReport:
    """Import an HSDS export into the server's directory; every change lands in the feed.

    As on a workstation, the import has a ``source`` (default: the file's name) that scopes its
    ids, adds and updates by default, and with ``replace`` becomes the whole of that source.
    """
    state = state or QuietState()
    source = source_name(path, source)
    batch = read_directory(path, state)
    refuse_unusable(batch, replace, path.name)
    return store_batch(engine, batch, state, replace, source)


def store_batch(engine: Engine, batch: DirectoryBatch, state: TaskState,
                replace: bool = False, source: str | None = None) -> ImportReport:
    """Store ``batch`` under ``source`` (see ``import_directory``); without a source, ids are
    not scoped and ``replace`` replaces the whole directory."""
    if replace:
        refuse_unusable(batch, replace)
    with write_transaction(engine) as connection:
        stored = _live_records(connection)
        replaced = None
        if replace:
            replaced = set(stored) if source is None \
                else _source_records(stored, _listed(connection, source))
        # References are checked against the directory as it will be: without what is replaced.
        cleaned = clean_batch(batch, _live_ids(connection, without=replaced or set()), state,
                              scope=source, taken=None if source is None
                              else _other_sources_ids(connection, source))
        adopted = None if source is None else _unlisted(connection, cleaned, stored)
        plan = _plan(cleaned, stored, replaced, adopted)
        _write(connection, plan, state)
        if source is not None:
            _record_sources(connection, cleaned, source, replace)
    report = batch.report
    for table, rows in cleaned.items():
        if rows and table not in TAXONOMY_TABLES:
            report.imported[table] += len(rows)
    report.note(f"{len(plan.upserts):,} records new or changed, {len(plan.deletes):,} removed")
    return report


def save_record(engine: Engine, kind: str, data: dict[str, Any],
                record_id: str | None = None) -> Row:
    """Add a record (``record_id`` None) or change some fields of one; returns the stored row."""
    if kind not in COLUMNS:
        raise RecordProblem(f"not a directory table: {kind}")
    unknown = set(data) - set(COLUMNS[kind])
    if unknown:
        raise RecordProblem(f"{kind} has no field(s): {', '.join(sorted(unknown))}")
    _check_values(kind, data)
    with write_transaction(engine) as connection:
        row = dict(data)
        if record_id is not None:
            stored = _record(connection, kind, record_id)
            if stored is None:
                raise LookupError(f"no {kind} with id {record_id}")
            row = {**stored, **data, "id": record_id}
        batch = DirectoryBatch()
        batch.add(kind, row)
        cleaned = clean_batch(batch, _live_id_lookup(connection), QuietState())
        if not cleaned[kind]:
            reasons = [reason for (_, reason) in batch.report.skipped]
            raise RecordProblem(f"{kind} not stored: {'; '.join(reasons) or 'unusable record'}")
        stored_rows = _stored_versions(connection, cleaned)
        _write(connection, _plan(cleaned, stored_rows), QuietState())
        return next(iter(cleaned[kind].values()))


def _check_values(kind: str, data: dict[str, Any]) -> None:
    """Every value is one a workstation's column can hold: text, a number or null (as the
    import readers give). Anything else would reach every workstation through the feed."""
    for column, value in data.items():
        if value is not None and type(value) not in (str, int, float):
            raise RecordProblem(f"{kind}.{column} must be text, a number or null")
    try:
        orjson.dumps(data)
    except orjson.JSONEncodeError as error:  # a number beyond 64 bits, text not valid Unicode
        raise RecordProblem(f"{kind} holds a value that cannot be stored: {error}") from None


def _record(connection: Connection, kind: str, record_id: str) -> Row | None:
    data = connection.execute(select(DirectoryRecord.data).where(
        DirectoryRecord.kind == kind, DirectoryRecord.id == record_id,
        DirectoryRecord.deleted.is_(False))).scalar()
    return None if data is None else orjson.loads(data)


def retire_record(engine: Engine, kind: str, record_id: str) -> int:
    """Remove a record and everything that hangs off it; returns how many records went."""
    if kind not in COLUMNS:
        raise RecordProblem(f"not a directory table: {kind}")
    with write_transaction(engine) as connection:
        if _record(connection, kind, record_id) is None:
            raise LookupError(f"no {kind} with id {record_id}")
        doomed = _dependents(connection, {(kind, record_id)})
        return _write(connection, _Plan([], sorted(doomed)), QuietState())


def _dependents(connection: Connection, roots: set[tuple[str, str]]) -> set[tuple[str, str]]:
    found, frontier = set(roots), set(roots)
    while frontier:
        pattern_ids = {rid for _, rid in frontier}
        next_frontier: set[tuple[str, str]] = set()
        for rid in pattern_ids:
            candidates = connection.execute(
                select(DirectoryRecord.kind, DirectoryRecord.id, DirectoryRecord.data).where(
                    DirectoryRecord.deleted.is_(False),
                    DirectoryRecord.data.like(f"%{rid}%")))
            for child_kind, child_id, data in candidates:
                owners = set(_owners(child_kind, orjson.loads(data)))
                if owners & frontier and (child_kind, child_id) not in found:
                    next_frontier.add((child_kind, child_id))
        found |= next_frontier
        frontier = next_frontier
    return found


@dataclass
class FeedPage:
    changes: list[dict[str, Any]]
    cursor: int
    more: bool


def changes_after(engine: Engine, after: int, limit: int) -> FeedPage:
    """Directory changes with feed numbers above ``after``, oldest first, at most ``limit``."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(DirectoryRecord.kind, DirectoryRecord.id, DirectoryRecord.seq,
                   DirectoryRecord.deleted, DirectoryRecord.data)
            .where(DirectoryRecord.seq > after).order_by(DirectoryRecord.seq)
            .limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        places = confidential_places(connection) if any(
            kind in ("address", "location") for kind, *_ in rows) else ConfidentialPlaces()
    changes = [{"kind": kind, "id": rid, "seq": seq, "deleted": deleted,
                "data": _public(places, kind, rid, data)}
               for kind, rid, seq, deleted, data in rows]
    return FeedPage(changes, rows[-1][2] if rows else after, more)


def _public(places: ConfidentialPlaces, kind: str, record_id: str, data: str | None) -> Any:
    """A record as workstations may have it (as stored, unless it gives a shelter away)."""
    if data is None:
        return None
    if places.concerns(kind, record_id):
        return places.scrub(kind, orjson.loads(data))
    return orjson.Fragment(data)


def true_record(engine: Engine, kind: str, record_id: str) -> Row:
    """A record as stored, a confidential address whole: for administrators' upkeep only."""
    if kind not in COLUMNS:
        raise RecordProblem(f"not a directory table: {kind}")
    with engine.connect() as connection:
        row = _record(connection, kind, record_id)
    if row is None:
        raise LookupError(f"no {kind} with id {record_id}")
    return row


def directory_cursor(connection: Connection) -> int:
    return int(connection.execute(select(func.max(DirectoryRecord.seq))).scalar() or 0)
