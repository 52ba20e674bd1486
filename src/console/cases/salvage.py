"""A case store that no longer opens: kept aside, its unsent changes carried over, a clean start.

A disk fault or a power cut at the wrong moment can leave a store SQLite cannot read. The console
must still start for the next call, so the damaged file is renamed (never deleted: IT may be able
to recover more from it), the changes it still held for the server are read out where its pages
allow and queued again in a fresh store, and the person is told what happened. Everything the
server already has comes back with the next sync.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import DatabaseError

from console.models.cases import OutboxEntry
from console.models.database import WrongStoreKey, open_case_store, sqlite_engine

log = logging.getLogger(__name__)

# What a store that cannot be read raises: its key no longer opens it (the pages are garbage) or
# SQLite finds it malformed.
DAMAGE = (WrongStoreKey, DatabaseError)
_OUTBOX_COLUMNS = ("change_id", "case_id", "kind", "change", "created_at")


@dataclass(frozen=True)
class Salvage:
    """What happened to a store that would not open, in facts the window puts into words."""

    kept_as: Path
    changes_recovered: int
    changes_unreadable: bool

    def in_words(self) -> str:
        recovered = (f"{self.changes_recovered} change(s) not yet sent to the server were "
                     "recovered and will be sent at the next sync."
                     if self.changes_recovered else "No unsent changes could be read from it.")
        unreadable = (" Some unsent changes may be lost: tell IT, who can try to recover more "
                      "from the damaged file." if self.changes_unreadable else "")
        return (f"This workstation's case store could not be opened, so it was put aside as "
                f"{self.kept_as.name} and a new one was started. {recovered}{unreadable} "
                "Cases the server holds come back with the next sync.")


def open_or_salvage(path: Path, key: bytes | None) -> tuple[Engine, Salvage | None]:
    """The case store at ``path``; when it cannot be opened, a fresh one and what was done."""
    try:
        return open_case_store(path, key), None
    except DAMAGE as error:
        log.error("the case store could not be opened; keeping it aside", exc_info=error)
    kept_as = _put_aside(path)
    changes, unreadable = _read_unsent(kept_as, key)
    engine = open_case_store(path, key)
    if changes:
        with engine.begin() as connection:
            connection.execute(insert(OutboxEntry), changes)
    log.warning("new case store started; %d unsent change(s) recovered%s", len(changes),
                ", some unreadable" if unreadable else "")
    return engine, Salvage(kept_as, len(changes), unreadable)


def _put_aside(path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    kept_as = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    os.replace(path, kept_as)
    for suffix in ("-wal", "-shm"):  # the log belongs with the pages it was written for
        companion = Path(f"{path}{suffix}")
        if companion.exists():
            os.replace(companion, Path(f"{kept_as}{suffix}"))
    return kept_as


def _read_unsent(damaged: Path, key: bytes | None) -> tuple[list[dict[str, object]], bool]:
    """The pending outbox entries the damaged file still yields, oldest first; and whether
    reading them failed (so some may be missing)."""
    engine = sqlite_engine(damaged, key)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(*(getattr(OutboxEntry, name) for name in _OUTBOX_COLUMNS))
                .where(OutboxEntry.state == "pending").order_by(OutboxEntry.seq)).all()
        return [dict(zip(_OUTBOX_COLUMNS, row, strict=True)) for row in rows], False
    except DAMAGE:
        return [], True
    finally:
        engine.dispose()
