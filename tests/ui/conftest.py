"""Fixtures the widget tests share."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

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
