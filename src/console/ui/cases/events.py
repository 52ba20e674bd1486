"""The one notice that cases changed, which every panel showing cases follows.

Whatever changes cases on this workstation — a save on the "writes" lane (a call, a note, a
handoff) or a sync that pulled the server's copies — says so here, with the ids of the cases it
changed; the case list, the open case and the supervisor view each decide what to read again.
Nobody has to know which panels exist, and no panel is left showing what the store no longer
holds.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject, Signal


class CaseEvents(QObject):
    """Carries "these cases changed" from whoever changed them to every panel showing cases."""

    sig_cases_changed = Signal(object)
    """The ids of the cases that changed (a frozenset of str, never empty)."""

    def changed(self, case_ids: Iterable[str]) -> None:
        """Tell every panel that these cases changed (nothing is said for none)."""
        ids = frozenset(case_ids)
        if ids:
            self.sig_cases_changed.emit(ids)
