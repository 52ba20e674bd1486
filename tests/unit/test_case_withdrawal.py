"""Cases a workstation may no longer see leave its store, search entry and all."""

from __future__ import annotations

from sqlalchemy import Engine, text

from console.cases.changes import NEXT_SHIFT, Case, apply_change, new_change
from console.cases.store import CaseStore
from console.models.cases import SEARCH_TABLE


def queued_on_server(store: CaseStore, author: str = "sue") -> Case:
    """A case from the server: made by ``author`` and handed to the next shift's queue."""
    create = new_change("create", "5b0c9d4e-7f1a-4b2c-8d3e-9f0a1b2c3d4e", {
        "call_type": "crisis", "urgency": "urgent", "status": "open",
        "summary": "Caller at the Greyhound station"})
    case = apply_change(None, create, author).case
    handoff = {"id": "6c1d0e5f-8a2b-4c3d-9e4f-0a1b2c3d4e5f", "to_user": NEXT_SHIFT}
    case = apply_change(case, new_change("hand_off", case["id"], handoff, 1), author).case
    store.apply_server_cases([case], "2")
    return case


def search_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text(f"SELECT count(*) FROM {SEARCH_TABLE}"))


def test_queue_cases_taken_by_someone_else_are_dropped_after_a_pull(engine: Engine) -> None:
    store = CaseStore(engine, "vic")
    queued = queued_on_server(store)
    own = store.create_case("tip", "non-urgent")
    assert search_rows(engine) == 2
    assert store.drop_left_queue([queued["id"]]) == []  # still queued
    assert store.drop_left_queue([]) == [queued["id"]]
    assert store.get(queued["id"]) is None and store.get(own["id"]) == own
    assert search_rows(engine) == 1


def test_a_queue_case_with_changes_still_to_send_stays(engine: Engine) -> None:
    store = CaseStore(engine, "vic")
    queued = queued_on_server(store)
    store.add_note(queued["id"], "vic: caller called again")
    assert store.drop_left_queue([]) == []
    assert store.get(queued["id"]) is not None


def test_a_withdrawn_answer_drops_the_copy_and_keeps_the_conflict(engine: Engine) -> None:
    store = CaseStore(engine, "vic")
    queued = queued_on_server(store)
    taken = store.acknowledge_handoff(queued["id"], queued["handoffs"][0]["id"])
    assert taken["assigned_to"] == "vic"
    [change] = store.pending_changes()
    store.record_results([{
        "change_id": change["change_id"], "case_id": queued["id"], "status": "conflict",
        "withdrawn": True, "conflicts": [{
            "case_id": queued["id"], "change_id": change["change_id"],
            "field": "assigned_to", "base_value": NEXT_SHIFT, "server_value": "una",
            "client_value": "vic"}]}])
    assert store.get(queued["id"]) is None and search_rows(engine) == 0
    assert store.counts() == {"pending": 0, "rejected": 0, "conflicts": 1}
    assert store.conflicts(queued["id"])[0]["server_value"] == "una"
