"""The audit log on the server: events workstations send, stored once each, read by supervisors.

Changes to cases are audited where they are applied (``console.server.cases``). Views, prints
and exports happen on workstations, which send them later (``console.cases.audit``); each event
carries an id made there, and a unique key on it makes a resend — or two copies racing each
other — a no-op. The caller's name, from its token, is stored as the user: a workstation cannot
record events in someone else's name, nor about a case they may not see, nor dated outside a
sane window around now; the server's own receive time is stored beside the workstation's.

The server also audits every read of cases it serves — pulls (one event per case sent), the
queue list, conflicts, reads of this log — so that who saw what is on record, not only who
changed it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, model_validator
from sqlalchemy import Engine, Row, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from console.cases.audit import MAX_DETAIL, UUID_PATTERN, check_event
from console.server.auth import Principal
from console.server.cases import visible_cases
from console.server.db import write_transaction
from console.server.models import AuditEvent

ADMIN_ACTIONS = "admin."  # what ``console.server.auth`` records about users
MAX_PUSH = 500  # events in one request
MAX_PAGE = 1_000
DEFAULT_PAGE = 200
# A workstation may be offline for weeks and send its events late; never from the future.
OLDEST_EVENT = timedelta(days=90)
CLOCK_SKEW = timedelta(minutes=10)


class WorkstationEvent(BaseModel):
    """One event as a workstation sends it; the same rules as when it was recorded there."""

    id: str = Field(pattern=UUID_PATTERN)
    at: AwareDatetime
    action: str = Field(max_length=40)
    case_id: str | None = None
    detail: str = Field(default="", max_length=MAX_DETAIL)

    @model_validator(mode="after")
    def _sound(self) -> WorkstationEvent:
        check_event(self.action, self.case_id, self.detail)  # InvalidEvent is a ValueError
        try:
            self.at = self.at.astimezone(UTC)
        except OverflowError:  # "0001-01-01T00:00+01:00" has no UTC time
            raise ValueError("at is out of range") from None
        return self


@dataclass(frozen=True)
class Stored:
    new: int  # stored now (not before)
    refused: int  # about a case the sender may not see, or dated outside the window


def store_events(engine: Engine, principal: Principal, events: list[WorkstationEvent]) -> Stored:
    """Store the events not stored before, as done by ``principal``."""
    if not events:
        return Stored(0, 0)
    now = datetime.now(UTC)
    with write_transaction(engine) as connection:
        visible = visible_cases(connection, principal, {e.case_id for e in events if e.case_id})
        kept = [event for event in events
                if now - OLDEST_EVENT <= event.at <= now + CLOCK_SKEW
                and (event.case_id is None or event.case_id in visible)]
        if not kept:
            return Stored(0, len(events))
        rows = [{"event_id": event.id, "at": event.at, "received_at": now,
                 "user_name": principal.name, "action": event.action,
                 "subject": event.case_id or "", "detail": event.detail} for event in kept]
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(AuditEvent).values(rows).on_conflict_do_nothing(
            index_elements=[AuditEvent.event_id]).returning(AuditEvent.event_id)
        new = len(connection.execute(statement).all())  # only the rows inserted come back
    return Stored(new, len(events) - len(kept))


def record_reads(engine: Engine, principal: Principal, action: str, subjects: Iterable[str],
                 detail: str = "") -> None:
    """Audit what the server just served to ``principal``: one event per subject."""
    now = datetime.now(UTC)
    rows = [{"at": now, "received_at": now, "user_name": principal.name, "action": action,
             "subject": subject, "detail": detail} for subject in subjects]
    if rows:
        with write_transaction(engine) as connection:
            connection.execute(insert(AuditEvent), rows)


def read_events(engine: Engine, case_id: str | None, after: int, limit: int
                ) -> tuple[list[dict[str, Any]], int, bool]:
    """Events after number ``after`` (of one case, or all), in the order they were stored."""
    query = select(AuditEvent).where(AuditEvent.id > after)
    if case_id is not None:
        query = query.where(AuditEvent.subject == case_id)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(AuditEvent.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_event(row) for row in rows], rows[-1].id if rows else after, more


def _event(row: Row[Any]) -> dict[str, Any]:
    at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)  # SQLite: naive
    # An administrator's change to a user is about that user, not a case.
    about_user = row.action.startswith(ADMIN_ACTIONS)
    return {"seq": row.id, "id": row.event_id, "at": at.astimezone(UTC).isoformat(),
            "user": row.user_name, "action": row.action,
            "case_id": None if about_user else row.subject or None,
            "about_user": row.subject if about_user else None, "detail": row.detail or ""}
