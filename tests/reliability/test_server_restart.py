"""The central server restarted (stopped, then started on the same port and database) mid-sync.

The workstation's sync stops with a clear "cannot reach" error, shows itself offline with its
waiting changes still counted, and loses nothing: every change is either still waiting or on the
server. Once the server is back, the next sync completes and the workstation equals the server.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from console.cases.store import CaseStore
from console.models.database import open_case_store
from console.server.auth import create_user
from console.server.db import server_engine
from console.server.directory import import_directory
from console.server.models import AppliedChange, CaseRecord
from console.sync.api import ServerUnreachable
from console.sync.client import SyncClient
from console.tasks import QuietState
from tests.live_server import PASSWORD
from tests.reliability.harness import (
    ServerProcess,
    check_directory_file,
    local_records,
    server_cursor,
    server_records,
    signed_in_client,
)
from tests.reliability.workstation import create_cases
from tools.demo_directory import generate_directory

CASES = 300  # 600 changes: three pushes
SERVICES = 150
PAGE_SIZE = 200


class RestartingTransport(httpx.BaseTransport):
    """Stops the server at the ``nth`` request to ``path`` of the plan set by ``stop_at``: before
    passing it on, or while the server works on it (``during``). Once stopped, the server stays
    down for every later request until the test starts it again."""

    def __init__(self, server: ServerProcess) -> None:
        self._inner = httpx.HTTPTransport()
        self._server = server
        self._plan: tuple[str, int, bool] | None = None
        self._seen = 0

    def stop_at(self, path: str, nth: int, during: bool) -> None:
        self._plan, self._seen = (path, nth, during), 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._plan is not None and request.url.path == self._plan[0]:
            self._seen += 1
            if self._seen == self._plan[1]:
                during, self._plan = self._plan[2], None
                if during:
                    return self._stop_while_serving(request)
                self._server.stop()
        return self._inner.handle_request(request)

    def _stop_while_serving(self, request: httpx.Request) -> httpx.Response:
        """SIGTERM while the request is in flight; it may or may not be answered."""
        threading.Timer(0.05, self._server.stop).start()
        try:
            return self._inner.handle_request(request)
        finally:
            while self._server.process is not None:
                time.sleep(0.02)

    def close(self) -> None:
        self._inner.close()


def _change_ids(store: CaseStore) -> set[str]:
    return {change["change_id"] for change in store.pending_changes(10_000)}


def _server_cases(engine: Engine) -> tuple[dict[str, dict[str, Any]], set[str]]:
    with engine.connect() as connection:
        cases = {row.id: json.loads(row.doc) for row in connection.execute(
            select(CaseRecord.id, CaseRecord.doc))}
        applied = set(connection.scalars(select(AppliedChange.change_id)))
    return cases, applied


def _sync_meets_a_stopped_server(client: SyncClient, server_url: str, store: CaseStore,
                                 engine: Engine, every_change: set[str]) -> set[str]:
    """The sync fails clearly, shows offline, keeps its count; returns the changes waiting."""
    with pytest.raises(ServerUnreachable) as raised:
        client.sync_once()
    message = str(raised.value)
    assert message.startswith(f"cannot reach {server_url}"), message
    status = client.status
    assert status.online is False and status.last_error == message
    assert message in status.summary() and "offline" in status.summary()
    waiting = _change_ids(store)
    assert status.pending == len(waiting)
    _, applied = _server_cases(engine)
    assert waiting | applied == every_change, "a change was lost"
    return waiting


@pytest.mark.timeout(120)
def test_syncs_across_server_restarts_lose_nothing(tmp_path: Path) -> None:
    server_home = tmp_path / "server"
    server_home.mkdir()
    url = f"sqlite:///{server_home / 'server.sqlite'}"
    engine = server_engine(url)
    generate_directory(SERVICES, tmp_path / "directory.json", QuietState(), seed=5)
    import_directory(engine, tmp_path / "directory.json")
    create_user(engine, "pat", "specialist", PASSWORD)
    store = CaseStore(open_case_store(tmp_path / "cases.sqlite"), "pat")
    create_cases(store, CASES)
    every_change = _change_ids(store)
    directory_path = tmp_path / "directory.sqlite"

    server = ServerProcess(server_home, url)
    server.start()
    transport = RestartingTransport(server)
    client = signed_in_client(server.url, "pat", directory_path, store, page_size=PAGE_SIZE,
                              transport=transport)
    try:
        transport.stop_at("/sync/push", 2, during=False)  # between two pushes
        first = _sync_meets_a_stopped_server(client, server.url, store, engine,
                                             every_change)
        assert 0 < len(first) < len(every_change)
        server.start()  # the same port, the same database

        transport.stop_at("/sync/push", 1, during=True)  # while a push is being applied
        second = _sync_meets_a_stopped_server(client, server.url, store, engine,
                                             every_change)
        assert 0 < len(second) <= len(first)
        server.start()

        transport.stop_at("/sync/directory", 4, during=False)  # between two pages
        third = _sync_meets_a_stopped_server(client, server.url, store, engine,
                                             every_change)
        assert not third, "the pushes were done before the directory's pages"
        assert 0 < check_directory_file(directory_path) < server_cursor(engine)
        server.start()

        client.sync_once()
        assert client.status.online and client.status.pending == 0
        client.close()
    finally:
        server.stop()

    cases, applied = _server_cases(engine)
    assert applied == every_change
    assert len(cases) == CASES
    assert all(case["version"] == 2 and len(case["notes"]) == 1 for case in cases.values())
    assert all(store.get(case_id) == case for case_id, case in cases.items())
    assert check_directory_file(directory_path) == server_cursor(engine)
    assert local_records(directory_path) == server_records(engine)
    store.engine.dispose()
    engine.dispose()
