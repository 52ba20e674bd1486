"""Reading the directory store for an export: rows as dicts by HSDS column name (confidential
street lines scrubbed), one read snapshot for the whole export, and targets replaced only when
the export completes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Float,
    Select,
    Table,
    bindparam,
    func,
    select,
)

from console.directory.batch import COLUMNS, HSDS_REQUIRED, Row
from console.directory.confidential import places_in_directory
from console.models.directory import DirectoryBase

# Services per chunk of the JSON export: big enough for few queries, small enough that a
# chunk's related rows stay a few megabytes. Also the batch size rows are fetched in.
CHUNK = 5000

# Fields the HSDS 3.0 schemas require: written with the import's default when the store has none.
REQUIRED = HSDS_REQUIRED


# --- Reading rows -------------------------------------------------------------------------------


def table_named(name: str) -> Table:
    return DirectoryBase.metadata.tables[name]


def _float_positions(table: Table) -> tuple[int, ...]:
    return tuple(i for i, column in enumerate(table.columns) if isinstance(column.type, Float))


def read_rows(connection: Connection, table: Table, statement: Select[Any],
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


def matching(table: Table, column: ColumnElement[Any]) -> Select[Any]:
    """Rows of ``table`` whose ``column`` is one of the JSON list bound as ``keys``.

    One parameter however many keys: no SQLite bound-parameter limit, and the statement
    compiles once and is reused from SQLAlchemy's cache. ``IN (SELECT ...)`` still uses the
    column's index where it has one.
    """
    keys = func.json_each(bindparam("keys")).table_valued("value")
    return select(table).where(column.in_(select(keys.c.value)))


def count_rows(connection: Connection, table: str) -> int:
    return connection.execute(select(func.count()).select_from(table_named(table))).scalar_one()




@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
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
def replacing(targets: list[Path]) -> Iterator[list[Path]]:
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


def is_ndjson(path: Path) -> bool:
    """A ``.ndjson`` file holds one record per line; anything else a JSON list."""
    return path.suffix.lower() == ".ndjson"
