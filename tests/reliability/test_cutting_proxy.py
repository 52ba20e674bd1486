"""A network that cuts connections mid-request and mid-response, between a workstation and a server.

A loopback proxy relays bytes both ways and, for a share of connections chosen at random (seeded),
closes both ends after a random number of bytes in one direction: the server may get half a push,
or apply a whole push whose answer never arrives. The workstation opens a connection for every
request, so each request meets its own fate, and just syncs again until its outbox is empty;
every case must arrive exactly once, at the version it was made, nothing refused.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from console.cases.store import CaseStore
from console.models.database import open_case_store
from console.server.models import AppliedChange, CaseRecord
from console.sync.api import ServerUnreachable, SyncError
from console.sync.client import SyncClient
from tests.live_server import live_server, private_postgres
from tests.reliability.harness import signed_in_client
from tests.reliability.workstation import create_cases

CASES = 1_000
CUT_SHARE = 0.4
UP_LIMIT = 80_000  # a push of 200 changes is about 60 kB
DOWN_LIMIT = 200_000  # its answer, with each case, about 150 kB
MAX_SYNCS = 300
SEED = 20_261_125


class CuttingProxy:
    """Relays loopback TCP connections to ``target``, cutting some of them part-way."""

    def __init__(self, target: tuple[str, int], rng: random.Random) -> None:
        self._target = target
        self._rng = rng
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.connections = 0
        self.cuts = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self._listener.close()
        with self._lock:
            doomed = list(self._open)
        for sock in doomed:
            self._drop(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return  # closed
            self.connections += 1
            budget = {"up": None, "down": None}
            if self._rng.random() < CUT_SHARE:
                direction = self._rng.choice(("up", "down"))
                limit = UP_LIMIT if direction == "up" else DOWN_LIMIT
                # Log-uniform: as likely inside a short GET as deep in a long push or page.
                budget[direction] = int(limit ** self._rng.random())
            threading.Thread(target=self._relay, args=(client, budget), daemon=True).start()

    def _relay(self, client: socket.socket, budget: dict[str, int | None]) -> None:
        try:
            upstream = socket.create_connection(self._target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self._lock:
            self._open |= {client, upstream}
        pumps = [threading.Thread(target=self._pump, args=(client, upstream, budget["up"])),
                 threading.Thread(target=self._pump, args=(upstream, client, budget["down"]))]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join()
        for sock in (client, upstream):
            self._drop(sock)

    def _pump(self, source: socket.socket, sink: socket.socket, budget: int | None) -> None:
        """Copy ``source`` to ``sink``; past ``budget`` bytes, cut both connections."""
        while True:
            try:
                data = source.recv(65_536)
            except OSError:
                break
            if not data:
                with contextlib.suppress(OSError):
                    sink.shutdown(socket.SHUT_WR)  # pass the orderly end along
                return
            if budget is not None and len(data) >= budget:
                with contextlib.suppress(OSError):
                    sink.sendall(data[:budget])
                with self._lock:
                    self.cuts += 1
                break
            if budget is not None:
                budget -= len(data)
            try:
                sink.sendall(data)
            except OSError:
                break
        for sock in (source, sink):  # wakes the other direction's recv as well
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _drop(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        with self._lock:
            self._open.discard(sock)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.sqlite'}"
    else:
        with private_postgres() as url:
            yield url


@pytest.mark.timeout(150)
def test_every_case_arrives_exactly_once_through_a_cutting_network(
        tmp_path: Path, database_url: str) -> None:
    rng = random.Random(SEED)
    store = CaseStore(open_case_store(tmp_path / "cases.sqlite"), "pat")
    case_ids = create_cases(store, CASES)
    changes = store.counts()["pending"]
    assert changes == 2 * CASES
    with live_server(database_url) as server:
        server.add_user("pat")
        host, port = server.url.removeprefix("http://").split(":")
        proxy = CuttingProxy((host, int(port)), rng)
        try:
            client = _sign_in_through(proxy, tmp_path, store)
            failures = _sync_until_done(client)
            status = client.status
            client.close()
        finally:
            proxy.close()
        assert proxy.cuts >= 5, f"the network cut only {proxy.cuts} connections"
        assert failures, "no sync failed: the cuts were never felt"
        assert all(isinstance(error, ServerUnreachable) for error in failures), failures
        assert status.online and status.pending == status.rejected == status.conflicts == 0
        _assert_delivered(server.engine, store, case_ids, changes)
    store.engine.dispose()


def _sign_in_through(proxy: CuttingProxy, tmp_path: Path, store: CaseStore) -> SyncClient:
    for _attempt in range(20):
        try:
            # A new connection for every request, so each request meets its own fate.
            transport = httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))
            return signed_in_client(proxy.url, "pat", tmp_path / "directory.sqlite", store,
                                    transport=transport)
        except ServerUnreachable:
            continue
    raise AssertionError("could not sign in through the proxy in 20 attempts")


def _sync_until_done(client: SyncClient) -> list[SyncError]:
    """Sync again after every failure until one sync completes with nothing left to send."""
    failures: list[SyncError] = []
    for _attempt in range(MAX_SYNCS):
        try:
            client.sync_once()
        except SyncError as error:
            failures.append(error)
            continue
        if client.status.pending == 0:
            return failures
    raise AssertionError(f"still not through after {MAX_SYNCS} syncs: {failures[-3:]}")


def _assert_delivered(engine: Engine, store: CaseStore, case_ids: list[str],
                      changes: int) -> None:
    with engine.connect() as connection:
        stored = {row.id: json.loads(row.doc) for row in connection.execute(
            select(CaseRecord.id, CaseRecord.doc))}
        applied = connection.scalar(select(func.count()).select_from(AppliedChange))
        statuses = set(connection.scalars(select(AppliedChange.status).distinct()))
    assert sorted(stored) == sorted(case_ids)
    assert applied == changes and statuses == {"applied"}
    for case_id, case in stored.items():
        assert (case["version"], len(case["notes"])) == (2, 1), case_id
        assert store.get(case_id) == case
