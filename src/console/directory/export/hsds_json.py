"""The HSDS 3.0 JSON export: nested service objects, as a JSON list or one per line (NDJSON)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    literal_column,
    select,
)

from console.directory.batch import Row
from console.directory.cleaning import URI_COLUMNS, absolute_uri
from console.directory.export.reading import (
    CHUNK,
    REQUIRED,
    count_rows,
    is_ndjson,
    matching,
    read_rows,
    replacing,
    snapshot,
    table_named,
)
from console.tasks import TaskState, check_cancelled

# --- Nested JSON --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nest:
    """One nested property of an exported object and where its rows come from.

    ``many``: a list of rows whose ``column`` holds the parent's id (``phone.service_id``).
    Otherwise a single row whose id the parent holds in ``column`` (``service.organization_id``).
    ``by_entity``: attribute rows, kept only when their ``link_entity`` names the parent's table.
    """

    key: str
    table: str
    column: str
    many: bool = True
    by_entity: bool = False
    nests: tuple[Nest, ...] = ()
    entity_column: str = "link_entity"


_TERM = Nest("taxonomy_term", "taxonomy_term", "taxonomy_term_id", many=False,
             nests=(Nest("taxonomy_detail", "taxonomy", "taxonomy_id", many=False),))
_ATTRIBUTES = Nest("attributes", "attribute", "link_id", by_entity=True, nests=(_TERM,))


_METADATA = Nest("metadata", "metadata", "resource_id", by_entity=True,
                 entity_column="resource_type")


def _list(key: str, table: str, column: str, *nests: Nest) -> Nest:
    """A nested list of rows; every HSDS object that can carry attributes gets its own."""
    return Nest(key, table, column, nests=(*nests, _ATTRIBUTES))


def _phones(column: str) -> Nest:
    return _list("phones", "phone", column, _list("languages", "language", "phone_id"))


def _contacts(column: str) -> Nest:
    return _list("contacts", "contact", column, _phones("contact_id"))


def _schedules(column: str) -> Nest:
    return _list("schedules", "schedule", column)


_LOCATION = Nest("location", "location", "location_id", many=False, nests=(
    _list("addresses", "address", "location_id"),
    _phones("location_id"),
    _schedules("location_id"),
    _list("languages", "language", "location_id"),
    _contacts("location_id"),
    _list("accessibility", "accessibility", "location_id"),
    _ATTRIBUTES,
))

# What a service object holds besides its own fields. The organization is its fields only:
# its phones and contacts belong to the organization export HSDS defines, not to each service.
SERVICE_NESTS: tuple[Nest, ...] = (
    Nest("organization", "organization", "organization_id", many=False, nests=(
        _list("organization_identifiers", "organization_identifier", "organization_id"),
        _list("funding", "funding", "organization_id"),
    )),
    Nest("program", "program", "program_id", many=False),
    _list("service_at_locations", "service_at_location", "service_id",
          _LOCATION, _phones("service_at_location_id"), _schedules("service_at_location_id"),
          _contacts("service_at_location_id")),
    _phones("service_id"),
    _schedules("service_id"),
    _list("languages", "language", "service_id"),
    _list("service_areas", "service_area", "service_id"),
    _contacts("service_id"),
    _list("funding", "funding", "service_id"),
    _list("cost_options", "cost_option", "service_id"),
    _list("required_documents", "required_document", "service_id"),
    _ATTRIBUTES,
    _METADATA,
)


class _Lookup:
    """Finds rows by a linking column, for the whole export.

    Indexed columns are queried directly. Querying an unindexed one (``language.phone_id``,
    the ``service_at_location_id`` columns) once per chunk would scan its table every time, so
    its non-null values are read once into a key -> rowids map instead: small, since such
    links are rare.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rowids: dict[tuple[str, str], dict[Any, list[int]]] = {}
        self._entities: dict[tuple[str, str], set[str]] = {}

    def _entities_of(self, table: str, column: str) -> set[str]:
        """The kinds of record that rows of ``table`` (attribute, metadata) describe."""
        if (table, column) not in self._entities:
            entity = table_named(table).c[column]
            self._entities[(table, column)] = {
                str(name).lower()
                for name in self._connection.execute(select(entity).distinct()).scalars()}
        return self._entities[(table, column)]

    def plan(self, table: str, nests: tuple[Nest, ...]) -> tuple[Nest, ...]:
        """``nests`` without the links no row of this store uses.

        Most stores use few of the links HSDS allows (no attributes on phones, no schedules on
        a service at a location); dropping them up front saves a query per chunk and a lookup
        per exported object for each.
        """
        return tuple(replace(nest, nests=self.plan(nest.table, nest.nests))
                     for nest in nests if self._used(table, nest))

    def _used(self, table: str, nest: Nest) -> bool:
        if nest.by_entity:
            return table in self._entities_of(nest.table, nest.entity_column)
        if not nest.many:
            return True
        link = table_named(nest.table).c[nest.column]
        if link.index:
            statement = select(link).where(link.is_not(None)).limit(1)
            return self._connection.execute(statement).first() is not None
        return bool(self._rowid_map(table_named(nest.table), nest.column))

    def rows(self, table: str, column: str, keys: list[Any]) -> list[Row]:
        """The rows of ``table`` whose ``column`` is one of ``keys``."""
        target = table_named(table)
        link = target.c[column]
        if link.primary_key or link.index:
            statement = matching(target, link)
        else:
            by_key = self._rowid_map(target, column)
            keys = [rowid for key in keys for rowid in by_key.get(key, ())]
            statement = matching(target, literal_column("rowid"))
        if not keys:
            return []
        return list(read_rows(self._connection, target, statement,
                          {"keys": orjson.dumps(keys).decode()}))

    def _rowid_map(self, table: Table, column: str) -> dict[Any, list[int]]:
        found = self._rowids.get((table.name, column))
        if found is None:
            link = table.c[column]
            found = {}
            pairs = select(link, literal_column("rowid")).where(link.is_not(None))
            for key, rowid in self._connection.execute(pairs):
                found.setdefault(key, []).append(rowid)
            self._rowids[(table.name, column)] = found
        return found


