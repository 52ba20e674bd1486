"""Bad requests get clear 4xx answers (or a per-change "rejected" with the reason), never a 500.

The server faces every workstation of the hotline; a bug or a damaged file on one of them must
not be able to crash a request, let alone put something into the feed that other workstations
cannot store.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.cases.changes import new_change, new_id
from console.directory.batch import COLUMNS
from console.server.app import MAX_BODY_BYTES, MAX_PAGE
from console.server.cases import MAX_PUSH
from tests.server.conftest import case_create, note_change

Headers = dict[str, dict[str, str]]


def push(client: TestClient, headers: Headers, *changes: Any,
         role: str = "specialist") -> list[dict[str, Any]]:
    reply = client.post("/sync/push", json={"changes": list(changes)}, headers=headers[role])
    assert reply.status_code == 200, reply.text
    return reply.json()["results"]


def assert_clear_error(reply: Any, status: int) -> None:
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]


# --- the body as a whole --------------------------------------------------------------------

def test_oversized_body_is_413(client: TestClient, headers: Headers) -> None:
    body = b'{"changes": ["' + b"x" * MAX_BODY_BYTES + b'"]}'
    reply = client.post("/sync/push", content=body, headers={
        **headers["specialist"], "Content-Type": "application/json"})
    assert_clear_error(reply, 413)
    assert "larger than" in reply.json()["error"]


def test_oversized_body_without_length_is_413(client: TestClient, headers: Headers) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"changes": ["'
        for _ in range(MAX_BODY_BYTES // (1024 * 1024) + 1):
            yield b"x" * 1024 * 1024
        yield b'"]}'

    reply = client.post("/sync/push", content=chunks(), headers={
        **headers["specialist"], "Content-Type": "application/json"})
    assert_clear_error(reply, 413)


def test_bad_content_length_is_refused(client: TestClient, headers: Headers) -> None:
    reply = client.post("/sync/push", content=b'{"changes": []}', headers={
        **headers["specialist"], "Content-Type": "application/json", "Content-Length": "-1"})
    assert 400 <= reply.status_code < 500


MALFORMED_PUSHES = [b"{bad json", b"", b"[]", b"null", b'"text"', b"\xff\xfe",
                    b'{"changes": "all of them"}', b'{"changes": {"a": 1}}',
                    b'{"no_changes": []}', b'{"changes": [1, 2']


def test_malformed_push_bodies_are_422(client: TestClient, headers: Headers) -> None:
    for body in MALFORMED_PUSHES:
        reply = client.post("/sync/push", content=body, headers={
            **headers["specialist"], "Content-Type": "application/json"})
        assert_clear_error(reply, 422)


def test_too_many_changes_in_one_push_is_413(client: TestClient, headers: Headers) -> None:
    changes = [case_create() for _ in range(MAX_PUSH + 1)]
    reply = client.post("/sync/push", json={"changes": changes}, headers=headers["specialist"])
    assert_clear_error(reply, 413)  # the workstation splits the batch
    assert client.get("/sync/cases", headers=headers["supervisor"]).json()["cases"] == []


def test_malformed_sign_in_is_422(client: TestClient) -> None:
    for body in ({"user": "", "password": "x"}, {"user": "a"}, {"user": 5, "password": ["x"]},
                 {"user": "a" * 201, "password": "x"}):
        assert_clear_error(client.post("/auth/sign-in", json=body), 422)


def test_bad_new_user_is_422(client: TestClient, headers: Headers) -> None:
    for body in ({"name": "bob", "role": "root", "password": "long enough"},
                 {"name": "bob smith", "role": "specialist", "password": "long enough"},
                 {"name": "bob", "role": "specialist", "password": "short"},
                 {"name": "bob", "role": ["admin"], "password": "long enough"}):
        reply = client.post("/admin/users", json=body, headers=headers["admin"])
        assert_clear_error(reply, 422)


# --- query and path values ------------------------------------------------------------------

BAD_PAGING = [{"limit": MAX_PAGE + 1}, {"limit": 10**30}, {"limit": 0}, {"limit": -5},
              {"after": -1}, {"after": 2**70}, {"after": "abc"}, {"limit": "1.5"}]


@pytest.mark.parametrize("path", ["/sync/directory", "/sync/cases"])
def test_bad_paging_values_are_422(client: TestClient, headers: Headers, path: str) -> None:
    for query in BAD_PAGING:
        assert_clear_error(client.get(path, params=query, headers=headers["supervisor"]), 422)


def test_the_largest_page_is_allowed(client: TestClient, headers: Headers) -> None:
    reply = client.get("/sync/directory", params={"limit": MAX_PAGE, "after": 2**62},
                       headers=headers["supervisor"])
    assert reply.status_code == 200
    assert reply.json() == {"changes": [], "cursor": 2**62, "more": False}


def test_unknown_directory_table_is_422(client: TestClient, headers: Headers) -> None:
    admin = headers["admin"]
    record = str(uuid.uuid4())
    for reply in (client.post("/admin/directory/spaceship", json={"name": "x"}, headers=admin),
                  client.patch(f"/admin/directory/spaceship/{record}", json={"name": "x"},
                               headers=admin),
                  client.delete(f"/admin/directory/spaceship/{record}", headers=admin)):
        assert_clear_error(reply, 422)
        assert "not a directory table" in reply.json()["error"]


def test_unknown_record_is_404(client: TestClient, headers: Headers) -> None:
    admin = headers["admin"]
    for record in (str(uuid.uuid4()), "not-an-id", "x" * 300):
        assert_clear_error(client.patch(f"/admin/directory/service/{record}",
                                        json={"name": "x"}, headers=admin), 404)
        assert_clear_error(client.delete(f"/admin/directory/service/{record}",
                                         headers=admin), 404)


def test_unusable_directory_records_are_422(client: TestClient, headers: Headers) -> None:
    for data in ({"name": "x", "colour": "blue"}, {"name": ""}, {},
                 {"name": {"nested": "object"}}, {"name": ["a", "list"]}, {"name": True},
                 {"name": "x", "year_incorporated": 10**30}):
        reply = client.post("/admin/directory/organization", json=data,
                            headers=headers["admin"])
        assert_clear_error(reply, 422)
    assert client.get("/sync/directory", params={"limit": MAX_PAGE},
                      headers=headers["admin"]).json()["changes"] == []


def test_directory_record_body_must_be_an_object(client: TestClient, headers: Headers) -> None:
    for body in ([{"name": "x"}], "x", 5, None):
        reply = client.post("/admin/directory/organization", json=body,
                            headers=headers["admin"])
        assert_clear_error(reply, 422)


def test_stored_records_hold_only_what_a_workstation_can_store(
        client: TestClient, headers: Headers) -> None:
    odd = [{"name": 12345, "tax_id": 7.5, "description": "nul\x00inside"},
           {"name": "x", "year_incorporated": 10**30, "id": ["not", "an", "id"]},
           {"name": "Big Year", "year_incorporated": 1e300},
           {"name": "Long Year", "year_incorporated": "9" * 30}]
    for record in odd:
        reply = client.post("/admin/directory/organization", json=record,
                            headers=headers["admin"])
        assert reply.status_code in (201, 422), reply.text
        if reply.status_code == 201:
            assert_storable(reply.json())
    feed = client.get("/sync/directory", params={"limit": MAX_PAGE},
                      headers=headers["specialist"]).json()
    for change in feed["changes"]:
        assert_storable(change["data"] or {})


def assert_storable(row: dict[str, Any]) -> None:
    """Values a SQLite column of the workstation's directory can hold."""
    for column, value in row.items():
        assert value is None or type(value) in (str, float, int), (column, value)
        if type(value) is int:
            assert -(2**63) <= value < 2**63, (column, value)


