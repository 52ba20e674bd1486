"""Directory snapshots: a ready-made, compressed workstation directory for a fast first sync.

Applying a whole national directory change by change means writing a million rows and building
the search index on every workstation. Instead the server builds the workstation's directory file
once (same schema, same index, the feed cursor inside), compresses it with zstd and keeps it in
the database in chunks, so any instance can stream it. A workstation downloads it, checks its
SHA-256, puts it in place, and then pulls only the changes after the snapshot's cursor.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import zstandard
from sqlalchemy import Engine, delete, insert, select, update

from console.directory.confidential import ConfidentialPlaces, flagged_address
from console.directory.feed import CURSOR_KEY, apply_changes, row_values
from console.directory.index import set_meta
from console.models.database import head_revision, open_directory
from console.server.db import write_transaction
from console.server.models import DirectoryRecord, DirectorySnapshot, SnapshotChunk
from console.tasks import QuietState, TaskState

CHUNK_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class SnapshotInfo:
    id: int
    cursor: int
    schema_revision: str
    size: int
    sha256: str
    created_at: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "cursor": self.cursor, "schema_revision": self.schema_revision,
                "size": self.size, "sha256": self.sha256, "created_at": self.created_at}


def latest(engine: Engine) -> SnapshotInfo | None:
    """The newest complete snapshot, if any."""
    with engine.connect() as connection:
        row = connection.execute(
            select(DirectorySnapshot).where(DirectorySnapshot.complete.is_(True))
            .order_by(DirectorySnapshot.id.desc()).limit(1)).first()
    if row is None:
        return None
    return SnapshotInfo(row.id, row.cursor, row.schema_revision, row.size, row.sha256,
                        row.created_at.isoformat())


def chunks(engine: Engine, snapshot_id: int) -> Iterator[bytes]:
    """The compressed snapshot, chunk by chunk (never all of it in memory)."""
    number = 0
    while True:
        with engine.connect() as connection:
            data = connection.execute(select(SnapshotChunk.data).where(
                SnapshotChunk.snapshot_id == snapshot_id,
                SnapshotChunk.number == number)).scalar()
        if data is None:
            return
        yield bytes(data)
        number += 1


def _current_records(engine: Engine) -> tuple[dict[str, dict[str, dict[str, Any]]], int]:
    """Every live record by table, and the cursor they are current to (one consistent read)."""
    upserts: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    cursor = 0
    with engine.connect() as connection:
        # One statement, so one consistent view; the feed clock makes it a prefix of the feed.
        result = connection.execute(select(DirectoryRecord.kind, DirectoryRecord.id,
                                           DirectoryRecord.seq, DirectoryRecord.data))
        for kind, record_id, seq, data in result:
            cursor = max(cursor, seq)
            if data is not None:
                upserts[kind][record_id] = row_values(kind, orjson.loads(data))
    # Shelters' street lines and exact points stay on the server (as in the feed).
    flagged = {flagged_address(row) for row in upserts["attribute"].values()}
    places = ConfidentialPlaces.of(upserts["address"][address_id] for address_id in flagged
                                   if address_id in upserts["address"])
    for kind in ("address", "location"):
        for record_id, row in upserts[kind].items():
            upserts[kind][record_id] = places.scrub(kind, row)
    return upserts, cursor


def _build_file(path: Path, engine: Engine, state: TaskState) -> int:
    upserts, cursor = _current_records(engine)
    local = open_directory(path)
    with local.begin() as connection:
        apply_changes(connection, upserts, {}, state)
        set_meta(connection, CURSOR_KEY, str(cursor))
        set_meta(connection, "source", "server")
        set_meta(connection, "last_import", datetime.now(UTC).isoformat(timespec="seconds"))
    local.dispose()
    with sqlite3.connect(path) as plain:
        # One self-contained file: fold the write-ahead log in.
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        plain.execute("PRAGMA journal_mode=DELETE")
    return cursor


def _compressed_chunks(path: Path) -> Iterator[bytes]:
    compressor = zstandard.ZstdCompressor(level=3, threads=-1)
    with path.open("rb") as source:
        yield from compressor.read_to_iter(source, read_size=CHUNK_BYTES,
                                           write_size=CHUNK_BYTES)


def build(engine: Engine, state: TaskState | None = None) -> SnapshotInfo:
    """Build a snapshot of the directory as it is now and make it the newest; drop older ones."""
    state = state or QuietState()
    with tempfile.TemporaryDirectory(prefix="snapshot-") as folder:
        path = Path(folder) / "directory.sqlite"
        cursor = _build_file(path, engine, state)
        state.progress("storing the snapshot", 0, 1)
        with write_transaction(engine) as connection:
            snapshot_id = connection.execute(insert(DirectorySnapshot).values(
                cursor=cursor, schema_revision=head_revision("directory"), size=0, sha256="",
                created_at=datetime.now(UTC), complete=False)
                .returning(DirectorySnapshot.id)).scalar_one()
            digest, size = hashlib.sha256(), 0
            for number, chunk in enumerate(_compressed_chunks(path)):
                digest.update(chunk)
                size += len(chunk)
                connection.execute(insert(SnapshotChunk).values(
                    snapshot_id=snapshot_id, number=number, data=chunk))
            connection.execute(update(DirectorySnapshot)
                               .where(DirectorySnapshot.id == snapshot_id)
                               .values(size=size, sha256=digest.hexdigest(), complete=True))
            older = select(DirectorySnapshot.id).where(DirectorySnapshot.id != snapshot_id)
            connection.execute(delete(SnapshotChunk).where(SnapshotChunk.snapshot_id.in_(older)))
            connection.execute(delete(DirectorySnapshot).where(
                DirectorySnapshot.id != snapshot_id))
    state.progress("storing the snapshot", 1, 1)
    info = latest(engine)
    assert info is not None
    return info
