"""Reader for HSDS 3.0 JSON: nested services or organizations, API pages, or NDJSON.

HSDS 3.0 APIs and exports nest related objects: a service carries its organization, its
service_at_locations with their location, its phones, schedules and attributes. This reader
flattens that nesting into the HSDS tables, filling each child's reference to its parent from
where the child sits, and keeps one row per id, because the same organization, location or
taxonomy term is repeated under every service that uses it.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from console.directory.batch import COLUMNS, DirectoryBatch, ImportFailed, Row
from console.directory.vocabulary import stable_uuid
from console.tasks import TaskState, check_cancelled, gc_paused

PROGRESS_EVERY = 2000
NDJSON_SUFFIXES = (".ndjson", ".jsonl")
# Legitimate HSDS nesting is under 12 levels (service_at_location > service > organization >
# location > contact > phone > language > attribute > term > taxonomy); anything deeper is
# garbage, and following it could exhaust Python's recursion limit.
MAX_DEPTH = 16
_NESTED = frozenset({dict, list})
_ID_TYPES = (str, int, float)


@dataclass(frozen=True)
class _Link:
    """A nested key: the table its objects belong to and the column that ties them together."""

    key: str
    table: str
    column: str
    # True: the child names its parent (phone.service_id); False: the parent names the child
    # (service.organization_id for a nested organization).
    on_child: bool = True


def _owned(column: str, **tables: str) -> tuple[_Link, ...]:
    """Links for nested lists whose objects name their parent in ``column``."""
    return tuple(_Link(key, table, column) for key, table in tables.items())


def _named(key: str, column: str, table: str | None = None) -> _Link:
    """Link for a nested object that the parent names in ``column``."""
    return _Link(key, table or key, column, on_child=False)


# Attributes and metadata can hang off any record; ``link_id``/``link_entity`` (``resource_id``/
# ``resource_type``) say which one.
_ATTRIBUTES = _Link("attributes", "attribute", "link_id")
_METADATA = _Link("metadata", "metadata", "resource_id")
_ANY = (_ATTRIBUTES, _METADATA)

_LINKS: dict[str, tuple[_Link, ...]] = {
    "organization": (
        *_owned("organization_id", services="service", locations="location", phones="phone",
                contacts="contact", funding="funding", programs="program",
                organization_identifiers="organization_identifier"),
        *_ANY,
    ),
    "service": (
        _named("organization", "organization_id"),
        _named("program", "program_id"),
        *_owned("service_id", service_at_locations="service_at_location", phones="phone",
                schedules="schedule", languages="language", service_areas="service_area",
                contacts="contact", funding="funding", cost_options="cost_option",
                required_documents="required_document"),
        *_ANY,
    ),
    "service_at_location": (
        _named("service", "service_id"),
        _named("location", "location_id"),
        *_owned("service_at_location_id", contacts="contact", phones="phone",
                schedules="schedule"),
        *_ANY,
    ),
    "location": (
        *_owned("location_id", addresses="address", phones="phone", schedules="schedule",
                languages="language", contacts="contact", accessibility="accessibility"),
        *_ANY,
    ),
    "contact": (*_owned("contact_id", phones="phone"), *_ANY),
    "phone": (*_owned("phone_id", languages="language"), *_ANY),
    "address": _ANY,
    "schedule": _ANY,
    "language": _ANY,
    "service_area": _ANY,
    "program": (*_owned("program_id", services="service"), *_ANY),
    "organization_identifier": _ANY,
    "funding": _ANY,
    "cost_option": _ANY,
    "required_document": _ANY,
    "accessibility": _ANY,
    "metadata": (),
    "attribute": (_named("taxonomy_term", "taxonomy_term_id"), _METADATA),
    "taxonomy_term": (_named("taxonomy_detail", "taxonomy_id", "taxonomy"), _METADATA),
    "taxonomy": (_METADATA,),
}
# Every key a record of each table may have: its columns and its nested links.
_KNOWN_KEYS: dict[str, frozenset[str]] = {
    table: frozenset(COLUMNS[table]) | {link.key for link in links}
    for table, links in _LINKS.items()
}

# Keys that only one kind of top-level record has; a record is read as the kind whose keys it
# shares most (ties go to the earlier kind: files of services are the common case).
_SIGNATURES: dict[str, frozenset[str]] = {
    "service": frozenset({
        "organization", "organization_id", "status", "service_at_locations", "service_areas",
        "url", "fees_description", "eligibility_description", "interpretation_services",
        "application_process", "wait_time", "accreditations", "licenses", "minimum_age",
        "maximum_age", "program", "program_id", "cost_options", "required_documents",
        "assured_date", "alert",
    }),
    "organization": frozenset({
        "services", "locations", "website", "tax_status", "tax_id", "year_incorporated",
        "legal_status", "logo", "parent_organization_id", "organization_identifiers", "programs",
    }),
    "service_at_location": frozenset({"service", "location", "service_id", "location_id"}),
    "location": frozenset({
        "addresses", "latitude", "longitude", "location_type", "transportation",
        "external_identifier", "accessibility",
    }),
    "taxonomy_term": frozenset({"taxonomy_detail", "taxonomy", "taxonomy_id", "term_uri",
                                "parent_id", "code"}),
    "taxonomy": frozenset({"version"}),
}


def record_kind(item: dict[str, Any]) -> str | None:
    """The HSDS table a top-level record most likely belongs to, judged by its keys."""
    keys = item.keys()
    scores = {kind: len(keys & signature) for kind, signature in _SIGNATURES.items()}
    best = max(scores, key=scores.__getitem__)  # the first of equals: ties go to services
    return best if scores[best] else None


def _empty(value: object) -> bool:
    return value is None or value == ""


class _Flattener:
    """Turns top-level HSDS records into table rows, one row per (table, id)."""

    def __init__(self, batch: DirectoryBatch) -> None:
        self.batch = batch
        self.rows: dict[str, dict[str, Row]] = {table: {} for table in COLUMNS}
        self.last_kind: str | None = None
        self.roots = 0

    def finish(self, name: str) -> DirectoryBatch:
        """The batch, with each table's rows in the order their ids were first seen."""
        if not any(self.rows.values()):
            raise ImportFailed(
                f"{name} is not HSDS: none of its {self.roots:,} records is an HSDS service, "
                "organization, location or taxonomy (HSDS 3.0 JSON has, for example, \"name\", "
                "\"status\" and \"organization\" on a service). Nothing was imported.")
        for table, rows in self.rows.items():
            if rows:
                self.batch.tables[table].extend(rows.values())
        return self.batch

    def line(self, line: bytes, number: int) -> None:
        """One NDJSON line: a record, or an API page."""
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            self.batch.report.skip("record", "not valid JSON", f"line {number}")
            return
        self.record(item)

    def record(self, item: Any) -> None:
        """One top-level record, or every record of an API page."""
        if type(item) is dict and type(item.get("contents")) is list:
            for entry in item["contents"]:
                self._root(entry)
        else:
            self._root(item)

    def _root(self, item: Any) -> None:
        self.roots += 1
        kind = self._kind(item) if type(item) is dict else None
        if kind is None:
            self.batch.report.skip("record", "not an HSDS service or organization",
                                   f"record {self.roots}")
            return
        self.last_kind = kind
        self._visit(kind, item, None, "", "", self.roots, 0)

    def _kind(self, item: dict[str, Any]) -> str | None:
        kind = record_kind(item)
        if kind is not None:
            return kind
        # A bare {"id", "name"} record in a list of services is most likely another service.
        return self.last_kind if ("id" in item or "name" in item) else None

    def _visit(self, table: str, obj: Any, link: _Link | None, parent_id: object,
               parent_table: str, index: int, depth: int) -> object | None:
        """Add the row for ``obj`` and its nested children; return its id (None if skipped).

        ``link`` is how ``obj`` sits in its parent (None at the top); ``index`` is its place
        there, which with the parent's id gives an object without an id a stable one.
        This runs for every nested object, so the per-column work stays in comprehensions.
        """
        if type(obj) is not dict or depth > MAX_DEPTH:
            reason = "nested too deeply" if type(obj) is dict else "not a JSON object"
            self.batch.report.skip(table, reason, parent_id or None)
            return None
        record_id = obj.get("id")
        if record_id is None or record_id == "":
            record_id = stable_uuid(table, str(parent_id), str(index))
        elif type(record_id) not in _ID_TYPES:
            self.batch.report.skip(table, "id is not text or a number", parent_id or None)
            return None
        row = {column: obj.get(column) for column in COLUMNS[table]}
        row["id"] = record_id
        if not _KNOWN_KEYS[table].issuperset(obj):
            self._drop_unknown(table, obj)
        if link is not None and link.on_child:
            _fill_parent(row, link, parent_id, parent_table)
        if not _NESTED.isdisjoint(map(type, row.values())):
            self._drop_nested(table, row)
        self._descend(table, self._keep(table, row), obj, depth)
        return record_id

    def _descend(self, table: str, row: Row, obj: dict[str, Any], depth: int) -> None:
        """Visit the objects nested in ``obj``, whose kept row is ``row``."""
        for link in _LINKS[table]:
            value = obj.get(link.key)
            if value is None:
                continue
            # A lone object where a list belongs (or the reverse) is common enough to accept.
            children = value if type(value) is list else (value,)
            for index, child in enumerate(children):
                child_id = self._visit(link.table, child, link, row["id"], table, index,
                                       depth + 1)
                if not link.on_child and child_id is not None and _empty(row[link.column]):
                    row[link.column] = child_id

    def _drop_unknown(self, table: str, obj: dict[str, Any]) -> None:
        """Fields HSDS 3.0 does not define here (or the directory does not keep): counted."""
        for key, value in obj.items():
            if key not in _KNOWN_KEYS[table] and not _empty(value) and value != []:
                self.batch.report.drop(f"{table}.{key}")

    def _drop_nested(self, table: str, row: Row) -> None:
        """Columns hold plain values; an object or list where one belongs is dropped."""
        for column, value in row.items():
            if type(value) in _NESTED:
                row[column] = None
                self.batch.report.skip(f"{table}.{column}", "object or list left out", row["id"])

    def _keep(self, table: str, row: Row) -> Row:
        """The row kept for this id: the first one seen, completed by later copies."""
        key = row["id"] if type(row["id"]) is str else str(row["id"])
        kept = self.rows[table].get(key)
        if kept is None:
            self.rows[table][key] = row
            return row
        for column, value in row.items():
            if value is not None and kept[column] is None:
                kept[column] = value
        return kept


