"""Backing up and restoring the embedded (SQLite) server, online.

SQLite's backup API copies the database page by page under its own locks, so a backup taken
while workstations sync is consistent, and a restore into a running server swaps the content
under the same locks instead of replacing the file beneath open connections. Both sides are
opened through ``server_engine``, so a backup is the same kind of file as the server's own
(encrypted where the server's is) and a restored one is migrated to this version's schema.

PostgreSQL is backed up with its own tools (``pg_dump`` / ``pg_restore``; see the README).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from console import settings
from console.errors import UserError
from console.security.keys import server_database_key
from console.server.db import default_database_url, server_engine
from console.server.models import AppliedChange, CaseRecord, User

PAGES_PER_STEP = 1_024  # let writers in between steps: a backup never stalls the server long


class BackupError(UserError):
    """A backup or restore that cannot be done; the message says why, for IT."""


def _sqlite_path(url: str | None) -> Path:
    parsed = make_url(url or default_database_url())
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise BackupError("backup and restore here are for the embedded SQLite server; back up "
                          "PostgreSQL with pg_dump (see the README's Operations section)")
    return Path(parsed.database)


def _copy(source: Engine, target: Engine) -> None:
    source_raw, target_raw = source.raw_connection(), target.raw_connection()
    try:
        source_raw.driver_connection.backup(target_raw.driver_connection, pages=PAGES_PER_STEP)
    finally:
        source_raw.close()
        target_raw.close()


def summary(engine: Engine) -> dict[str, int]:
    """What a backup holds, in counts IT can compare with the live server."""
    with engine.connect() as connection:
        return {name: connection.scalar(select(func.count()).select_from(table)) or 0
                for name, table in (("users", User), ("cases", CaseRecord),
                                    ("applied changes", AppliedChange))}


def _key(database_url: str | None) -> bytes | None:
    """The default database is encrypted under this workstation's server key, and so are its
    backups; a database named by URL is used as given."""
    return server_database_key(settings.data_home()) if database_url is None else None


def backup(database_url: str | None, out: Path) -> dict[str, int]:
    """Copy the live server database at ``database_url`` (None: the default, encrypted one) to
    the new file ``out``."""
    _sqlite_path(database_url)
    if out.exists():
        raise BackupError(f"{out.name} exists already; choose a new file name")
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    source = server_engine(database_url)
    target = server_engine(f"sqlite:///{partial}", _key(database_url))
    try:
        _copy(source, target)
        target.dispose()
        target = server_engine(f"sqlite:///{partial}", _key(database_url))
        counts = summary(target)
    finally:
        source.dispose()
        target.dispose()
    for leftover in (Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    os.chmod(partial, 0o600)  # it holds every case
    os.replace(partial, out)
    return counts


def restore(backup_file: Path, database_url: str | None) -> dict[str, int]:
    """Make the server database at ``database_url`` a copy of ``backup_file``.

    The backup is checked first (it opens, its schema migrates, its integrity check passes), so
    a wrong or damaged file leaves the server as it was.
    """
    live = _sqlite_path(database_url)
    if not backup_file.is_file():
        raise BackupError(f"no backup file at {backup_file}")
    # Checked (and migrated) as a copy: the backup file itself is never changed.
    staged = live.with_name(live.name + ".restoring")
    live.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(backup_file, staged)
    os.chmod(staged, 0o600)
    source = None
    try:
        try:
            source = server_engine(f"sqlite:///{staged}", _key(database_url))
            with source.connect() as connection:
                verdict = connection.exec_driver_sql("PRAGMA integrity_check").scalar()
            counts = summary(source)
        except Exception as error:  # not a database, not this server's, or damaged
            raise BackupError(f"{backup_file.name} is not a usable server backup "
                              f"({type(error).__name__})") from None
        if verdict != "ok":
            raise BackupError(f"{backup_file.name} is damaged (integrity check: {verdict})")
        target = server_engine(database_url)
        try:
            _copy(source, target)
        finally:
            target.dispose()
    finally:
        if source is not None:
            source.dispose()
        for leftover in (staged, Path(f"{staged}-wal"), Path(f"{staged}-shm")):
            leftover.unlink(missing_ok=True)
    return counts
