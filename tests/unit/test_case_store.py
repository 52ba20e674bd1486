"""The workstation's case store: local changes, the outbox, server answers, rebase, conflicts."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select

from console import settings
from console.cases.changes import Case, InvalidChange, apply_change, new_change
from console.cases.store import CASES_CURSOR, CaseStore, UnknownCase, UnknownConflict
from console.models.cases import (
    SEARCH_TABLE,
    CaseBase,
    LocalCase,
    OutboxEntry,
    include_name,
    is_search_table,
)
from console.models.database import open_case_store, open_directory


@pytest.fixture
def store(engine: Engine) -> CaseStore:
    return CaseStore(engine, "alice")


def outbox(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(OutboxEntry).order_by(OutboxEntry.seq)).mappings()
        return [dict(row) for row in rows]


def stored_case(engine: Engine, case_id: str) -> dict[str, Any] | None:
    with engine.connect() as connection:
        row = connection.execute(select(LocalCase).where(LocalCase.id == case_id)).mappings()
        found = row.first()
    return None if found is None else dict(found)


def server_copy(case: Case, version: int, **fields: Any) -> Case:
    """The case as the server would send it back: same document, the server's version."""
    return {**json.loads(json.dumps(case)), **fields, "version": version}


def answer(change: dict[str, Any], status: str, case: Case | None = None,
           **extra: Any) -> dict[str, Any]:
    result = {"change_id": change["change_id"], "status": status, **extra}
    if case is not None:
        result["case"] = case
    return result


def confirm_everything(store: CaseStore) -> Case:
    """The server applies every unsent change; the store hears back about all of them."""
    changes = store.pending_changes()
    case: Case | None = None
    for change in changes:
        case = apply_change(case, change, store.actor).case
    assert case is not None
    store.record_results([answer(c, "applied", case) for c in changes])
    return case


# --- local changes ------------------------------------------------------------------------------

def test_create_writes_the_case_its_listing_and_one_outbox_entry(store: CaseStore,
                                                                 engine: Engine) -> None:
    case = store.create_case("crisis", "urgent", summary="Caller in danger")
    assert store.get(case["id"]) == case
    row = stored_case(engine, case["id"])
    assert row is not None and row["server_version"] == 0
    assert (row["call_type"], row["urgency"], row["status"], row["assigned_to"]) == \
        ("crisis", "urgent", "open", "alice")
    assert row["updated_at"] == case["updated_at"]
    [entry] = outbox(engine)
    assert entry["kind"] == "create" and entry["state"] == "pending" and entry["attempts"] == 0
    assert json.loads(entry["change"])["payload"]["summary"] == "Caller in danger"
    assert store.counts() == {"pending": 1, "rejected": 0, "conflicts": 0}


def test_edit_sends_only_what_differs_from_the_local_copy(store: CaseStore,
                                                          engine: Engine) -> None:
    case = store.create_case("tip", "non-urgent")
    confirm_everything(store)
    edited = store.edit(case["id"], status="awaiting follow-up", urgency="non-urgent",
                        summary="Update")
    assert edited["status"] == "awaiting follow-up" and edited["summary"] == "Update"
    [change] = store.pending_changes()
    assert change["kind"] == "update" and change["base_version"] == 1
    assert change["payload"] == {"fields": {"status": {"from": "open", "to": "awaiting follow-up"},
                                            "summary": {"from": "", "to": "Update"}}}
    assert stored_case(engine, case["id"])["status"] == "awaiting follow-up"  # type: ignore[index]
    assert store.edit(case["id"], status="awaiting follow-up") == edited
    assert store.edit(case["id"]) == edited
    assert len(store.pending_changes()) == 1, "an edit that changes nothing is not queued"


