"""The audit log: workstations send the views, prints and exports done on them, each is stored
once however often it is sent, and only supervisors read the log — whole or case by case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from console.cases.audit import AuditLog
from console.cases.changes import new_id, utc_now
from console.server.audit import MAX_PUSH
from console.server.models import AuditEvent
from tests.live_server import live_server
from tests.server.conftest import ROLE_USERS, case_create, workstation
from tests.server.test_push import push
from tests.server.test_requests import FUZZ, JSON

Headers = dict[str, dict[str, str]]


def event(action: str = "case.view", case_id: str | None = None, detail: str = "",
          **changed: Any) -> dict[str, Any]:
    """An event as a workstation sends it; a case action gets a case unless one is given."""
    if case_id is None and action.startswith("case."):
        case_id = new_id()
    return {"id": new_id(), "at": utc_now(), "action": action, "case_id": case_id,
            "detail": detail, **changed}


def send(client: TestClient, auth: dict[str, str], *events: dict[str, Any]) -> dict[str, Any]:
    reply = client.post("/audit/events", json={"events": list(events)}, headers=auth)
    assert reply.status_code == 200, reply.text
    return reply.json()


def read(client: TestClient, auth: dict[str, str], **params: Any) -> dict[str, Any]:
    reply = client.get("/audit/events", params=params, headers=auth)
    assert reply.status_code == 200, reply.text
    return reply.json()


def stored(engine: Engine, *event_ids: str) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(
            select(AuditEvent.event_id, AuditEvent.user_name)
            .where(AuditEvent.event_id.in_(event_ids)).order_by(AuditEvent.id))]


def test_events_sent_twice_are_stored_once_in_the_senders_name(
        engine: Engine, client: TestClient, headers: Headers) -> None:
    create = case_create()
    push(client, headers["specialist"], create)
    batch = [event("case.view", create["case_id"]),
             event("case.print", create["case_id"], detail="referral sheet"),
             event("cases.export", detail="42 cases, view: all open")]
    assert send(client, headers["specialist"], *batch) == {"received": 3, "stored": 3,
                                                           "refused": 0}
    assert send(client, headers["specialist"], *batch) == {"received": 3, "stored": 0,
                                                           "refused": 0}
    assert send(client, headers["supervisor"], batch[0], batch[0]) == {"received": 2,
                                                                      "stored": 0,
                                                                      "refused": 0}
    ids = [e["id"] for e in batch]
    assert stored(engine, *ids) == [(i, ROLE_USERS["specialist"]) for i in ids]
    assert send(client, headers["specialist"]) == {"received": 0, "stored": 0, "refused": 0}


def test_only_supervisors_read_the_log_and_may_read_it_case_by_case(
        client: TestClient, headers: Headers) -> None:
    specialist = headers["specialist"]
    create = case_create()
    case_id, other_id = create["case_id"], new_id()
    push(client, specialist, create)
    send(client, specialist, event("case.view", case_id), event("case.view", other_id),
         event("case.print", case_id, "referral sheet"))

    for role in ("specialist", "admin"):
        assert client.get("/audit/events", headers=headers[role]).status_code == 403
        assert client.get("/audit/events", params={"case_id": case_id},
                          headers=headers[role]).status_code == 403

    log = read(client, headers["supervisor"], case_id=case_id)
    # The view of a case that is not on the server (other_id) was refused.
    assert [(e["action"], e["user"], e["case_id"]) for e in log["events"]] == [
        ("case.create", "sam", case_id), ("case.view", "sam", case_id),
        ("case.print", "sam", case_id)]
    assert log["events"][0]["id"] is None  # written by the server as it applied the change
    assert log["events"][2]["detail"] == "referral sheet"
    assert log["more"] is False and log["cursor"] == log["events"][-1]["seq"]
    # ... and that read of the log is itself on record.
    assert [(e["action"], e["user"], e["case_id"]) for e in read(
        client, headers["supervisor"])["events"][3:]] == [("audit.read", "sue", case_id)]

    first = read(client, headers["supervisor"], case_id=case_id, limit=2)
    rest = read(client, headers["supervisor"], case_id=case_id, after=first["cursor"])
    assert first["more"] and rest["more"] is False
    assert [e["seq"] for e in first["events"] + rest["events"]][:3] == [
        e["seq"] for e in log["events"]]


@pytest.mark.timeout(120)
def test_a_workstation_sends_its_events_after_its_changes_exactly_once(
        database_url: str, tmp_path: Path) -> None:
    with live_server(database_url) as live:
        live.add_user("alice", "specialist")
        with workstation(live, tmp_path / "alice", "alice") as alice:
            audit = AuditLog(alice.cases.engine, "alice")
            case_id = alice.cases.create_case("crisis", "urgent")["id"]
            audit.record("case.view", case_id)
            audit.record("case.print", case_id, "referral sheet")
            report = alice.sync.sync_once()
            assert (report.pushed, report.audit_events) == (1, 2)
            assert audit.pending() == []

            audit.record("case.export", case_id, "PDF")
            [unsent] = audit.pending()
            lost_answer = alice.sync._api.post("/audit/events", {"events": [unsent]})
            assert lost_answer == {"received": 1, "stored": 1, "refused": 0}
            assert alice.sync.sync_once().audit_events == 1  # sent again: stored once
            assert alice.sync.sync_once().audit_events == 0

            with live.engine.connect() as connection:
                rows = connection.execute(select(AuditEvent.action, AuditEvent.user_name)
                                          .where(AuditEvent.subject == case_id)
                                          .order_by(AuditEvent.id)).all()
            # Between them, the server's own record of each time it sent the case back.
            assert [tuple(row) for row in rows if row.action != "case.pull"] == [
                ("case.create", "alice"), ("case.view", "alice"), ("case.print", "alice"),
                ("case.export", "alice")]
            assert ("case.pull", "alice") in rows


@pytest.mark.parametrize(("body", "word"), [
    ({"events": [event("case.delete")]}, "action must be one of"),
    ({"events": [event("case.view", case_id=None) | {"case_id": None}]}, "names the case"),
    ({"events": [event("cases.export", case_id=new_id())]}, "a list of cases"),
    ({"events": [event(case_id="K7QD2X-0042")]}, "case_id must be a UUID"),
    ({"events": [event(id="not-an-id")]}, "events.0.id"),
    ({"events": [event(at="2026-11-25T10:00:00")]}, "timezone"),
    ({"events": [event(at="0001-01-01T00:00:00+01:00")]}, "out of range"),
    ({"events": [event(at="yesterday")]}, "events.0.at"),
    ({"events": [event(detail="x" * 1_001)]}, "events.0.detail"),
    ({"events": [event(detail="a\x00b")]}, "cannot be stored"),
    ({"events": [event(detail="\ud800")]}, "events.0.detail"),
    ({"events": [event() | {"action": ["case.view"]}]}, "events.0.action"),
    ({"events": [event()] * (MAX_PUSH + 1)}, "events"),
    ({"events": {"0": event()}}, "events"),
    ({}, "events"),
])
def test_bad_events_are_refused_whole_with_the_reason(client: TestClient, headers: Headers,
                                                      body: dict[str, Any], word: str) -> None:
    reply = client.post("/audit/events", content=json.dumps(body),
                        headers={**headers["specialist"], "Content-Type": "application/json"})
    assert reply.status_code == 422, reply.text
    assert word in " ".join(reply.json()["problems"]), reply.text
    assert client.get("/audit/events", headers=headers["supervisor"]).json()["events"] == []


@pytest.mark.parametrize("params", [{"case_id": "K7QD2X-0042"}, {"limit": 0},
                                    {"limit": 1_001}, {"after": -1}, {"after": "x"}])
def test_bad_reading_parameters_are_422(client: TestClient, headers: Headers,
                                        params: dict[str, Any]) -> None:
    reply = client.get("/audit/events", params=params, headers=headers["supervisor"])
    assert reply.status_code == 422, reply.text


EVENT_LIKE = st.fixed_dictionaries(
    {"id": st.uuids().map(str) | JSON, "at": st.just(utc_now()) | JSON,
     "action": st.sampled_from(["case.view", "cases.export"]) | JSON,
     "case_id": st.none() | st.uuids().map(str) | JSON, "detail": st.text() | JSON})


@FUZZ
@given(body=JSON | st.fixed_dictionaries({"events": st.lists(EVENT_LIKE | JSON, max_size=4)}))
def test_arbitrary_json_at_the_audit_log_never_crashes(client: TestClient, headers: Headers,
                                                       body: Any) -> None:
    reply = client.post("/audit/events", content=json.dumps(body), headers={
        **headers["specialist"], "Content-Type": "application/json"})
    assert reply.status_code in (200, 422), reply.text
    read(client, headers["supervisor"], limit=1_000)  # whatever was stored reads back
