"""The sync client (Qt-free): push the case outbox, pull the directory and cases, report status.

One ``sync_once`` pushes every waiting change (each is resent until the server answers it, and the
server applies each exactly once), then the audit events recorded here (views, prints, exports;
stored once each by their ids), then pulls directory changes page by page — each page written
with its new cursor in one local transaction, so a sync stopped at any point resumes where it
stopped — then pulls the cases this user may see, and drops the copies of queue cases someone
else has taken since. A first sync of a large directory downloads the server's ready-made
snapshot instead of a million single records.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from console import __version__, settings
from console.cases.audit import AuditLog
from console.cases.changes import ITEM_LISTS
from console.cases.store import CASES_CURSOR, LISTING_FIELDS, CaseStore
from console.directory.batch import COLUMNS, Row
from console.directory.feed import CURSOR_KEY, apply_changes, row_values
from console.directory.index import get_meta, set_meta
from console.models.database import open_directory
from console.sync.api import (
    BadReply,
    ServerApi,
    ServerRefused,
    ServerUnreachable,
    SyncError,
    expect,
)
from console.sync.release import ReleaseCheck, ReleaseNotice
from console.sync.snapshot import SnapshotUnusable, install_snapshot
from console.tasks import QuietState, TaskState, check_cancelled

log = logging.getLogger(__name__)

SERVER_KEY = "sync_server"
WORKSTATION_KEY = "workstation_id"
PUSH_BATCH = 200
AUDIT_BATCH = 500  # the server's limit per request
RESULT_STATUSES = {"applied", "conflict", "rejected"}
CASE_ROLES = ("specialist", "supervisor")


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows: online or not, last good sync, what waits, what went wrong.

    A snapshot: the sync thread makes a new one at each step and the window only ever reads
    one, so the two threads never write the same object."""

    online: bool | None = None  # None: not tried yet
    last_success: datetime | None = None
    pending: int = 0
    rejected: int = 0
    conflicts: int = 0
    last_error: str | None = None
    release: ReleaseNotice | None = None  # a newer console the server announces

    def summary(self) -> str:
        state = {None: "not synced yet", True: "online", False: "offline"}[self.online]
        parts = [state]
        if self.last_success:
            parts.append(f"last sync {self.last_success.astimezone():%H:%M}")
        parts.append(f"{self.pending} change(s) waiting")
        if self.conflicts:
            parts.append(f"{self.conflicts} conflict(s) to resolve")
        if self.rejected:
            parts.append(f"{self.rejected} change(s) refused by the server")
        if self.last_error and not self.online:
            parts.append(self.last_error)
        return " · ".join(parts)


@dataclass
class SyncReport:
    pushed: int = 0
    conflicts: int = 0
    rejected: int = 0
    directory_changes: int = 0
    cases_pulled: int = 0
    cases_withdrawn: int = 0  # queue cases someone else took: no longer this user's to see
    audit_events: int = 0
    used_snapshot: bool = False
    notes: list[str] = field(default_factory=list)
    changed_cases: set[str] = field(default_factory=set)  # pulled or withdrawn: screens redo