class _Chunk:
    """One chunk's related rows, grouped by (table, linking column) and then by key.

    A key is fetched once per chunk however many parents share it (an organization with many
    services, a taxonomy term on many attributes), and a shared single object is built once.
    """

    def __init__(self, lookup: _Lookup) -> None:
        self._lookup = lookup
        self._groups: dict[tuple[str, str], dict[Any, list[Row]]] = {}
        self._built: dict[tuple[int, Any], Row] = {}

    def fetch(self, table: str, column: str, keys: Iterable[Any]) -> list[Row]:
        """Load the rows of ``table`` whose ``column`` is one of ``keys``; return the new ones.

        Rows already loaded are not returned: what they nest was loaded along with them.
        """
        groups = self._groups.setdefault((table, column), {})
        missing = [key for key in dict.fromkeys(keys) if key is not None and key not in groups]
        for key in missing:
            groups[key] = []
        rows = self._lookup.rows(table, column, missing) if missing else []
        for row in rows:
            groups[row[column]].append(row)
        return rows

    def load(self, parents: list[Row], nests: tuple[Nest, ...]) -> None:
        """Fetch everything ``nests`` needs for ``parents``, level by level."""
        for nest in nests:
            if nest.many:
                rows = self.fetch(nest.table, nest.column, [parent["id"] for parent in parents])
            else:
                rows = self.fetch(nest.table, "id", [parent[nest.column] for parent in parents])
            if rows and nest.nests:
                self.load(rows, nest.nests)

    def nested(self, table: str, row: Row, nests: tuple[Nest, ...]) -> Row:
        """``row`` as an HSDS object with everything ``nests`` names inside it."""
        item = _json_fields(table, row)
        for nest in nests:
            if not nest.many:
                if (single := self._single(nest, row[nest.column])) is not None:
                    item[nest.key] = single
                continue
            children = self._get(nest.table, nest.column, row["id"])
            if nest.by_entity:
                children = [child for child in children
                            if str(child[nest.entity_column]).lower() == table]
            if children:
                item[nest.key] = [self.nested(nest.table, child, nest.nests)
                                  for child in children]
        return item

    def _get(self, table: str, column: str, key: Any) -> list[Row]:
        return self._groups.get((table, column), {}).get(key, [])

    def _single(self, nest: Nest, key: Any) -> Row | None:
        # Built once and shared: orjson writes the same dict wherever it appears.
        memo = (id(nest), key)
        if memo not in self._built:
            found = self._get(nest.table, "id", key)
            if not found:
                return None
            self._built[memo] = self.nested(nest.table, found[0], nest.nests)
        return self._built[memo]


def _json_fields(table: str, row: Row) -> Row:
    """A row's own fields as the schema allows them: no nulls, required fields present.

    Empty optional text is dropped too: it says nothing and fails format checks (uri, email).
    """
    item = {key: value for key, value in row.items() if value is not None and value != ""}
    for key in URI_COLUMNS.intersection(item):
        # Stores filled before imports added the scheme may still hold "www.example.org".
        uri = absolute_uri(item[key]) if isinstance(item[key], str) else None
        if uri is None:
            del item[key]
        else:
            item[key] = uri
    for key, default in REQUIRED.get(table, {}).items():
        if key not in item:
            value = row.get(key)
            item[key] = default if value is None else value
    return item


def _service_chunks(connection: Connection) -> Iterator[list[Row]]:
    """All services in id order, ``CHUNK`` at a time (keyset paging: no OFFSET rescans)."""
    service = table_named("service")
    after = ""
    while True:
        statement = select(service).where(service.c.id > after).order_by(service.c.id)
        chunk = list(read_rows(connection, service, statement.limit(CHUNK)))
        if not chunk:
            return
        yield chunk
        after = chunk[-1]["id"]


def _nested_services(connection: Connection, state: TaskState) -> Iterator[Row]:
    total = count_rows(connection, "service")
    done = 0
    state.progress("Exporting services", done, total)
    lookup = _Lookup(connection)
    nests = lookup.plan("service", SERVICE_NESTS)
    for chunk in _service_chunks(connection):
        check_cancelled(state)
        related = _Chunk(lookup)
        related.load(chunk, nests)
        for service in chunk:
            yield related.nested("service", service, nests)
        done += len(chunk)
        state.progress("Exporting services", done, total)


def _write_services(services: Iterator[Row], stream: IO[bytes], ndjson: bool) -> int:
    count = 0
    for service in services:
        if not ndjson:
            stream.write(b"[\n" if count == 0 else b",\n")
        stream.write(orjson.dumps(service))
        if ndjson:
            stream.write(b"\n")
        count += 1
    if not ndjson:
        stream.write(b"\n]\n" if count else b"[]\n")
    return count


def export_json(engine: Engine, out: Path, state: TaskState) -> int:
    """Write every service as an HSDS 3.0 nested service object; returns how many.

    A ``.ndjson`` target gets one service per line, anything else a JSON list.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    with snapshot(engine) as connection, replacing([out]) as (part,), part.open("wb") as stream:
        return _write_services(_nested_services(connection, state), stream, is_ndjson(out))


