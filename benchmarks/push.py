"""Case push speed: a workstation sends the cases it made offline.

    python benchmarks/push.py --cases 1000 [--database-url URL]

The server runs as production runs it (``hotline server`` in its own process, its own data
folder; SQLite by default, or a PostgreSQL ``--database-url`` naming a scratch database, which
is dropped and created again). A workstation that has synced once makes ``--cases`` cases
locally, each a create and one note (not timed); then ``sync_once`` is timed until its outbox is
empty, and the server must hold every case.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    PASSWORD,
    create_users,
    fresh_postgres,
    is_postgres,
    report,
    running_server,
    say,
    sqlite_url,
)
from console import settings
from console.cases.store import CaseStore
from console.models.database import open_case_store
from console.security.credentials import CredentialStore
from console.server.models import CaseRecord
from console.sync.api import ServerApi
from console.sync.client import SyncClient

SPECIALIST = "bench-specialist"
CALL_TYPES = ("crisis", "tip", "service referral")


def server_cases(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(CaseRecord)).scalar())
    finally:
        engine.dispose()


def make_cases(cases: CaseStore, count: int) -> None:
    for number in range(count):
        case = cases.create_case(CALL_TYPES[number % len(CALL_TYPES)],
                                 "urgent" if number % 4 == 0 else "non-urgent",
                                 summary=f"Caller {number} asks for help")
        cases.add_note(case["id"], f"Call {number}: referred to local services; call back.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000)
    parser.add_argument("--database-url", help="a scratch PostgreSQL database (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-server-") as server_home, \
            tempfile.TemporaryDirectory(prefix="bench-workstation-") as workstation_home:
        home = Path(server_home)
        database_url = args.database_url or sqlite_url(home / "server.sqlite")
        if args.database_url is not None:
            if not is_postgres(database_url):
                raise SystemExit("--database-url: a PostgreSQL URL (or none, for SQLite)")
            fresh_postgres(database_url)
        create_users(home, database_url, [SPECIALIST], "specialist")
        os.environ[settings.HOME_ENV] = workstation_home
        case_engine = open_case_store(settings.case_db_path())
        cases = CaseStore(case_engine, SPECIALIST)
        with running_server(home, database_url) as server:
            server_url = server.url
            api = ServerApi(server_url, CredentialStore.for_this_process())
            api.sign_in(SPECIALIST, PASSWORD)
            client = SyncClient(api, settings.directory_db_path(), cases)
            client.sync_once()  # a workstation that has synced before
            say(f"making {args.cases:,} cases on the workstation")
            make_cases(cases, args.cases)
            waiting = cases.counts()["pending"]
            say(f"pushing {waiting:,} changes")
            start = time.perf_counter()
            pushed = rounds = 0
            while cases.counts()["pending"]:
                pushed += client.sync_once().pushed
                rounds += 1
            seconds = time.perf_counter() - start
            rejected = cases.counts()["rejected"]
            client.close()
        case_engine.dispose()
        stored = server_cases(database_url)
    if stored != args.cases or rejected:
        raise SystemExit(f"the server holds {stored:,} of {args.cases:,} cases "
                         f"({rejected:,} changes refused)")
    report({"cases": args.cases, "seconds": round(seconds, 2),
            "cases_per_s": round(args.cases / seconds), "changes": pushed,
            "syncs": rounds, "database": "postgresql" if args.database_url else "sqlite"})


if __name__ == "__main__":
    main()
