"""The embedded central server: a console with no server configured still works, signed in."""

from __future__ import annotations

import json
import socket
import sqlite3
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from console import settings
from console.cases.store import CaseStore
from console.directory.store import demo_directory_path
from console.embedded import (
    DEMO_SPECIALIST,
    DEMO_SUPERVISOR,
    USERS_FILE,
    EmbeddedServer,
    EmbeddedServerError,
    sign_in_demo,
)
from console.models.database import open_case_store
from console.security.credentials import CredentialStore
from console.server.auth import create_user
from console.server.db import server_engine
from console.sync.api import ServerApi
from console.sync.client import SyncClient


@pytest.fixture
def embedded() -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(settings.data_home())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api_for(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServerApi]]:
    """One server for the tests that only read and sync, with each demo user signed in through
    the ordinary call."""
    shared = EmbeddedServer(tmp_path_factory.mktemp("embedded"))
    url = shared.start()
    apis = {user: ServerApi(url, CredentialStore.for_this_process())
            for user in (DEMO_SPECIALIST, DEMO_SUPERVISOR)}
    for user, api in apis.items():
        sign_in_demo(api, user, shared.home)
    yield apis
    for api in apis.values():
        api.close()
    shared.stop()


def feed_size(api: ServerApi) -> int:
    """How many records the directory feed holds, all pages read."""
    after, size = 0, 0
    while True:
        page = api.get("/sync/directory", after=after)
        size += len(page["changes"])
        after = page["cursor"]
        if not page["more"]:
            return size


def signed_in_role(url: str, user: str, home: Path) -> str:
    api = ServerApi(url, CredentialStore.for_this_process())
    try:
        return sign_in_demo(api, user, home).role
    finally:
        api.close()


def test_the_first_start_serves_the_demo_directory_to_both_demo_users(
        api_for: dict[str, ServerApi]) -> None:
    url = api_for[DEMO_SPECIALIST].server_url
    assert urlsplit(url).hostname == "127.0.0.1"
    assert httpx.get(f"{url}/health").json()["status"] == "ok"
    assert api_for[DEMO_SPECIALIST].role() == "specialist"
    assert api_for[DEMO_SUPERVISOR].role() == "supervisor"
    assert feed_size(api_for[DEMO_SPECIALIST]) > 0


def test_a_workstation_syncs_with_it(api_for: dict[str, ServerApi], tmp_path: Path) -> None:
    cases = CaseStore(open_case_store(tmp_path / "cases.sqlite"), DEMO_SPECIALIST)
    case_id = cases.create_case("crisis", "urgent", summary="caller safe for now")["id"]
    client = SyncClient(api_for[DEMO_SPECIALIST], tmp_path / "directory.sqlite", cases)
    try:
        report = client.sync_once()
    finally:
        client.close()
        cases.engine.dispose()
    assert report.used_snapshot
    assert (report.pushed, report.conflicts, report.rejected) == (1, 0, 0)
    assert client.status.pending == 0
    with sqlite3.connect(tmp_path / "directory.sqlite") as directory:
        services = directory.execute("SELECT count(*) FROM service").fetchone()[0]
    assert services == len(json.loads(demo_directory_path().read_text("utf-8")))
    seen = api_for[DEMO_SUPERVISOR].get("/sync/cases")["cases"]
    assert case_id in {case["id"] for case in seen}


def test_a_later_start_reuses_the_database_users_and_passwords(
        embedded: EmbeddedServer) -> None:
    first = ServerApi(embedded.start(), CredentialStore.for_this_process())
    sign_in_demo(first, home=embedded.home)
    records, snapshot = feed_size(first), first.get("/sync/directory/snapshot")
    first.close()
    passwords = (embedded.home / USERS_FILE).read_text("utf-8")
    if sys.platform != "win32":
        assert stat.S_IMODE((embedded.home / USERS_FILE).stat().st_mode) == 0o600
    embedded.stop()
    embedded.stop()  # stopping twice is harmless

    again = EmbeddedServer(embedded.home)
    try:
        url = again.start()
        assert (embedded.home / USERS_FILE).read_text("utf-8") == passwords
        assert signed_in_role(url, DEMO_SUPERVISOR, embedded.home) == "supervisor"
        later = ServerApi(url, CredentialStore.for_this_process())
        sign_in_demo(later, home=embedded.home)
        assert feed_size(later) == records, "the demo directory was imported again"
        assert later.get("/sync/directory/snapshot") == snapshot
        later.close()
    finally:
        again.stop()


@pytest.mark.skipif(sys.platform != "linux",
                    reason="only Linux answers for all of 127.0.0.0/8 on the loopback device")
def test_it_listens_on_127_0_0_1_alone(api_for: dict[str, ServerApi]) -> None:
    port = urlsplit(api_for[DEMO_SPECIALIST].server_url).port
    assert port is not None
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", port), timeout=2).close()


def test_a_first_start_stopped_before_the_import_is_completed(
        embedded: EmbeddedServer) -> None:
    server_engine(f"sqlite:///{embedded.database_path}").dispose()
    passwords = {DEMO_SPECIALIST: "specialist-password", DEMO_SUPERVISOR: "supervisor-password"}
    (embedded.home / USERS_FILE).write_text(json.dumps(passwords), "utf-8")

    url = embedded.start()
    api = ServerApi(url, CredentialStore.for_this_process())
    assert api.sign_in(DEMO_SPECIALIST, passwords[DEMO_SPECIALIST]).role == "specialist"
    assert feed_size(api) > 0
    assert api.get("/sync/directory/snapshot")["cursor"] > 0
    api.close()


def test_demo_users_whose_passwords_were_never_stored_get_new_ones(
        embedded: EmbeddedServer) -> None:
    engine = server_engine(f"sqlite:///{embedded.database_path}")
    create_user(engine, DEMO_SPECIALIST, "specialist", "a password nobody stored")
    engine.dispose()

    url = embedded.start()
    assert signed_in_role(url, DEMO_SPECIALIST, embedded.home) == "specialist"


def test_a_damaged_database_is_a_clear_error_and_nothing_is_left_running(
        embedded: EmbeddedServer) -> None:
    embedded.database_path.write_bytes(b"not a database at all " * 100)
    threads_before = threading.active_count()
    with pytest.raises(EmbeddedServerError, match=r"server\.sqlite"):
        embedded.start()
    embedded.stop()
    assert not (embedded.home / USERS_FILE).exists()
    assert threading.active_count() == threads_before


def test_signing_in_before_any_start_says_what_to_do(tmp_path: Path) -> None:
    api = ServerApi("http://127.0.0.1:9", CredentialStore.for_this_process())
    with pytest.raises(EmbeddedServerError, match="start the server first"):
        sign_in_demo(api, home=tmp_path)
    with pytest.raises(EmbeddedServerError, match="not a demo user"):
        sign_in_demo(api, "someone.else", home=tmp_path)
    api.close()
