"""Pushing case changes: each applies exactly once, conflicts keep both texts, and a specialist
works only on the cases that are theirs."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from console.cases.changes import new_change
from console.server.auth import create_user
from console.server.models import AppliedChange, CaseConflict
from tests.live_server import PASSWORD, live_server
from tests.server.conftest import bearer, case_create, note_change, sign_in, workstation

Headers = dict[str, dict[str, str]]


def push(client: TestClient, auth: dict[str, str], *changes: Any) -> list[dict[str, Any]]:
    reply = client.post("/sync/push", json={"changes": list(changes)}, headers=auth)
    assert reply.status_code == 200, reply.text
    return reply.json()["results"]


def server_cases(client: TestClient, auth: dict[str, str]) -> dict[str, dict[str, Any]]:
    reply = client.get("/sync/cases", params={"limit": 10_000}, headers=auth)
    assert reply.status_code == 200, reply.text
    return {case["id"]: case for case in reply.json()["cases"]}


def applied_rows(engine: Engine, *change_ids: str) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(AppliedChange).where(
            AppliedChange.change_id.in_(change_ids))).scalar_one()


# --- exactly once ---------------------------------------------------------------------------

def test_a_change_sent_three_times_applies_once(engine: Engine, client: TestClient,
                                                headers: Headers) -> None:
    me = headers["specialist"]
    create = case_create(summary="first call")
    results = push(client, me, create, create, create)
    assert [r["status"] for r in results] == ["applied"] * 3
    assert [r.get("duplicate", False) for r in results] == [False, True, True]
    # The case comes back once, on the last answer about it, in its final state.
    assert ["case" in r for r in results] == [False, False, True]
    assert results[-1]["case"]["version"] == 1

    note = note_change(create["case_id"])
    results = push(client, me, note, note, note)
    assert [r.get("duplicate", False) for r in results] == [False, True, True]
    assert ["case" in r for r in results] == [False, False, True]
    assert results[-1]["case"]["version"] == 2
    for _ in range(2):  # and again, in later requests (an answer lost on the way back)
        [again] = push(client, me, note, create)[:1]
        assert again["status"] == "applied" and again["duplicate"]

    case = server_cases(client, me)[create["case_id"]]
    assert case["version"] == 2 and case["summary"] == "first call"
    assert [n["text"] for n in case["notes"]] == [note["payload"]["text"]]
    assert applied_rows(engine, create["change_id"], note["change_id"]) == 2


@pytest.mark.timeout(120)
def test_concurrent_copies_of_changes_apply_once(database_url: str) -> None:
    threads_count, rounds = 8, 3
    with live_server(database_url) as live:
        live.add_user("sam", "specialist")
        with httpx.Client(base_url=live.url, timeout=60) as http:
            tokens = http.post("/auth/sign-in", json={"user": "sam", "password": PASSWORD})
            auth = bearer(tokens.json())
            create = case_create()
            assert http.post("/sync/push", json={"changes": [create]},
                             headers=auth).status_code == 200
        shared = note_change(create["case_id"], "the shared note")
        own = [note_change(create["case_id"], f"note {n}") for n in range(threads_count)]
        start = threading.Barrier(threads_count)
        answers: list[dict[str, Any]] = []
        failures: list[str] = []

        def send(n: int) -> None:
            with httpx.Client(base_url=live.url, timeout=60) as http:
                start.wait()
                for _ in range(rounds):
                    reply = http.post("/sync/push", json={"changes": [shared, own[n], shared]},
                                      headers=auth)
                    if reply.status_code != 200:
                        failures.append(f"{reply.status_code} {reply.text}")
                        return
                    answers.extend(reply.json()["results"])

        workers = [threading.Thread(target=send, args=(n,)) for n in range(threads_count)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(100)
        assert not failures
        assert len(answers) == threads_count * rounds * 3
        assert {a["status"] for a in answers} == {"applied"}
        firsts = [a for a in answers if not a.get("duplicate")]
        assert sorted(a["change_id"] for a in firsts) == sorted(
            c["change_id"] for c in [shared, *own])

        with httpx.Client(base_url=live.url) as http:
            cases = http.get("/sync/cases", headers=auth).json()["cases"]
        [case] = cases
        texts = sorted(n["text"] for n in case["notes"])
        assert texts == sorted(["the shared note", *(f"note {n}" for n in range(threads_count))])
        assert case["version"] == 1 + 1 + threads_count
        assert applied_rows(live.engine, shared["change_id"],
                            *(c["change_id"] for c in own)) == threads_count + 1


# --- conflicts ------------------------------------------------------------------------------

@pytest.mark.timeout(120)
def test_conflicting_edits_keep_both_texts(database_url: str, tmp_path: Path) -> None:
    with live_server(database_url) as live:
        live.add_user("alice", "specialist")
        live.add_user("sue", "supervisor")
        with workstation(live, tmp_path / "alice", "alice") as alice, \
                workstation(live, tmp_path / "sue", "sue") as sue:
            case_id = alice.cases.create_case("crisis", "urgent")["id"]
            alice.sync.sync_once()
            sue.sync.sync_once()
            assert sue.cases.get(case_id)["version"] == 1

            alice.cases.edit(case_id, summary="Caller is safe at the bus station")
            sue.cases.edit(case_id, summary="Caller needs a Spanish interpreter")
            assert alice.sync.sync_once().conflicts == 0
            report = sue.sync.sync_once()
            assert report.conflicts == 1 and report.rejected == 0

            # The server kept the first value; its copy reached both workstations.
            for station in (alice, sue):
                station.sync.sync_once()
                assert station.cases.get(case_id)["summary"] == \
                    "Caller is safe at the bus station"
            with live.engine.connect() as connection:
                [row] = connection.execute(select(CaseConflict)).all()
            assert (row.case_id, row.field, row.user_name) == (case_id, "summary", "sue")
            assert row.server_value == '"Caller is safe at the bus station"'
            assert row.client_value == '"Caller needs a Spanish interpreter"'
            assert row.base_value == '""'

            with httpx.Client(base_url=live.url) as http:
                listed = http.get("/cases/conflicts", headers=_auth(http, "sue")).json()
                refused = http.get("/cases/conflicts", headers=_auth(http, "alice"))
            [conflict] = listed["conflicts"]
            assert conflict["server_value"] == "Caller is safe at the bus station"
            assert conflict["client_value"] == "Caller needs a Spanish interpreter"
            assert refused.status_code == 403

            # The supervisor's workstation shows it, with both texts, until someone resolves it.
            assert sue.cases.counts() == {"pending": 0, "rejected": 0, "conflicts": 1}
            assert sue.sync.status.conflicts == 1
            [local] = sue.cases.conflicts(case_id)
            assert local["server_value"] == "Caller is safe at the bus station"
            assert local["client_value"] == "Caller needs a Spanish interpreter"
            assert alice.cases.counts()["conflicts"] == 0

            # Notes from both never conflict.
            alice.cases.add_note(case_id, "Alice: called back, no answer")
            sue.cases.add_note(case_id, "Sue: interpreter booked")
            assert alice.sync.sync_once().conflicts == 0
            assert sue.sync.sync_once().conflicts == 0
            alice.sync.sync_once()
            for station in (alice, sue):
                notes = sorted(n["text"] for n in station.cases.get(case_id)["notes"])
                assert notes == ["Alice: called back, no answer", "Sue: interpreter booked"]
                assert station.cases.counts()["pending"] == 0
            assert sue.cases.counts()["conflicts"] == 1


def _auth(http: httpx.Client, user: str) -> dict[str, str]:
    reply = http.post("/auth/sign-in", json={"user": user, "password": PASSWORD})
    return bearer(reply.json())


# --- who may see and change a case ----------------------------------------------------------

def test_specialists_work_only_on_their_cases(engine: Engine, client: TestClient,
                                             headers: Headers) -> None:
    owner = headers["specialist"]
    create_user(engine, "tom", "specialist", PASSWORD)
    create_user(engine, "una", "specialist", PASSWORD)
    tom = bearer(sign_in(client, "tom"))
    una = bearer(sign_in(client, "una"))
    create = case_create(summary="private")
    push(client, owner, create)
    case_id = create["case_id"]

    [answer] = push(client, tom, note_change(case_id, "tom was here"))
    assert answer["status"] == "rejected" and "may not" in answer["reason"]
    assert "case" not in answer
    [answer] = push(client, tom, case_create(case_id))
    assert answer["status"] == "rejected" and "case" not in answer
    assert server_cases(client, tom) == {}
    assert case_id in server_cases(client, headers["supervisor"])

    handoff = {"id": "b7c2f0de-93b1-4d0e-8d3e-0c7e4c0a6f11", "to_user": "tom",
               "note": "please follow up"}
    [answer] = push(client, owner, new_change("hand_off", case_id, handoff, 1))
    assert answer["status"] == "applied" and answer["case"]["assigned_to"] == "tom"
    seen = server_cases(client, tom)
    assert list(seen) == [case_id] and seen[case_id]["notes"] == []
    [answer] = push(client, tom, note_change(case_id, "tom took over", base_version=2))
    assert answer["status"] == "applied" and answer["case"]["version"] == 3
    assert case_id in server_cases(client, owner)  # the author still sees it
    assert server_cases(client, una) == {}
    [answer] = push(client, una, note_change(case_id, "una was here"))
    assert answer["status"] == "rejected"
    assert [n["text"] for n in server_cases(client, owner)[case_id]["notes"]] == [
        "tom took over"]
