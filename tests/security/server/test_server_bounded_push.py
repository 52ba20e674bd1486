"""Bounded work per request: the push that took the server to 19 GB, tried again against the
real server process, and a workstation with a long offline backlog on one case.

Each case is read and written once per push and answered once, in its final state; over the
limits per request the push is refused whole (413), and the workstation sends the same changes
again in smaller parts, in order, losing none.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from console.cases.changes import new_change, new_id, utc_now
from console.server import app as server_app
from console.server import cases
from tests.live_server import PASSWORD, live_server
from tests.security.server.server_harness import server_process
from tests.server.conftest import case_create, workstation

# The server tests' fixtures: each test runs on SQLite and on PostgreSQL.

MB = 1024 * 1024


def _note(case_id: str, size: int) -> dict[str, object]:
    return new_change("add_note", case_id, {"id": new_id(), "text": "x" * size}, 1, at=utc_now())


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_8_mb_push_of_400_long_notes_stays_small_and_quick(
        database_url: str, tmp_path: Path) -> None:
    with server_process(database_url, tmp_path, {"mallory": "specialist"}) as server, \
            httpx.Client(base_url=server.url, timeout=60) as http:
        token = http.post("/auth/sign-in", json={"user": "mallory", "password": PASSWORD}
                          ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        create = case_create()
        assert http.post("/sync/push", json={"changes": [create]}, headers=auth
                         ).status_code == 200
        case_id = create["case_id"]
        server.reset_peak()
        before = server.rss()

        took: list[float] = []

        def timed_push(changes: list[dict[str, object]]) -> httpx.Response:
            started = time.monotonic()
            reply = http.post("/sync/push", json={"changes": changes}, headers=auth)
            took.append(time.monotonic() - started)
            return reply

        attack = timed_push([_note(case_id, 19_999) for _ in range(400)])
        assert attack.status_code == 413 and "smaller parts" in attack.json()["error"]
        # The most one push may carry, all on one case: answered at once, each case once.
        most = min(cases.MAX_PUSH, cases.MAX_PUSH_BYTES // 20_300)
        largest = [_note(case_id, 19_999) for _ in range(most)]
        reply = timed_push(largest)
        second = timed_push(largest[:50])

        assert reply.status_code == second.status_code == 200, reply.text
        results = reply.json()["results"]
        assert len(results) == len(largest)
        assert sum("case" in r for r in results) == 1 and "case" in results[-1]
        applied = [r for r in results if r["status"] == "applied"]
        refused = [r for r in results if r["status"] == "rejected"]
        assert applied and refused and len(applied) + len(refused) == len(results)
        assert all("start a new case" in r["reason"] for r in refused)
        assert len(reply.content) < 2 * cases.MAX_CASE_BYTES
        assert all(r.get("duplicate") for r in second.json()["results"])
        assert max(took) < 5, f"answers took {[round(t, 1) for t in took]} s"
        growth = server.peak() - before
        assert growth < 200 * MB, f"server grew {growth / MB:.0f} MB"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_backlog_of_2000_changes_on_one_case_syncs_whole_and_in_order(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A tighter limit than the workstation's batches fill: it must split them and go on.
    monkeypatch.setitem(server_app.PATH_BODY_LIMITS, "/sync/push", 64 * 1024)
    with live_server(database_url) as live:
        live.add_user("pat", "specialist")
        with workstation(live, tmp_path / "pat", "pat") as pat:
            case_id = pat.cases.create_case("crisis", "urgent")["id"]
            for n in range(1_000):
                pat.cases.add_note(case_id, f"note {n}: caller called back, safe for now")
                pat.cases.edit(case_id, summary=f"summary after note {n}")
            assert pat.cases.counts()["pending"] == 2_001
            report = pat.sync.sync_once()
            assert report.pushed == 2_001 and report.rejected == 0
            assert pat.cases.counts()["pending"] == 0
            case = pat.cases.get(case_id)
            assert case is not None
            assert [note["text"].split(":")[0] for note in case["notes"]] == [
                f"note {n}" for n in range(1_000)]
            assert case["summary"] == "summary after note 999"
            assert case["version"] == 2_001
