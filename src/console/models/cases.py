"""The workstation's case store: local case copies, the outbox of unsent changes, conflicts.

A case lives here as its JSON document (``console.cases.changes``), the local view: the last copy
the server sent with this workstation's unsent changes replayed on top. The columns beside the
document are copies of a few of its fields, there only so a case list can filter and sort
without parsing every document.

The outbox is the only record of a change the server has not confirmed yet, so its rows are
written in the same transaction as the case they changed, and removed only once the server has
answered for them. Times are ISO 8601 text in UTC, as in the case documents, so they sort as text.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Id = String(64)
Time = String(40)


class CaseBase(DeclarativeBase):
    """Kept apart from ``DirectoryBase``: the case store is its own database file."""

    metadata = MetaData()


class LocalCase(CaseBase):
    __tablename__ = "local_case"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    doc: Mapped[str] = mapped_column(Text)
    # The case version of the newest server copy seen; 0 = the server has never confirmed it.
    server_version: Mapped[int] = mapped_column(Integer, default=0)
    call_type: Mapped[str | None] = mapped_column(Text)
    urgency: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(32), index=True)
    assigned_to: Mapped[str | None] = mapped_column(Text, index=True)
    created_at: Mapped[str] = mapped_column(Time)
    updated_at: Mapped[str] = mapped_column(Time, index=True)


class OutboxEntry(CaseBase):
    __tablename__ = "outbox"
    # AUTOINCREMENT: a sequence number is never reused, so it is the order changes are sent in.
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_id: Mapped[str] = mapped_column(Id, unique=True, index=True)
    case_id: Mapped[str] = mapped_column(Id, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    change: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(Time)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # 'pending' is sent on the next sync; 'rejected' was refused by the server and waits for a
    # person, because resending it would only be refused again.
    state: Mapped[str] = mapped_column(String(16), default="pending")


class CaseConflict(CaseBase):
    __tablename__ = "case_conflict"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(Id, index=True)
    change_id: Mapped[str] = mapped_column(Id)
    field: Mapped[str] = mapped_column(String(64))
    # JSON text each: both sides are kept word for word until a person picks or merges them.
    base_value: Mapped[str] = mapped_column(Text)
    server_value: Mapped[str] = mapped_column(Text)
    client_value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(Time)
    resolved_at: Mapped[str | None] = mapped_column(Time)


class SyncState(CaseBase):
    """Small facts the sync client keeps between runs, such as the cursor of the case feed."""

    __tablename__ = "sync_state"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
