"""Workstations checking in: which console version each runs, when it last synced in full, and
the call open on it.

A workstation reports after every successful sync (and a sync follows each change within
seconds). Nothing here is personal: an id the workstation made for itself, the signed-in staff
member, a version, two times, and of an open call only what the supervisor view already shows of
a case — its number, request type, urgency and when it began.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import Engine, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from console.cases.audit import UUID_PATTERN
from console.server.auth import Principal
from console.server.db import write_transaction
from console.server.models import Workstation

# A report dated further ahead than this is the workstation's clock, not a sync.
CLOCK_SLACK = timedelta(minutes=10)
# A workstation that has not reported for this long may have lost its network or crashed: its
# call is no longer listed as in progress (it syncs every half minute while it runs).
CALL_QUIET = timedelta(minutes=10)


class OpenCall(BaseModel):
    """The call on a workstation's screen."""

    case_id: str = Field(pattern=UUID_PATTERN)
    number: str | None = Field(default=None, max_length=40)
    request_type: str = Field(min_length=1, max_length=40)
    urgency: str | None = Field(default=None, max_length=20)
    started_at: AwareDatetime


class CheckIn(BaseModel):
    workstation: str = Field(pattern=UUID_PATTERN)
    version: str = Field(min_length=1, max_length=40)
    last_sync: AwareDatetime | None = None
    call: OpenCall | None = None  # None between calls


def check_in(engine: Engine, principal: Principal, report: CheckIn) -> None:
    now = datetime.now(UTC)
    last_sync = report.last_sync
    if last_sync is not None and last_sync > now + CLOCK_SLACK:
        last_sync = now
    values = {"id": report.workstation, "user_name": principal.name,
              "console_version": report.version, "last_seen_at": now,
              "last_sync_at": last_sync, **_call_columns(report.call, now)}
    insert = (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(
        Workstation).values(**values)
    update = {key: value for key, value in values.items() if key != "id"}
    with write_transaction(engine) as connection:
        connection.execute(insert.on_conflict_do_update(index_elements=["id"], set_=update))


def _call_columns(call: OpenCall | None, now: datetime) -> dict[str, Any]:
    if call is None:
        return {"call_case_id": None, "call_number": None, "call_type": None,
                "call_urgency": None, "call_started_at": None}
    return {"call_case_id": call.case_id, "call_number": call.number,
            "call_type": call.request_type, "call_urgency": call.urgency,
            "call_started_at": min(call.started_at, now)}


def calls_in_progress(engine: Engine) -> list[dict[str, Any]]:
    """The calls open on workstations heard from lately, longest-running first."""
    table = Workstation.__table__
    since = datetime.now(UTC) - CALL_QUIET
    query = (select(table).where(table.c.call_case_id.is_not(None), table.c.last_seen_at >= since)
             .order_by(table.c.call_started_at))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [{"user": row.user_name, "case_id": row.call_case_id, "number": row.call_number,
             "request_type": row.call_type, "urgency": row.call_urgency,
             "started_at": _aware(row.call_started_at).isoformat(),
             "last_seen": _aware(row.last_seen_at).isoformat()} for row in rows]


def list_workstations(engine: Engine, quiet_hours: float | None = None) -> list[dict[str, Any]]:
    """Every workstation (or only those without a full sync for ``quiet_hours``), quietest
    first."""
    table = Workstation.__table__
    query = select(table).order_by(table.c.last_sync_at.asc().nulls_first())
    if quiet_hours is not None:
        since = datetime.now(UTC) - timedelta(hours=quiet_hours)
        query = query.where(or_(table.c.last_sync_at.is_(None), table.c.last_sync_at < since))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [{"workstation": row.id, "user": row.user_name, "version": row.console_version,
             "last_seen": _aware(row.last_seen_at).isoformat(),
             "last_sync": _aware(row.last_sync_at).isoformat() if row.last_sync_at else None}
            for row in rows]


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive times; every time stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
