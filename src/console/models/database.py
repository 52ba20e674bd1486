"""Opening local SQLite stores: one engine factory, pragmas, and migrations to the latest schema."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, ProgrammingError

MIGRATIONS = Path(__file__).parent / "migrations"
# Alembic runs every env.py and migration through one module-wide context, so two threads
# migrating at once (the sync thread opening a store while the window opens another) would run
# one tree's migrations on the other's connection. Migrations in this process take turns.
_MIGRATING = threading.Lock()
_REVISION_LINE = re.compile(r"""^(down_revision|revision)\s*=\s*(?:["']([^"']+)["']|None)""",
                            re.MULTILINE)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # WAL lets searches read while an import or a sync writes; NORMAL is crash-safe under WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


SQLITE_HEADER = b"SQLite format 3\x00"


class WrongStoreKey(ValueError):
    """The key does not open this encrypted store (or the file is not a database)."""


def sqlcipher() -> ModuleType:
    """SQLCipher 4's DB-API module (SQLite with AES-256 page encryption, FTS5 included)."""
    from sqlcipher3 import dbapi2

    return dbapi2


def _keyed(key: bytes):  # type: ignore[no-untyped-def]
    from console.security.keys import sqlcipher_key

    literal = sqlcipher_key(key)

    def apply_key(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # The key must be the first statement on a connection; a wrong one shows at first read.
        cursor = dbapi_connection.cursor()
        cursor.execute(f'PRAGMA key = "{literal}"')
        try:
            cursor.execute("SELECT count(*) FROM sqlite_master")
        except sqlcipher().DatabaseError:
            raise WrongStoreKey("this store's key does not open it") from None
        finally:
            cursor.close()

    return apply_key


def sqlite_engine(path: Path | str, key: bytes | None = None) -> Engine:
    """An engine on a SQLite file (or ``:memory:``) with the house pragmas on every connection;
    with ``key``, a SQLCipher 4 database encrypted with that raw 256-bit key."""
    target = str(path)
    if key is None:
        engine = create_engine(f"sqlite:///{target}")
    else:
        engine = create_engine(f"sqlite:///{target}", module=sqlcipher())
        event.listen(engine, "connect", _keyed(key))
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def is_plain_sqlite(path: Path) -> bool:
    """Whether ``path`` is an unencrypted SQLite file (an encrypted one starts with random
    bytes; an empty file is neither)."""
    try:
        with path.open("rb") as stream:
            return stream.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def encrypt_in_place(path: Path, key: bytes) -> None:
    """Turn the plain SQLite store at ``path`` into a SQLCipher one under ``key``, atomically.

    Every table, index, FTS table and row is copied by ``sqlcipher_export`` into a new file
    beside it, which replaces the old one with one rename once it is complete and on disk. A
    crash or kill at any moment before the rename leaves the old store exactly as it was (the
    half-made copy is removed next time); after it, the encrypted store is complete.
    """
    from console.security.keys import sqlcipher_key

    partial = path.with_name(path.name + ".encrypting")
    for leftover in (partial, *_sidecars(partial)):
        leftover.unlink(missing_ok=True)
    connection = sqlcipher().connect(str(path), isolation_level=None)
    try:
        connection.execute("PRAGMA busy_timeout=10000")
        # Everything in the WAL goes into the file first, so the copy misses nothing.
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(partial),
                                                                      sqlcipher_key(key)))
        connection.execute("SELECT sqlcipher_export('encrypted')")
        version = connection.execute("PRAGMA main.user_version").fetchone()[0]
        connection.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        connection.execute("DETACH DATABASE encrypted")
        # The old file leaves WAL mode so that closing removes its WAL: nothing plain stays.
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
    with partial.open("rb+") as stream:
        os.fsync(stream.fileno())
    os.replace(partial, path)
    for sidecar in _sidecars(path):
        sidecar.unlink(missing_ok=True)


def _sidecars(path: Path) -> tuple[Path, ...]:
    return tuple(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))


@cache
def head_revision(tree: str) -> str:
    """The newest schema revision of migration ``tree``: the one no other revision builds on.

    Read from the migration files' ``revision`` / ``down_revision`` lines rather than through
    Alembic, whose import costs a tenth of a second at every start of the console; the tests
    check that both always agree.
    """
    revisions, parents = set(), set()
    for script in (MIGRATIONS / tree / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(script.read_text("utf-8")):
            if value:
                (revisions if name == "revision" else parents).add(value)
    heads = revisions - parents
    assert len(heads) == 1, f"migration tree {tree} must have one head, not {sorted(heads)}"
    return heads.pop()


def _stored_revision(connection: Connection) -> str | None:
    try:
        return connection.scalar(text("SELECT version_num FROM alembic_version"))
    except (OperationalError, ProgrammingError):  # a new database: no version table yet
        return None


def _begin_sqlite(connection: Connection) -> None:
    """Make a SQLite migration one transaction: pysqlite runs DDL outside any transaction unless
    BEGIN was sent, so a crash half-way through a first start would leave some tables made and
    no revision recorded — a store that could never be opened again."""
    if connection.dialect.name != "sqlite":
        return
    if not getattr(connection.connection.dbapi_connection, "in_transaction", True):
        connection.exec_driver_sql("BEGIN")


def upgrade(engine: Engine, tree: str) -> None:
    """Bring a store to the newest schema of its migration ``tree`` (no-op when current)."""
    with engine.connect() as connection:
        if _stored_revision(connection) == head_revision(tree):
            return
    from alembic import command  # only when there is something to migrate (see head_revision)
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS / tree))
    with _MIGRATING, engine.begin() as connection:
        _begin_sqlite(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_directory(path: Path | str) -> Engine:
    """The local directory store at ``path``, migrated to the current schema."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sqlite_engine(path)
    upgrade(engine, "directory")
    return engine


@contextmanager
def directory_for_one_task(path: Path | str) -> Iterator[Engine]:
    """``open_directory`` for one piece of work, closed after it: a sync may replace the file
    between two documents."""
    engine = open_directory(path)
    try:
        yield engine
    finally:
        engine.dispose()


# Execution option that makes a case-store transaction take SQLite's write lock at its start.
WRITE_LOCK = "case_store_write_lock"


def _no_driver_transactions(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # pysqlite only sends BEGIN before the first INSERT/UPDATE/DELETE, so the reads that come
    # first in a read-modify-write transaction would run outside it. Leave BEGIN to ``_begin``.
    dbapi_connection.isolation_level = None


def _begin(connection: Connection) -> None:
    # IMMEDIATE holds the write lock from the first read, so a case read, changed and written back
    # cannot race the sync thread writing the same case; plain reads stay concurrent under WAL.
    immediate = connection.get_execution_options().get(WRITE_LOCK, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def open_case_store(path: Path | str, key: bytes | None = None) -> Engine:
    """The local case store at ``path``, migrated to the current schema.

    Every caller opens the case store through here and nowhere else. The console always passes
    the person's ``key`` (see ``console.security.people``): the store is then a SQLCipher 4
    database, listing and search tables and outbox included, and a plain store left by an older
    version is encrypted in place first. Without a key (tests of the store's own logic) it is
    plain SQLite. Transactions are real SQLite transactions from their first statement; pass
    ``execution_options(**{WRITE_LOCK: True})`` for ones that write.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if key is not None and is_plain_sqlite(path):
        encrypt_in_place(path, key)
    engine = sqlite_engine(path, key)
    event.listen(engine, "connect", _no_driver_transactions)
    event.listen(engine, "begin", _begin)
    upgrade(engine, "cases")
    return engine
