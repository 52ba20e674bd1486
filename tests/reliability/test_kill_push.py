"""A workstation killed (SIGKILL) again and again while it sends a backlog of cases.

A change leaves the outbox only once the server has answered for it, and the server applies each
change id once, so a kill at any point — before a request, while the server works on it, while
the answer is on its way or being recorded — loses nothing and doubles nothing: in the end the
server holds every case exactly once, at the version the workstation made, and the outbox is
empty.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from console.cases.store import CaseStore
from console.models.database import open_case_store, sqlcipher
from console.security.keys import sqlcipher_key
from console.server.auth import create_user
from console.server.db import server_engine
from console.server.models import AppliedChange, CaseRecord
from tests.live_server import PASSWORD
from tests.reliability.harness import ServerProcess, Workstation, run_workstation
from tests.reliability.workstation import STORE_KEY

CASES = 800
KILLS = 6
SEED = 20_261_124


def _connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    """A raw connection to the encrypted store (read only: without taking any lock)."""
    target = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    connection = sqlcipher().connect(target, uri=True, timeout=5)
    connection.execute(f'PRAGMA key = "{sqlcipher_key(STORE_KEY)}"')
    return connection


def _pending(path: Path) -> int:
    """Changes still waiting in the outbox, read without taking any lock."""
    with _connect(path, read_only=True) as connection:
        count = connection.execute(
            "SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
    connection.close()
    return int(count)


def _check_case_store(path: Path) -> dict[str, int]:
    """The case store opens clean after a kill; returns its counts."""
    with _connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA cipher_integrity_check").fetchall() == []
    connection.close()
    engine = open_case_store(path, STORE_KEY)
    try:
        store = CaseStore(engine, "pat")
        assert len(store.list_cases()) == CASES
        return store.counts()
    finally:
        engine.dispose()


@pytest.mark.timeout(150)
def test_push_killed_at_random_points_delivers_every_case_exactly_once(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    server_home, home = tmp_path / "server", tmp_path / "workstation"
    server_home.mkdir()
    url = f"sqlite:///{server_home / 'server.sqlite'}"
    engine = server_engine(url)
    create_user(engine, "pat", "specialist", PASSWORD)
    cases_path = home / "cases.sqlite"
    with ServerProcess(server_home, url) as server:
        push = ("push", "--server", server.url, "--user", "pat")
        run_workstation(home, *push, "--create", str(CASES), "--no-sync")
        changes = _pending(cases_path)
        assert changes == 2 * CASES
        waiting = [changes]
        kills = 0
        standby = Workstation(home, *push, "--wait")
        for _round in range(KILLS):
            if waiting[-1] == 0:
                break  # everything got through between kills: nothing left to interrupt
            running, standby = standby, Workstation(home, *push, "--wait")
            running.go()
            time.sleep(rng.uniform(0.0, 1.0))
            kills += running.kill()
            counts = _check_case_store(cases_path)
            assert counts["rejected"] == counts["conflicts"] == 0
            assert counts["pending"] <= waiting[-1], f"the outbox grew: {waiting}"
            waiting.append(counts["pending"])
        standby.kill()
        # How many kills land mid-push depends on the machine's speed; two is the least that
        # shows a push resumed after a kill and killed again.
        assert kills >= 2, f"only {kills} kills landed mid-sync (outbox: {waiting})"
        last = run_workstation(home, *push, timeout=90).report()
        assert last["pushed"] == waiting[-1]

    assert _check_case_store(cases_path) == {"pending": 0, "rejected": 0, "conflicts": 0}
    local = {case["id"]: case for case in
             CaseStore(open_case_store(cases_path, STORE_KEY), "pat").list_cases()}
    with engine.connect() as connection:
        stored = {row.id: json.loads(row.doc) for row in connection.execute(
            select(CaseRecord.id, CaseRecord.doc))}
        applied = connection.scalar(select(func.count()).select_from(AppliedChange))
        statuses = set(connection.scalars(select(AppliedChange.status).distinct()))
    assert len(stored) == CASES and set(stored) == set(local)
    assert applied == changes and statuses == {"applied"}
    for case_id, case in stored.items():
        assert case["version"] == 2, f"case {case_id} at version {case['version']}"
        assert len(case["notes"]) == 1, f"case {case_id} has {len(case['notes'])} notes"
        assert case == local[case_id]  # and the workstation shows the server's copy
    engine.dispose()
