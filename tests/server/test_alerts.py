"""Live supervisor alerts on the server: raised by specialists, seen by every supervisor, each
specialist seeing their own, acknowledged once (audited), resumed from a cursor; and the calls in
progress the workstations report. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from console.server.auth import create_user
from console.server.models import AuditEvent
from tests.live_server import PASSWORD
from tests.server.conftest import bearer, case_create, sign_in

WORKSTATION = "5d0b8d5e-2d0e-4a43-9d55-8ad0f3f8c2a1"


def new_alert(case_id: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "case_id": case_id or str(uuid.uuid4()),
            "case_number": "K7QD2X-0042", "call_type": "crisis",
            "reasons": ["Someone is in immediate danger", "A minor is involved"],
            "raised_at": datetime.now(UTC).isoformat(), **fields}


def events(client: TestClient, headers: dict[str, str], after: int = 0
           ) -> list[tuple[str, str, Any]]:
    """The stream's events up to now: (event, id, data), the stream ended at once."""
    reply = client.get("/alerts/stream", headers=headers, params={"after": after, "seconds": 0})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/event-stream")
    found = []
    for block in reply.text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if fields:
            found.append((fields["event"], fields.get("id", ""), orjson.loads(fields["data"])))
    return found


def alerts_in(found: list[tuple[str, str, Any]]) -> list[dict[str, Any]]:
    return [data for kind, _id, data in found if kind == "alert"]


def test_every_supervisor_sees_an_alert_with_who_which_case_why_and_when(
        client: TestClient, engine: Engine, headers: dict[str, dict[str, str]]) -> None:
    body = new_alert()
    reply = client.post("/alerts", json=body, headers=headers["specialist"])
    assert reply.status_code == 201, reply.text
    create_user(engine, "sky", "supervisor", PASSWORD)
    for supervisor in (headers["supervisor"], bearer(sign_in(client, "sky"))):
        found = events(client, supervisor)
        [alert] = alerts_in(found)
        assert alert["specialist"] == "sam"
        assert (alert["case_id"], alert["case_number"]) == (body["case_id"], "K7QD2X-0042")
        assert alert["reasons"] == body["reasons"]
        assert datetime.fromisoformat(alert["raised_at"]) <= datetime.now(UTC)
        assert alert["acknowledged_by"] is None
        assert found[-1][0] == "ready" and int(found[-1][1]) >= alert["seq"]
    # The supervisor's reading of it is on record.
    with engine.connect() as connection:
        reads = connection.execute(select(AuditEvent.user_name).where(
            AuditEvent.action == "alert.read", AuditEvent.subject == body["case_id"])).all()
    assert sorted(name for (name,) in reads) == ["sky", "sue"]


def test_specialists_see_their_own_alerts_only(client: TestClient, engine: Engine,
                                               headers: dict[str, dict[str, str]]) -> None:
    mine = new_alert()
    client.post("/alerts", json=mine, headers=headers["specialist"])
    create_user(engine, "kim", "specialist", PASSWORD)
    kim = bearer(sign_in(client, "kim"))
    assert alerts_in(events(client, kim)) == []
    assert [a["id"] for a in alerts_in(events(client, headers["specialist"]))] == [mine["id"]]


def test_acknowledged_once_audited_and_followed_from_the_cursor(
        client: TestClient, engine: Engine, headers: dict[str, dict[str, str]]) -> None:
    body = new_alert()
    client.post("/alerts", json=body, headers=headers["specialist"])
    cursor = int(events(client, headers["specialist"])[-1][1])

    reply = client.post(f"/alerts/{body['id']}/acknowledge", headers=headers["supervisor"])
    assert reply.status_code == 200, reply.text
    assert reply.json()["acknowledged_by"] == "sue"
    create_user(engine, "sky", "supervisor", PASSWORD)
    again = client.post(f"/alerts/{body['id']}/acknowledge",
                        headers=bearer(sign_in(client, "sky")))
    assert again.json()["acknowledged_by"] == "sue"  # the first answer stands

    # The specialist's stream, resumed after what it had seen, brings the acknowledgement.
    [(kind, event_id, alert)] = events(client, headers["specialist"], after=cursor)
    assert kind == "alert" and alert["acknowledged_by"] == "sue"
    assert int(event_id) == alert["seq"] > cursor
    assert events(client, headers["specialist"], after=alert["seq"]) == []
    # A fresh start lists open alerts only.
    assert alerts_in(events(client, headers["supervisor"])) == []
    with engine.connect() as connection:
        audited = connection.execute(select(AuditEvent).where(
            AuditEvent.action == "alert.acknowledge")).all()
    assert [(row.user_name, row.subject) for row in audited] == [("sue", body["case_id"])]

    assert client.post(f"/alerts/{uuid.uuid4()}/acknowledge",
                       headers=headers["supervisor"]).status_code == 404
    assert client.post(f"/alerts/{body['id']}/acknowledge",
                       headers=headers["specialist"]).status_code == 403


