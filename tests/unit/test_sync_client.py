"""The sync client's own rules: backoff, status text, and how it reads a page of changes."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import httpx
import pytest

from console import settings
from console.cases.audit import AuditLog
from console.cases.changes import new_case
from console.cases.store import CaseStore
from console.models.database import open_case_store
from console.security.credentials import CredentialStore, Tokens
from console.sync.api import BadReply, ServerApi
from console.sync.client import Backoff, SyncClient, SyncStatus, _directory_page, _push_results

SERVICE = {"id": "s1", "organization_id": "o1", "name": "Safe Harbor", "status": "active"}


def page(changes: list[dict[str, Any]], cursor: int, more: bool = False) -> dict[str, Any]:
    return {"changes": changes, "cursor": cursor, "more": more}


def test_backoff_doubles_up_to_the_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(base=2, cap=60, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [2, 4, 8, 16, 32, 60, 60, 60]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    backoff.reset()
    assert 1 <= backoff.next_delay() <= 2


def test_status_summary_says_offline_and_what_waits() -> None:
    status = SyncStatus(online=False, pending=3, conflicts=1,
                        last_error="cannot reach http://server: ConnectError")
    text = status.summary()
    assert "offline" in text and "3 change(s) waiting" in text
    assert "1 conflict(s)" in text and "ConnectError" in text
    assert SyncStatus().summary().startswith("not synced yet")


def test_a_page_becomes_upserts_and_deletes() -> None:
    upserts, deletes, cursor, more = _directory_page(page([
        {"kind": "service", "id": "s1", "seq": 5, "deleted": False, "data": SERVICE},
        {"kind": "phone", "id": "p1", "seq": 7, "deleted": True, "data": None},
    ], cursor=7, more=True), after=4)
    assert upserts["service"]["s1"]["name"] == "Safe Harbor"
    assert upserts["service"]["s1"]["description"] is None  # every column, missing as None
    assert deletes == {"phone": ["p1"]}
    assert (cursor, more) == (7, True)


@pytest.mark.parametrize("bad", [
    {"changes": "nope", "cursor": 1, "more": False},
    page([], cursor=2, more="yes"),  # type: ignore[arg-type]
    page([], cursor=3),  # behind the cursor asked for
    page([{"kind": "secrets", "id": "x", "seq": 9, "deleted": False, "data": {"id": "x"}}], 9),
    page([{"kind": "service", "id": "s1", "seq": 9, "deleted": False, "data": None}], 9),
    page([{"kind": "service", "id": "s1", "seq": 9, "deleted": False,
           "data": {**SERVICE, "id": "other"}}], 9),
    page([{"kind": "service", "id": "s1", "seq": 9, "deleted": False, "data": SERVICE},
          {"kind": "service", "id": "s2", "seq": 8, "deleted": True, "data": None}], 9),
    page([{"kind": "service", "id": "s1", "seq": 9, "deleted": False, "data": SERVICE}], 12),
])
def test_a_page_the_console_cannot_trust_is_refused_whole(bad: dict[str, Any]) -> None:
    with pytest.raises(BadReply):
        _directory_page(bad, after=4)


CASE, OTHER = "3f1e8e0c-4c4b-4bde-9a47-0c1d2b1f6a10", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


@pytest.mark.parametrize("answer", [
    {"withdrawn": True, "case_id": OTHER},  # may not drop a case it was not asked about
    {"withdrawn": "yes", "case_id": CASE},
    {"withdrawn": True},
])
def test_a_push_answer_may_withdraw_only_the_case_of_its_change(answer: dict[str, Any]) -> None:
    reply = {"results": [{"change_id": "c1", "status": "conflict", "conflicts": [], **answer}]}
    with pytest.raises(BadReply, match="withdraws"):
        _push_results(reply, {"c1": CASE})
    fine = {"change_id": "c1", "status": "rejected", "withdrawn": True, "case_id": CASE}
    assert _push_results({"results": [fine]}, {"c1": CASE}) == [fine]


def older_server(request: httpx.Request) -> httpx.Response:
    """A server from before the audit log and the queue list: it knows neither."""
    answers: dict[str, Any] = {
        "/sync/push": {"results": []},
        "/sync/directory": {"changes": [], "cursor": 0, "more": False},
        "/sync/cases": {"cases": [], "cursor": 0, "more": False}}
    if request.url.path in answers:
        return httpx.Response(200, json=answers[request.url.path])
    return httpx.Response(404, json={"error": "Not Found"})


def test_a_server_without_the_audit_log_still_syncs_cases_and_the_events_wait(
        tmp_path: Path) -> None:
    credentials = CredentialStore.for_this_process()
    credentials.save("https://server.test", Tokens("pat", "specialist", "access", "refresh"))
    api = ServerApi("https://server.test", credentials, transport=httpx.MockTransport(older_server))
    engine = open_case_store(settings.case_db_path())
    audit = AuditLog(engine, "pat")
    audit.record("case.view", CASE)
    client = SyncClient(api, tmp_path / "directory.sqlite", CaseStore(engine, "pat"))
    try:
        report = client.sync_once()
        assert client.status.online and report.audit_events == 0
        assert [note.split(":")[0] for note in report.notes] == [
            "audit events not sent", "queue not checked", "workstation not reported"]
        assert len(audit.pending()) == 1
    finally:
        client.close()
        engine.dispose()


def test_a_sync_reports_the_cases_it_changed_here(tmp_path: Path) -> None:
    pulled = {**new_case(CASE, "pat", "2026-11-24T14:00:00+00:00"), "version": 1}

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/sync/cases":
            return httpx.Response(200, json={"cases": [pulled], "cursor": 1, "more": False})
        return older_server(request)

    credentials = CredentialStore.for_this_process()
    credentials.save("https://server.test", Tokens("pat", "specialist", "access", "refresh"))
    api = ServerApi("https://server.test", credentials, transport=httpx.MockTransport(server))
    engine = open_case_store(settings.case_db_path())
    client = SyncClient(api, tmp_path / "directory.sqlite", CaseStore(engine, "pat"))
    try:
        before = client.status
        assert client.sync_once().changed_cases == {CASE}
        assert before.last_success is None  # a status once handed out never changes
        assert client.status.last_success is not None
    finally:
        client.close()
        engine.dispose()
