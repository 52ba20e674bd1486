"""Fixtures the widget tests share."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from console import settings
from console.directory.store import open_local_directory
from console.protocol import Protocol, load_protocol
from console.ui.taskman import TaskManager


@dataclass
class AuditRecorder:
    """Stands in for the audit log, noting each event recorded."""

    events: list[tuple[str, str | None, str]] = field(default_factory=list)

    def __call__(self, action: str, case_id: str | None, detail: str) -> None:
        self.events.append((action, case_id, detail))


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol()


@pytest.fixture
def tasks() -> Iterator[TaskManager]:
    """A task helper whose work has all called back before the widgets go."""
    manager = TaskManager()
    yield manager
    manager.wait_idle()


@pytest.fixture(scope="session")
def seeded_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory a first start makes (the demo directory, imported), made once: importing
    it costs a second or more, and the window tests are about the window, not the import (the
    first start's import is tested where it is done, in the unit and command-line tests)."""
    home = tmp_path_factory.mktemp("first-start")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(settings.HOME_ENV, str(home))
        open_local_directory().dispose()
        made = settings.directory_db_path()
    template = home.parent / "seeded-directory.sqlite"
    # SQLite's backup copies the file with whatever its write-ahead log still holds.
    with closing(sqlite3.connect(made)) as source, closing(sqlite3.connect(template)) as target:
        source.backup(target)
    return template


@pytest.fixture(autouse=True)
def first_start_directory(seeded_directory: Path, hotline_home: Path) -> None:
    """Each window test's data folder starts with that directory, as after a first start."""
    target = settings.directory_db_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(seeded_directory)) as source, \
            closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
