"""Writing the directory out as HSDS 3.0: nested JSON (or NDJSON) services, or a CSV data package.

Both formats read the store through ``_read``, which turns result rows into plain dicts by HSDS
column name. The JSON export walks services in chunks and loads each chunk's related rows with
one query per link (``phone.service_id``, ``address.location_id``, ...), grouped in memory by
the linking column, so the number of queries grows with the number of chunks, never with the
number of services. The CSV export streams each table whole. Either export reads one snapshot
of the store, writes beside its target and swaps the result in at the end, so a cancelled or
failed export never leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Float,
    Select,
    Table,
    bindparam,
    func,
    literal_column,
    select,
)

from console.directory.batch import COLUMNS, HSDS_REQUIRED, Row
from console.directory.cleaning import URI_COLUMNS, absolute_uri
from console.directory.confidential import places_in_directory
from console.directory.formats.hsds3_csv import FILES as CSV_FILES
from console.directory.formats.hsds3_json import record_kind
from console.directory.formats.tabular import files_under
from console.models.directory import DirectoryBase
from console.settings import resources_dir
from console.tasks import TaskState, check_cancelled

# Services per chunk of the JSON export: big enough for few queries, small enough that a
# chunk's related rows stay a few megabytes. Also the batch size rows are fetched in.
CHUNK = 5000

# Fields the HSDS 3.0 schemas require: written with the import's default when the store has none.
REQUIRED = HSDS_REQUIRED


# --- Reading rows -------------------------------------------------------------------------------


def _table(name: str) -> Table:
    return DirectoryBase.metadata.tables[name]


def _float_positions(table: Table) -> tuple[int, ...]:
    return tuple(i for i, column in enumerate(table.columns) if isinstance(column.type, Float))


def _read(connection: Connection, table: Table, statement: Select[Any],
          parameters: dict[str, Any] | None = None) -> Iterator[Row]:
    """Rows of ``statement`` (a ``select`` of all of ``table``'s columns) as dicts by name.

    SQLite hands back REAL columns as floats even for whole numbers; those become ints so an
    age of 12 is written as ``12`` rather than ``12.0`` (the same number in JSON, tidier in CSV).
    """
    names = COLUMNS[table.name]
    floats = _float_positions(table)
    # A directory imported here may hold a shelter's street address: never written out.
    places = places_in_directory(connection) if table.name in ("address", "location") else None
    # yield_per fetches in batches: far fewer driver calls than row by row, bounded memory.
    for values in connection.execution_options(yield_per=CHUNK).execute(statement, parameters):
        row = dict(zip(names, values, strict=True))
        for position in floats:
            value = values[position]
            if isinstance(value, float) and value.is_integer():
                row[names[position]] = int(value)
        yield places.scrub(table.name, row) if places else row


def _matching(table: Table, column: ColumnElement[Any]) -> Select[Any]:
    """Rows of ``table`` whose ``column`` is one of the JSON list bound as ``keys``.

    One parameter however many keys: no SQLite bound-parameter limit, and the statement
    compiles once and is reused from SQLAlchemy's cache. ``IN (SELECT ...)`` still uses the
    column's index where it has one.
    """
    keys = func.json_each(bindparam("keys")).table_valued("value")
    return select(table).where(column.in_(select(keys.c.value)))


def _count(connection: Connection, table: str) -> int:
    return connection.execute(select(func.count()).select_from(_table(table))).scalar_one()


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
            entity = _table(table).c[column]
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
        link = _table(nest.table).c[nest.column]
        if link.index:
            statement = select(link).where(link.is_not(None)).limit(1)
            return self._connection.execute(statement).first() is not None
        return bool(self._rowid_map(_table(nest.table), nest.column))

    def rows(self, table: str, column: str, keys: list[Any]) -> list[Row]:
        """The rows of ``table`` whose ``column`` is one of ``keys``."""
        target = _table(table)
        link = target.c[column]
        if link.primary_key or link.index:
            statement = _matching(target, link)
        else:
            by_key = self._rowid_map(target, column)
            keys = [rowid for key in keys for rowid in by_key.get(key, ())]
            statement = _matching(target, literal_column("rowid"))
        if not keys:
            return []
        return list(_read(self._connection, target, statement,
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
    service = _table("service")
    after = ""
    while True:
        statement = select(service).where(service.c.id > after).order_by(service.c.id)
        chunk = list(_read(connection, service, statement.limit(CHUNK)))
        if not chunk:
            return
        yield chunk
        after = chunk[-1]["id"]


def _nested_services(connection: Connection, state: TaskState) -> Iterator[Row]:
    total = _count(connection, "service")
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


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that reads one consistent state of the store for the whole export.

    pysqlite opens no transaction for SELECTs, so each query would see the latest commit and a
    sync finishing mid-export could leave services pointing at rows of another version. An
    explicit BEGIN holds one read snapshot; under WAL, writers carry on meanwhile.
    """
    with engine.connect() as connection:
        driver = connection.connection.dbapi_connection
        if connection.dialect.name == "sqlite" and not getattr(driver, "in_transaction", True):
            connection.exec_driver_sql("BEGIN")
        yield connection


@contextmanager
def _replacing(targets: list[Path]) -> Iterator[list[Path]]:
    """Temporary paths beside ``targets`` that replace them only if the block completes."""
    parts = [target.with_name(target.name + ".part") for target in targets]
    try:
        yield parts
    except BaseException:
        for part in parts:
            part.unlink(missing_ok=True)
        raise
    for part, target in zip(parts, targets, strict=True):
        os.replace(part, target)


def _is_ndjson(path: Path) -> bool:
    return path.suffix.lower() == ".ndjson"


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
    with _snapshot(engine) as connection, _replacing([out]) as (part,), part.open("wb") as stream:
        return _write_services(_nested_services(connection, state), stream, _is_ndjson(out))


# --- CSV data package ---------------------------------------------------------------------------

PACKAGE_FILE = "datapackage.json"


def _package_template() -> dict[str, Any]:
    """The official HSDS 3.0 datapackage.json, trimmed to the tables the directory keeps."""
    path = resources_dir() / "hsds" / PACKAGE_FILE
    return json.loads(path.read_text(encoding="utf-8"))


def _package(template: dict[str, Any]) -> dict[str, Any]:
    """The package description for the tables written, without dangling foreign keys.

    A foreign key to a table we do not write (``service.program_id``) would make package
    validators fail on every row, so it is left out.
    """
    resources = [dict(resource) for resource in template["resources"]
                 if resource["name"] in COLUMNS]
    names = {resource["name"] for resource in resources}
    for resource in resources:
        schema = dict(resource["schema"])
        keys = [key for key in schema.get("foreignKeys", ())
                if key["reference"]["resource"] in names]
        schema.pop("foreignKeys", None)
        if keys:
            schema["foreignKeys"] = keys
        resource["schema"] = schema
    return {**template, "resources": resources}


def _write_table(connection: Connection, resource: dict[str, Any], path: Path,
                 progress: _Progress) -> None:
    table = _table(resource["name"])
    # The package's field order is the official column order of each CSV.
    fields = [field["name"] for field in resource["schema"]["fields"]]
    values = itemgetter(*fields)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(fields)
        # Store order, not ORDER BY id: walking the id index costs more than writing the rows,
        # and the order of a table's rows means nothing in a data package.
        for row in _read(connection, table, select(table)):
            writer.writerow(values(row))
            progress.step()


class _Progress:
    """Counts rows across all tables, reporting (and checking for cancel) every ``CHUNK``."""

    def __init__(self, state: TaskState, stage: str, total: int) -> None:
        self.state, self.stage, self.total, self.done = state, stage, total, 0
        state.progress(stage, 0, total)

    def step(self) -> None:
        self.done += 1
        if self.done % CHUNK == 0:
            check_cancelled(self.state)
            self.state.progress(self.stage, self.done, self.total)

    def finish(self) -> None:
        self.state.progress(self.stage, self.done, self.total)


def export_csv(engine: Engine, out: Path, state: TaskState) -> int:
    """Write an HSDS 3.0 tabular data package into the folder ``out``; returns the services.

    One CSV per table the directory keeps, named and ordered as in the official package, plus
    the ``datapackage.json`` describing them.
    """
    package = _package(_package_template())
    resources = package["resources"]
    out.mkdir(parents=True, exist_ok=True)
    targets = [out / resource["path"] for resource in resources] + [out / PACKAGE_FILE]
    with _snapshot(engine) as connection, _replacing(targets) as parts:
        total = sum(_count(connection, resource["name"]) for resource in resources)
        progress = _Progress(state, "Exporting tables", total)
        for resource, part in zip(resources, parts[:-1], strict=True):
            _write_table(connection, resource, part, progress)
        progress.finish()
        parts[-1].write_text(json.dumps(package, indent=4, ensure_ascii=False) + "\n",
                             encoding="utf-8")
        return _count(connection, "service")


# --- Validation ---------------------------------------------------------------------------------

# RFC 3339 date-time, which JSON Schema's "date-time" means; used when jsonschema lacks its own.
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
# An absolute URI starts with a scheme and holds no whitespace (RFC 3986 section 3).
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S*")


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.fullmatch(value))