class SyncClient:
    def __init__(self, api: ServerApi, directory_path: Path, cases: CaseStore | None,
                 page_size: int = 5_000) -> None:
        self._api = api
        self._directory_path = directory_path
        self._engine: Engine | None = None
        self._cases = cases
        self._page_size = page_size
        self.status = SyncStatus()
        self._release = ReleaseCheck()
        self.directory_replaced: list[Callable[[], None]] = []
        # The call open on this workstation (``CallDesk.call_in_progress``), reported with
        # each check-in for the supervisor's list of calls in progress.
        self.open_call: Callable[[], dict[str, Any] | None] = lambda: None
        self._refresh_counts()

    @property
    def api(self) -> ServerApi:
        """The signed-in server API (shared with the alert feed)."""
        return self._api

    @property
    def directory(self) -> Engine:
        if self._engine is None:
            self._engine = open_directory(self._directory_path)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self._api.close()

    def sync_once(self, state: TaskState | None = None) -> SyncReport:
        """Push, then pull; raises ``SyncError`` (status updated either way)."""
        state = state or QuietState()
        report = SyncReport()
        try:
            self._push(report)
            self._push_audit(report)
            self._pull_directory(report, state)
            self._pull_cases(report)
            self._drop_left_queue(report)
        except SyncError as error:
            self.status = replace(self.status, online=not isinstance(error, ServerUnreachable),
                                  last_error=str(error))
            log.warning("sync stopped: %s", error)
            raise
        finally:
            self._refresh_counts()
        self.status = replace(self.status, online=True, last_error=None,
                              last_success=datetime.now(UTC),
                              release=self._release.check(self._api))
        self._check_in(report)
        # Counts only: what a case says never goes into a log.
        log.info("synced: %d change(s) pushed (%d conflict, %d refused), %d directory "
                 "change(s)%s, %d case(s) pulled", report.pushed, report.conflicts,
                 report.rejected, report.directory_changes,
                 " from a snapshot" if report.used_snapshot else "", report.cases_pulled)
        return report

    def _check_in(self, report: SyncReport) -> None:
        """Tell the server this workstation's version and that it has just synced in full, so
        IT can list workstations that went quiet. A server that cannot take it costs nothing."""
        try:
            self._api.post("/sync/workstation", {
                "workstation": workstation_id(), "version": __version__,
                "last_sync": self.status.last_success.isoformat()
                if self.status.last_success else None, "call": self.open_call()})
        except SyncError as error:
            report.notes.append(f"workstation not reported: {error}")

    # --- push ---

    def _push(self, report: SyncReport) -> None:
        if self._cases is None:
            return
        batch = PUSH_BATCH
        while True:
            waiting = self._cases.pending_changes(batch)
            if not waiting:
                return
            ids = [change["change_id"] for change in waiting]
            case_of = {change["change_id"]: change["case_id"] for change in waiting}
            try:
                reply = self._api.post("/sync/push", {"changes": waiting})
                results = _push_results(reply, case_of)
            except ServerRefused as refused:
                if refused.status != 413:
                    self._cases.record_attempt(ids, str(refused))
                    raise
                if len(waiting) > 1:
                    # Over the server's limit per request: the same changes, in order, in
                    # smaller parts.
                    batch = max(1, len(waiting) // 2)
                    continue
                # One change larger than the server takes at all: kept, marked, for a person.
                results = [{"change_id": ids[0], "case_id": waiting[0]["case_id"],
                            "status": "rejected", "reason": str(refused), "conflicts": []}]
            except SyncError as error:
                self._cases.record_attempt(ids, str(error))
                raise
            self._cases.record_results(results)
            for result in results:
                # The server's copy is now here (its answer need not name the case: the change
                # it answers does).
                report.changed_cases.add(case_of[result["change_id"]])
                report.pushed += 1
                report.conflicts += result["status"] == "conflict"
                report.rejected += result["status"] == "rejected"

    def _push_audit(self, report: SyncReport) -> None:
        """Send the audit events recorded here by the signed-in user, oldest first; a server
        that refuses them keeps them waiting for a later sync, and cases still sync."""
        if self._cases is None or self._api.role() not in CASE_ROLES:
            return
        audit = AuditLog(self._cases.engine, self._api.user())
        while events := audit.pending(AUDIT_BATCH):
            reply = _unless_refused(report, "audit events not sent",
                                    partial(self._api.post, "/audit/events", {"events": events}))
            if reply is None:
                return
            if expect(reply, "received", int) != len(events):
                raise BadReply("the server's answer to the audit events does not match")
            audit.mark_sent(event["id"] for event in events)
            report.audit_events += len(events)

    # --- directory ---

    def _pull_directory(self, report: SyncReport, state: TaskState) -> None:
        with self.directory.connect() as connection:
            cursor = get_meta(connection, CURSOR_KEY)
            server = get_meta(connection, SERVER_KEY)
        fresh = cursor is None or server != self._api.server_url
        if fresh and self._try_snapshot(report, state):
            fresh = False
            with self.directory.connect() as connection:
                cursor = get_meta(connection, CURSOR_KEY)
        after = 0 if fresh else int(cursor or 0)
        while True:
            check_cancelled(state)
            page = self._api.get("/sync/directory", after=after, limit=self._page_size)
            upserts, deletes, new_cursor, more = _directory_page(page, after)
            with self.directory.begin() as connection:
                if fresh:
                    _clear_directory(connection)
                    fresh = False
                apply_changes(connection, upserts, deletes, state)
                set_meta(connection, CURSOR_KEY, str(new_cursor))
                set_meta(connection, SERVER_KEY, self._api.server_url)
                set_meta(connection, "source", "server")
            report.directory_changes += sum(map(len, upserts.values())) + sum(
                map(len, deletes.values()))
            after = new_cursor
            if not more:
                return

    def _try_snapshot(self, report: SyncReport, state: TaskState) -> bool:
        try:
            info = self._api.get("/sync/directory/snapshot")
        except SyncError as error:
            if getattr(error, "status", None) == 404:
                return False
            raise
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        try:
            install_snapshot(self._api, info, self._directory_path, state)
        except SnapshotUnusable as reason:
            report.notes.append(f"snapshot not used: {reason}")
            return False
        report.used_snapshot = True
        for listener in self.directory_replaced:
            listener()
        return True

    # --- cases ---

    def _pull_cases(self, report: SyncReport) -> None:
        if self._cases is None or self._api.role() not in CASE_ROLES:
            return
        while True:
            after = int(self._cases.get_state(CASES_CURSOR) or 0)
            page = self._api.get("/sync/cases", after=after, limit=self._page_size)
            docs = expect(page, "cases", list)
            cursor = expect(page, "cursor", int, lambda value, floor=after: value >= floor)
            if not all(map(_readable_case, docs)):
                raise BadReply("the server sent a case the console cannot read")
            self._cases.apply_server_cases(docs, str(cursor))
            report.cases_pulled += len(docs)
            report.changed_cases.update(doc["id"] for doc in docs)
            if not expect(page, "more", bool):
                return

    def _drop_left_queue(self, report: SyncReport) -> None:
        """After a complete pull, drop queue cases the server no longer sends this user."""
        if self._cases is None or self._api.role() not in CASE_ROLES:
            return
        reply = _unless_refused(report, "queue not checked", partial(self._api.get, "/sync/queue"))
        if reply is None:
            return
        queued = expect(reply, "case_ids", list,
                        lambda ids: all(isinstance(case_id, str) for case_id in ids))
        withdrawn = self._cases.drop_left_queue(queued)
        report.cases_withdrawn += len(withdrawn)
        report.changed_cases.update(withdrawn)

    def _refresh_counts(self) -> None:
        if self._cases is None:
            return
        counts = self._cases.counts()
        self.status = replace(self.status, pending=counts["pending"],
                              rejected=counts["rejected"], conflicts=counts["conflicts"])


def _unless_refused(report: SyncReport, what: str, call: Callable[[], dict[str, Any]]
                    ) -> dict[str, Any] | None:
    """The reply to a call an older server may not know; None (and a note) when the server
    refuses it, so that cases still sync. A server in trouble (5xx) stops the sync as usual."""
    try:
        return call()
    except ServerRefused as refused:
        if refused.status >= 500:
            raise
        report.notes.append(f"{what}: {refused}")
        return None


def _push_results(reply: dict[str, Any], sent: dict[str, str]) -> list[dict[str, Any]]:
    """The server's answers to the changes ``sent`` (change id -> case id), checked."""
    results = expect(reply, "results", list)
    for result in results:
        if not isinstance(result, dict) or result.get("change_id") not in sent \
                or result.get("status") not in RESULT_STATUSES:
            raise BadReply("the server's answer to a push does not match what was sent")
        if result.get("withdrawn", False) is not False and (
                result["withdrawn"] is not True
                or result.get("case_id") != sent[result["change_id"]]):
            raise BadReply("the server's answer to a push withdraws a case it was not about")
        conflicts = result.get("conflicts") or []
        if not isinstance(conflicts, list) or not all(map(_readable_conflict, conflicts)):
            raise BadReply("the server's answer to a push holds a conflict the console cannot "
                           "read")
        if result.get("case") is not None and not _readable_case(result["case"]):
            raise BadReply("the server's answer to a push holds a case the console cannot read")
    return results


def _readable_case(doc: Any) -> bool:
    """Whether a case from the server has the fields the case store relies on, of the right
    types; anything else would fail half-way through storing it, not as a clear error."""
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) \
            or not isinstance(doc.get("version"), int) or isinstance(doc["version"], bool):
        return False
    if not all(isinstance(doc.get(name), str) for name in ("created_at", "updated_at")) or \
            not all(isinstance(doc.get(name), str | None) for name in LISTING_FIELDS):
        return False
    return all(isinstance(doc.get(name), list) and all(
        isinstance(item, dict) and isinstance(item.get("id"), str) for item in doc[name])
        for name in ITEM_LISTS.values())


