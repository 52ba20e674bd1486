"""Applying the server's directory changes to the local copy: records in, tombstones out.

The server checks every record before it enters its change feed, so a page of changes is written
as it comes (no second cleaning): upserts in dependency order, deletions in reverse order, then the
search rows of every service the page touched — all inside the caller's transaction, which also
stores the new cursor. A page either lands whole with its cursor or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection

from console.directory.batch import COLUMNS, REFERENCES, Row
from console.directory.index import CHUNK, rebuild_search_index
from console.directory.loader import write_rows
from console.tasks import QuietState, TaskState, gc_paused

# The directory_meta key holding the feed number the local directory is current to.
CURSOR_KEY = "sync_cursor"

# Tables whose rows a search row reads; the query maps their ids to the services concerned.
_SERVICES_OF = {
    "service": "SELECT id FROM service WHERE id IN ({})",
    "organization": "SELECT id FROM service WHERE organization_id IN ({})",
    "location": "SELECT service_id FROM service_at_location WHERE location_id IN ({})",
    "service_at_location": "SELECT service_id FROM service_at_location WHERE id IN ({})",
    "taxonomy_term": "SELECT link_id FROM attribute WHERE link_entity = 'service' "
                     "AND taxonomy_term_id IN ({})",
    # An address's own attributes (the confidential flag) decide whether search shows it.
    "address": "SELECT service_id FROM service_at_location WHERE location_id IN "
               "(SELECT location_id FROM address WHERE id IN ({}))",
}
# The references through which the search index reads a row (see ``index._gather``). The others
# carry nothing into search rows: a service's organization_id does not put it in the rows of its
# sister services, nor an attribute's taxonomy_term_id in those of every service with that term.
_READ_THROUGH: dict[str, tuple[str, ...]] = {
    "service_at_location": ("service_id",),
    "service_area": ("service_id",),
    "address": ("location_id",),
    "phone": ("service_id", "location_id", "organization_id"),
    "schedule": ("service_id", "location_id"),
    "language": ("service_id", "location_id"),
}


def _owners(table: str, rows: Iterable[Row]) -> dict[str, set[str]]:
    """The records (by table) whose services' search rows read ``rows``, the rows included."""
    owners: dict[str, set[str]] = defaultdict(set)
    references = _READ_THROUGH.get(table, ())
    for row in rows:
        if table in _SERVICES_OF:
            owners[table].add(row["id"])
        for column in references:
            if row.get(column):
                owners[REFERENCES[table][column]].add(row[column])
        if table == "attribute" and row.get("link_entity") in _SERVICES_OF \
                and row.get("link_id"):
            owners[row["link_entity"]].add(row["link_id"])
    return owners


def services_touched(connection: Connection, rows_by_table: dict[str, list[Row]]) -> set[str]:
    """Services whose search row depends on any of ``rows_by_table`` (as stored right now)."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for table, rows in rows_by_table.items():
        for target, ids in _owners(table, rows).items():
            wanted[target] |= ids
    services = set(wanted.pop("service", ()))
    for target, ids in wanted.items():
        services |= _lookup(connection, _SERVICES_OF[target], sorted(ids))
    return services


def _lookup(connection: Connection, sql: str, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = tuple(ids[start:start + CHUNK])
        query = sql.format(",".join("?" * len(chunk)))
        found.update(row[0] for row in connection.exec_driver_sql(query, chunk))
    return found


def _stored_rows(connection: Connection, table: str, ids: list[str]) -> list[Row]:
    columns = COLUMNS[table]
    rows: list[Row] = []
    for start in range(0, len(ids), CHUNK):
        chunk = tuple(ids[start:start + CHUNK])
        result = connection.exec_driver_sql(
            f"SELECT {', '.join(columns)} FROM {table} WHERE id IN "
            f"({','.join('?' * len(chunk))})", chunk)
        rows.extend(dict(zip(columns, values, strict=True)) for values in result)
    return rows


def _delete(connection: Connection, deletes: dict[str, list[str]]) -> None:
    for table in reversed(COLUMNS):
        ids = deletes.get(table, [])
        for start in range(0, len(ids), CHUNK):
            chunk = tuple(ids[start:start + CHUNK])
            connection.exec_driver_sql(
                f"DELETE FROM {table} WHERE id IN ({','.join('?' * len(chunk))})", chunk)


def apply_changes(connection: Connection, upserts: dict[str, dict[str, Row]],
                  deletes: dict[str, list[str]], state: TaskState | None = None) -> int:
    """Write a page of server changes and re-derive the search rows it affects.

    ``upserts`` maps table → id → full row (HSDS columns); ``deletes`` maps table → ids. Runs in
    the caller's transaction. An empty directory gets one full index build instead of many small
    ones. Returns how many services were re-indexed.
    """
    unknown = (set(upserts) | set(deletes)) - set(COLUMNS)
    if unknown:
        raise ValueError(f"not directory tables: {', '.join(sorted(unknown))}")
    with gc_paused():
        return _apply(connection, upserts, deletes, state or QuietState())


def _apply(connection: Connection, upserts: dict[str, dict[str, Row]],
           deletes: dict[str, list[str]], state: TaskState) -> int:
    was_empty = not connection.exec_driver_sql("SELECT 1 FROM service LIMIT 1").first()
    touched: set[str] = set()
    if not was_empty:
        doomed = {table: _stored_rows(connection, table, ids) for table, ids in deletes.items()}
        touched = services_touched(connection, doomed)
    _delete(connection, deletes)
    write_rows(connection, {table: upserts.get(table, {}) for table in COLUMNS}, state)
    if was_empty:
        return rebuild_search_index(connection, None, state)
    touched |= services_touched(connection, {t: list(r.values()) for t, r in upserts.items()})
    return rebuild_search_index(connection, touched, state)


def row_values(table: str, data: dict[str, Any]) -> Row:
    """A server record as a row of ``table``: exactly its columns, missing ones as None."""
    return {column: data.get(column) for column in COLUMNS[table]}
