"""The central server run inside the console itself, for a workstation with no server configured.

A newcomer who opens the console before any central server is set up still gets a working
console: the app runs this server in a thread of its own process, over a SQLite database in the
data folder, holding the demo directory and two demo users, and signs one of them in. Search,
cases, sync and the supervisor's views then work exactly as against a real server, through the
same HTTP interface.

The demo users (``demo.specialist`` and ``demo.supervisor``) exist only on this workstation's own
server, which listens on 127.0.0.1 and so cannot be reached from any other machine. Their
passwords are random, made on the first start and kept in ``embedded-users.json`` in the data
folder, readable by this user only.

The first start migrates the database, imports the demo directory and builds its first-sync
snapshot (a few seconds); later starts find all of it in place. Every step looks at what the
database already holds rather than at a "done" flag, and writes in one transaction, so a first
start stopped at any point is completed by the next one.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from console import settings
from console.demo import DEMO_ROLES as DEMO_ROLES
from console.demo import DEMO_SPECIALIST as DEMO_SPECIALIST
from console.demo import DEMO_SUPERVISOR as DEMO_SUPERVISOR
from console.demo import USERS_FILE as USERS_FILE
from console.demo import stored_demo_passwords
from console.directory.batch import ImportFailed
from console.security.credentials import Tokens
from console.security.files import write_private
from console.tasks import QuietState, TaskState

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI
    from sqlalchemy import Engine

    from console.sync.api import ServerApi

DATABASE_FILE = "server.sqlite"
LOOPBACK = "127.0.0.1"
START_SECONDS = 20.0
STOP_SECONDS = 10.0
# Below STOP_SECONDS, so a stop waits for requests under way and still ends within its join.
GRACEFUL_SECONDS = 3
# What can stop a start: a damaged or newer database, a full disk, an unreadable demo file.
SETUP_ERRORS = (SQLAlchemyError, CommandError, OSError, ImportFailed, ValueError)


class EmbeddedServerError(Exception):
    """The embedded server could not start; the message says why."""


class EmbeddedServer:
    """The central server on a free loopback port, over the SQLite database in ``home``.

    ``start`` may be called from any thread except the GUI's (the first start takes seconds);
    ``stop`` ends the server and may be called any number of times.
    """

    def __init__(self, home: Path) -> None:
        self.home = home
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._serving: Serving | None = None

    @property
    def database_path(self) -> Path:
        return self.home / DATABASE_FILE

    def start(self, state: TaskState | None = None) -> str:
        """Prepare the database if needed and serve it; returns ``http://127.0.0.1:PORT`` once
        ``/health`` answers. Raises ``EmbeddedServerError``, leaving nothing running."""
        with self._lock:
            if self._serving is not None:
                return self._serving.url
            engine = self._prepared_engine(state or QuietState())
            try:
                from console.server.app import create_app

                with _reason("cannot start the server"):
                    app = create_app(engine)
                self._serving = serve(app, "embedded-server")
            except BaseException:
                engine.dispose()
                raise
            self._engine = engine
            return self._serving.url

    def stop(self) -> None:
        """Stop serving: requests under way get a moment to finish, then the thread ends."""
        with self._lock:
            if self._serving is not None:
                self._serving.stop()
            if self._engine is not None:
                self._engine.dispose()
            self._serving = self._engine = None

    def _prepared_engine(self, state: TaskState) -> Engine:
        # The server's modules take most of a second to import: they load in the starting
        # thread, not when the app imports this module.
        from console.security.files import private_folder
        from console.security.keys import KeyUnavailable, server_database_key
        from console.server.db import server_engine

        with _reason(f"cannot open the server database {self.database_path}"):
            private_folder(self.home)
            try:
                key = server_database_key(self.home)
            except KeyUnavailable as error:
                raise EmbeddedServerError(str(error)) from None
            engine = server_engine(f"sqlite:///{self.database_path}", key)
        try:
            with _reason("cannot set up the demo users and directory"):
                _ensure_demo_users(engine, self.home)
                _ensure_demo_directory(engine, state)
        except BaseException:
            engine.dispose()
            raise
        return engine


def sign_in_demo(api: ServerApi, user: str = DEMO_SPECIALIST, home: Path | None = None
                 ) -> Tokens:
    """Sign a demo user in to the embedded server through the ordinary sign-in call.

    ``home`` is the embedded server's folder (default: the data folder).
    """
    if user not in DEMO_ROLES:
        raise EmbeddedServerError(f"{user} is not a demo user")
    passwords = stored_demo_passwords(home or settings.data_home())
    if passwords is None:
        raise EmbeddedServerError("the demo users are not set up yet: start the server first")
    return api.sign_in(user, passwords[user])


@contextmanager
def _reason(what: str) -> Iterator[None]:
    try:
        yield
    except SETUP_ERRORS as error:
        # A database error's own words, without SQLAlchemy's statement and web link.
        raise EmbeddedServerError(f"{what}: {getattr(error, 'orig', None) or error}") from error


# --- first start: demo users and directory ---------------------------------------------------

def _ensure_demo_users(engine: Engine, home: Path) -> None:
    """Both demo users, enabled, in their roles, with the passwords in the users file."""
    from console.server.auth import ensure_user, list_users

    passwords = stored_demo_passwords(home)
    fresh = passwords is None
    if passwords is None:
        passwords = {name: secrets.token_urlsafe(24) for name in DEMO_ROLES}
    present = {user["name"]: user for user in list_users(engine)}
    for name, role in DEMO_ROLES.items():
        if fresh or present.get(name) != {"name": name, "role": role, "disabled": False}:
            ensure_user(engine, name, role, passwords[name])
    if fresh:
        # Written only once the database holds these passwords: a start stopped before this
        # line makes new ones next time, so the file never names a password the server lacks.
        write_private(home / USERS_FILE, json.dumps(passwords, indent=2))


def _ensure_demo_directory(engine: Engine, state: TaskState) -> None:
    """The demo directory and its first-sync snapshot, as ``hotline server import-directory``
    makes them; each is made only when the database lacks it."""
    from console.directory.store import demo_directory_path
    from console.models.database import head_revision
    from console.server import snapshot
    from console.server.directory import directory_cursor, import_directory

    with engine.connect() as connection:
        never_imported = directory_cursor(connection) == 0
    if never_imported:
        import_directory(engine, demo_directory_path(), state)
    latest = snapshot.latest(engine)
    # A console upgraded to a new directory schema refuses an older snapshot: rebuild it.
    if latest is None or latest.schema_revision != head_revision("directory"):
        snapshot.build(engine, state)


# --- serving ---------------------------------------------------------------------------------

@dataclass
class Serving:
    """An app answering at ``url`` from uvicorn in a daemon thread."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Stop serving: requests under way get a moment to finish, then the thread ends."""
        self.server.should_exit = True
        self.thread.join(STOP_SECONDS)


