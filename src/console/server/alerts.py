"""Live supervisor alerts: a specialist needs a supervisor now, and says so from the call.

A workstation raises an alert (immediate danger, a minor involved, or the specialist's own
"I need help now"); every supervisor signed in hears of it within a second or two, and the
specialist hears which supervisor acknowledged it. An alert names the specialist, the case (id
and number), its request type, the reasons in the protocol's words and the time — nothing more
than the supervisor's case list shows already.

Alerts reach screens as server-sent events (``GET /alerts/stream``), not by long polling: one
request stays open and carries every change the moment the server sees it, a short "beat" every
couple of seconds lets both ends notice a dead connection (and the workstation stop its reader
promptly), and each event carries the feed number it was written with, so a workstation that
reconnects asks for everything after the last number it saw and misses nothing. Each stream ends
when the sign-in behind it expires or is revoked (the workstation reconnects with a fresh token),
and at most after ``MAX_STREAM_SECONDS``.

The server keeps no state between requests: a stream polls the database every
``POLL_SECONDS`` for alerts numbered past its cursor (one indexed read), so alerts raised
through any instance reach streams served by every other.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import Engine, Row, func, insert, select, update
from starlette.concurrency import run_in_threadpool

from console.cases.audit import UUID_PATTERN
from console.server.auth import Principal
from console.server.cases import visible_cases
from console.server.db import take_seqs, write_transaction
from console.server.models import AuditEvent, CaseRecord, FeedClock, SupervisorAlert
from console.server.throttle import STORAGE_ENV, TryLater

SEES_ALL = ("supervisor",)
MAX_REASONS = 10
MAX_REASON = 200
MAX_ALERT_BYTES = 16 * 1024  # one raise, as sent
PAGE = 200  # alerts in one read of a stream's loop
POLL_SECONDS = 0.25
BEAT_SECONDS = 2.0
MAX_STREAM_SECONDS = 600
# Raised per specialist: far above any real night, far below a stuck key or a script.
RAISE_LIMITS = parse_many("30/minute; 300/hour")
ACKNOWLEDGE_ACTION = "alert.acknowledge"
READ_ACTION = "alert.read"


Reason = Annotated[str, Field(min_length=1, max_length=MAX_REASON)]


class NewAlert(BaseModel):
    """An alert as a workstation raises it; its id is made there, so a resend is harmless."""

    id: str = Field(pattern=UUID_PATTERN)
    case_id: str = Field(pattern=UUID_PATTERN)
    case_number: str | None = Field(default=None, max_length=40)
    call_type: str | None = Field(default=None, max_length=40)
    reasons: list[Reason] = Field(min_length=1, max_length=MAX_REASONS)
    raised_at: AwareDatetime


class AlertRefused(ValueError):
    """Not an alert this caller may raise (the message says why)."""


class AlertIdTaken(AlertRefused):
    """Someone else's alert has this id."""


class RaiseThrottle:
    """Counts alerts raised per user; ``TryLater`` (429) past ``RAISE_LIMITS``."""

    def __init__(self, storage_uri: str | None = None) -> None:
        uri = storage_uri or os.environ.get(STORAGE_ENV) or "memory://"
        self._limiter = MovingWindowRateLimiter(storage_from_string(uri))

    def hit(self, user: str) -> None:
        for item in RAISE_LIMITS:
            if not self._limiter.hit(item, "alert", user):
                reset = self._limiter.get_window_stats(item, "alert", user).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                raise TryLater(429, wait, f"too many alerts raised; try again in {wait} seconds")


def raise_alert(engine: Engine, principal: Principal, alert: NewAlert) -> dict[str, Any]:
    """Store the alert (once: a resend of the same id returns it as stored)."""
    now = datetime.now(UTC)
    with write_transaction(engine) as connection:
        stored = connection.execute(select(SupervisorAlert).where(
            SupervisorAlert.id == alert.id)).first()
        if stored is not None:
            if stored.specialist != principal.name:
                raise AlertIdTaken("another alert already has this id")
            return _alert(stored)
        # A case not on the server yet is the caller's own new call (its push follows); one
        # that is there must be a case the caller may see.
        known = connection.execute(select(CaseRecord.id).where(
            CaseRecord.id == alert.case_id)).first()
        if known is not None and not visible_cases(connection, principal, {alert.case_id}):
            raise AlertRefused("you may not raise an alert about this case")
        values = {"id": alert.id, "case_id": alert.case_id, "case_number": alert.case_number,
                  "call_type": alert.call_type, "specialist": principal.name,
                  "reasons": orjson.dumps(alert.reasons).decode(),
                  "raised_at": min(alert.raised_at.astimezone(UTC), now), "received_at": now,
                  "acknowledged_by": None, "acknowledged_at": None,
                  "seq": take_seqs(connection, 1)}
        connection.execute(insert(SupervisorAlert).values(**values))
    return _alert_values(values)


