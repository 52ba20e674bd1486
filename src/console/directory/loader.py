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
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from console.directory.batch import (
    COLUMNS,
    HSDS_REQUIRED,
    REFERENCES,
    DirectoryBatch,
    ImportFailed,
    ImportReport,
    Row,
)
from console.directory.cleaning import CLEANERS, URI_COLUMNS, clean_uris, clean_values
from console.directory.index import execute_many, rebuild_search_index, set_meta
from console.directory.query import PLACEHOLDER_ORGANIZATION_NAME
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
    With a ``scope`` (the import's source name) a non-UUID id is derived from the source too, so
    two sources that both number their services from 1 never touch each other's records. The
    UUID of a service, organization, location, program or taxonomy term is meant to be unique
    everywhere and is kept, so exports re-import as the same records; unless another source
    already holds it (two sources shipping the same example UUIDs), when it too is derived from
    the source. The rows that hang off those records (phones, addresses, ...) always get ids
    derived from the source. The hotline's own taxonomy terms keep their ids.
    """

    def __init__(self, scope: str | None = None,
                 taken: Callable[[str], Container[str]] | None = None) -> None:
        self._seen: dict[str, dict[Any, str]] = {table: {} for table in COLUMNS}
        self._scope = scope
        self._global = vocabulary().term_ids if scope is not None else frozenset()
        self._taken_by_table: dict[str, Container[str]] = {}
        self._taken = taken

    def _taken_ids(self, table: str) -> Container[str]:
        if self._taken is None:
            return ()
        if table not in self._taken_by_table:
            self._taken_by_table[table] = self._taken(table)
        return self._taken_by_table[table]

    def map(self, table: str, value: Any) -> str | None:
        if value is None:
            return None
        seen = self._seen[table]
        mapped = seen.get(value)
        if mapped is None:
            raw = str(value).strip()
            if not raw:
                return None
            as_uuid = raw if _UUID.fullmatch(raw) else _as_uuid(raw)
            if self._scope is None or raw in self._global:
                mapped = as_uuid or stable_uuid(table, raw)
            elif as_uuid is not None and table in ROOT_KINDS \
                    and as_uuid not in self._taken_ids(table):
                mapped = as_uuid
            else:
                mapped = stable_uuid("source", self._scope, table, raw)
            seen[value] = mapped
        return mapped

    def placeholder_organization(self, raw: object) -> str:
        """The id of the stand-in for an organization the source names but does not hold."""
        return stable_uuid("placeholder-organization", self._scope or "", str(raw or ""))


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


def other_sources_ids(connection: Connection, source: str) -> Callable[[str], set[str]]:
    """The ids of a table that sources other than ``source`` brought into the local directory."""
    return lambda table: {row[0] for row in connection.exec_driver_sql(
        "SELECT id FROM directory_record_source WHERE kind = ? AND source <> ?", (table, source))}


def _map_ids(table: str, row: Row, ids: _Ids, position: int) -> None:
    for column, target in REFERENCES[table].items():
        value = row[column]
        if value is not None:
            row[column] = ids.map(target, value)
    if table == "attribute":
        entity = (row.get("link_entity") or "").strip().casefold()
        row["link_entity"] = entity
        row["link_id"] = ids.map(entity, row.get("link_id")) if entity in LINKABLE else None
    elif table == "metadata":
        entity = (row.get("resource_type") or "").strip().casefold()
        row["resource_id"] = ids.map(entity, row.get("resource_id")) \
            if entity in LINKABLE else None
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


def _fill_required(table: str, row: Row, report: ImportReport) -> None:
    """Give a field HSDS requires its default when the source left it out, and say so."""
    for column, default in HSDS_REQUIRED.get(table, {}).items():
        if row.get(column) is None:
            row[column] = default
            if default == "":
                report.repaired[(table, f"no {column.replace('_', ' ')} in the source")] += 1


def _placeholder_organization(row: Row, raw: Row, ids: _Ids, known: _Known,
                              placeholders: dict[str, Row], report: ImportReport) -> None:
    """Keep a service whose organization the source does not hold under a stand-in for it."""
    named = raw.get("organization_id")
    placeholder_id = ids.placeholder_organization(named)
    if placeholder_id not in placeholders:
        placeholders[placeholder_id] = {
            **dict.fromkeys(COLUMNS["organization"]), "id": placeholder_id,
            "name": PLACEHOLDER_ORGANIZATION_NAME,
            "description": (f"The source names organization {named}, which it does not hold."
                            if named else "The source names no organization for these services."),
        }
        known.kept["organization"].add(placeholder_id)
        report.note(f"organization {named or '(none)'} is not in the source: its services are "
                    f"kept under \"{PLACEHOLDER_ORGANIZATION_NAME}\"")
    row["organization_id"] = placeholder_id
    report.repaired[("service", "its organization is not in the source (kept under a "
                     "placeholder organization)")] += 1


def _clean_table(table: str, raw_rows: Iterable[Row], ids: _Ids, known: _Known,
                 report: ImportReport, placeholders: dict[str, Row]) -> dict[str, Row]:
    columns = COLUMNS[table]
    column_set = set(columns)
    cleaner = CLEANERS[table]
    kept: dict[str, Row] = {}
    kept_ids = known.kept[table]
    uri_columns = tuple(column for column in columns if column in URI_COLUMNS)
    for position, raw in enumerate(raw_rows):
        row = clean_values(raw, columns, column_set)
        _map_ids(table, row, ids, position)
        if table == "service" and not (row["organization_id"] and known.exists(
                "organization", row["organization_id"])):
            _placeholder_organization(row, raw, ids, known, placeholders, report)
        reason = cleaner(row) or _reference_problem(table, row, known, report)
        if reason:
            report.skip(table, reason, raw.get("id"))
            continue
        _fill_required(table, row, report)
        for column in clean_uris(uri_columns, row) if uri_columns else ():
            report.repaired[(table, f"its {column} was not a web address and was left out")] += 1
        kept[row["id"]] = row  # the same id twice in one source: the later row wins
        kept_ids.add(row["id"])
    return kept


def _with_hotline_taxonomy(batch: DirectoryBatch) -> dict[str, list[Row]]:
    tables: dict[str, list[Row]] = dict(batch.tables)
    for table, rows in vocabulary().taxonomy_rows().items():
        tables[table] = rows + list(tables.get(table, ()))
    return tables


# The rows that are part of a record as its source describes it: re-importing the record
# replaces them. A record's own services, locations and the links between them are records of
# their own and are never removed by importing a part of a source.
DETAILS_OF: dict[str, tuple[tuple[str, str], ...]] = {
    "organization": (("phone", "organization_id"), ("contact", "organization_id"),
                     ("funding", "organization_id"),
                     ("organization_identifier", "organization_id")),
    "service": (("phone", "service_id"), ("contact", "service_id"), ("schedule", "service_id"),
                ("language", "service_id"), ("service_area", "service_id"),
                ("funding", "service_id"), ("cost_option", "service_id"),
                ("required_document", "service_id")),
    "location": (("address", "location_id"), ("phone", "location_id"),
                 ("contact", "location_id"), ("schedule", "location_id"),
                 ("language", "location_id"), ("accessibility", "location_id")),
    "service_at_location": (("phone", "service_at_location_id"),
                            ("contact", "service_at_location_id"),
                            ("schedule", "service_at_location_id")),
    "contact": (("phone", "contact_id"),),
    "phone": (("language", "phone_id"),),
}


def _delete_stale_children(connection: Connection, cleaned: dict[str, dict[str, Row]]) -> None:
    """Remove the details of re-imported records, so the source's version replaces them."""
    connection.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS import_parent (kind TEXT, id TEXT, PRIMARY KEY (kind, id))"
        " WITHOUT ROWID")
    connection.exec_driver_sql("DELETE FROM import_parent")
    execute_many(
        connection, "INSERT OR IGNORE INTO import_parent VALUES (?, ?)",
        [(table, record_id) for table in DETAILS_OF for record_id in cleaned.get(table, {})])
    for parent, details in DETAILS_OF.items():
        for table, column in details:
            connection.exec_driver_sql(
                f"DELETE FROM {table} WHERE {column} IN "
                "(SELECT id FROM import_parent WHERE kind = ?)", (parent,))
    connection.exec_driver_sql(
        "DELETE FROM attribute WHERE link_id IN (SELECT id FROM import_parent)")
    connection.exec_driver_sql(
        "DELETE FROM metadata WHERE resource_id IN (SELECT id FROM import_parent)")


