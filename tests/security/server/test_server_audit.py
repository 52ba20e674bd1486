"""Least privilege and a full audit: every case read the server serves is on record — pulls,
the queue list, conflicts, reads of the log itself — and a workstation may post events only
about cases its user may see, dated near now; the server keeps its own receive time beside."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from console.cases.changes import NEXT_SHIFT, new_change, new_id, utc_now
from console.server.models import AuditEvent
from tests.server.conftest import case_create

Headers = dict[str, dict[str, str]]


def _push(client: TestClient, auth: dict[str, str], *changes: dict[str, Any]) -> list[Any]:
    reply = client.post("/sync/push", json={"changes": list(changes)}, headers=auth)
    assert reply.status_code == 200, reply.text
    return reply.json()["results"]


def _log(engine: Engine, action: str) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent.user_name, AuditEvent.subject).where(
            AuditEvent.action == action).order_by(AuditEvent.id)).all()
    return [tuple(row) for row in rows]


def _event(case_id: str | None, at: datetime | None = None,
           action: str = "case.view") -> dict[str, Any]:
    return {"id": new_id(), "at": (at or datetime.now(UTC)).isoformat(), "action": action,
            "case_id": case_id, "detail": ""}


def test_every_case_read_is_on_record(engine: Engine, client: TestClient,
                                      headers: Headers) -> None:
    mine, queued = case_create(), case_create()
    _push(client, headers["specialist"], mine, queued, new_change(
        "hand_off", queued["case_id"], {"id": new_id(), "to_user": NEXT_SHIFT}, 1,
        at=utc_now()))
    assert client.get("/sync/cases", headers=headers["supervisor"]).status_code == 200
    assert sorted(_log(engine, "case.pull")) == sorted(
        [("sue", mine["case_id"]), ("sue", queued["case_id"])])
    assert client.get("/sync/queue", headers=headers["specialist"]).status_code == 200
    assert _log(engine, "case.list") == [("sam", queued["case_id"])]
    assert client.get("/cases/conflicts", headers=headers["supervisor"]).status_code == 200
    assert client.get("/audit/events", params={"case_id": mine["case_id"]},
                      headers=headers["supervisor"]).status_code == 200
    assert _log(engine, "audit.read") == [("sue", mine["case_id"])]
    # A page with nothing in it served no case: nothing to record.
    cursor = client.get("/sync/cases", headers=headers["supervisor"]).json()["cursor"]
    client.get("/sync/cases", params={"after": cursor}, headers=headers["supervisor"])
    assert len(_log(engine, "case.pull")) == 4


def test_events_about_cases_one_may_not_see_or_dated_oddly_are_refused(
        engine: Engine, client: TestClient, headers: Headers) -> None:
    theirs = case_create()
    _push(client, headers["supervisor"], theirs)
    mine = case_create()
    _push(client, headers["specialist"], mine)
    now = datetime.now(UTC)
    sent = [_event(theirs["case_id"]), _event(new_id()),
            _event(mine["case_id"], datetime(1999, 1, 1, tzinfo=UTC)),
            _event(mine["case_id"], now + timedelta(days=2)),
            _event(mine["case_id"], now - timedelta(days=3)),
            _event(None, action="cases.export")]
    reply = client.post("/audit/events", json={"events": sent}, headers=headers["specialist"])
    assert reply.status_code == 200
    assert reply.json() == {"received": 6, "stored": 2, "refused": 4}
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent).where(
            AuditEvent.event_id.is_not(None))).all()
    assert sorted(row.event_id for row in rows) == sorted([sent[4]["id"], sent[5]["id"]])
    for row in rows:
        received = row.received_at if row.received_at.tzinfo else row.received_at.replace(
            tzinfo=UTC)
        assert abs(received - now) < timedelta(minutes=1)
    # A supervisor sees every case: theirs and the specialist's alike.
    reply = client.post("/audit/events", json={"events": [
        _event(theirs["case_id"]), _event(mine["case_id"])]}, headers=headers["supervisor"])
    assert reply.json() == {"received": 2, "stored": 2, "refused": 0}


def test_user_administration_is_audited_with_who_whom_and_when(
        engine: Engine, client: TestClient, headers: Headers) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    client.post("/admin/users", json={"name": "vic", "role": "supervisor",
                                      "password": "long enough!"}, headers=headers["admin"])
    client.post("/admin/users/vic/role", json={"role": "admin"}, headers=headers["admin"])
    client.post("/admin/users/vic/password", json={"password": "another long one"},
                headers=headers["admin"])
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent).where(
            AuditEvent.action.like("admin.%")).order_by(AuditEvent.id)).all()
    assert [(r.user_name, r.action, r.subject, r.detail) for r in rows] == [
        ("ada", "admin.create_user", "vic", "role supervisor"),
        ("ada", "admin.set_role", "vic", "role admin"),
        ("ada", "admin.reset_password", "vic", "")]
    assert all((r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)) > before for r in rows)
    # Supervisors reading the log see them too.
    log = client.get("/audit/events", headers=headers["supervisor"]).json()["events"]
    assert [(e["action"], e["about_user"], e["case_id"]) for e in log
            if e["action"].startswith("admin.")] == [
        ("admin.create_user", "vic", None), ("admin.set_role", "vic", None),
        ("admin.reset_password", "vic", None)]
