"""A real central server for tests: uvicorn on a free loopback port, over SQLite or PostgreSQL.

``POSTGRES_URL`` is the PostgreSQL the tests use when it answers; ``postgres_url()`` hands out an
emptied schema of this process's own, so each test starts from nothing, or skips the test with
the reason.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text

from console.embedded import serve
from console.server.app import create_app
from console.server.auth import create_user
from console.server.config import ServerConfig
from console.server.db import server_engine

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "correct horse battery"


def _schema_url(schema: str) -> str:
    """The test database with ``schema`` first on the search path (tables, Alembic's too)."""
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


def _fresh_schema(schema: str) -> str:
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # any failure to reach it means: no PostgreSQL here
        pytest.skip(f"PostgreSQL not available at {POSTGRES_URL}: {error.__class__.__name__}")
    finally:
        engine.dispose()
    return _schema_url(schema)


def postgres_url() -> str:
    """The test PostgreSQL, emptied; skips the calling test (with the reason) if absent.

    Each test process works in a schema of its own, so two runs on one machine (a developer's
    and CI's) never empty each other's tables.
    """
    return _fresh_schema(f"hotline_test_{os.getpid()}")


@contextmanager
def private_postgres() -> Iterator[str]:
    """A schema of the caller's own in the test PostgreSQL, dropped afterwards."""
    schema = f"hotline_test_{uuid.uuid4().hex[:12]}"
    url = _fresh_schema(schema)
    try:
        yield url
    finally:
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the server at {url} did not start")


@dataclass
class LiveServer:
    url: str
    engine: Engine

    def add_user(self, name: str, role: str = "specialist") -> str:
        create_user(self.engine, name, role, PASSWORD)
        return name


@contextmanager
def live_server(database_url: str | None = None, config: ServerConfig | None = None,
                port: int = 0) -> Iterator[LiveServer]:
    """A server in a thread of this process (``database_url`` None: SQLite in HOTLINE_HOME),
    served as the console serves its built-in one; ``port`` to start it again where it was."""
    engine = server_engine(database_url)
    try:
        serving = serve(create_app(engine, config), "test-server", port)
        try:
            yield LiveServer(serving.url, engine)
        finally:
            serving.stop()
    finally:
        engine.dispose()
