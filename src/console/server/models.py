"""The server's tables, the same on PostgreSQL (production) and SQLite (embedded default).

Everything the hotline shares carries a ``seq`` from one feed clock (``feed_clock``): a writer
takes the next numbers by updating the clock's single row, and that row stays locked until the
writer commits. Writers therefore commit in the order of their numbers, so a reader that has seen
change N has seen every change before N — no cursor can skip a change committed late.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Id = String(64)

class ServerBase(DeclarativeBase):
    metadata = MetaData()

class User(ServerBase):
    __tablename__ = "app_user"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # In every access token; raised on disable, password or role change, which revokes them all.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

class RefreshToken(ServerBase):
    """Refresh tokens by their SHA-256 digest; the token itself is never stored."""

    __tablename__ = "refresh_token"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("app_user.name"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Every token renewed from one sign-in shares it: a rotated token used again revokes them all.
    family: Mapped[str | None] = mapped_column(String(64), index=True)

class ServerSetting(ServerBase):
    """Settings every server instance shares, such as the token signing key."""

    __tablename__ = "server_setting"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

class FeedClock(ServerBase):
    __tablename__ = "feed_clock"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)

class DirectoryRecord(ServerBase):
    """One HSDS row (its table is ``kind``) as JSON; deleted rows stay as tombstones."""

    __tablename__ = "directory_record"
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[str | None] = mapped_column(Text)

class DirectoryRecordSource(ServerBase):
    """Which import source listed a record, so that importing a source never touches another's
    records and ``--replace`` replaces that source only.

    Only the records every other row hangs off are listed (``ROOT_KINDS``). Records stored
    before imports had sources, and those administrators add, belong to no source.
    """

    __tablename__ = "directory_record_source"
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(Text, index=True)

class DirectorySnapshot(ServerBase):
    """A ready-made workstation directory file (compressed), for a fast first sync."""

    __tablename__ = "directory_snapshot"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cursor: Mapped[int] = mapped_column(BigInteger)
    schema_revision: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    complete: Mapped[bool] = mapped_column(Boolean, default=False)

class SnapshotChunk(ServerBase):
    __tablename__ = "directory_snapshot_chunk"
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("directory_snapshot.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)

class CaseRecord(ServerBase):
    """The server's copy of a case: the whole document, plus columns to list and filter by."""

    __tablename__ = "case_record"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    version: Mapped[int] = mapped_column(Integer)
    doc: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    assigned_to: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str | None] = mapped_column(String(40), index=True)
    urgency: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[str] = mapped_column(String(40))

class CaseAccess(ServerBase):
    """Who may see a case besides supervisors: its author and everyone it was handed to."""

    __tablename__ = "case_access"
    user_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_id: Mapped[str] = mapped_column(Id, primary_key=True)

class AppliedChange(ServerBase):
    """Every change a workstation sent, by its id: the key to applying each exactly once."""

    __tablename__ = "applied_change"
    change_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(Id, index=True)
    user_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    result: Mapped[str] = mapped_column(Text)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

class CaseConflict(ServerBase):
    """A field two people changed: the server kept one value; the other text is kept here."""

    __tablename__ = "case_conflict"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(Id, index=True)
    change_id: Mapped[str] = mapped_column(String(36))
    user_name: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(40))
    base_value: Mapped[str] = mapped_column(Text)
    server_value: Mapped[str] = mapped_column(Text)
    client_value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

class AuditEvent(ServerBase):
    """Who did what to which case (``subject``: its id; empty for a list of cases), and when.

    The server writes one for every change it applies; workstations send the views, prints
    and exports done on them, each with its own ``event_id`` so a resend is stored once.
    """

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[str | None] = mapped_column(String(36), unique=True, index=True)
    # When the server stored it; ``at`` is when it happened (a workstation's word, for theirs).
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

class Workstation(ServerBase):
    """A console that syncs here: its version and when it last synced in full.

    IT lists the ones that went quiet (``hotline server workstations``): a workstation that has
    not synced for hours holds cases nobody else can see yet.
    """

    __tablename__ = "workstation"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(200))
    console_version: Mapped[str] = mapped_column(String(40))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # The call open on it, as it last said (all None between calls): the supervisor's list of
    # calls in progress. Its case's id and number, its request type and urgency, and its start.
    call_case_id: Mapped[str | None] = mapped_column(Id)
    call_number: Mapped[str | None] = mapped_column(String(40))
    call_type: Mapped[str | None] = mapped_column(String(40))
    call_urgency: Mapped[str | None] = mapped_column(String(20))
    call_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

class SupervisorAlert(ServerBase):
    """A specialist asking a supervisor to come now: who, which case, why, when; and which
    supervisor answered. The id is made on the workstation, so a resend is stored once.

    Raising and acknowledging each take a number from the feed clock (``seq``): a supervisor's
    stream asks for everything after the last number it saw, so nothing is missed across a drop.
    """

    __tablename__ = "supervisor_alert"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    case_id: Mapped[str] = mapped_column(Id, index=True)
    case_number: Mapped[str | None] = mapped_column(String(40))
    call_type: Mapped[str | None] = mapped_column(String(40))
    specialist: Mapped[str] = mapped_column(String(200), index=True)
    reasons: Mapped[str] = mapped_column(Text)  # a JSON list of the reasons, in words
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