@cache
def _validator(schema_dir: Path, schema_name: str = "service.json") -> Any:
    """A validator for one HSDS schema whose relative ``$ref``s resolve within ``schema_dir``.

    Format checks are on: an invalid ``uri``, ``uuid`` or ``date-time`` is a problem.
    """
    try:
        from jsonschema import FormatChecker, validators
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
    except ImportError as error:
        raise RuntimeError(
            "Validating an export needs the jsonschema package, a development dependency: "
            "install it with  pip install 'hotline-console[dev]'"
        ) from error

    # The schemas have no $id: each is registered under its file name, which is exactly what
    # their "$ref": "phone.json" references resolve to from a root without a base URI.
    registry: Registry[Any] = Registry().with_resources(
        (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8")),
                                           default_specification=DRAFT202012))
        for path in sorted(schema_dir.glob("*.json"))
    )
    schema = registry.contents(schema_name)
    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    checker = FormatChecker(formats=list(cls.FORMAT_CHECKER.checkers))
    # jsonschema checks these two only with optional extra packages; fall back to plain checks.
    if "date-time" not in checker.checkers:
        checker.checks("date-time")(_is_date_time)
    if "uri" not in checker.checkers:
        checker.checks("uri")(_is_uri)
    return cls(schema, registry=registry, format_checker=checker)


