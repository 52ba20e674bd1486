"""The workstation's case store: local case copies, the outbox of unsent changes, conflicts.

A case lives here as its JSON document (``console.cases.changes``), the local view: the last copy
the server sent with this workstation's unsent changes replayed on top. The columns beside the
document are copies of a few of its fields and facts derived from it (``console.cases.index``),
there only so a case list can filter, sort and show a case without parsing every document; the
``case_search`` FTS5 table (made by the migration: SQLAlchemy cannot describe it) holds its words.

The outbox is the only record of a change the server has not confirmed yet, so its rows are
written in the same transaction as the case they changed, and removed only once the server has
answered for them. Times are ISO 8601 text in UTC, as in the case documents, so they sort as text.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Index, Integer, MetaData, String, Text
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
    # The case's row in ``case_search``: a number of its own, because SQLite may renumber the
    # implicit rowids of a table keyed on text (VACUUM), which would scramble the index. Each
    # case takes the next number as it is first written, under the store's write lock.
    search_rowid: Mapped[int] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(Text)
    call_type: Mapped[str | None] = mapped_column(Text)
    request_type: Mapped[str | None] = mapped_column(Text)
    urgency: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(32), index=True)
    assigned_to: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(Time, index=True)
    updated_at: Mapped[str] = mapped_column(Time, index=True)
    due_at: Mapped[str | None] = mapped_column(Time)
    next_task_due: Mapped[str | None] = mapped_column(Time)
    # When something is next owed (the due time or an open task's), or NO_DUE once nothing is
    # (closed, or no time set): never null, so one index serves "overdue first, then by due time".
    due_order: Mapped[str] = mapped_column(Time)
    pending_handoff_to: Mapped[str | None] = mapped_column(Text, index=True)
    title: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(Text)


# The lists' order, walked straight off an index: everything (all open, due soon, overdue), or
# the cases of one person (mine, the next-shift queue).
Index("ix_local_case_due_order", LocalCase.due_order, LocalCase.updated_at.desc(), LocalCase.id)
Index("ix_local_case_assigned_order", LocalCase.assigned_to, LocalCase.due_order,
      LocalCase.updated_at.desc(), LocalCase.id)
# From a search match to everything a view filters and sorts on, without reading the case's row:
# a common word matches tens of thousands of cases, and reading each row would take a tenth of a
# second where this index takes a hundredth.
Index("ix_local_case_search_key", LocalCase.search_rowid, LocalCase.status, LocalCase.urgency,
      LocalCase.assigned_to, LocalCase.pending_handoff_to, LocalCase.due_order,
      LocalCase.updated_at, LocalCase.id)


# Sorts after every real time: the due order of a case that owes nothing.
NO_DUE = "9999-12-31T23:59:59.999+00:00"
SEARCH_TABLE = "case_search"
SEARCH_COLUMNS = ("number", "phones", "names", "places", "location", "venue", "vehicle",
                  "details")
SEARCH_DDL = (
    f"CREATE VIRTUAL TABLE {SEARCH_TABLE} USING fts5(" + ", ".join(SEARCH_COLUMNS)
    + ", tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
)


def is_search_table(name: str | None) -> bool:
    """The FTS5 table of case words or one of the shadow tables SQLite keeps for it."""
    return name is not None and (name == SEARCH_TABLE or name.startswith(SEARCH_TABLE + "_"))


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's filter when comparing the store with the models: the search tables are made
    by hand in a migration, so they are no difference to report."""
    return type_ != "table" or not is_search_table(name)


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


class AuditOutbox(CaseBase):
    """Views, prints and exports of cases done here, waiting to reach the server's audit log.

    Kept apart from the case outbox: an audit event changes no case, and it is sent as its own
    batch after the changes. Each event's id is made here, so a resend is stored once.
    """

    __tablename__ = "audit_outbox"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[str] = mapped_column(Time)
    action: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(Id)
    detail: Mapped[str] = mapped_column(Text)
