"""What a workstation shows and hands out about cases — views, prints, exports — for the audit log.

The server audits every change to a case as it applies it, but looking at a case, printing it or
exporting a list happens on a workstation and may happen offline. So the workstation records
each such event here (``AuditLog.record``), in the case store's ``audit_outbox``, and the sync
client carries the events to the server's audit log after the case changes. Every event has an
id made here, so the server stores it once however often it is sent. The same rules
(``check_event``) decide what the workstation records and what the server accepts, so an event
recorded here is never refused there and never blocks the ones behind it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from console.cases.changes import new_id, utc_now
from console.models.cases import AuditOutbox
from console.models.database import WRITE_LOCK

# Events about one case, and events about a list of cases (no case id).
CASE_ACTIONS = ("case.view", "case.print", "case.export", "case.retype")
LIST_ACTIONS = ("cases.export", "cases.print")
ACTIONS = CASE_ACTIONS + LIST_ACTIONS
MAX_DETAIL = 1_000
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class InvalidEvent(ValueError):
    """An audit event that can never be stored (unknown action, missing case, bad text)."""


def check_event(action: str, case_id: str | None, detail: str) -> None:
    """Raise ``InvalidEvent`` saying what is wrong with an event; silent when it is sound."""
    if action not in ACTIONS:
        raise InvalidEvent(f"action must be one of: {', '.join(ACTIONS)}")
    if action in CASE_ACTIONS and case_id is None:
        raise InvalidEvent(f"{action} names the case it is about")
    if action in LIST_ACTIONS and case_id is not None:
        raise InvalidEvent(f"{action} is about a list of cases, not one case")
    if case_id is not None and not re.fullmatch(UUID_PATTERN, case_id):
        raise InvalidEvent("case_id must be a UUID in lower case with hyphens")
    if len(detail) > MAX_DETAIL:
        raise InvalidEvent(f"detail is longer than {MAX_DETAIL:,} characters")
    if not _storable(detail):
        raise InvalidEvent("detail holds characters that cannot be stored")


def _storable(text: str) -> bool:
    """PostgreSQL keeps no NUL character, and half a surrogate pair is not text at all."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


class AuditLog:
    """The audit events ``actor`` causes on this workstation, kept until the server has them."""

    def __init__(self, engine: Engine, actor: str) -> None:
        self.engine = engine
        self.actor = actor
        self._writer = engine.execution_options(**{WRITE_LOCK: True})

    def record(self, action: str, case_id: str | None, detail: str = "") -> None:
        """Keep one event (e.g. ``record("case.print", case_id, "referral sheet")``).

        A small local write, but a write: like other case-store writes it may wait while the
        sync holds the store, so call it where such waits are expected (off the GUI thread).
        """
        check_event(action, case_id, detail)
        with self._writer.begin() as connection:
            connection.execute(insert(AuditOutbox).values(
                event_id=new_id(), actor=self.actor, at=utc_now(), action=action,
                case_id=case_id, detail=detail))

    def pending(self, limit: int = 500) -> list[dict[str, Any]]:
        """The actor's oldest unsent events, as the server takes them."""
        query = (select(AuditOutbox).where(AuditOutbox.actor == self.actor)
                 .order_by(AuditOutbox.seq).limit(limit))
        with self.engine.connect() as connection:
            return [{"id": row.event_id, "at": row.at, "action": row.action,
                     "case_id": row.case_id, "detail": row.detail}
                    for row in connection.execute(query)]

    def mark_sent(self, ids: Iterable[str]) -> None:
        """The server has stored these events: they leave the outbox."""
        with self._writer.begin() as connection:
            connection.execute(delete(AuditOutbox).where(AuditOutbox.event_id.in_(list(ids))))