def _readable_conflict(conflict: Any) -> bool:
    return isinstance(conflict, dict) and all(
        isinstance(conflict.get(name), str) for name in ("case_id", "change_id", "field")) \
        and all(name in conflict for name in ("base_value", "server_value", "client_value"))


def _directory_page(page: dict[str, Any], after: int) -> tuple[
        dict[str, dict[str, Row]], dict[str, list[str]], int, bool]:
    changes = expect(page, "changes", list)
    cursor = expect(page, "cursor", int, lambda value: value >= after)
    more = expect(page, "more", bool)
    upserts: dict[str, dict[str, Row]] = {}
    deletes: dict[str, list[str]] = {}
    last = after
    for change in changes:
        if not isinstance(change, dict):
            raise BadReply("a directory change is not an object")
        kind, record_id, seq = change.get("kind"), change.get("id"), change.get("seq")
        if kind not in COLUMNS or not isinstance(record_id, str) or not isinstance(seq, int) \
                or seq <= last:
            raise BadReply("a directory change has a bad kind, id or number")
        last = seq
        if change.get("deleted") is True:
            deletes.setdefault(kind, []).append(record_id)
            upserts.get(kind, {}).pop(record_id, None)
        elif isinstance(change.get("data"), dict) and change["data"].get("id") == record_id:
            upserts.setdefault(kind, {})[record_id] = _storable_row(kind, record_id,
                                                                    change["data"])
        else:
            raise BadReply(f"the directory change of {kind} {record_id} has no usable record")
    if changes and cursor != last:
        raise BadReply("the page's cursor does not match its last change")
    return upserts, deletes, cursor, more


