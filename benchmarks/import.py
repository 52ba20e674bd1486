"""Import speed: a generated HSDS 3.0 JSON directory into an empty store, search index included,
against a bare ``executemany`` of the same rows into the same schema.

    python benchmarks/import.py --services 100000

``seconds`` is the whole import as a person runs it (read, clean, write, record sources, build
the search index, commit). ``raw_insert_s`` then takes every row that import left in the store —
the HSDS tables, the records' sources, the search rows, weekly hours and meta, in the order the
import wrote them — and writes them into a fresh store of the same schema (the same indexes, the
same FTS5 table) with one plain ``executemany`` per table in one transaction, the full-text
entries included (``executemany`` into the FTS5 table of the same text): the floor any import
of that data has to pay. ``ratio_to_raw`` is the one over the other, both timed in this run;
``raw_hsds_s`` is the part of the raw side that writes the HSDS tables alone.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import generated_json, report, say
from console.directory.batch import COLUMNS
from console.directory.store import import_path
from console.models.database import open_directory
from console.models.directory import FTS_COLUMNS
from console.tasks import QuietState

# Every table an import fills besides the HSDS ones (the FTS5 entries are written apart).
DERIVED_TABLES = ("directory_record_source", "search_service", "search_hours", "directory_meta")


def stored_rows(path: Path) -> dict[str, tuple[tuple[str, ...], list[tuple[object, ...]]]]:
    """Every row of every table the import filled, with its columns, in the order written."""
    engine = open_directory(path)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        tables = {}
        for table in (*COLUMNS, *DERIVED_TABLES):
            cursor.execute(f"SELECT * FROM {table} ORDER BY rowid" if table != "directory_meta"
                           else f"SELECT * FROM {table}")
            tables[table] = (tuple(d[0] for d in cursor.description), cursor.fetchall())
        return tables
    finally:
        connection.close()
        engine.dispose()


def raw_insert_seconds(imported: Path, folder: Path) -> tuple[float, float]:
    """Seconds a bare executemany of every row the import stored takes in a fresh store, and
    the seconds of its HSDS tables alone."""
    tables = stored_rows(imported)
    search_columns = tables["search_service"][0]
    fts_rows = [(row[0], *(row[search_columns.index(c)] for c in FTS_COLUMNS))
                for row in tables["search_service"][1]]
    engine = open_directory(folder / "raw.sqlite")
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("DELETE FROM directory_meta")  # the fresh store's own, replaced below
        connection.commit()
        start = time.perf_counter()
        cursor.execute("BEGIN")
        hsds_end = start
        for table, (columns, values) in tables.items():
            if values:
                cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "
                                   f"VALUES ({', '.join('?' * len(columns))})", values)
            if table == next(reversed(COLUMNS)):
                hsds_end = time.perf_counter()
        cursor.executemany(f"INSERT INTO search_fts (rowid, {', '.join(FTS_COLUMNS)}) "
                           f"VALUES ({', '.join('?' * (len(FTS_COLUMNS) + 1))})", fts_rows)
        connection.commit()
        return time.perf_counter() - start, hsds_end - start
    finally:
        connection.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=100_000)
    args = parser.parse_args()
    source = generated_json(args.services)
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "directory.sqlite"
        engine = open_directory(store)
        say("importing …")
        start = time.perf_counter()
        result = import_path(engine, source, QuietState())
        seconds = time.perf_counter() - start
        engine.dispose()
        say(f"imported in {seconds:.1f} s; timing the bare insert of the same rows …")
        raw, raw_hsds = raw_insert_seconds(store, Path(folder))
    imported = result.imported["service"]
    report({"services": imported, "seconds": round(seconds, 2),
            "services_per_s": round(imported / seconds), "raw_insert_s": round(raw, 2),
            "raw_hsds_s": round(raw_hsds, 2), "ratio_to_raw": round(seconds / raw, 2)})


if __name__ == "__main__":
    main()