# --- pushes ---------------------------------------------------------------------------------

AT = "2025-03-01T12:00:00+00:00"


def _garbage_changes(existing: str) -> list[tuple[Any, str]]:
    """Changes that can never apply, with a word the rejection must contain."""
    good = new_change("add_note", existing, {"id": new_id(), "text": "fine"}, 1)

    def but(**fields: Any) -> dict[str, Any]:
        return {**good, "change_id": new_id(), **fields}

    return [
        (1, "object"), ("text", "object"), (None, "object"), ([], "object"),
        ({}, "kind"), ({"kind": "create"}, "change_id"),
        (but(kind="explode"), "kind"), (but(kind=None), "kind"),
        (but(change_id=None), "change_id"), (but(change_id="12"), "change_id"),
        (but(change_id=10**30), "change_id"), (but(change_id={"id": [1]}), "change_id"),
        (but(change_id=str(uuid.uuid4()).upper()), "change_id"),
        (but(case_id="case-1"), "case_id"), (but(case_id=42), "case_id"),
        (but(base_version=-1), "base_version"), (but(base_version="1"), "base_version"),
        (but(base_version=True), "base_version"), (but(at="yesterday"), "at"),
        (but(at="2025-03-01T12:00:00"), "at"), (but(at=12), "at"),
        (but(payload=["x"]), "payload"), (but(payload=None), "payload"),
        (but(payload={"id": new_id(), "text": ""}), "text"),
        (but(payload={"id": new_id(), "text": "x" * 20_001}), "longer"),
        (but(payload={"id": "n1", "text": "x"}), "payload.id"),
        (but(case_id=str(uuid.uuid4())), "no such case"),
        (but(kind="update", payload={"fields": {}}), "fields"),
        (but(kind="update", payload={"fields": {"secret": {"from": 1, "to": 2}}}), "edited"),
        (but(kind="update", payload={"fields": {"status": {"from": "open", "to": "gone"}}}),
         "status"),
        (but(kind="update", payload={"fields": {"status": "closed"}}), "from"),
        (but(kind="create", case_id=existing, payload={}), "already exists"),
        (but(kind="create", case_id=str(uuid.uuid4()),
             payload={"call_type": "party", "urgency": "urgent", "status": "open"}),
         "call_type"),
        (but(kind="acknowledge_handoff", payload={"handoff_id": new_id()}), "handoff"),
        (but(kind="hand_off", payload={"id": new_id(), "to_user": ""}), "to_user"),
        (but(kind="hand_off", payload={"id": new_id(), "to_user": "u" * 201}), "longer"),
    ]