def _storable_row(kind: str, record_id: str, data: dict[str, Any]) -> Row:
    """The record as a row of ``kind``; an object or a list where a column's value belongs
    could not be stored (and the page would fail half-way through, not as a clear error)."""
    row = row_values(kind, data)
    for column, value in row.items():
        if not isinstance(value, str | int | float | None):
            raise BadReply(f"the directory change of {kind} {record_id} has a {column} the "
                           "console cannot store")
    return row


def _clear_directory(connection: Any) -> None:
    """The first page from a server replaces whatever the workstation had (demo or an import)."""
    for table in reversed(COLUMNS):
        connection.exec_driver_sql(f"DELETE FROM {table}")


def workstation_id() -> str:
    """This installation's own random id (not personal), made on first use."""
    known = settings.read_preference(WORKSTATION_KEY)
    if known:
        return known
    made = str(uuid.uuid4())
    settings.write_preference(WORKSTATION_KEY, made)
    return made


class Backoff:
    """Waits between failed attempts: doubling from ``base`` up to ``cap``, with full jitter."""

    def __init__(self, base: float = 2.0, cap: float = 300.0,
                 rng: random.Random | None = None) -> None:
        self._base, self._cap = base, cap
        self._rng = rng or random.Random()
        self._failures = 0

    def reset(self) -> None:
        self._failures = 0

    def next_delay(self) -> float:
        ceiling = min(self._cap, self._base * 2 ** self._failures)
        self._failures += 1
        return self._rng.uniform(ceiling / 2, ceiling)

