"""Shared setup of the central server's tests.

Every test that needs a database asks for ``database_url`` (or what is built on it) and so runs
twice: on the embedded SQLite default and on the test PostgreSQL, which is skipped, with the
reason shown, when it does not answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from console.cases.changes import new_change, new_id, utc_now
from console.cases.store import CaseStore
from console.models.database import open_case_store
from console.security.credentials import CredentialStore
from console.server import auth
from console.server.app import create_app
from console.server.auth import create_user
from console.server.db import server_engine
from console.sync.api import ServerApi
from console.sync.client import SyncClient
from tests.live_server import PASSWORD, LiveServer, postgres_url

# One user of each role, signed in by the ``headers`` fixture.
ROLE_USERS = {"specialist": "sam", "supervisor": "sue", "admin": "ada"}


# Argon2 at its production cost takes most of a second per hash on a small machine, and these
# tests create and sign in hundreds of users; the hashes stay argon2, only cheaper to compute.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(request: pytest.FixtureRequest,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("production_hashing") is None:
        monkeypatch.setattr(auth, "_hasher", TEST_HASHER)


# Every server test runs on both databases; the PostgreSQL double is in the slow tier, so the
# edit loop (``make test-fast``) covers each feature once, on SQLite, and ``make test`` on both.
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server.sqlite'}"
    return postgres_url()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = server_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as client:
        yield client


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> dict[str, Any]:
    reply = client.post("/auth/sign-in", json={"user": name, "password": password})
    assert reply.status_code == 200, reply.text
    return reply.json()


def bearer(tokens: dict[str, Any] | str) -> dict[str, str]:
    token = tokens if isinstance(tokens, str) else tokens["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def headers(engine: Engine, client: TestClient) -> dict[str, dict[str, str]]:
    """Authorization headers by role, one user of each."""
    signed_in = {}
    for role, name in ROLE_USERS.items():
        create_user(engine, name, role, PASSWORD)
        signed_in[role] = bearer(sign_in(client, name))
    return signed_in


def case_create(case_id: str | None = None, **payload: Any) -> dict[str, Any]:
    """A change that creates a case, as a workstation would send it."""
    fields = {"call_type": "crisis", "urgency": "urgent", "status": "open", "summary": ""}
    return new_change("create", case_id or new_id(), {**fields, **payload})


def note_change(case_id: str, text: str = "caller safe for now",
                base_version: int = 1) -> dict[str, Any]:
    return new_change("add_note", case_id, {"id": new_id(), "text": text}, base_version,
                      at=utc_now())




@dataclass
class Workstation:
    """One specialist's console: its sync client and its case store, files of its own."""

    sync: SyncClient
    cases: CaseStore


@contextmanager
def workstation(live: LiveServer, folder: Path, user: str) -> Iterator[Workstation]:
    """A workstation signed in to ``live`` as ``user`` (through the real sign-in call)."""
    api = ServerApi(live.url, CredentialStore.for_this_process())
    api.sign_in(user, PASSWORD)
    engine = open_case_store(folder / "cases.sqlite")
    cases = CaseStore(engine, user)
    client = SyncClient(api, folder / "directory.sqlite", cases, page_size=700)
    try:
        yield Workstation(client, cases)
    finally:
        client.close()
        engine.dispose()
