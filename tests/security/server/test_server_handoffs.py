"""Handoffs and the queue: a case goes only to someone who exists, is enabled and works cases
(never to a name someone may take later), and a case in the next shift's queue changes only by
being taken."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from console.cases.changes import NEXT_SHIFT, new_change, new_id, utc_now
from console.server.auth import create_user, set_disabled
from tests.live_server import PASSWORD
from tests.server.conftest import bearer, case_create, note_change, sign_in

Headers = dict[str, dict[str, str]]


def _push(client: TestClient, auth: dict[str, str], *changes: dict[str, Any]) -> list[Any]:
    reply = client.post("/sync/push", json={"changes": list(changes)}, headers=auth)
    assert reply.status_code == 200, reply.text
    return reply.json()["results"]


def _hand_off(case_id: str, to_user: str, version: int = 1) -> dict[str, Any]:
    return new_change("hand_off", case_id, {"id": new_id(), "to_user": to_user}, version,
                      at=utc_now())


@pytest.mark.parametrize(("receiver", "why"), [
    ("not-yet-hired", "does not exist"), ("gone", "disabled"), ("ada", "an administrator")])
def test_a_handoff_goes_only_to_someone_who_works_cases(
        engine: Engine, client: TestClient, headers: Headers, receiver: str, why: str) -> None:
    create_user(engine, "gone", "specialist", PASSWORD)
    set_disabled(engine, "gone", True)
    create = case_create()
    [_created, handed] = _push(client, headers["specialist"], create,
                               _hand_off(create["case_id"], receiver))
    assert handed["status"] == "rejected", why
    assert f"{receiver} is not a user who can take cases" in handed["reason"]
    assert handed["case"]["assigned_to"] == "sam"
    if receiver == "not-yet-hired":
        # The name, taken later, brings no access to the case.
        create_user(engine, receiver, "specialist", PASSWORD)
        later = sign_in(client, receiver)
        assert client.get("/sync/cases", headers=bearer(later)).json()["cases"] == []


def test_a_handoff_to_a_colleague_or_the_queue_goes_through(
        engine: Engine, client: TestClient, headers: Headers) -> None:
    create_user(engine, "bob", "specialist", PASSWORD)
    first, second = case_create(), case_create()
    results = _push(client, headers["specialist"], first, _hand_off(first["case_id"], "bob"),
                    second, _hand_off(second["case_id"], NEXT_SHIFT))
    assert [r["status"] for r in results] == ["applied"] * 4
    assert results[1]["case"]["assigned_to"] == "bob"
    assert results[3]["case"]["assigned_to"] == NEXT_SHIFT


def test_a_queue_case_changes_only_by_being_taken(
        engine: Engine, client: TestClient, headers: Headers) -> None:
    create_user(engine, "tom", "specialist", PASSWORD)
    tom = bearer(sign_in(client, "tom"))
    create = case_create()
    handoff = _hand_off(create["case_id"], NEXT_SHIFT)
    _push(client, headers["specialist"], create, handoff)
    case_id = create["case_id"]
    edit = new_change("update", case_id, {"fields": {"summary": "rewritten"}}, 2, at=utc_now())
    for who in (tom, headers["specialist"]):  # anyone on the shift, its sender too
        [note, edited] = _push(client, who, note_change(case_id, base_version=2), edit)
        assert note["status"] == edited["status"] == "rejected"
        assert "take it first" in note["reason"] and "take it first" in edited["reason"]
        edit = {**edit, "change_id": new_id()}
    take = new_change("acknowledge_handoff", case_id, {"handoff_id": handoff["payload"]["id"]},
                      2, at=utc_now())
    [taken, noted] = _push(client, tom, take, note_change(case_id, base_version=3))
    assert taken["status"] == "applied" and noted["status"] == "applied"
    assert noted["case"]["assigned_to"] == "tom" and len(noted["case"]["notes"]) == 1
    # A supervisor may still put a case in order while it waits.
    queued = case_create()
    _push(client, headers["specialist"], queued, _hand_off(queued["case_id"], NEXT_SHIFT))
    [fixed] = _push(client, headers["supervisor"], note_change(queued["case_id"], "checked",
                                                               base_version=2))
    assert fixed["status"] == "applied"