# The records a source is listed by. Every other row hangs off one of them (a phone off its
# service, an address off its location), so listing these is enough to remove a whole source,
# at a fraction of the cost of listing every row of a large import.
ROOT_KINDS = ("taxonomy", "taxonomy_term", "organization", "program", "service", "location")


def _delete_source(connection: Connection, source: str) -> None:
    """Remove every record that an earlier import of ``source`` stored, and what hangs off them.

    Ids are scoped by source, so only this source's rows point at this source's records.
    """
    connection.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS doomed (kind TEXT, id TEXT, PRIMARY KEY (kind, id))"
        " WITHOUT ROWID")
    connection.exec_driver_sql("DELETE FROM doomed")
    connection.exec_driver_sql("INSERT INTO doomed SELECT kind, id FROM directory_record_source "
                               "WHERE source = ?", (source,))
    for table in COLUMNS:  # dependency order: a row's parents are doomed before it is checked
        links = [(column, target) for column, target in REFERENCES[table].items()
                 if target not in ("taxonomy", "taxonomy_term") or table in ROOT_KINDS]
        for column, target in links:
            connection.exec_driver_sql(
                f"INSERT OR IGNORE INTO doomed SELECT ?, id FROM {table} WHERE {column} IN "
                "(SELECT id FROM doomed WHERE kind = ?)", (table, target))
        if table in ("attribute", "metadata"):
            column = "link_id" if table == "attribute" else "resource_id"
            connection.exec_driver_sql(
                f"INSERT OR IGNORE INTO doomed SELECT ?, id FROM {table} WHERE {column} IN "
                "(SELECT id FROM doomed)", (table,))
    for table in reversed(COLUMNS):
        connection.exec_driver_sql(
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM doomed WHERE kind = ?)", (table,))
    connection.exec_driver_sql("DELETE FROM directory_record_source WHERE source = ?", (source,))


