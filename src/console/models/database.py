"""Opening local SQLite stores: one engine factory, pragmas, and migrations to the latest schema."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, ProgrammingError

MIGRATIONS = Path(__file__).parent / "migrations"
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


def sqlite_engine(path: Path | str) -> Engine:
    """An engine on a SQLite file (or ``:memory:``) with the house pragmas on every connection."""
    target = str(path)
    engine = create_engine(f"sqlite:///{target}")
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


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
    with engine.begin() as connection:
        _begin_sqlite(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_directory(path: Path | str) -> Engine:
    """The local directory store at ``path``, migrated to the current schema."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sqlite_engine(path)
    upgrade(engine, "directory")
    return engine


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


def open_case_store(path: Path | str) -> Engine:
    """The local case store at ``path``, migrated to the current schema.

    Every caller opens the case store through here and nowhere else: this is where encryption at
    rest will plug in (a keyed SQLite driver and the key from the OS keyring), so no other code
    may build its own engine on the file. Transactions are real SQLite transactions from their
    first statement; pass ``execution_options(**{WRITE_LOCK: True})`` for ones that write.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sqlite_engine(path)
    event.listen(engine, "connect", _no_driver_transactions)
    event.listen(engine, "begin", _begin)
    upgrade(engine, "cases")
    return engine