def test_notes_referrals_and_handoffs_are_queued_in_order(store: CaseStore) -> None:
    case = store.create_case("service referral", "urgent")
    store.add_note(case["id"], "Caller needs shelter tonight")
    store.add_referral(case["id"], "svc-9", "Safe Harbor Shelter")
    handed = store.hand_off(case["id"], "bob", note="Please call back at 6")
    handoff_id = handed["handoffs"][0]["id"]
    assert handed["assigned_to"] == "bob"
    acked = CaseStore(store.engine, "bob").acknowledge_handoff(case["id"], handoff_id)
    assert acked["handoffs"][0]["acknowledged_by"] == "bob"
    assert acked["notes"][0]["text"] == "Caller needs shelter tonight"
    assert acked["referrals"][0]["service_id"] == "svc-9"
    assert [c["kind"] for c in store.pending_changes()] == [
        "create", "add_note", "add_referral", "hand_off", "acknowledge_handoff"]
    assert [c["kind"] for c in store.pending_changes(limit=2)] == ["create", "add_note"]
    assert CaseStore(store.engine, "bob").acknowledge_handoff(case["id"], handoff_id) == acked
    assert len(store.pending_changes()) == 5, "acknowledging twice queues nothing"


def test_list_shows_the_most_recently_updated_first(store: CaseStore) -> None:
    first = store.create_case("tip", "urgent")
    second = store.create_case("crisis", "urgent")
    store.add_note(first["id"], "New information")
    assert [c["id"] for c in store.list_cases()] == [first["id"], second["id"]]


def test_unknown_case_and_invalid_values_write_nothing(store: CaseStore, engine: Engine) -> None:
    case = store.create_case("tip", "urgent")
    before = (store.get(case["id"]), outbox(engine))
    with pytest.raises(UnknownCase, match="no case 'missing'"):
        store.add_note("missing", "text")
    assert issubclass(UnknownCase, LookupError)
    for attempt in (lambda: store.edit(case["id"], summary="ok", status="lost"),
                    lambda: store.edit(case["id"], created_by="mallory"),
                    lambda: store.add_note(case["id"], ""),
                    lambda: store.hand_off(case["id"], ""),
                    lambda: store.acknowledge_handoff(case["id"], "not-a-handoff"),
                    lambda: store.create_case("prank", "urgent")):
        with pytest.raises(InvalidChange):
            attempt()
    assert (store.get(case["id"]), outbox(engine)) == before
    assert store.get("missing") is None