def _fill_parent(row: Row, link: _Link, parent_id: object, parent_table: str) -> None:
    """Point a nested child at its parent where the child leaves that out."""
    if link is _ATTRIBUTES:
        # Where an attribute sits says what it describes, and its own link fields are often
        # placeholders ("link_entity": "link_entity" in the HSDS examples): nesting wins.
        row["link_id"] = parent_id
        row["link_entity"] = parent_table
    elif link is _METADATA:
        row["resource_id"] = parent_id
        row["resource_type"] = parent_table
    elif _empty(row[link.column]):
        row[link.column] = parent_id


def read_hsds3_json(path: Path, state: TaskState) -> DirectoryBatch:
    """Rows from an HSDS 3.0 JSON file: a list, object or API page of nested records, or NDJSON."""
    flattener = _Flattener(DirectoryBatch())
    with gc_paused():
        items, are_lines = _load(path)
        _flatten(items, are_lines, flattener, state, f"reading {path.name}")
    return flattener.finish(path.name)


def _load(path: Path) -> tuple[list[Any], bool]:
    """The file's top-level records, or its lines if it is NDJSON (then True).

    The file's bytes are let go on return, before any row is built.
    """
    try:
        data = path.read_bytes().removeprefix(codecs.BOM_UTF8)
    except OSError as error:
        raise ImportFailed(f"Cannot read {path}: {error.strerror or error}.") from None
    if path.suffix.lower() in NDJSON_SUFFIXES:
        return data.splitlines(), True
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        if _looks_like_ndjson(data):
            return data.splitlines(), True
        raise ImportFailed(f"{path.name} is not valid JSON ({error}).") from None
    if type(document) is list:
        return document, False
    if type(document) is dict:
        return [document], False
    raise ImportFailed(f"{path.name} holds neither HSDS records nor a list of them.")


def _looks_like_ndjson(data: bytes) -> bool:
    """True if the first non-blank line is a JSON object on its own (a .json file of NDJSON)."""
    first = next((line for line in data.splitlines() if line.strip()), b"")
    try:
        return type(orjson.loads(first)) is dict
    except orjson.JSONDecodeError:
        return False


def _flatten(items: list[Any], are_lines: bool, flattener: _Flattener, state: TaskState,
             stage: str) -> None:
    total = len(items)
    for index in range(total):
        # Drop each record's parsed tree (or line) once flattened: the rows share its strings,
        # so memory holds about one copy of the data even for large files.
        item, items[index] = items[index], None
        if not are_lines:
            flattener.record(item)
        elif item.strip():
            flattener.line(item, index + 1)
        if index % PROGRESS_EVERY == 0:
            _tick(state, stage, index, total)
    _tick(state, stage, total, total)


def _tick(state: TaskState, stage: str, done: int, total: int) -> None:
    state.progress(stage, done, total)
    check_cancelled(state)
