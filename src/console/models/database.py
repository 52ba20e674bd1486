"""Opening local SQLite stores: one engine factory, pragmas, and migrations to the latest schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

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


def upgrade(engine: Engine, tree: str) -> None:
    """Bring a store to the newest schema of its migration ``tree`` (no-op when current)."""
    config = _alembic_config(tree)
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.begin() as connection:
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