def test_a_cursor_from_beyond_the_feed_starts_afresh(
        client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    """After a restore from an older backup a workstation's cursor may be ahead of the feed:
    it is sent every open alert again rather than nothing."""
    body = new_alert()
    client.post("/alerts", json=body, headers=headers["specialist"])
    found = events(client, headers["supervisor"], after=10**12)
    assert [a["id"] for a in alerts_in(found)] == [body["id"]]
    assert found[-1][0] == "ready" and int(found[-1][1]) < 10**12


def test_a_resent_alert_is_stored_once(client: TestClient, engine: Engine,
                                       headers: dict[str, dict[str, str]]) -> None:
    body = new_alert()
    first = client.post("/alerts", json=body, headers=headers["specialist"]).json()
    second = client.post("/alerts", json=body, headers=headers["specialist"])
    assert second.status_code == 201 and second.json() == first
    assert len(alerts_in(events(client, headers["supervisor"]))) == 1
    create_user(engine, "kim", "specialist", PASSWORD)
    taken = client.post("/alerts", json=body, headers=bearer(sign_in(client, "kim")))
    assert taken.status_code == 409


def test_bad_alerts_are_refused_with_a_reason(client: TestClient, engine: Engine,
                                              headers: dict[str, dict[str, str]]) -> None:
    sam = headers["specialist"]
    for bad in (new_alert(reasons=[]), new_alert(reasons=["x" * 201]),
                new_alert(reasons=["why"] * 11), new_alert(case_id="not-a-case"),
                new_alert(raised_at="yesterday")):
        reply = client.post("/alerts", json=bad, headers=sam)
        assert reply.status_code == 422, bad
        assert reply.json()["problems"]
    huge = client.post("/alerts", content=b'{"reasons": ["' + b"x" * 40_000 + b'"]}',
                       headers={**sam, "Content-Type": "application/json"})
    assert huge.status_code == 413
    # A case on the server that someone else holds is not the caller's to alert about.
    create_user(engine, "kim", "specialist", PASSWORD)
    kim = bearer(sign_in(client, "kim"))
    theirs = case_create()
    assert client.post("/sync/push", json={"changes": [theirs]}, headers=kim).status_code == 200
    refused = client.post("/alerts", json=new_alert(theirs["case_id"]), headers=sam)
    assert refused.status_code == 403
    assert client.post("/alerts", json=new_alert(theirs["case_id"]),
                       headers=kim).status_code == 201
    assert alerts_in(events(client, sam)) == []


def test_raising_is_throttled(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    sam = headers["specialist"]
    for _ in range(30):
        assert client.post("/alerts", json=new_alert(), headers=sam).status_code == 201
    refused = client.post("/alerts", json=new_alert(), headers=sam)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0


def test_a_raise_dated_ahead_is_kept_at_the_server_time(
        client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    ahead = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    alert = client.post("/alerts", json=new_alert(raised_at=ahead),
                        headers=headers["specialist"]).json()
    assert datetime.fromisoformat(alert["raised_at"]) <= datetime.now(UTC)


def test_a_revoked_sign_in_ends_the_stream(client: TestClient, engine: Engine,
                                           headers: dict[str, dict[str, str]]) -> None:
    from console.server.auth import set_disabled

    set_disabled(engine, "sue", True)
    reply = client.get("/alerts/stream", headers=headers["supervisor"],
                       params={"seconds": 0})
    assert reply.status_code == 401


def test_calls_in_progress_come_from_workstation_check_ins(
        client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    case_id = str(uuid.uuid4())
    started = (datetime.now(UTC) - timedelta(minutes=4)).isoformat()
    report = {"workstation": WORKSTATION, "version": "0.1.0",
              "call": {"case_id": case_id, "number": "K7QD2X-0042", "request_type": "crisis",
                       "urgency": "urgent", "started_at": started}}
    assert client.post("/sync/workstation", json=report,
                       headers=headers["specialist"]).status_code == 200
    [call] = client.get("/calls/in-progress", headers=headers["supervisor"]).json()["calls"]
    assert (call["user"], call["case_id"], call["number"]) == ("sam", case_id, "K7QD2X-0042")
    assert (call["request_type"], call["urgency"]) == ("crisis", "urgent")
    assert datetime.fromisoformat(call["started_at"]) == datetime.fromisoformat(started)
    assert client.get("/calls/in-progress",
                      headers=headers["specialist"]).status_code == 403

    del report["call"]  # the call ended
    client.post("/sync/workstation", json=report, headers=headers["specialist"])
    assert client.get("/calls/in-progress", headers=headers["supervisor"]).json()["calls"] == []

