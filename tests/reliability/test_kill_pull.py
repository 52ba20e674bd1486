"""A workstation killed (SIGKILL) again and again while it pulls the directory page by page.

Every page is written with its cursor in one local transaction, so after any kill the directory
file opens clean, still answers searches, and its cursor has only moved forward; the next sync
resumes there. Between kills an administrator edits, adds and retires records on the server, so
tombstones travel through the feed too. In the end the workstation holds exactly the server's
live directory.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine

from console.models.database import open_case_store, open_directory
from console.server import directory
from console.server.auth import create_user
from console.server.db import server_engine
from console.tasks import QuietState
from tests.live_server import PASSWORD
from tests.reliability.harness import (
    REPO,
    ServerProcess,
    Workstation,
    check_directory_file,
    child_env,
    local_records,
    run_workstation,
    search_rows,
    searchable_services,
    server_cursor,
    server_records,
    wait_for_cursor_beyond,
)
from tools.demo_directory import generate_directory

SERVICES = 2_000
PAGE_SIZE = 250
ROUNDS = 12
SEED = 20_261_123


class Administrator:
    """What an administrator might do between two syncs: edit, add, close and retire records."""

    def __init__(self, engine: Engine, rng: random.Random) -> None:
        self._engine, self._rng = engine, rng
        live = server_records(engine)
        self._services = sorted(live["service"])
        self._organizations = sorted(live["organization"])

    def work(self, round_number: int) -> None:
        engine, rng = self._engine, self._rng
        renamed, closed, retired = rng.sample(self._services, 3)
        directory.save_record(engine, "service", {"name": f"Renamed in round {round_number}"},
                              renamed)
        directory.save_record(engine, "service", {"status": "inactive"}, closed)
        added = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        directory.save_record(engine, "service", {
            "id": added, "organization_id": rng.choice(self._organizations),
            "name": f"New service of round {round_number}", "status": "active"})
        self._services.append(added)
        directory.retire_record(engine, "service", retired)
        self._services.remove(retired)
        if round_number % 4 == 3:  # now and then a whole organization, with all it holds
            organization = rng.choice(self._organizations)
            directory.retire_record(engine, "organization", organization)
            self._organizations.remove(organization)
            self._services = sorted(server_records(engine)["service"])


@pytest.mark.timeout(170)
def test_pull_killed_at_random_points_resumes_and_ends_equal_to_the_server(
        tmp_path: Path) -> None:
    rng = random.Random(SEED)
    server_home, home = tmp_path / "server", tmp_path / "workstation"
    server_home.mkdir()
    url = f"sqlite:///{server_home / 'server.sqlite'}"
    engine = server_engine(url)
    generate_directory(SERVICES, tmp_path / "directory.json", QuietState(), seed=11)
    directory.import_directory(engine, tmp_path / "directory.json")  # no snapshot: pages only
    create_user(engine, "pat", "specialist", PASSWORD)
    administrator = Administrator(engine, rng)
    local = home / "directory.sqlite"
    cursors = [0]
    kills = 0
    with ServerProcess(server_home, url) as server:
        pull = ("pull", "--server", server.url, "--user", "pat", "--page-size", str(PAGE_SIZE))
        standby = Workstation(home, *pull, "--wait")
        for round_number in range(ROUNDS):
            administrator.work(round_number)
            running, standby = standby, Workstation(home, *pull, "--wait")
            running.go()
            if rng.random() < 0.25:  # anywhere: opening the file, asking, the first page
                time.sleep(rng.uniform(0.0, 1.5))
            else:  # somewhere among the pages
                wait_for_cursor_beyond(local, cursors[-1], running)
                time.sleep(rng.uniform(0.0, 1.0))
            kills += running.kill()
            cursor = check_directory_file(local)
            assert cursor >= cursors[-1], f"the cursor went back: {cursors} then {cursor}"
            assert cursor <= server_cursor(engine)
            cursors.append(cursor)
        standby.kill()  # killed before it began: harmless as well
        assert kills >= ROUNDS // 2, f"only {kills} of {ROUNDS} kills landed mid-sync"
        assert len(set(cursors)) > ROUNDS // 2, f"the pull hardly moved between kills: {cursors}"
        run_workstation(home, *pull, timeout=120)

    assert check_directory_file(local) == server_cursor(engine)
    expected = server_records(engine)
    mine = local_records(local)
    for table, rows in expected.items():
        assert sorted(mine[table]) == sorted(rows), f"{table}: ids differ from the server's"
        assert mine[table] == rows, f"{table}: contents differ from the server's"
    assert search_rows(local) == searchable_services(expected)
    engine.dispose()


# A process that dies (as under SIGKILL) when SQLite is about to run a statement starting with
# argv[2], while opening a store of kind argv[1] at argv[3] for the first time (a case store
# encrypted under the key argv[4]).
_DIE_WHILE_OPENING = """
import os, sys
from sqlalchemy import event
from console.models import database
from console.server import db

make_engine = database.sqlite_engine

def dying_engine(path, key=None):
    engine = make_engine(path, key)
    def trace(dbapi_connection, _record):
        dbapi_connection.set_trace_callback(
            lambda sql: os._exit(9) if sql.lstrip().startswith(sys.argv[2]) else None)
    event.listen(engine, "connect", trace)
    return engine

database.sqlite_engine = db.sqlite_engine = dying_engine
opener = {"directory": database.open_directory,
          "cases": lambda path: database.open_case_store(path, bytes.fromhex(sys.argv[4])),
          "server": lambda path: db.server_engine(f"sqlite:///{path}")}[sys.argv[1]]
opener(sys.argv[3])
"""

# The case store is encrypted, as the console keeps it.
CASES_KEY = bytes.fromhex("c4" * 32)
OPENERS = {"directory": open_directory, "cases": lambda path: open_case_store(path, CASES_KEY),
           "server": lambda path: server_engine(f"sqlite:///{path}")}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("store", sorted(OPENERS))
@pytest.mark.parametrize("statement", ["CREATE INDEX", "INSERT INTO alembic_version"])
def test_killed_while_creating_a_store_it_opens_next_time(tmp_path: Path, store: str,
                                                           statement: str) -> None:
    """A first start killed half-way through making the store's tables leaves no broken file."""
    path = tmp_path / f"{store}.sqlite"
    died = subprocess.run([sys.executable, "-c", _DIE_WHILE_OPENING, store, statement, str(path),
                           CASES_KEY.hex()],
                          env=child_env(tmp_path / "home"), cwd=REPO, capture_output=True,
                          text=True, timeout=50)
    assert died.returncode == 9, died.stderr
    engine = OPENERS[store](path)  # the interrupted migration runs again, from the start
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()