def acknowledge(engine: Engine, principal: Principal, alert_id: str) -> dict[str, Any]:
    """The supervisor is on it: the first acknowledgement stands (and is audited); a later one
    returns the alert as it is, with who answered first."""
    with write_transaction(engine) as connection:
        stored = connection.execute(select(SupervisorAlert).where(
            SupervisorAlert.id == alert_id)).first()
        if stored is None:
            raise LookupError("no such alert")
        if stored.acknowledged_by is None:
            now = datetime.now(UTC)
            connection.execute(update(SupervisorAlert).where(SupervisorAlert.id == alert_id)
                               .values(acknowledged_by=principal.name, acknowledged_at=now,
                                       seq=take_seqs(connection, 1)))
            connection.execute(insert(AuditEvent).values(
                at=now, received_at=now, user_name=principal.name, action=ACKNOWLEDGE_ACTION,
                subject=stored.case_id,
                detail=f"alert {alert_id} raised by {stored.specialist}"))
            stored = connection.execute(select(SupervisorAlert).where(
                SupervisorAlert.id == alert_id)).first()
    return _alert(stored)


def _visible_to(principal: Principal) -> Any:
    """Supervisors see every alert; anyone else their own."""
    return True if principal.role in SEES_ALL else SupervisorAlert.specialist == principal.name


def open_alerts(engine: Engine, principal: Principal) -> tuple[list[dict[str, Any]], int]:
    """The alerts nobody has acknowledged yet, oldest first, and the feed number to follow
    changes after."""
    with engine.connect() as connection:
        cursor = connection.scalar(select(func.max(SupervisorAlert.seq))) or 0
        rows = connection.execute(
            select(SupervisorAlert).where(SupervisorAlert.acknowledged_by.is_(None),
                                          SupervisorAlert.seq <= cursor, _visible_to(principal))
            .order_by(SupervisorAlert.seq).limit(PAGE)).all()
    return [_alert(row) for row in rows], int(cursor)


def changes_after(engine: Engine, principal: Principal, after: int, limit: int = PAGE
                  ) -> list[dict[str, Any]]:
    """Alerts raised or acknowledged after feed number ``after``, in order."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(SupervisorAlert).where(SupervisorAlert.seq > after, _visible_to(principal))
            .order_by(SupervisorAlert.seq).limit(limit)).all()
    return [_alert(row) for row in rows]


def _aware(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _alert(row: Row[Any]) -> dict[str, Any]:
    return _alert_values(row._asdict())


def _alert_values(values: dict[str, Any]) -> dict[str, Any]:
    return {"id": values["id"], "seq": values["seq"], "case_id": values["case_id"],
            "case_number": values["case_number"], "call_type": values["call_type"],
            "specialist": values["specialist"], "reasons": orjson.loads(values["reasons"]),
            "raised_at": _aware(values["raised_at"]),
            "acknowledged_by": values["acknowledged_by"],
            "acknowledged_at": _aware(values["acknowledged_at"])}


# --- the stream --------------------------------------------------------------------------------

def _event(kind: str, data: dict[str, Any], event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\n".encode() + b"data: " + orjson.dumps(data) + b"\n\n"


BEAT = b"event: beat\ndata: {}\n\n"


async def stream(engine: Engine, principal: Principal, still_signed_in: Callable[[], bool],
                 after: int, seconds: float) -> AsyncIterator[bytes]:
    """The events of one stream: with ``after`` 0, every open alert, then "ready" with the
    cursor; then each change as it comes, with a beat while nothing does. Ends after
    ``seconds`` (0: at once, after what is there) or when the sign-in stops being valid."""
    deadline = time.monotonic() + seconds
    if after > await run_in_threadpool(_feed_head, engine):
        after = 0  # a cursor from before a restore of an older backup: start afresh
    if after == 0:
        alerts, after = await run_in_threadpool(open_alerts, engine, principal)
        for alert in alerts:
            yield _event("alert", alert)
        await run_in_threadpool(_audit_reads, engine, principal, alerts)
        yield _event("ready", {}, after)
    quiet_since = time.monotonic()
    while True:
        changes = await run_in_threadpool(changes_after, engine, principal, after)
        for alert in changes:
            after = alert["seq"]
            yield _event("alert", alert, after)
        if changes:
            quiet_since = time.monotonic()
            await run_in_threadpool(_audit_reads, engine, principal, changes)
        if time.monotonic() >= deadline or not await run_in_threadpool(still_signed_in):
            return
        if time.monotonic() - quiet_since >= BEAT_SECONDS:
            quiet_since = time.monotonic()
            yield BEAT
        await asyncio.sleep(POLL_SECONDS)


def _feed_head(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(FeedClock.value).where(FeedClock.id == 1)) or 0)


def _audit_reads(engine: Engine, principal: Principal, alerts: list[dict[str, Any]]) -> None:
    """A supervisor shown an alert has read which case it is about: on record like any read."""
    if principal.role not in SEES_ALL or not alerts:
        return
    now = datetime.now(UTC)
    rows = [{"at": now, "received_at": now, "user_name": principal.name, "action": READ_ACTION,
             "subject": alert["case_id"], "detail": f"alert {alert['id']}"} for alert in alerts]
    with write_transaction(engine) as connection:
        connection.execute(insert(AuditEvent), rows)

