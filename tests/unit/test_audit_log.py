"""The workstation's audit outbox (``console.cases.audit``): what it records, what it sends."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from console.cases.audit import MAX_DETAIL, AuditLog, InvalidEvent
from console.cases.changes import new_id

CASE = "3f1e8e0c-4c4b-4bde-9a47-0c1d2b1f6a10"



def test_events_wait_in_order_until_marked_sent(engine: Engine) -> None:
    log = AuditLog(engine, "alice")
    log.record("case.view", CASE)
    log.record("case.print", CASE, "referral sheet")
    log.record("cases.export", None, "12 cases, view: overdue")
    waiting = log.pending()
    assert [(e["action"], e["case_id"], e["detail"]) for e in waiting] == [
        ("case.view", CASE, ""), ("case.print", CASE, "referral sheet"),
        ("cases.export", None, "12 cases, view: overdue")]
    assert len({e["id"] for e in waiting}) == 3 and all(e["at"].endswith("+00:00")
                                                         for e in waiting)
    assert [e["id"] for e in log.pending(limit=2)] == [e["id"] for e in waiting[:2]]
    log.mark_sent(e["id"] for e in waiting[:2])
    assert log.pending() == waiting[2:]
    log.mark_sent([waiting[2]["id"], new_id()])  # an id no longer (or never) here is fine
    assert log.pending() == []


def test_each_user_sends_only_their_own_events(engine: Engine) -> None:
    AuditLog(engine, "alice").record("case.view", CASE)
    bob = AuditLog(engine, "bob")
    assert bob.pending() == []
    bob.record("case.export", CASE, "PDF")
    assert [e["action"] for e in AuditLog(engine, "alice").pending()] == ["case.view"]
    assert [e["action"] for e in bob.pending()] == ["case.export"]


@pytest.mark.parametrize(("action", "case_id", "detail", "reason"), [
    ("case.delete", CASE, "", "action must be one of"),
    ("case.view", None, "", "names the case"),
    ("cases.export", CASE, "", "list of cases"),
    ("case.view", "K7QD2X-0042", "", "UUID"),
    ("case.view", CASE.upper(), "", "UUID"),
    ("case.view", CASE, "x" * (MAX_DETAIL + 1), "longer than"),
    ("case.view", CASE, "a\x00b", "cannot be stored"),
    ("case.view", CASE, "\ud800", "cannot be stored"),
])
def test_an_event_the_server_would_refuse_is_never_recorded(
        engine: Engine, action: str, case_id: str | None, detail: str, reason: str) -> None:
    log = AuditLog(engine, "alice")
    with pytest.raises(InvalidEvent, match=reason):
        log.record(action, case_id, detail)
    assert log.pending() == []
