"""Owner-only files: everything the console and its built-in server write is private.

Hotline workstations are shared and often have other accounts on them; a caller's name, a safe
callback number or a signing key in a file another account can read is a leak. So the process
creates with a umask that gives group and others nothing (SQLite's WAL and shared-memory files,
temporary files, PDFs and CSV exports all inherit it), and at start the data folder is walked
once and anything an older version left readable is tightened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_umask() -> None:
    """From now on this process creates folders 0700 and files 0600 (or narrower)."""
    os.umask(PRIVATE_UMASK)


def private_folder(path: Path) -> Path:
    """``path`` as a folder only its owner may enter, created (with parents) when missing."""
    private_umask()
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    _restrict(path, PRIVATE_DIR)
    return path


def tighten(root: Path) -> int:
    """Make every folder under ``root`` 0700 and every file 0600 (never following links);
    returns how many had wider rights. Paths that vanish meanwhile are skipped."""
    widened = _restrict(root, PRIVATE_DIR)
    for folder, folders, files in os.walk(root, followlinks=False):
        for name in folders:
            widened += _restrict(Path(folder, name), PRIVATE_DIR)
        for name in files:
            widened += _restrict(Path(folder, name), PRIVATE_FILE)
    return widened


def is_private(path: Path) -> bool:
    """Whether neither group nor others may read, write or enter ``path``."""
    return stat.S_IMODE(os.lstat(path).st_mode) & 0o077 == 0


def _restrict(path: Path, mode: int) -> int:
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return 0
    if stat.S_ISLNK(status.st_mode) or stat.S_IMODE(status.st_mode) & 0o077 == 0:
        return 0
    try:
        os.chmod(path, mode)
    except OSError:  # on file systems without Unix rights (FAT USB sticks) there is nothing to do
        return 0
    return 1


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step, readable and writable by its owner only."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)  # a left-over could carry wider rights
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)