def listed_records(cleaned: dict[str, dict[str, Row]]) -> list[tuple[str, str]]:
    """(kind, id) of the records of ``cleaned`` that its source lists: those of ``ROOT_KINDS``,
    but never the hotline's own taxonomy, which belongs to every source."""
    hotline_ids = vocabulary().term_ids
    return [(table, record_id) for table in ROOT_KINDS
            for record_id in cleaned.get(table, ()) if record_id not in hotline_ids]


def _record_sources(connection: Connection, cleaned: dict[str, dict[str, Row]],
                    source: str) -> None:
    execute_many(connection, "INSERT OR REPLACE INTO directory_record_source (kind, id, source) "
                 "VALUES (?, ?, ?)",
                 [(kind, record_id, source) for kind, record_id in listed_records(cleaned)])


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


class StrictImportRefused(ImportFailed):
    """``strict`` was asked for and the source lost something; nothing was changed."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("Nothing was imported: the source has records or fields the directory "
                         "would skip or leave out (see above), and a strict import keeps "
                         "everything or nothing.")
        self.report = report


def import_batch(engine: Engine, batch: DirectoryBatch, state: TaskState | None = None,
                 replace: bool = False, source: str | None = None,
                 strict: bool = False, drop_sources: tuple[str, ...] = ()) -> ImportReport:
    """Write ``batch`` into the directory in one transaction and bring the search index along.

    ``source`` names where the batch comes from: its ids are scoped by that name, so sources
    never touch each other's records. Without ``replace`` the batch adds and updates records;
    with it, the batch becomes the whole of that source (the whole directory when ``source``
    is None). With ``strict`` any skipped record or dropped field refuses the whole import.
    ``drop_sources`` are removed in the same transaction (the demo directory, at the first real
    import).
    """
    state = state or QuietState()
    with gc_paused():
        try:
            return _import(engine, batch, state, replace, source, strict, drop_sources)
        except DBAPIError as error:  # a row the store cannot hold: a bug, but never half a write
            raise ImportFailed(f"The directory could not store this source "
                               f"({error.orig}); nothing was changed.") from error


def source_name(path: Path, source: str | None) -> str:
    """The name an import of ``path`` goes by: ``source`` if given, else the file's name."""
    return (source or path.name).strip() or path.name