def test_garbage_changes_are_rejected_with_a_reason(client: TestClient,
                                                    headers: Headers) -> None:
    create = case_create()
    [created] = push(client, headers, create)
    assert created["status"] == "applied"
    garbage = _garbage_changes(create["case_id"])
    results = push(client, headers, *(change for change, _ in garbage), role="supervisor")
    assert len(results) == len(garbage)
    for (change, word), result in zip(garbage, results, strict=True):
        assert result["status"] == "rejected", (change, result)
        assert word in result["reason"], (change, result)
        sent_id = change.get("change_id") if isinstance(change, dict) else None
        assert result["change_id"] == (sent_id if isinstance(sent_id, str) else None)
    case = client.get("/sync/cases", headers=headers["supervisor"]).json()["cases"][0]
    assert case["version"] == 1 and case["notes"] == []


def test_a_rejected_change_is_rejected_again_when_resent(client: TestClient,
                                                         headers: Headers) -> None:
    change = note_change(str(uuid.uuid4()))
    first = push(client, headers, change)
    second = push(client, headers, change)
    assert first[0]["status"] == second[0]["status"] == "rejected"
    assert first[0]["reason"] == second[0]["reason"]


@pytest.mark.parametrize(("bad", "in_path"), [("a\x00b", "a%00b"), ("\ud800", "%ED%A0%80")],
                         ids=["nul", "surrogate"])
