"""Writing a batch of HSDS rows into the local directory: clean, check references, write, index.

Every reader's output goes through ``import_batch``. It imports what is usable, counts what it
skips by kind and reason, and does all of its writing in one transaction: an import that fails or
is cancelled leaves the directory exactly as it was.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Container, Iterable
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Engine

from console.directory.batch import COLUMNS, REFERENCES, DirectoryBatch, ImportReport, Row
from console.directory.cleaning import CLEANERS, clean_values
from console.directory.index import execute_many, rebuild_search_index, set_meta
from console.directory.vocabulary import stable_uuid, vocabulary
from console.tasks import QuietState, TaskState, check_cancelled, gc_paused

# A row of these tables is useless without the record it belongs to.
REQUIRED_REFERENCES: dict[str, tuple[str, ...]] = {
    "service": ("organization_id",),
    "service_at_location": ("service_id", "location_id"),
    "address": ("location_id",),
    "service_area": ("service_id",),
    "attribute": ("taxonomy_term_id",),
}
# A row of these tables needs at least one owner among its references.
OWNED_BY_ANY = {"phone", "schedule", "language", "contact"}
LINKABLE = set(COLUMNS)
WRITE_CHUNK = 20_000  # rows per executemany: progress and cancellation between chunks


class _Ids:
    """Maps the ids found in a source to HSDS 3.0 UUIDs, the same way for rows and references.

    Legacy exports use integers ("12"); HSDS 3.0 requires UUIDs. A non-UUID id becomes a UUID
    derived from its table and value, so a re-import of the same export maps to the same records.
    """

    def __init__(self) -> None:
        self._seen: dict[str, dict[Any, str]] = {table: {} for table in COLUMNS}

    def map(self, table: str, value: Any) -> str | None:
        if value is None:
            return None
        seen = self._seen[table]
        mapped = seen.get(value)
        if mapped is None:
            raw = str(value).strip()
            if not raw:
                return None
            mapped = seen[value] = raw if _UUID.fullmatch(raw) else (
                _as_uuid(raw) or stable_uuid(table, raw))
        return mapped


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _as_uuid(raw: str) -> str | None:
    if len(raw) != 36:
        return None
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


class _Known:
    """Ids that exist: kept from this batch, or already stored (asked for once per table).

    ``stored_ids`` answers "the ids of this table in the store" (anything ``in`` works on) — a
    set of the local SQLite directory's ids for an import, a per-id lookup of the server's records
    when the server cleans what an administrator sends.
    """

    def __init__(self, stored_ids: Callable[[str], Container[str]]) -> None:
        self._stored_ids = stored_ids
        self.kept: dict[str, set[str]] = {table: set() for table in COLUMNS}
        self._stored: dict[str, Container[str]] = {}

    def stored(self, table: str) -> Container[str]:
        if table not in self._stored:
            self._stored[table] = self._stored_ids(table)
        return self._stored[table]

    def exists(self, table: str, record_id: str) -> bool:
        return record_id in self.kept[table] or record_id in self.stored(table)


def sqlite_ids(connection: Connection) -> Callable[[str], set[str]]:
    """The ids stored in a table of the local directory."""
    return lambda table: {row[0] for row in connection.exec_driver_sql(f"SELECT id FROM {table}")}


def _map_ids(table: str, row: Row, ids: _Ids, position: int) -> None:
    for column, target in REFERENCES[table].items():
        value = row[column]
        if value is not None:
            row[column] = ids.map(target, value)
    if table == "attribute":
        entity = (row.get("link_entity") or "").strip().casefold()
        row["link_entity"] = entity
        row["link_id"] = ids.map(entity, row.get("link_id")) if entity in LINKABLE else None
    if row["id"] is None:
        # No id in the source: derive one from the content, so a re-import finds the same row.
        content = [f"{k}={v}" for k, v in sorted(row.items()) if v is not None]
        row["id"] = stable_uuid(table, "row", *content) if content else stable_uuid(
            table, "position", str(position))
    else:
        row["id"] = ids.map(table, row["id"])


def _reference_problem(table: str, row: Row, known: _Known, report: ImportReport) -> str | None:
    """Why ``row`` cannot be kept for lack of the records it points to, or None.

    Optional references to missing records are cleared (the row is kept) and counted as notes.
    """
    required = REQUIRED_REFERENCES.get(table, ())
    for column in required:
        target = REFERENCES[table][column]
        if not row.get(column) or not known.exists(target, row[column]):
            return f"points to a missing {target}"
    if table == "attribute":
        entity = row["link_entity"]
        if not row["link_id"] or not known.exists(entity, row["link_id"]):
            return f"links to a missing {entity or 'record'}"
    owners = 0
    for column, target in REFERENCES[table].items():
        if column in required or not row.get(column):
            continue
        if known.exists(target, row[column]):
            owners += 1
        else:
            row[column] = None
            report.repaired[(table, f"dropped a link to a missing {target}")] += 1
    if table in OWNED_BY_ANY and owners == 0:
        return "belongs to no known record"
    return None


def _clean_table(table: str, raw_rows: Iterable[Row], ids: _Ids, known: _Known,
                 report: ImportReport) -> dict[str, Row]:
    columns = COLUMNS[table]
    column_set = set(columns)
    cleaner = CLEANERS[table]
    kept: dict[str, Row] = {}
    kept_ids = known.kept[table]
    for position, raw in enumerate(raw_rows):
        row = clean_values(raw, columns, column_set)
        _map_ids(table, row, ids, position)
        reason = cleaner(row) or _reference_problem(table, row, known, report)
        if reason:
            report.skip(table, reason, raw.get("id"))
            continue
        kept[row["id"]] = row  # the same id twice in one source: the later row wins
        kept_ids.add(row["id"])
    return kept


def _with_hotline_taxonomy(batch: DirectoryBatch) -> dict[str, list[Row]]:
    tables: dict[str, list[Row]] = dict(batch.tables)
    for table, rows in vocabulary().taxonomy_rows().items():
        tables[table] = rows + list(tables.get(table, ()))
    return tables


def _delete_stale_children(connection: Connection, cleaned: dict[str, dict[str, Row]]) -> None:
    """Remove rows that hang off a re-imported record, so the source's version replaces them."""
    connection.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS import_parent (kind TEXT, id TEXT, PRIMARY KEY (kind, id))"
        " WITHOUT ROWID")
    connection.exec_driver_sql("DELETE FROM import_parent")
    execute_many(
        connection, "INSERT OR IGNORE INTO import_parent VALUES (?, ?)",
        [(table, record_id) for table in ("organization", "service", "location",
                                          "service_at_location", "contact", "phone")
         for record_id in cleaned.get(table, {})])
    for table, references in REFERENCES.items():
        for column, target in references.items():
            if target in ("taxonomy", "taxonomy_term"):
                continue
            connection.exec_driver_sql(
                f"DELETE FROM {table} WHERE {column} IN "
                "(SELECT id FROM import_parent WHERE kind = ?)", (target,))
    connection.exec_driver_sql(
        "DELETE FROM attribute WHERE link_id IN (SELECT id FROM import_parent)")


