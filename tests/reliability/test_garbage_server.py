"""A server that answers garbage: the workstation refuses it, keeps its data, and says why.

A small fake server on loopback answers like the central server, except on one endpoint where it
answers one kind of garbage. Each time the sync must stop with a ``SyncError`` that says what is
wrong, leave the local directory and case store exactly as they were (cursors, rows, outbox), show
the error in its status, and sync normally once the server behaves again.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from console.cases.store import CaseStore
from console.models.database import head_revision, open_case_store, open_directory
from console.security.credentials import CredentialStore, Tokens
from console.sync import api as sync_api
from console.sync.api import BadReply, ServerApi, ServerRefused, ServerUnreachable, SyncError
from console.sync.client import SyncClient
from tests.reliability.workstation import create_cases

ORGANIZATION = "0b8d5c4e-3f8a-4c47-9b5e-1d2f3a4b5c6d"
SERVICE = "7e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
FIRST_PAGE = [
    {"kind": "organization", "id": ORGANIZATION, "seq": 1, "deleted": False,
     "data": {"id": ORGANIZATION, "name": "Harbor Light Alliance"}},
    {"kind": "service", "id": SERVICE, "seq": 2, "deleted": False,
     "data": {"id": SERVICE, "organization_id": ORGANIZATION, "name": "Emergency Shelter",
              "status": "active"}},
]
SNAPSHOT_BYTES = b"\x28\xb5\x2f\xfd" + bytes(range(256)) * 40


@dataclass
class Request:
    method: str
    endpoint: str  # push, directory, cases, snapshot, snapshot-data
    params: dict[str, str]
    body: dict[str, Any]


Answer = Callable[["Handler", Request], None]


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.garbage: tuple[str, Answer] | None = None  # (endpoint, answer)
        self.release = threading.Event()  # lets hanging answers go at the end
        self.seen: list[str] = []  # the endpoints asked, in order


class Handler(BaseHTTPRequestHandler):
    server: FakeServer

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def log_message(self, *_args: Any) -> None:
        pass

    def reply(self, status: int, body: bytes, content_type: str = "application/json",
              length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = length is not None  # a short body: hang up after it

    def json(self, value: Any, status: int = 200) -> None:
        self.reply(status, json.dumps(value).encode())

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        params = {key: values[0] for key, values in parse_qs(url.query).items()}
        size = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(size)) if size else {}
        endpoint = {"/sync/push": "push", "/sync/directory": "directory",
                    "/sync/cases": "cases", "/sync/directory/snapshot": "snapshot"}.get(
            url.path, "snapshot-data" if url.path.endswith("/data") else "other")
        request = Request(method, endpoint, params, body)
        self.server.seen.append(endpoint)
        if self.server.garbage and self.server.garbage[0] == endpoint:
            self.server.garbage[1](self, request)
        else:
            self._normal(request)

    def _normal(self, request: Request) -> None:
        """What a healthy server with a two-record directory and no cases would answer."""
        after = int(request.params.get("after", 0))
        if request.endpoint == "push":
            self.json({"results": [{"change_id": c["change_id"], "status": "applied",
                                    "conflicts": []} for c in request.body["changes"]]})
        elif request.endpoint == "directory":
            changes = [c for c in FIRST_PAGE if c["seq"] > after]
            self.json({"changes": changes, "cursor": max([after, *(c["seq"] for c in changes)]),
                       "more": False})
        elif request.endpoint == "cases":
            self.json({"cases": [], "cursor": after, "more": False})
        elif request.endpoint == "snapshot-data":
            self.reply(200, SNAPSHOT_BYTES, "application/zstd")
        else:
            self.json({"error": "no directory snapshot yet"}, status=404)


# --- the garbage -------------------------------------------------------------------------------

def _after(request: Request) -> int:
    return int(request.params.get("after", 0))


def not_json(handler: Handler, _request: Request) -> None:
    handler.reply(200, b"<<this is not JSON>>")


def html_500(handler: Handler, _request: Request) -> None:
    handler.reply(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>",
                  "text/html")


def truncated(handler: Handler, _request: Request) -> None:
    handler.reply(200, b'{"results": [{"change_id": "', length=5_000)


def hang(handler: Handler, _request: Request) -> None:
    handler.server.release.wait(30)


def push_wrong_shape(handler: Handler, _request: Request) -> None:
    handler.json({"results": {"applied": True}})


def push_unknown_ids(handler: Handler, request: Request) -> None:
    handler.json({"results": [{"change_id": str(uuid.uuid4()), "status": "applied",
                               "conflicts": []} for _ in request.body["changes"]]})


def push_unknown_status(handler: Handler, request: Request) -> None:
    handler.json({"results": [{"change_id": c["change_id"], "status": "probably",
                               "conflicts": []} for c in request.body["changes"]]})


def push_case_without_version(handler: Handler, request: Request) -> None:
    handler.json({"results": [{"change_id": c["change_id"], "status": "applied",
                               "conflicts": [], "case": {"id": c["case_id"]}}
                              for c in request.body["changes"]]})


def push_conflict_without_its_texts(handler: Handler, request: Request) -> None:
    handler.json({"results": [{"change_id": c["change_id"], "status": "conflict",
                               "conflicts": [{"field": "summary"}]}
                              for c in request.body["changes"]]})


def page_wrong_shape(handler: Handler, request: Request) -> None:
    handler.json({"changes": {"organization": []}, "cursor": _after(request) + 1,
                  "more": False})


def page_cursor_backwards(handler: Handler, request: Request) -> None:
    handler.json({"changes": [], "cursor": _after(request) - 1, "more": False})


def page_cursor_behind_its_changes(handler: Handler, request: Request) -> None:
    after = _after(request)
    handler.json({"changes": [_service_change(after + 1, "Renamed"),
                              _service_change(after + 2, "Renamed again")],
                  "cursor": after + 1, "more": True})


def page_unknown_table(handler: Handler, request: Request) -> None:
    after = _after(request)
    handler.json({"changes": [_service_change(after + 1, "Renamed"),
                              {"kind": "spaceship", "id": "x", "seq": after + 2,
                               "deleted": False, "data": {"id": "x"}}],
                  "cursor": after + 2, "more": False})


def page_field_of_wrong_type(handler: Handler, request: Request) -> None:
    change = _service_change(_after(request) + 1, "Renamed")
    change["data"]["description"] = {"en": "an object where text belongs"}
    handler.json({"changes": [change], "cursor": change["seq"], "more": False})


def _service_change(seq: int, name: str) -> dict[str, Any]:
    return {"kind": "service", "id": SERVICE, "seq": seq, "deleted": False,
            "data": {"id": SERVICE, "organization_id": ORGANIZATION, "name": name,
                     "status": "active"}}


def cases_wrong_shape(handler: Handler, request: Request) -> None:
    handler.json({"cases": [{"id": 7, "version": "one"}], "cursor": _after(request) + 1,
                  "more": False})


def cases_cursor_backwards(handler: Handler, request: Request) -> None:
    handler.json({"cases": [], "cursor": _after(request) - 1, "more": False})


def cases_field_of_wrong_type(handler: Handler, request: Request) -> None:
    case = {"id": str(uuid.uuid4()), "version": 1, "status": {"open": True}, "notes": []}
    handler.json({"cases": [case], "cursor": _after(request) + 1, "more": False})


def snapshot_damaged(handler: Handler, _request: Request) -> None:
    handler.json({"id": 1, "cursor": 2, "size": len(SNAPSHOT_BYTES), "sha256": "0" * 64,
                  "schema_revision": head_revision("directory"),
                  "created_at": "2026-11-23T10:00:00+00:00"})


@dataclass(frozen=True)
class Scenario:
    endpoint: str
    answer: Answer
    error: type[SyncError]
    says: str  # a piece of the message the person sees


SCENARIOS = {
    "push not JSON": Scenario("push", not_json, BadReply, "not JSON"),
    "push wrong shape": Scenario("push", push_wrong_shape, BadReply, "'results'"),
    "push names changes never sent": Scenario("push", push_unknown_ids, BadReply,
                                              "does not match what was sent"),
    "push unknown status": Scenario("push", push_unknown_status, BadReply,
                                    "does not match what was sent"),
    "push case without version": Scenario("push", push_case_without_version, BadReply,
                                          "case"),
    "push conflict without its texts": Scenario("push", push_conflict_without_its_texts,
                                                BadReply, "conflict"),
    "push 500 HTML": Scenario("push", html_500, ServerRefused, "refused (500)"),
    "push truncated": Scenario("push", truncated, ServerUnreachable, "cannot reach"),
    "push hangs": Scenario("push", hang, ServerUnreachable, "cannot reach"),
    "page not JSON": Scenario("directory", not_json, BadReply, "not JSON"),
    "page wrong shape": Scenario("directory", page_wrong_shape, BadReply, "'changes'"),
    "page cursor backwards": Scenario("directory", page_cursor_backwards, BadReply, "cursor"),
    "page cursor behind its changes": Scenario("directory", page_cursor_behind_its_changes,
                                               BadReply, "cursor"),
    "page unknown table": Scenario("directory", page_unknown_table, BadReply, "kind"),
    "page field of wrong type": Scenario("directory", page_field_of_wrong_type, BadReply,
                                         "description"),
    "page 500 HTML": Scenario("directory", html_500, ServerRefused, "refused (500)"),
    "page truncated": Scenario("directory", truncated, ServerUnreachable, "cannot reach"),
    "page hangs": Scenario("directory", hang, ServerUnreachable, "cannot reach"),
    "cases wrong shape": Scenario("cases", cases_wrong_shape, BadReply, "case"),
    "cases cursor backwards": Scenario("cases", cases_cursor_backwards, BadReply, "cursor"),
    "cases field of wrong type": Scenario("cases", cases_field_of_wrong_type, BadReply,
                                          "case"),
    "snapshot damaged": Scenario("snapshot", snapshot_damaged, BadReply, "damaged"),
}


# --- the workstation ---------------------------------------------------------------------------

@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    thread = threading.Thread(target=fake.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield fake
    fake.release.set()
    fake.shutdown()
    fake.server_close()
    thread.join(10)


def _client(server: FakeServer, home: Path, store: CaseStore,
            monkeypatch: pytest.MonkeyPatch) -> SyncClient:
    monkeypatch.setattr(sync_api, "TIMEOUT", httpx.Timeout(1.5))  # "hangs" ends quickly
    credentials = CredentialStore.for_this_process()
    credentials.save(server.url, Tokens("pat", "specialist", "access", "refresh"))
    return SyncClient(ServerApi(server.url, credentials), home / "directory.sqlite", store)


def _state(home: Path) -> dict[str, Any]:
    """Everything the workstation keeps, as rows (outbox attempts and errors aside)."""
    state: dict[str, Any] = {}
    directory = home / "directory.sqlite"
    state["side files"] = sorted(p.name for p in home.iterdir()
                                 if p.name.endswith((".download", ".incoming")))
    if directory.exists():
        with sqlite3.connect(directory) as connection:
            state["meta"] = connection.execute(
                "SELECT key, value FROM directory_meta WHERE key LIKE 'sync%' "
                "ORDER BY key").fetchall()
            for table in ("organization", "service", "search_service"):
                state[table] = connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        connection.close()
    with sqlite3.connect(home / "cases.sqlite") as connection:
        state["outbox"] = connection.execute(
            "SELECT seq, change_id, change, state FROM outbox ORDER BY seq").fetchall()
        for table in ("local_case", "sync_state", "case_conflict"):
            state[table] = connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
    connection.close()
    return state


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_garbage_from_the_server_changes_nothing_and_says_why(
        name: str, server: FakeServer, hotline_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = SCENARIOS[name]
    store = CaseStore(open_case_store(hotline_home / "cases.sqlite"), "pat")
    client = _client(server, hotline_home, store, monkeypatch)
    if scenario.endpoint != "snapshot":  # a snapshot is only asked for on a first sync
        create_cases(store, 2)
        client.sync_once()  # the server's directory is here, the first cases were sent
        assert client.status.pending == 0
    else:
        open_directory(hotline_home / "directory.sqlite").dispose()  # an empty directory
    if scenario.endpoint == "push":
        create_cases(store, 3)  # changes waiting to be sent when the garbage comes
    server.garbage = (scenario.endpoint, scenario.answer)
    server.seen.clear()
    before = _state(hotline_home)
    waiting = store.counts()["pending"]

    with pytest.raises(SyncError) as raised:
        client.sync_once()

    error = raised.value
    last = "snapshot-data" if scenario.endpoint == "snapshot" else scenario.endpoint
    assert server.seen[-1] == last  # it stopped at the garbage and asked for nothing more
    assert type(error) is scenario.error, f"{type(error).__name__}: {error}"
    assert scenario.says in str(error), str(error)
    assert _state(hotline_home) == before
    assert client.status.last_error == str(error)
    assert client.status.online is (scenario.error is not ServerUnreachable)
    assert client.status.pending == waiting
    if scenario.endpoint == "push":
        assert waiting == 6
    if not client.status.online:
        assert str(error) in client.status.summary()

    server.garbage = None  # the server behaves again: the next sync goes through
    server.release.set()
    client.sync_once()
    assert client.status.online and client.status.last_error is None
    assert client.status.pending == 0
    client.close()
    store.engine.dispose()