def test_a_failure_inside_the_transaction_leaves_neither_case_nor_outbox(
        store: CaseStore, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    case = store.create_case("tip", "urgent")

    def crash(*_args: Any) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(CaseStore, "_enqueue", crash)
    with pytest.raises(RuntimeError):
        store.edit(case["id"], summary="Lost with the power")
    with pytest.raises(RuntimeError):
        store.create_case("crisis", "urgent")
    assert store.get(case["id"]) == case
    assert [c["id"] for c in store.list_cases()] == [case["id"]]
    assert len(outbox(engine)) == 1


def test_a_write_transaction_holds_the_write_lock_from_its_start(store: CaseStore) -> None:
    with store.transaction() as connection:
        connection.execute(select(func.count()).select_from(LocalCase)).scalar()
        other = sqlite3.connect(settings.case_db_path(), timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


# --- the server's answers -----------------------------------------------------------------------

def test_recorded_attempts_count_and_keep_the_last_error(store: CaseStore,
                                                         engine: Engine) -> None:
    store.create_case("tip", "urgent")
    change_id = store.pending_changes()[0]["change_id"]
    store.record_attempt([change_id], "connection refused")
    store.record_attempt([change_id], "timed out")
    [entry] = outbox(engine)
    assert entry["attempts"] == 2 and entry["last_error"] == "timed out"
    store.record_attempt([change_id], None)
    assert outbox(engine)[0]["last_error"] is None


@pytest.mark.parametrize("status", ["applied", "duplicate"])
def test_applied_and_duplicate_answers_settle_the_change(store: CaseStore, engine: Engine,
                                                         status: str) -> None:
    case = store.create_case("tip", "urgent")
    [change] = store.pending_changes()
    store.record_results([answer(change, status, server_copy(case, 1))])
    assert outbox(engine) == [] and store.counts()["pending"] == 0
    assert stored_case(engine, case["id"])["server_version"] == 1  # type: ignore[index]
    assert store.get(case["id"]) == server_copy(case, 1)


def test_a_conflict_answer_keeps_both_texts_and_shows_the_server_value(
        store: CaseStore, engine: Engine) -> None:
    case = store.create_case("tip", "urgent")
    server_case = confirm_everything(store)
    store.edit(case["id"], summary="Alice's account of the call")
    [change] = store.pending_changes()
    on_server = server_copy(server_case, 2, summary="Bob's account of the call")
    conflict = {"case_id": case["id"], "change_id": change["change_id"], "field": "summary",
                "base_value": "", "server_value": "Bob's account of the call",
                "client_value": "Alice's account of the call"}
    store.record_results([answer(change, "conflict", on_server, conflicts=[conflict])])
    store.record_results([answer(change, "duplicate", on_server, conflicts=[conflict])])
    assert outbox(engine) == []
    assert store.get(case["id"])["summary"] == "Bob's account of the call"  # type: ignore[index]
    [kept] = store.conflicts(case["id"])
    assert {k: kept[k] for k in conflict} == conflict and kept["resolved_at"] is None
    assert store.counts() == {"pending": 0, "rejected": 0, "conflicts": 1}
    assert store.conflicts("another-case") == []


def test_a_rejected_change_is_kept_counted_and_never_resent(store: CaseStore,
                                                            engine: Engine) -> None:
    case = store.create_case("tip", "urgent")
    server_case = confirm_everything(store)
    store.add_note(case["id"], "A note the server refuses")
    store.add_note(case["id"], "A note the server takes")
    refused, taken = store.pending_changes()
    store.record_results([answer(refused, "rejected", reason="note is too long")])
    assert store.pending_changes() == [taken]
    assert store.counts() == {"pending": 1, "rejected": 1, "conflicts": 0}
    [entry] = [e for e in outbox(engine) if e["state"] == "rejected"]
    assert entry["last_error"] == "note is too long" and json.loads(entry["change"]) == refused
    # The next server copy no longer shows the refused note; the unsent one stays on top.
    store.apply_server_cases([server_copy(server_case, 1)], cursor="c1")
    texts = [n["text"] for n in store.get(case["id"])["notes"]]  # type: ignore[index]
    assert texts == ["A note the server takes"]


def test_an_unknown_answer_status_records_nothing(store: CaseStore, engine: Engine) -> None:
    case = store.create_case("tip", "urgent")
    [change] = store.pending_changes()
    with pytest.raises(ValueError, match="unknown result status"):
        store.record_results([answer(change, "applied", server_copy(case, 1)),
                              answer(change, "maybe")])
    assert len(outbox(engine)) == 1 and store.get(case["id"]) == case


# --- rebase -------------------------------------------------------------------------------------

def test_rebase_keeps_unsent_local_changes_on_top_of_a_newer_server_copy(
        store: CaseStore, engine: Engine) -> None:
    case = store.create_case("tip", "urgent")
    server_case = confirm_everything(store)
    store.edit(case["id"], summary="Alice's summary")
    store.add_note(case["id"], "Alice's note")
    for kind, payload in (
            ("update", {"fields": {"urgency": {"from": "urgent", "to": "non-urgent"}}}),
            ("add_note", {"id": "0d7a3c1e-1111-4d3a-9a65-2a1f3f6c1b01", "text": "Bob's note"})):
        server_case = apply_change(server_case, new_change(kind, case["id"], payload), "bob").case
    store.apply_server_cases([server_case], cursor="cursor-7")
    local = store.get(case["id"])
    assert local is not None
    assert local["urgency"] == "non-urgent" and local["summary"] == "Alice's summary"
    assert [n["text"] for n in local["notes"]] == ["Bob's note", "Alice's note"]
    assert stored_case(engine, case["id"])["server_version"] == 3  # type: ignore[index]
    assert stored_case(engine, case["id"])["urgency"] == "non-urgent"  # type: ignore[index]
    assert store.get_state(CASES_CURSOR) == "cursor-7"
    assert len(store.pending_changes()) == 2
    store.apply_server_cases([server_copy(case, 1, summary="stale")], cursor="cursor-8")
    assert store.get(case["id"]) == local, "an older server copy never replaces a newer one"


def test_a_change_that_no_longer_applies_is_left_out_but_kept(store: CaseStore) -> None:
    case = store.create_case("tip", "urgent")
    store.add_note(case["id"], "Written before the answer came back")
    created_on_server = server_copy(case, 1)  # the create got through; its answer was lost
    store.apply_server_cases([created_on_server], cursor="c")
    local = store.get(case["id"])
    assert local is not None and local["version"] == 2
    assert [n["text"] for n in local["notes"]] == ["Written before the answer came back"]
    assert [c["kind"] for c in store.pending_changes()] == ["create", "add_note"]


def test_cases_first_seen_on_the_server_are_stored(store: CaseStore) -> None:
    theirs = apply_change(None, new_change("create", "4f8a3c1e-2222-4d3a-9a65-2a1f3f6c1b02",
                                           {"call_type": "crisis", "urgency": "urgent",
                                            "status": "open"}), "bob").case
    store.apply_server_cases([theirs], cursor="c")
    assert store.list_cases() == [theirs] and store.pending_changes() == []


# --- conflicts and sync state -------------------------------------------------------------------

def _conflicted(store: CaseStore) -> tuple[Case, dict[str, Any]]:
    case = store.create_case("tip", "urgent")
    server_case = confirm_everything(store)
    store.edit(case["id"], summary="Mine")
    [change] = store.pending_changes()
    on_server = server_copy(server_case, 2, summary="Theirs")
    store.record_results([answer(change, "conflict", on_server, conflicts=[
        {"case_id": case["id"], "change_id": change["change_id"], "field": "summary",
         "base_value": "", "server_value": "Theirs", "client_value": "Mine"}])])
    return case, store.conflicts()[0]


def test_resolving_a_conflict_queues_the_choice_and_closes_it(store: CaseStore) -> None:
    case, conflict = _conflicted(store)
    resolved = store.resolve_conflict(conflict["id"], "Theirs. Mine.")
    assert resolved["summary"] == "Theirs. Mine." and store.get(case["id"]) == resolved
    [change] = store.pending_changes()
    assert change["payload"] == {"fields": {"summary": {"from": "Theirs", "to": "Theirs. Mine."}}}
    assert change["base_version"] == 2
    assert store.conflicts() == [] and store.counts()["conflicts"] == 0
    with pytest.raises(UnknownConflict):
        store.resolve_conflict(conflict["id"], "again")


def test_keeping_the_server_value_closes_the_conflict_without_sending(store: CaseStore) -> None:
    _case, conflict = _conflicted(store)
    store.resolve_conflict(conflict["id"], "Theirs")
    assert store.pending_changes() == [] and store.conflicts() == []


def test_an_invalid_resolution_leaves_the_conflict_open(store: CaseStore) -> None:
    case = store.create_case("tip", "urgent")
    server_case = confirm_everything(store)
    store.edit(case["id"], status="awaiting follow-up")
    [change] = store.pending_changes()
    store.record_results([answer(change, "conflict", server_copy(server_case, 2,
                                                                 status="closed"), conflicts=[
        {"case_id": case["id"], "change_id": change["change_id"], "field": "status",
         "base_value": "open", "server_value": "closed", "client_value": "awaiting follow-up"}])])
    [conflict] = store.conflicts()
    with pytest.raises(InvalidChange):
        store.resolve_conflict(conflict["id"], "waiting or closed")
    assert store.conflicts() == [conflict] and store.pending_changes() == []


def test_sync_state_can_join_the_callers_transaction(store: CaseStore) -> None:
    assert store.get_state("people_cursor") is None
    store.set_state("people_cursor", "1")
    store.set_state("people_cursor", "2")
    with pytest.raises(RuntimeError), store.transaction() as connection:
        store.set_state("people_cursor", "3", connection)
        raise RuntimeError("the rest of the caller's work failed")
    assert store.get_state("people_cursor") == "2"


# --- the store itself ---------------------------------------------------------------------------

def test_the_case_store_is_its_own_file_apart_from_the_directory(engine: Engine) -> None:
    assert settings.case_db_path() == settings.data_home() / "cases.sqlite"
    assert settings.case_db_path().exists()
    directory = open_directory(settings.directory_db_path())
    try:
        assert "outbox" not in inspect(directory).get_table_names()
    finally:
        directory.dispose()
    tables = set(inspect(engine).get_table_names())
    assert SEARCH_TABLE in tables
    assert {name for name in tables if not is_search_table(name)} == {
        "alembic_version", *CaseBase.metadata.tables}


def test_the_migration_creates_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": include_name})
        assert compare_metadata(context, CaseBase.metadata) == []


def test_reopening_a_migrated_store_keeps_its_cases(store: CaseStore) -> None:
    case = store.create_case("tip", "urgent")
    again = open_case_store(settings.case_db_path())
    try:
        assert CaseStore(again, "alice").get(case["id"]) == case
    finally:
        again.dispose()
