"""Putting the server's directory snapshot in place of the local directory file, safely.

The download goes to a side file and is checked (size, SHA-256, schema revision, cursor) before
anything changes; the swap is one ``os.replace``. A stop at any moment leaves either the old
directory or the new one, never a mix; left-over side files are removed on the next attempt.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path
from typing import Any

import zstandard

from console.directory.feed import CURSOR_KEY
from console.models.database import head_revision
from console.sync.api import BadReply, ServerApi
from console.tasks import TaskState, check_cancelled


class SnapshotUnusable(Exception):
    """The snapshot does not fit this console (another schema); pull the changes instead."""


def _side_files(target: Path) -> tuple[Path, Path]:
    return target.with_name(target.name + ".download"), target.with_name(target.name + ".incoming")


def _download(api: ServerApi, info: dict[str, Any], into: Path, state: TaskState) -> None:
    digest, size = hashlib.sha256(), 0
    with api.stream(f"/sync/directory/snapshot/{info['id']}/data") as response, \
            into.open("wb") as out:
        for chunk in response.iter_bytes(1024 * 1024):
            check_cancelled(state)
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
            state.progress("downloading the directory", size, info["size"])
    if size != info["size"] or digest.hexdigest() != info["sha256"]:
        raise BadReply("the directory snapshot arrived damaged (size or checksum differ)")


def _unpack(download: Path, incoming: Path, info: dict[str, Any]) -> None:
    with download.open("rb") as source, incoming.open("wb") as out:
        zstandard.ZstdDecompressor().copy_stream(source, out)
        out.flush()
        os.fsync(out.fileno())
    with sqlite3.connect(incoming) as check:
        cursor = check.execute(
            "SELECT value FROM directory_meta WHERE key = ?", (CURSOR_KEY,)).fetchone()
    if cursor is None or int(cursor[0]) != info["cursor"]:
        raise BadReply("the directory snapshot does not hold the cursor it announced")


def _checkpoint(target: Path) -> None:
    """Fold the old file's write-ahead log in, so no stale log can meet the new file."""
    if target.exists():
        with sqlite3.connect(target) as old:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def install_snapshot(api: ServerApi, info: dict[str, Any], target: Path,
                     state: TaskState) -> None:
    """Download, check and put the snapshot described by ``info`` in place of ``target``."""
    if not all(isinstance(info.get(k), int) for k in ("id", "cursor", "size")) or \
            not isinstance(info.get("sha256"), str):
        raise BadReply("the snapshot description is incomplete")
    if info.get("schema_revision") != head_revision("directory"):
        raise SnapshotUnusable("it was built for another version of the console")
    download, incoming = _side_files(target)
    try:
        _download(api, info, download, state)
        _unpack(download, incoming, info)
        _checkpoint(target)
        os.replace(incoming, target)
        for leftover in ("-wal", "-shm"):
            target.with_name(target.name + leftover).unlink(missing_ok=True)
    finally:
        download.unlink(missing_ok=True)
        incoming.unlink(missing_ok=True)
