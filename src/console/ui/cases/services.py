"""What the case panels are given to work with, and the few words they all show alike.

``CaseServices`` bundles the workstation's case services for the panels (they never open a
database themselves). The functions below turn stored values into the words the panels show:
times on the hotline's clock, people (with "you" for the person signed in and the next shift's
queue by its name), and intake answers by their protocol labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLocale

from console.cases.changes import parse_time
from console.cases.words import CaseWords
from console.printing.phrases import texts
from console.protocol import Protocol
from console.protocol.calendar import clock_text
from console.protocol.engine import answer_in_words
from console.ui.cases.events import CaseEvents

if TYPE_CHECKING:  # the panels reach the listing through this object only
    from console.cases.listing import CaseList
    from console.cases.store import CaseStore

SUPERVISOR = "supervisor"
NOT_SET = "—"
# Dates on screen are in the hotline's language, whatever the workstation's own locale says.
HOTLINE_LOCALE = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)


def _no_audit(_action: str, _case_id: str | None, _detail: str) -> None:
    """Stands in for the audit log where a workstation has none."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CaseServices:
    """The case services a panel uses; built once by the main window and shared."""

    cases: CaseStore
    listing: CaseList
    protocol: Protocol
    user: str
    role: str  # "specialist" | "supervisor"
    record_audit: Callable[[str, str | None, str], None] = _no_audit
    # What "now" is for due and overdue times; tests and drills set the hour.
    clock: Callable[[], datetime] = field(default=_utc_now)
    # Where every change to cases is announced, and every panel showing cases listens.
    events: CaseEvents = field(default_factory=CaseEvents)
    # Corrects a case's contact type (case id, request type), audited; run off the GUI thread.
    retype: Callable[[str, str], object] | None = None

    @property
    def is_supervisor(self) -> bool:
        return self.role == SUPERVISOR

    def time_text(self, iso: str | None, zone: bool = True) -> str:
        """A stored ISO time on the hotline's clock ("Wed 25 Nov, 7:00 PM ET", or without the
        zone where a heading names it); "—" if none."""
        moment = parse_time(iso)
        if moment is None:
            return NOT_SET
        text = clock_text(self.protocol.service_chart.hotline_time(moment))
        return text if zone else text.rsplit(" ", 1)[0]

    @cached_property
    def words(self) -> CaseWords:
        """Cases in words as the person signed in reads them: "you" for them, times on the
        hotline's clock, states with their code."""
        return CaseWords(self.protocol, texts("en"), self.protocol.service_chart.time_text,
                         viewer=self.user, state=_state_with_code, capitalize=True)

    def person(self, name: str | None) -> str:
        """A user as the panels name them: "you", "the next shift's queue", or the name."""
        return self.words.who(name)

    def request_label(self, request_type: str | None, call_type: str | None) -> str:
        """The request type's label, else the call type, for a case taken under any protocol."""
        if request_type:
            try:
                return self.protocol.request_type(request_type).label
            except KeyError:
                return request_type
        return (call_type or "case").capitalize()



def _state_with_code(code: str, name: str) -> str:
    return f"{code} — {name}"


def answer_text(protocol: Protocol, field_id: str, value: Any) -> str:
    """An intake answer in words; states with their code ("TX — Texas")."""
    return answer_in_words(protocol, field_id, value, state=_state_with_code)



