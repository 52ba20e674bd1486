"""Cases handed across workstations and shifts, over real HTTP on loopback.

Each workstation has its own case store and its own user; "offline" means a workstation makes its
changes without syncing, and they travel at its next sync. At the end of every story each local
copy equals the server's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from console.cases.changes import NEXT_SHIFT, new_change, new_id
from console.server.auth import create_user
from console.server.models import CaseRecord
from console.sync.client import SyncReport
from tests.live_server import PASSWORD, LiveServer, live_server
from tests.server.conftest import Workstation, bearer, case_create, sign_in, workstation
from tests.server.test_push import push, server_cases

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def live(database_url: str) -> Iterator[LiveServer]:
    with live_server(database_url) as server:
        for name in ("alice", "bob", "una", "vic", "wes"):
            server.add_user(name, "specialist")
        for name in ("sue", "tim"):
            server.add_user(name, "supervisor")
        yield server


def server_doc(live: LiveServer, case_id: str) -> dict[str, Any]:
    with live.engine.connect() as connection:
        doc = connection.scalar(select(CaseRecord.doc).where(CaseRecord.id == case_id))
    return orjson.loads(doc)


def sync(*stations: Workstation) -> list[SyncReport]:
    return [station.sync.sync_once() for station in stations]


def last_handoff(station: Workstation, case_id: str) -> dict[str, Any]:
    return station.cases.get(case_id)["handoffs"][-1]


def assert_all_agree(live: LiveServer, case_id: str, *stations: Workstation) -> None:
    expected = server_doc(live, case_id)
    for station in stations:
        assert station.cases.get(case_id) == expected, station.cases.actor
        assert station.cases.counts() == {"pending": 0, "rejected": 0, "conflicts": 0}


def test_two_workstations_hand_a_case_back_and_forth_online_and_offline(
        live: LiveServer, tmp_path: Path) -> None:
    with workstation(live, tmp_path / "alice", "alice") as alice, \
            workstation(live, tmp_path / "bob", "bob") as bob:
        # Online: each step is synced at once.
        case_id = alice.cases.create_case("crisis", "urgent",
                                          summary="Caller at a truck stop")["id"]
        alice.cases.hand_off(case_id, "bob", "Please call back at 6")
        sync(alice, bob)
        first = last_handoff(bob, case_id)
        assert bob.cases.get(case_id)["assigned_to"] == "bob"
        assert (first["from_user"], first["note"], first["state"]) == (
            "alice", "Please call back at 6", "pending")
        bob.cases.acknowledge_handoff(case_id, first["id"])
        bob.cases.add_note(case_id, "Bob: called back, caller safe")
        sync(bob, alice)
        accepted = last_handoff(alice, case_id)  # the sender sees the acknowledgment
        assert (accepted["state"], accepted["acknowledged_by"]) == ("accepted", "bob")

        # Offline: both work on their copies; nothing travels until each syncs.
        task_id = bob.cases.add_task(case_id, "Check the shelter bed",
                                     "2026-11-25T14:00:00.000+00:00")["tasks"][-1]["id"]
        bob.cases.hand_off(case_id, "alice", "Back to you for the morning")
        alice.cases.add_note(case_id, "Alice: interpreter booked")
        alice.cases.edit(case_id, status="awaiting follow-up")
        assert bob.cases.counts()["pending"] == 2 and alice.cases.counts()["pending"] == 2
        assert server_doc(live, case_id)["assigned_to"] == "bob"
        sync(bob, alice, bob)
        second = last_handoff(alice, case_id)
        assert alice.cases.get(case_id)["assigned_to"] == "alice"
        assert second["note"] == "Back to you for the morning"

        # Offline again: alice accepts, finishes bob's task and hands it back; bob adds a note.
        alice.cases.acknowledge_handoff(case_id, second["id"])
        alice.cases.complete_task(case_id, task_id)
        alice.cases.hand_off(case_id, "bob", "Yours again: shelter confirmed the bed")
        bob.cases.add_note(case_id, "Bob: caller asked for legal aid")
        sync(alice, bob)
        bob.cases.acknowledge_handoff(case_id, last_handoff(bob, case_id)["id"])
        sync(bob, alice)

        assert_all_agree(live, case_id, alice, bob)
        case = server_doc(live, case_id)
        assert case["assigned_to"] == "bob" and case["status"] == "awaiting follow-up"
        assert [(h["from_user"], h["to_user"], h["state"]) for h in case["handoffs"]] == [
            ("alice", "bob", "accepted"), ("bob", "alice", "accepted"),
            ("alice", "bob", "accepted")]
        assert sorted(n["text"] for n in case["notes"]) == [
            "Alice: interpreter booked", "Bob: called back, caller safe",
            "Bob: caller asked for legal aid"]
        assert case["tasks"][0]["done_by"] == "alice"


def test_two_supervisors_hand_one_case_at_once_one_wins_and_nothing_is_lost(
        live: LiveServer, tmp_path: Path) -> None:
    with workstation(live, tmp_path / "alice", "alice") as alice, \
            workstation(live, tmp_path / "sue", "sue") as sue, \
            workstation(live, tmp_path / "tim", "tim") as tim:
        case_id = alice.cases.create_case("tip", "urgent", summary="Massage parlor tip")["id"]
        sync(alice, sue, tim)
        # Both offline: each hands the case, as alice's, to someone else.
        sue.cases.hand_off(case_id, "bob", "Bob knows the caller")
        tim.cases.hand_off(case_id, "una", "Una speaks Spanish")

        reports: dict[str, SyncReport] = {}
        start = threading.Barrier(2)

        def sync_now(station: Workstation) -> None:
            start.wait()
            reports[station.cases.actor] = station.sync.sync_once()

        racers = [threading.Thread(target=sync_now, args=(s,)) for s in (sue, tim)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(60)

        case = server_doc(live, case_id)
        winner = case["assigned_to"]
        assert winner in ("bob", "una")
        won, lost = ("sue", "tim") if winner == "bob" else ("tim", "sue")
        loser = {"sue": sue, "tim": tim}[lost]
        assert (reports[won].conflicts, reports[lost].conflicts) == (0, 1)
        [conflict] = loser.cases.conflicts(case_id)
        assert conflict["field"] == "assigned_to"
        assert (conflict["base_value"], conflict["server_value"]) == ("alice", winner)
        assert conflict["client_value"] == ({"bob", "una"} - {winner}).pop()

        kept = {h["to_user"]: h for h in case["handoffs"]}
        assert kept[winner]["state"] == "pending"
        superseded = kept[({"bob", "una"} - {winner}).pop()]
        assert superseded["state"] == "superseded" and superseded["lost_to"] == winner
        assert {h["note"] for h in case["handoffs"]} == {"Bob knows the caller",
                                                         "Una speaks Spanish"}
        sync(alice, sue, tim)
        assert loser.cases.counts() == {"pending": 0, "rejected": 0, "conflicts": 1}
        for station in (alice, sue, tim):
            assert station.cases.get(case_id) == server_doc(live, case_id)


def test_the_next_shift_takes_a_case_from_the_queue_once(live: LiveServer,
                                                         tmp_path: Path) -> None:
    with workstation(live, tmp_path / "alice", "alice") as alice, \
            workstation(live, tmp_path / "sue", "sue") as sue, \
            workstation(live, tmp_path / "una", "una") as una, \
            workstation(live, tmp_path / "vic", "vic") as vic, \
            workstation(live, tmp_path / "wes", "wes") as wes:
        case_id = alice.cases.create_case("crisis", "urgent")["id"]
        sync(alice, sue, una, vic, wes)
        assert una.cases.get(case_id) is None  # not theirs, not in the queue

        sue.cases.hand_off(case_id, NEXT_SHIFT, "Call the shelter at 8")
        sync(sue, una, vic, wes)
        for specialist in (una, vic, wes):
            queued = specialist.cases.get(case_id)
            assert queued["assigned_to"] == NEXT_SHIFT
            assert queued["handoffs"][-1]["note"] == "Call the shelter at 8"
        handoff_id = last_handoff(una, case_id)["id"]

        una.cases.acknowledge_handoff(case_id, handoff_id)
        vic.cases.acknowledge_handoff(case_id, handoff_id)  # offline: vic does not know yet
        assert sync(una)[0].conflicts == 0
        [late] = sync(vic)
        assert late.conflicts == 1
        [conflict] = vic.cases.conflicts(case_id)
        assert (conflict["base_value"], conflict["server_value"], conflict["client_value"]) == (
            NEXT_SHIFT, "una", "vic")
        assert vic.cases.get(case_id) is None  # no longer vic's to see

        [left] = sync(wes)
        assert left.cases_withdrawn == 1 and wes.cases.get(case_id) is None
        case = server_doc(live, case_id)
        assert case["assigned_to"] == "una"
        assert case["handoffs"][-1]["acknowledged_by"] == "una"
        sync(alice, sue)
        assert_all_agree(live, case_id, alice, sue, una)
        assert alice.cases.get(case_id)["handoffs"][-1]["state"] == "accepted"


def test_a_returned_handoff_goes_back_to_its_sender_who_sees_the_reason(
        live: LiveServer, tmp_path: Path) -> None:
    with workstation(live, tmp_path / "alice", "alice") as alice, \
            workstation(live, tmp_path / "bob", "bob") as bob:
        case_id = alice.cases.create_case("service referral", "non-urgent")["id"]
        alice.cases.hand_off(case_id, "bob", "Can you take the legal referral?")
        sync(alice, bob)
        bob.cases.return_handoff(case_id, last_handoff(bob, case_id)["id"],
                                 "Off until Monday; the caller needs someone sooner")
        assert bob.cases.get(case_id)["assigned_to"] == "alice"
        sync(bob, alice)
        returned = last_handoff(alice, case_id)
        assert alice.cases.get(case_id)["assigned_to"] == "alice"
        assert returned["state"] == "returned" and returned["acknowledged_by"] == "bob"
        assert returned["return_reason"] == "Off until Monday; the caller needs someone sooner"
        assert_all_agree(live, case_id, alice, bob)


# --- what a specialist who may not see a case can learn of it: nothing --------------------------

def test_a_case_leaves_the_queue_and_others_learn_nothing_more(engine: Engine,
                                                               client: TestClient) -> None:
    tokens = {}
    for name, role in (("sam", "specialist"), ("tom", "specialist"), ("ann", "specialist"),
                       ("sue", "supervisor")):
        create_user(engine, name, role, PASSWORD)
        tokens[name] = bearer(sign_in(client, name))
    create = case_create(summary="Caller at the bus station")
    case_id = create["case_id"]
    handoff = {"id": new_id(), "to_user": NEXT_SHIFT, "note": "for the night shift",
               "from_assignee": "sam"}
    push(client, tokens["sam"], create, new_change("hand_off", case_id, handoff, 1))
    assert case_id in server_cases(client, tokens["tom"])
    assert client.get("/sync/queue", headers=tokens["tom"]).json() == {"case_ids": [case_id]}

    take = {"handoff_id": handoff["id"]}
    [taken] = push(client, tokens["ann"], new_change("acknowledge_handoff", case_id, take, 2))
    assert taken["status"] == "applied" and taken["case"]["assigned_to"] == "ann"
    push(client, tokens["ann"], new_change("add_note", case_id,
                                           {"id": new_id(), "text": "ann's private note"}, 3))

    [late] = push(client, tokens["tom"], new_change("acknowledge_handoff", case_id, take, 2))
    assert late["status"] == "conflict" and late["withdrawn"] is True and "case" not in late
    assert late["conflicts"][0]["server_value"] == "ann"
    [note] = push(client, tokens["tom"], new_change("add_note", case_id,
                                                    {"id": new_id(), "text": "tom"}, 2))
    assert note["status"] == "rejected" and note["withdrawn"] is True and "case" not in note
    assert server_cases(client, tokens["tom"]) == {}
    assert client.get("/sync/queue", headers=tokens["tom"]).json() == {"case_ids": []}
    [again] = push(client, tokens["tom"], new_change("acknowledge_handoff", case_id, take, 2))
    assert "case" not in again and "ann's private note" not in str(again)

    # Another user resending ann's change hears nothing of its answer.
    seen = server_cases(client, tokens["sam"])[case_id]  # the author still sees the case
    assert [n["text"] for n in seen["notes"]] == ["ann's private note"]
    [stolen] = push(client, tokens["tom"], new_change("acknowledge_handoff", case_id, take, 2)
                    | {"change_id": taken["change_id"]})
    assert stolen["status"] == "rejected" and "case" not in stolen
    assert stolen["conflicts"] == []