def serve(app: FastAPI, name: str = "server", port: int = 0) -> Serving:
    """``app`` served by uvicorn in a daemon thread named ``name``, on a free loopback port (or
    ``port``, to start again where it was); returns once ``/health`` answers. The one way this
    package runs a server in a thread (the built-in server, and the tests' servers)."""
    import uvicorn

    with _reason("cannot start the server"):
        listener = _loopback_listener(port)
    port = int(listener.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(
        app, host=LOOPBACK, port=port, log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_SECONDS))
    # Not the main thread, so uvicorn installs no signal handlers: the app decides when to stop.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]},
                              name=name, daemon=True)
    thread.start()
    url = f"http://{LOOPBACK}:{port}"
    try:
        _wait_until_serving(server, thread, url)
    except BaseException:
        server.should_exit = True
        thread.join(STOP_SECONDS)
        listener.close()
        raise
    return Serving(url, server, thread)


def _loopback_listener(port: int = 0) -> socket.socket:
    """A socket bound to a free loopback port, handed to uvicorn: the port is known before the
    server starts, and no other program can take it in between."""
    # IPPROTO_TCP rather than 0: accepted connections inherit it, and asyncio turns Nagle's
    # algorithm off only on sockets that say TCP (see ``console.server.cli``): otherwise every
    # keep-alive reply would wait about 40 ms for the client's delayed ACK.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    # A port just given up lingers in TIME_WAIT; taking it again must not wait for that.
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((LOOPBACK, port))
    except OSError:
        listener.close()
        raise
    return listener


def _wait_until_serving(server: uvicorn.Server, thread: threading.Thread, url: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise EmbeddedServerError("the server stopped while starting (its log says why)")
        if server.started and _healthy(url):
            return
        time.sleep(0.02)
    raise EmbeddedServerError(f"the server at {url} did not answer within {START_SECONDS:.0f} s")


def _healthy(url: str) -> bool:
    try:
        # trust_env off: a proxy set for the internet must never see loopback calls.
        reply = httpx.get(f"{url}/health", timeout=1.0, trust_env=False)
    except httpx.TransportError:
        return False
    return reply.status_code == 200
