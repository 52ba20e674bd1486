"""Import speed: a generated HSDS 3.0 JSON directory into an empty store, search index included,
against a bare ``executemany`` of the same cleaned rows into the same schema.

    python benchmarks/import.py --services 100000

``seconds`` is the whole import as a person runs it (read, clean, write, record sources, build
the search index, commit). ``raw_insert_s`` then writes the rows that import stored, cleaned
the same way, into a fresh store of the same schema with one plain ``executemany`` per table in
one transaction: the floor any import of that data has to pay. ``ratio_to_raw`` is the one over
the other, both timed in this run.
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
from console.directory.formats import read_directory
from console.directory.loader import clean_batch
from console.directory.store import import_path
from console.models.database import open_directory
from console.tasks import QuietState


def raw_insert_seconds(source: Path, folder: Path) -> float:
    """Seconds a bare executemany of the import's cleaned rows takes in a fresh store."""
    batch = read_directory(source, QuietState())
    cleaned = clean_batch(batch, lambda _table: (), QuietState(), scope=source.name)
    rows = {table: [tuple(row[c] for c in COLUMNS[table]) for row in by_id.values()]
            for table, by_id in cleaned.items()}
    del batch, cleaned
    engine = open_directory(folder / "raw.sqlite")
    connection = engine.raw_connection()
    try:
        start = time.perf_counter()
        cursor = connection.cursor()
        cursor.execute("BEGIN")
        for table, values in rows.items():
            columns = COLUMNS[table]
            if values:
                cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "
                                   f"VALUES ({', '.join('?' * len(columns))})", values)
        connection.commit()
        return time.perf_counter() - start
    finally:
        connection.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=100_000)
    args = parser.parse_args()
    source = generated_json(args.services)
    with tempfile.TemporaryDirectory() as folder:
        engine = open_directory(Path(folder) / "directory.sqlite")
        say("importing …")
        start = time.perf_counter()
        result = import_path(engine, source, QuietState())
        seconds = time.perf_counter() - start
        engine.dispose()
        say(f"imported in {seconds:.1f} s; timing the bare insert of the same rows …")
        raw = raw_insert_seconds(source, Path(folder))
    imported = result.imported["service"]
    report({"services": imported, "seconds": round(seconds, 2),
            "services_per_s": round(imported / seconds), "raw_insert_s": round(raw, 2),
            "ratio_to_raw": round(seconds / raw, 2)})


if __name__ == "__main__":
    main()
