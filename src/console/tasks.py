"""Long work (imports, exports, sync) runs as a plain function taking a ``TaskState``.

The function reports progress and checks for cancellation through the state; a terminal shows it
as a progress bar, the desktop app as a progress dialog, and tests pass ``QuietState``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Cancelled(Exception):
    """The person asked the work to stop; whatever it was writing has been rolled back."""


class TaskState(Protocol):
    def progress(self, stage: str, done: int, total: int) -> None:
        """``done`` of ``total`` units of ``stage`` are finished."""

    def cancelled(self) -> bool:
        """True once the person has asked the work to stop."""


class QuietState:
    """A state that shows nothing and never cancels."""

    def progress(self, stage: str, done: int, total: int) -> None:
        return None

    def cancelled(self) -> bool:
        return False


def check_cancelled(state: TaskState) -> None:
    if state.cancelled():
        raise Cancelled()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around bulk work (reading, importing a directory).

    Such work creates millions of small containers and no reference cycles; left running, the
    collector rescans all of them every few hundred allocations, which can triple the time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
