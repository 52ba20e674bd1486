"""Directory sync speed: a first sync of an empty workstation, then 1,000 changes.

    python benchmarks/sync.py --services 100000 [--database-url URL]

The server runs as production runs it (``hotline server`` in its own process, its own data
folder), with the generated directory imported by ``hotline server import-directory`` (which also
builds the first-sync snapshot). Setting up is not timed; a prepared SQLite server database is
cached under ``benchmarks/.data/`` by size and code version. A PostgreSQL ``--database-url`` names
a scratch database: it is dropped and created again.

``initial_s`` times ``SyncClient.sync_once`` on a workstation with nothing yet. ``raw_insert_s``
times a bare insert of the very rows that sync produced (every HSDS table, the search rows and
hours, the meta rows and the FTS5 index) into an empty store of the same schema, in one
transaction with ``executemany``; ``ratio_to_raw`` is what sync costs on top of that. Then an
administrator changes the description of ``--changes`` services through the HTTP API and the
next ``sync_once`` is timed, twice: ``incremental_1k_cold_s`` is the first in the process (it
also loads the ZIP table indexing needs), ``incremental_1k_s`` what a running console pays
(``incremental_1k_cpu_s``: the CPU this process spent on it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    DATA,
    PASSWORD,
    code_version,
    create_users,
    fresh_postgres,
    generated_json,
    is_postgres,
    report,
    running_server,
    say,
    server_command,
    sqlite_url,
)
from console import settings
from console.cases.store import CaseStore
from console.directory.batch import COLUMNS
from console.models.database import open_case_store, open_directory
from console.models.directory import FTS_COLUMNS
from console.security.credentials import CredentialStore
from console.server.models import DirectoryRecord
from console.sync.api import ServerApi
from console.sync.client import SyncClient

# Every table of a workstation directory that holds rows (the FTS5 index is built from
# search_service, its external content).
DATA_TABLES = (*COLUMNS, "search_service", "search_hours", "directory_meta")
ADMIN, SPECIALIST = "bench-admin", "bench-specialist"


def prepared_sqlite(services: int, seed: int, into: Path) -> str:
    """A SQLite server database holding the generated directory and its snapshot, at ``into``."""
    cached = DATA / f"server-{services}-{seed}-{code_version()}.sqlite"
    if not cached.exists():
        for stale in DATA.glob(f"server-{services}-{seed}-*"):
            stale.unlink()
        partial = cached.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        say(f"importing {services:,} services into a server database (cached for next time)")
        server_command(into.parent, sqlite_url(partial), "import-directory",
                       str(generated_json(services, seed)))
        with closing(sqlite3.connect(partial)) as connection:  # one self-contained file
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("PRAGMA journal_mode=DELETE")
        partial.rename(cached)
    shutil.copyfile(cached, into)
    return sqlite_url(into)


def prepared_database(args: argparse.Namespace, home: Path) -> str:
    if args.database_url is None:
        url = prepared_sqlite(args.services, args.seed, home / "server.sqlite")
    elif is_postgres(args.database_url):
        url = args.database_url
        fresh_postgres(url)
        say(f"importing {args.services:,} services into PostgreSQL")
        server_command(home, url, "import-directory", str(generated_json(args.services,
                                                                         args.seed)))
    else:
        raise SystemExit("--database-url: a PostgreSQL URL (or none, for SQLite)")
    create_users(home, url, [ADMIN], "admin")
    create_users(home, url, [SPECIALIST], "specialist")
    return url


def server_services(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).where(
                DirectoryRecord.kind == "service", DirectoryRecord.deleted.is_(False))).scalar())
    finally:
        engine.dispose()


@contextmanager
def workstation(server_url: str) -> Iterator[SyncClient]:
    """A workstation with nothing yet (its own data folder), signed in as the specialist."""
    with tempfile.TemporaryDirectory(prefix="bench-workstation-") as home:
        os.environ[settings.HOME_ENV] = home
        api = ServerApi(server_url, CredentialStore.for_this_process())
        api.sign_in(SPECIALIST, PASSWORD)
        case_engine = open_case_store(settings.case_db_path())
        client = SyncClient(api, settings.directory_db_path(), CaseStore(case_engine, SPECIALIST))
        try:
            yield client
        finally:
            client.close()
            case_engine.dispose()


def local_count(path: Path, sql: str, *params: object) -> int:
    with closing(sqlite3.connect(path)) as connection:
        return int(connection.execute(sql, params).fetchone()[0])


def raw_insert_seconds(synced: Path, folder: Path) -> float:
    """A bare insert of every row of ``synced`` into an empty store, search index included."""
    rows: dict[str, tuple[list[str], list[tuple[object, ...]]]] = {}
    with closing(sqlite3.connect(synced)) as source:
        for table in DATA_TABLES:
            cursor = source.execute(f"SELECT * FROM {table}")
            rows[table] = ([d[0] for d in cursor.description], cursor.fetchall())
    engine = open_directory(folder / "raw.sqlite")  # same schema, same pragmas
    connection = engine.raw_connection()
    try:
        plain = connection.driver_connection
        plain.isolation_level = None
        fts = ", ".join(FTS_COLUMNS)
        start = time.perf_counter()
        plain.execute("BEGIN")
        for table, (columns, values) in rows.items():
            plain.executemany(f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) "
                              f"VALUES ({', '.join('?' * len(columns))})", values)
        plain.execute(f"INSERT INTO search_fts (rowid, {fts}) SELECT rowid, {fts} "
                      "FROM search_service")
        plain.execute("COMMIT")
        seconds = time.perf_counter() - start
    finally:
        connection.close()
        engine.dispose()
    return seconds


def change_services(server_url: str, service_ids: list[str], marker: str) -> None:
    """An administrator edits the description of each service, through the HTTP API."""
    with httpx.Client(base_url=server_url, timeout=120) as http:
        reply = http.post("/auth/sign-in", json={"user": ADMIN, "password": PASSWORD})
        reply.raise_for_status()
        http.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"

        def edit(service_id: str) -> None:
            answer = http.patch(f"/admin/directory/service/{service_id}",
                                json={"description": f"Description {marker} {service_id}"})
            answer.raise_for_status()

        with ThreadPoolExecutor(8) as pool:
            for done, _ in enumerate(pool.map(edit, service_ids), start=1):
                if done % 500 == 0:
                    say(f"  {done:,} of {len(service_ids):,} services changed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="a scratch PostgreSQL database (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-server-") as server_home:
        database_url = prepared_database(args, Path(server_home))
        expected = server_services(database_url)
        with running_server(Path(server_home), database_url) as server, \
                workstation(server.url) as client:
            figures = measure(args, client, server.url, expected)
    figures["database"] = "postgresql" if args.database_url else "sqlite"
    report(figures)


def measure(args: argparse.Namespace, client: SyncClient, server_url: str,
            expected: int) -> dict[str, object]:
    path = settings.directory_db_path()
    say("first sync of an empty workstation")
    start = time.perf_counter()
    first = client.sync_once()
    initial = time.perf_counter() - start
    synced = local_count(path, "SELECT count(*) FROM service")
    if synced != expected:
        raise SystemExit(f"first sync incomplete: {synced:,} of {expected:,} services")
    say(f"  {initial:.2f} s (snapshot used: {first.used_snapshot}); timing a bare insert")
    with tempfile.TemporaryDirectory(prefix="bench-raw-") as folder:
        raw = raw_insert_seconds(path, Path(folder))
    with closing(sqlite3.connect(path)) as connection:
        ids = [r[0] for r in connection.execute(
            "SELECT id FROM service ORDER BY id LIMIT ?", (2 * args.changes,))]
    # The first incremental sync of a process also loads what indexing needs once (the ZIP
    # table); the second one is what a running console pays every time.
    cold, _ = incremental_sync(client, server_url, ids[:args.changes])
    warm, warm_cpu = incremental_sync(client, server_url, ids[-args.changes:])
    return {"services": expected, "initial_s": round(initial, 2),
            "services_per_s": round(expected / initial),
            "raw_insert_s": round(raw, 2), "ratio_to_raw": round(initial / raw, 2),
            "incremental_1k_s": round(warm, 3), "incremental_1k_cold_s": round(cold, 3),
            "incremental_1k_cpu_s": round(warm_cpu, 3),
            "changes": len(ids[-args.changes:]), "used_snapshot": first.used_snapshot,
            "directory_mb": round(path.stat().st_size / 1e6, 1)}


def incremental_sync(client: SyncClient, server_url: str, ids: list[str]
                     ) -> tuple[float, float]:
    """Change ``ids`` on the server (not timed), then time the sync that brings them: wall
    clock, and this process's CPU (which other load on the machine does not inflate)."""
    path = settings.directory_db_path()
    marker = f"changed-{time.time_ns()}"
    say(f"changing {len(ids):,} services on the server")
    change_services(server_url, ids, marker)
    start, cpu = time.perf_counter(), time.process_time()
    synced = client.sync_once()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    arrived = local_count(path, "SELECT count(*) FROM service WHERE description LIKE ?",
                          f"%{marker}%")
    if arrived != len(ids):
        raise SystemExit(f"incremental sync incomplete: {arrived:,} of {len(ids):,} changes")
    say(f"  incremental sync: {seconds:.2f} s for {synced.directory_changes:,} changes")
    return seconds, cpu


if __name__ == "__main__":
    main()
