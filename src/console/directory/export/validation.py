"""Checking HSDS 3.0 exports (JSON, NDJSON or a CSV package) against the official schemas."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from console.directory.export.reading import is_ndjson
from console.directory.formats.hsds3_csv import FILES as CSV_FILES
from console.directory.formats.hsds3_json import record_kind
from console.directory.formats.tabular import files_under
from console.settings import resources_dir

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
    if is_ndjson(path):
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