def refuse_unusable(batch: DirectoryBatch, replace: bool, name: str = "The source") -> None:
    """ImportFailed, before anything is touched, for a batch that could only empty a directory:
    one with no records at all, or one with no services meant to replace a source."""
    if not any(batch.tables.values()):
        raise ImportFailed(f"{name} holds no directory records: nothing was imported and the "
                           "directory was left as it was.")
    if replace and not batch.count("service"):
        raise ImportFailed(f"{name} holds no services, so it cannot replace anything: nothing "
                           "was imported and the directory was left as it was.")


def clean_batch(batch: DirectoryBatch, stored_ids: Callable[[str], Container[str]],
                state: TaskState, scope: str | None = None,
                taken: Callable[[str], Container[str]] | None = None) -> dict[str, dict[str, Row]]:
    """The batch's usable rows by table and id, cleaned, with HSDS 3.0 ids and sound references.

    Adds the hotline's own taxonomy; counts what it skips or repairs in ``batch.report``.
    ``scope`` (a source name) keeps this source's ids apart from the ``taken`` ones (by table)
    of every other source.
    """
    report = batch.report
    tables = _with_hotline_taxonomy(batch)
    ids = _Ids(scope, taken)
    known = _Known(stored_ids)
    total = sum(len(rows) for rows in tables.values())
    cleaned: dict[str, dict[str, Row]] = {}
    placeholders: dict[str, Row] = {}
    done = 0
    for table in COLUMNS:
        check_cancelled(state)
        cleaned[table] = _clean_table(table, tables.get(table, ()), ids, known, report,
                                      placeholders)
        done += len(tables.get(table, ()))
        state.progress("checking records", done, total)
    cleaned["organization"].update(placeholders)
    return cleaned


def _import(engine: Engine, batch: DirectoryBatch, state: TaskState, replace: bool,
            source: str | None, strict: bool, drop_sources: tuple[str, ...]) -> ImportReport:
    report = batch.report
    if replace:
        refuse_unusable(batch, replace)
    with engine.begin() as connection:
        if replace:
            if source is None:
                for table in (*reversed(COLUMNS), "directory_record_source"):
                    connection.exec_driver_sql(f"DELETE FROM {table}")
            else:
                _delete_source(connection, source)
        for dropped in drop_sources:
            _delete_source(connection, dropped)
        was_empty = not connection.exec_driver_sql("SELECT 1 FROM service LIMIT 1").first()
        # Nothing at all stored but the hotline's taxonomy: the batch will be the whole store.
        fresh = was_empty and not any(connection.exec_driver_sql(
            f"SELECT 1 FROM {table} LIMIT 1").first() for table in COLUMNS
            if table not in ("taxonomy", "taxonomy_term"))
        cleaned = clean_batch(batch, sqlite_ids(connection), state, scope=source,
                              taken=None if source is None
                              else other_sources_ids(connection, source))
        if strict and report.anything_lost:
            raise StrictImportRefused(report)
        if not was_empty:
            _delete_stale_children(connection, cleaned)
        write_rows(connection, cleaned, state)
        if source is not None:
            _record_sources(connection, cleaned, source)
        for table, rows in cleaned.items():
            if rows and table not in ("taxonomy", "taxonomy_term"):
                report.imported[table] += len(rows)
        services = None if was_empty or replace or drop_sources \
            else _affected_services(connection, cleaned)
        rebuild_search_index(connection, services, state, cleaned if fresh else None)
        set_meta(connection, "last_import", datetime.now(UTC).isoformat(timespec="seconds"))
        set_meta(connection, "source", source or "import")
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
