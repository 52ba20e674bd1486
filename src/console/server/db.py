"""The server's database: the engine for a URL, the embedded default, migrations, the feed clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from console import settings
from console.errors import UserError
from console.models.database import encrypt_in_place, is_plain_sqlite, sqlite_engine, upgrade
from console.security.keys import server_database_key

# Any number taken by every instance that migrates, so two starting at once do not collide.
_MIGRATION_LOCK = 7_373_788


class BadDatabaseUrl(UserError, ValueError):
    """The database URL cannot be used (not a URL, or an unsupported database)."""


def default_database_url() -> str:
    """The embedded default: a SQLite file beside the workstation's own stores."""
    return f"sqlite:///{settings.data_home() / 'server.sqlite'}"


def server_engine(url: str | None = None, key: bytes | None = None) -> Engine:
    """An engine for the server database at ``url`` (PostgreSQL or SQLite), migrated to head.

    With no ``url``, the default SQLite file in the data folder: it holds cases and the token
    signing key, so it is a SQLCipher database under the workstation's server key (a plain one
    is encrypted in place). Other SQLite files are encrypted when ``key`` is given.
    """
    if url is None and key is None:
        key = server_database_key(settings.data_home())
    url = url or default_database_url()
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BadDatabaseUrl(f"not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ":memory:"
        if key is not None and is_plain_sqlite(Path(database)):
            encrypt_in_place(Path(database), key)
        engine = sqlite_engine(database, key)
    elif parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, pool_size=10, max_overflow=20, pool_pre_ping=True)
    else:
        raise BadDatabaseUrl("the server runs on PostgreSQL (postgresql+psycopg://…) or SQLite")
    _migrate(engine)
    return engine


def _migrate(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        upgrade(engine, "server")
        return
    with engine.connect() as connection:
        # Several instances may start together over one database: one migrates, the rest wait.
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
        try:
            upgrade(engine, "server")
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK})
            connection.commit()


def take_seqs(connection: Connection, count: int) -> int:
    """Reserve ``count`` feed numbers in the caller's transaction; returns the first.

    The clock row stays locked until the caller commits, so writers commit in number order
    (see ``console.server.models``). Call it as late in a transaction as possible.
    """
    last = connection.execute(
        text("UPDATE feed_clock SET value = value + :count WHERE id = 1 RETURNING value"),
        {"count": count}).scalar_one()
    return int(last) - count + 1


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: committed on success, rolled back on any error.

    On SQLite it starts as a write transaction (BEGIN IMMEDIATE): a transaction that reads first
    and writes later could otherwise fail outright when another writer commits in between.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield connection
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
