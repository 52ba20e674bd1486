"""Opening local SQLite stores: one engine factory, pragmas, and migrations to the latest schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event

MIGRATIONS = Path(__file__).parent / "migrations"


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


def _alembic_config(tree: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS / tree))
    return config


def head_revision(tree: str) -> str:
    """The newest schema revision of migration ``tree``."""
    head = ScriptDirectory.from_config(_alembic_config(tree)).get_current_head()
    assert head is not None, f"migration tree {tree} has no revisions"
    return head


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
    config = _alembic_config(tree)
    head = head_revision(tree)
    with engine.begin() as connection:
        _begin_sqlite(connection)
        if MigrationContext.configure(connection).get_current_revision() == head:
            return
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