def test_text_the_database_cannot_store_is_refused_not_a_crash(
        client: TestClient, headers: Headers, bad: str, in_path: str) -> None:
    create = case_create()
    push(client, headers, create)
    case_id = create["case_id"]
    changes = [new_change("hand_off", case_id, {"id": new_id(), "to_user": bad}, 1),
               note_change(case_id, bad),
               new_change("update", case_id, {"fields": {"summary": {"from": "", "to": bad}}}, 1)]
    json_headers = {"Content-Type": "application/json"}
    # The standard library writes such text as JSON escapes, as a buggy client might.
    reply = client.post("/sync/push", content=json.dumps({"changes": changes}).encode(),
                        headers={**headers["specialist"], **json_headers})
    assert reply.status_code == 200, reply.text
    for result in reply.json()["results"]:
        assert result["status"] in ("applied", "rejected")
        assert result["status"] == "applied" or result["reason"]
    assert client.get("/sync/cases", headers=headers["supervisor"]).status_code == 200
    replies = [
        client.post("/auth/sign-in", content=json.dumps({"user": bad, "password": "p"}),
                    headers=json_headers),
        client.patch(f"/admin/directory/service/{in_path}", json={"name": "x"},
                     headers=headers["admin"]),
        client.delete(f"/admin/directory/service/{in_path}", headers=headers["admin"]),
        client.post("/admin/directory/organization", content=json.dumps({"name": bad}),
                    headers={**headers["admin"], **json_headers}),
    ]
    for answer in replies:
        assert answer.status_code < 500, answer.text
    feed = client.get("/sync/directory", params={"limit": MAX_PAGE},
                      headers=headers["specialist"])
    assert feed.status_code == 200


# --- anything at all ------------------------------------------------------------------------

# Besides anything JSON can say, values known to trouble a database or an encoder: numbers
# beyond 64 bits, a NUL character, half of a surrogate pair.
AWKWARD = st.sampled_from([2**63, -(2**63) - 1, 10**30, "\x00", "a\x00b", "\ud800"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    | AWKWARD,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12)
CHANGE_KEYS = st.sampled_from(["change_id", "case_id", "kind", "base_version", "at",
                               "payload", "fields", "id", "text", "to_user"])
CHANGE_LIKE = st.fixed_dictionaries(
    {"change_id": st.uuids().map(str) | JSON, "case_id": st.uuids().map(str) | JSON,
     "kind": st.sampled_from(["create", "update", "add_note", "add_referral", "hand_off",
                              "acknowledge_handoff"]) | JSON,
     "base_version": st.integers(-2, 3) | JSON, "at": st.just(AT) | JSON,
     "payload": st.dictionaries(CHANGE_KEYS, JSON, max_size=4) | JSON})
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(body=JSON | st.fixed_dictionaries({"changes": st.lists(CHANGE_LIKE | JSON,
                                                               max_size=5)}))
def test_arbitrary_json_at_push_never_crashes(client: TestClient, headers: Headers,
                                              body: Any) -> None:
    for role in ("specialist", "supervisor"):
        reply = client.post("/sync/push", content=json.dumps(body), headers={
            **headers[role], "Content-Type": "application/json"})
        assert reply.status_code < 500, reply.text
        if reply.status_code == 200:
            for result in reply.json()["results"]:
                assert result["status"] in ("applied", "conflict", "rejected")


KINDS = st.sampled_from([*COLUMNS, "spaceship", ""])
RECORD_KEYS = st.sampled_from(sorted({c for columns in COLUMNS.values() for c in columns}))


@FUZZ
@given(kind=KINDS, body=st.dictionaries(RECORD_KEYS, JSON, max_size=6) | JSON,
       record_id=st.text(min_size=1, max_size=40) | st.uuids().map(str))
def test_arbitrary_json_at_the_directory_never_crashes(client: TestClient, headers: Headers,
                                                       kind: str, body: Any,
                                                       record_id: str) -> None:
    content = json.dumps(body)
    admin = {**headers["admin"], "Content-Type": "application/json"}
    replies = [client.post(f"/admin/directory/{kind}", content=content, headers=admin)]
    if kind:
        path = f"/admin/directory/{kind}/{quote(record_id, safe='')}"
        replies.append(client.patch(path, content=content, headers=admin))
        replies.append(client.delete(path, headers=admin))
    for reply in replies:
        assert reply.status_code < 500, reply.text
        if reply.status_code == 201:
            assert_storable(reply.json())