def _affected_services(connection: Connection, cleaned: dict[str, dict[str, Row]]) -> set[str]:
    """Services whose search row depends on anything this batch wrote."""
    affected = set(cleaned.get("service", {}))
    for row in cleaned.get("service_at_location", {}).values():
        affected.add(row["service_id"])
    for table in ("organization", "location"):
        changed = list(cleaned.get(table, {}))
        for start in range(0, len(changed), 500):
            chunk = changed[start:start + 500]
            marks = ",".join("?" * len(chunk))
            query = (f"SELECT id FROM service WHERE organization_id IN ({marks})"
                     if table == "organization" else
                     f"SELECT service_id FROM service_at_location WHERE location_id IN ({marks})")
            affected.update(r[0] for r in connection.exec_driver_sql(query, tuple(chunk)))
    return affected


def import_batch(engine: Engine, batch: DirectoryBatch, state: TaskState | None = None,
                 replace: bool = False, source: str = "import") -> ImportReport:
    """Write ``batch`` into the directory in one transaction and bring the search index along.

    With ``replace`` the batch becomes the whole directory; otherwise its records replace those
    with the same ids and everything else stays.
    """
    state = state or QuietState()
    with gc_paused():
        return _import(engine, batch, state, replace, source)


def clean_batch(batch: DirectoryBatch, stored_ids: Callable[[str], Container[str]],
                state: TaskState) -> dict[str, dict[str, Row]]:
    """The batch's usable rows by table and id, cleaned, with HSDS 3.0 ids and sound references.

    Adds the hotline's own taxonomy; counts what it skips or repairs in ``batch.report``.
    """
    report = batch.report
    tables = _with_hotline_taxonomy(batch)
    ids = _Ids()
    known = _Known(stored_ids)
    total = sum(len(rows) for rows in tables.values())
    cleaned: dict[str, dict[str, Row]] = {}
    done = 0
    for table in COLUMNS:
        check_cancelled(state)
        cleaned[table] = _clean_table(table, tables.get(table, ()), ids, known, report)
        done += len(tables.get(table, ()))
        state.progress("checking records", done, total)
    return cleaned


def _import(engine: Engine, batch: DirectoryBatch, state: TaskState, replace: bool,
            source: str) -> ImportReport:
    report = batch.report
    with engine.begin() as connection:
        if replace:
            for table in reversed(COLUMNS):
                connection.exec_driver_sql(f"DELETE FROM {table}")
        was_empty = not connection.exec_driver_sql("SELECT 1 FROM service LIMIT 1").first()
        cleaned = clean_batch(batch, sqlite_ids(connection), state)
        if not was_empty:
            _delete_stale_children(connection, cleaned)
        write_rows(connection, cleaned, state)
        for table, rows in cleaned.items():
            if rows and table not in ("taxonomy", "taxonomy_term"):
                report.imported[table] += len(rows)
        services = None if was_empty else _affected_services(connection, cleaned)
        rebuild_search_index(connection, services, state)
        set_meta(connection, "last_import", datetime.now(UTC).isoformat(timespec="seconds"))
        set_meta(connection, "source", source)
    return report


def write_rows(connection: Connection, cleaned: dict[str, dict[str, Row]],
               state: TaskState) -> None:
    """Insert or replace ``cleaned`` rows, table by table in dependency order."""
    total = sum(len(rows) for rows in cleaned.values())
    done = 0
    for table, rows in cleaned.items():
        columns = COLUMNS[table]
        statement = (f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) "
                     f"VALUES ({', '.join('?' * len(columns))})")
        values = list(map(itemgetter(*columns), rows.values()))
        for start in range(0, len(values), WRITE_CHUNK):
            check_cancelled(state)
            chunk = values[start:start + WRITE_CHUNK]
            execute_many(connection, statement, chunk)
            done += len(chunk)
            state.progress("writing records", done, total)