# The official example shapes: records of these tables, alone, in a list, or in an API page.
_RECORD_SCHEMAS = ("service", "organization", "location", "service_at_location", "taxonomy",
                   "taxonomy_term")
_API_INFO_KEYS = {"version", "openapi_url"}
_TABULAR_FILES = {**CSV_FILES, "meta_table_description": ("meta_table_descriptions.csv",)}


def _as_cells(table: str, row: Any) -> Any:
    """A tabular example row as its CSV would hold it: numbers in text columns become text."""
    if not isinstance(row, dict) or table == "unknown":
        return row
    schema = json.loads((resources_dir() / "hsds" / "schema" / f"{table}.json").read_text(
        encoding="utf-8"))
    text_columns = {name for name, spec in schema.get("properties", {}).items()
                    if spec.get("type") == "string"}
    return {key: str(value) if key in text_columns and isinstance(value, int | float)
            else value for key, value in row.items()}


def _records(path: Path) -> Iterator[tuple[str, str | None, Any]]:
    """(label, table, record) for each record of an HSDS JSON file in any official shape.

    The table is None for the API's information object (base.json), which has no schema of
    its own here; it is checked for its version only.
    """
    data = path.read_bytes()
    if _is_ndjson(path):
        document: Any = [orjson.loads(line) for line in data.splitlines() if line.strip()]
    else:
        document = orjson.loads(data)
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        document = document["contents"]  # an API page: service_list.json and the like
    if isinstance(document, dict) and document and all(
            key.endswith(".csv") and isinstance(value, list) for key, value in document.items()):
        for file, rows in document.items():  # tabular.json: the CSV files' rows as JSON
            table = next((t for t, names in _TABULAR_FILES.items() if file.lower() in names),
                         "unknown")
            for number, row in enumerate(rows, start=1):
                # A CSV cell is text: "1234567" is a valid identifier even if the JSON says 1234567.
                yield f"{file} row {number}", table, _as_cells(table, row)
        return
    if isinstance(document, dict) and document.keys() >= _API_INFO_KEYS and "id" not in document:
        yield "API information", None, document
        return
    items = document if isinstance(document, list) else [document]
    for index, item in enumerate(items):
        kind = (record_kind(item) if isinstance(item, dict) else None) or "service"
        if kind not in _RECORD_SCHEMAS:
            kind = "service"
        record_id = item.get("id") if isinstance(item, dict) else None
        yield (f"{kind} {record_id}" if record_id else f"{kind} #{index + 1}"), kind, item


def validate_json_export(path: Path, schema_dir: Path | None = None) -> list[str]:
    """Check each record of an HSDS 3.0 JSON or NDJSON file against its HSDS 3.0 schema.

    Takes an export (a list of services), a single record, an API page, the tabular example
    and the API information object. Returns one readable line per problem (record, JSON path,
    message); empty when valid. An unreadable file is reported as a single problem.
    """
    folder = schema_dir or resources_dir() / "hsds" / "schema"
    problems: list[str] = []
    try:
        for label, table, record in _records(path):
            if table is None:
                if not isinstance(record.get("version"), str):
                    problems.append(f"{label}: $.version: must be text such as \"3.0\"")
                continue
            if table == "unknown":
                problems.append(f"{label}: not a file of the HSDS 3.0 tabular package")
                continue
            validator = _validator(folder, f"{table}.json")
            for error in sorted(validator.iter_errors(record), key=lambda e: e.json_path):
                problems.append(f"{label}: {error.json_path}: {error.message}")
    except (orjson.JSONDecodeError, ValueError) as error:
        problems.append(f"{path.name}: not valid JSON: {error}")
    except OSError as error:
        problems.append(f"{path.name}: cannot be read: {error.strerror or error}")
    return problems


def validate_path(path: Path, schema_dir: Path | None = None) -> list[str]:
    """``validate_json_export`` for a file, or for every JSON file in a folder (by its name)."""
    if not path.is_dir():
        if not path.exists():
            return [f"{path}: no such file or folder"]
        return validate_json_export(path, schema_dir)
    files = [found for found in files_under(path)
             if found.suffix.lower() in (".json", ".ndjson", ".jsonl")
             and found.name.lower() != "datapackage.json"]
    if not files:
        return [f"{path.name}: the folder holds no JSON files to check"]
    return [f"{file.relative_to(path)}: {problem}" for file in files
            for problem in validate_json_export(file, schema_dir)]
