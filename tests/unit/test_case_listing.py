"""The case list (``console.cases.listing``): views, order, search, and listing columns that stay
in step with every way a case is written, including stores made before the list existed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from console.cases.changes import NEXT_SHIFT, Case, apply_change, new_change, new_id, utc_now
from console.cases.index import LISTING_COLUMNS, listing_values, search_entry
from console.cases.listing import (
    VIEWS,
    CaseList,
    CaseQuery,
    CaseRow,
    search_expression,
    typed_words,
)
from console.cases.store import CaseStore
from console.cases.story import is_overdue, owed_at
from console.models.cases import SEARCH_COLUMNS
from console.models.database import MIGRATIONS, open_case_store, sqlite_engine

NOW = datetime.now(UTC)


def at(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()



@pytest.fixture
def alice(engine: Engine) -> CaseStore:
    return CaseStore(engine, "alice")


@pytest.fixture
def bob(engine: Engine) -> CaseStore:
    return CaseStore(engine, "bob")


@pytest.fixture
def listing(engine: Engine) -> CaseList:
    return CaseList(engine)


def shown(listing: CaseList, user: str = "alice", **query: Any) -> list[str | None]:
    """Case numbers listed, in order."""
    return [row.number for row in listing.list(CaseQuery(**query), user, NOW)]


def one(listing: CaseList, case: Case) -> CaseRow:
    rows = [row for row in listing.list(CaseQuery(view="all"), "alice", NOW)
            if row.id == case["id"]]
    assert len(rows) == 1
    return rows[0]


def tip(store: CaseStore, due_in_hours: float | None = 48, **answers: Any) -> Case:
    due = None if due_in_hours is None else at(due_in_hours)
    return store.create_case("tip", "non-urgent", due_at=due, answers=answers)


# --- views --------------------------------------------------------------------------------------

def test_each_view_shows_its_cases(alice: CaseStore, bob: CaseStore,
                                   listing: CaseList) -> None:
    mine = tip(alice)
    closed = alice.create_case("tip", "non-urgent", status="closed", due_at=at(-5))
    overdue = tip(alice, due_in_hours=-2)
    due_soon = tip(bob, due_in_hours=3)
    handed = tip(bob, due_in_hours=30)
    bob.hand_off(handed["id"], "alice", "please call back")
    queued = tip(bob, due_in_hours=70)
    bob.hand_off(queued["id"], NEXT_SHIFT)
    numbers = {key: case["number"] for key, case in (
        ("mine", mine), ("closed", closed), ("overdue", overdue), ("due_soon", due_soon),
        ("handed", handed), ("queued", queued))}

    assert set(shown(listing, view="mine")) == {numbers[k] for k in ("mine", "overdue",
                                                                     "handed")}
    assert shown(listing, view="handed_to_me") == [numbers["handed"]]
    assert shown(listing, view="queue") == [numbers["queued"]]
    assert set(shown(listing, view="all_open")) == set(numbers.values()) - {numbers["closed"]}
    assert shown(listing, view="due_soon") == [numbers["due_soon"]]
    assert shown(listing, view="overdue") == [numbers["overdue"]]
    assert set(shown(listing, view="all")) == set(numbers.values())
    assert shown(listing, "bob", view="handed_to_me") == []


def test_the_order_is_overdue_first_then_due_time_then_most_recently_updated(
        alice: CaseStore, listing: CaseList) -> None:
    later = tip(alice, due_in_hours=50)
    no_due_older = tip(alice, due_in_hours=None)
    soon = tip(alice, due_in_hours=5)
    overdue = tip(alice, due_in_hours=-30)
    no_due_newer = tip(alice, due_in_hours=None)
    while utc_now() <= no_due_newer["updated_at"]:
        pass  # times are kept to the millisecond: the note must come in a later one
    alice.add_note(no_due_older["id"], "touched again, so updated last")
    expected = [overdue, soon, later, no_due_older, no_due_newer]
    assert shown(listing, view="mine") == [case["number"] for case in expected]


def test_a_closed_case_is_never_due_or_overdue(alice: CaseStore, listing: CaseList) -> None:
    case = tip(alice, due_in_hours=-3)
    assert shown(listing, view="overdue") == [case["number"]]
    alice.edit(case["id"], status="closed")
    assert shown(listing, view="overdue") == shown(listing, view="mine") == []
    assert shown(listing, view="all") == [case["number"]]


def test_a_referred_case_owes_only_its_open_tasks(alice: CaseStore, listing: CaseList) -> None:
    case = tip(alice, due_in_hours=-3)  # its response was due three hours ago
    alice.edit(case["id"], status="referred")  # …and was given: services, nothing more asked
    assert shown(listing, view="overdue") == []
    row = one(listing, case)
    assert owed_at(row.status, row.due_at, row.next_task_due) is None
    task = alice.add_task(case["id"], "Ask whether the shelter had a bed", at(-1))["tasks"][0]
    assert shown(listing, view="overdue") == [case["number"]]
    row = one(listing, case)
    assert is_overdue(row.status, row.due_at, row.next_task_due, datetime.now(UTC))
    alice.complete_task(case["id"], task["id"])
    assert shown(listing, view="overdue") == []


def test_overdue_is_only_work_owed_past_its_time() -> None:
    now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    past, future = "2026-11-24T14:00:00+00:00", "2026-11-24T16:00:00+00:00"
    assert is_overdue("open", past, None, now)
    assert not is_overdue("open", future, None, now)
    assert is_overdue("awaiting follow-up", future, past, now)  # a task is late
    assert not is_overdue("referred", past, future, now)
    assert not is_overdue("closed", past, past, now)
    assert owed_at("open", future, past) == "2026-11-24T14:00:00.000+00:00"


def test_a_follow_up_task_makes_a_case_due(alice: CaseStore, listing: CaseList) -> None:
    case = tip(alice, due_in_hours=72)
    task = alice.add_task(case["id"], "Call back", at(2))["tasks"][0]
    row = one(listing, case)
    assert row.next_task_due == datetime.fromisoformat(at(2)).isoformat(timespec="milliseconds")
    assert shown(listing, view="due_soon") == [case["number"]]
    alice.complete_task(case["id"], task["id"])
    assert one(listing, case).next_task_due is None
    assert shown(listing, view="due_soon") == []


def test_filters_narrow_a_view_and_count_agrees(alice: CaseStore, bob: CaseStore,
                                                listing: CaseList) -> None:
    urgent = alice.create_case("crisis", "urgent", due_at=at(0.5))
    tip(alice)
    tip(bob)
    assert shown(listing, view="all_open", urgency="urgent") == [urgent["number"]]
    assert len(shown(listing, view="all_open", assigned_to="bob")) == 1
    assert shown(listing, view="all", status="closed") == []
    for view in VIEWS:
        query = CaseQuery(view=view)
        assert listing.count(query, "alice", NOW) == len(listing.list(query, "alice", NOW))
    assert len(shown(listing, view="all", limit=2)) == 2
    assert listing.count(CaseQuery(view="all", limit=2), "alice", NOW) == 3


def test_unknown_views_and_times_without_a_zone_are_refused(listing: CaseList) -> None:
    with pytest.raises(ValueError, match="unknown case view"):
        listing.list(CaseQuery(view="everything"), "alice")
    with pytest.raises(ValueError, match="time zone"):
        listing.list(CaseQuery(view="overdue"), "alice", datetime(2026, 1, 1))


def test_rows_carry_what_the_list_shows(alice: CaseStore, listing: CaseList) -> None:
    case = alice.create_case(
        "crisis", "urgent", summary="Caller locked in a back room\nSecond line", due_at=at(1),
        request_type="crisis", answers={"city": "Houston", "situation_state": "TX"})
    row = one(listing, case)
    assert (row.number, row.call_type, row.request_type, row.urgency, row.status) == \
        (case["number"], "crisis", "crisis", "urgent", "open")
    assert (row.assigned_to, row.created_by, row.title, row.place) == \
        ("alice", "alice", "Caller locked in a back room", "Houston, TX")
    assert row.created_at == case["created_at"] and row.updated_at == case["updated_at"]
    untitled = alice.create_case("tip", "non-urgent", answers={"caller_zip": "77002"})
    assert (one(listing, untitled).title, one(listing, untitled).place) == \
        ("Tip — 77002", "77002")


# --- search -------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["(713) 555 0150", "713-555-0150", "555-0150", "7135550150",
                                   "+1 713.555.0150", "1 713 555 0150", "713 555"])
def test_phone_numbers_are_found_whatever_their_format(alice: CaseStore, listing: CaseList,
                                                       typed: str) -> None:
    case = tip(alice, caller_phone="(713) 555-0150")
    tip(alice, caller_phone="(212) 555-0199")
    assert shown(listing, view="all", text=typed) == [case["number"]]


def test_a_phone_number_written_in_a_note_is_found(alice: CaseStore,
                                                   listing: CaseList) -> None:
    case = tip(alice)
    alice.add_note(case["id"], "Caller's friend can be reached at 832.555.0123 after 6.")
    assert shown(listing, view="all", text="(832) 555-0123") == [case["number"]]


def test_case_numbers_are_found_by_their_beginning(alice: CaseStore, listing: CaseList) -> None:
    first, second = tip(alice), tip(alice)
    code = first["number"].split("-")[0]
    assert set(shown(listing, view="all", text=code[:4].lower())) == \
        {first["number"], second["number"]}
    assert shown(listing, view="all", text=first["number"]) == [first["number"]]
    assert shown(listing, view="all", text=first["number"].replace("-", "")) == \
        [first["number"]]


def test_words_names_places_and_notes_are_found(alice: CaseStore, listing: CaseList) -> None:
    case = alice.create_case(
        "tip", "non-urgent", summary="Workers kept at a farm", answers={
            "caller_name": "María González", "city": "Immokalee", "situation_state": "FL",
            "venue": "Sunrise Farms", "vehicle": "white bus", "location_description":
            "behind the packing house", "what_is_happening": "Passports are held"})
    alice.add_note(case["id"], "Spoke with the coalition outreach worker.")
    other = tip(alice, caller_name="John Smith", city="Houston", situation_state="TX")
    for typed in ("gonzalez", "Maria Gon", "immokalee", "florida", "FL", "sunrise", "white bus",
                  "packing", "passports", "coalition outr", "farm"):
        assert shown(listing, view="all", text=typed) == [case["number"]], typed
    assert shown(listing, view="all", text="texas") == [other["number"]]


def test_search_stays_within_the_view(alice: CaseStore, bob: CaseStore,
                                      listing: CaseList) -> None:
    mine = tip(alice, venue="Golden Lotus Spa")
    tip(bob, venue="Golden Lotus Spa")
    assert shown(listing, view="mine", text="lotus") == [mine["number"]]
    assert len(shown(listing, view="all", text="lotus")) == 2


def test_a_finished_word_is_not_read_as_a_prefix(alice: CaseStore, listing: CaseList) -> None:
    case = tip(alice, venue="Sunset Motel")
    tip(alice, venue="Sunshine Diner")
    assert len(shown(listing, view="all", text="suns")) == 2
    assert shown(listing, view="all", text="sunset ") == [case["number"]]


def test_typed_text_becomes_quoted_words() -> None:
    assert typed_words("(713) 555 0150 maria") == ["7135550150", "maria"]
    assert typed_words("apt 12 3rd floor") == ["apt", "12", "3rd", "floor"]
    assert search_expression('"NEAR" OR -x*') == '"NEAR" "OR" "x"'
    assert search_expression("maria gon") == '"maria" "gon"*'
    assert search_expression(" ()*- ") is None


@pytest.fixture(scope="module")
def searchable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseList]:
    engine = open_case_store(tmp_path_factory.mktemp("search") / "cases.sqlite")
    store = CaseStore(engine, "alice")
    for name in ("Maria Lopez", "John O'Brien", "Nguyễn Văn An"):
        tip(store, caller_name=name, caller_phone="713-555-0150", venue="Motel 6 on I-45")
    yield CaseList(engine)
    engine.dispose()


FTS_SYNTAX = st.sampled_from(['"', "*", "-", "+", "^", ":", "(", ")", "NEAR", "NEAR(", "AND",
                              "OR", "NOT", "{", "}", " ", "0", "'", "\\", "\x00"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(FTS_SYNTAX, st.text(max_size=8)), max_size=12).map("".join))
def test_search_never_fails_whatever_is_typed(searchable: CaseList, typed: str) -> None:
    for view in ("all", "mine"):
        query = CaseQuery(view=view, text=typed)
        rows = searchable.list(query, "alice", NOW)
        assert searchable.count(query, "alice", NOW) >= len(rows)


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.sampled_from(
        ["713-555-0150", "2026-11-24T10:00:00-05:00", "0001-01-01T00:00:00+05:00", "TX"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3), max_leaves=8)
ANSWER_IDS = ("caller_phone", "caller_name", "city", "caller_state", "situation_state",
              "caller_zip", "venue", "vehicle", "location_description", "summary", "other")


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional={
    "summary": JSON_VALUE, "due_at": JSON_VALUE, "status": JSON_VALUE, "number": JSON_VALUE,
    "created_at": JSON_VALUE, "call_type": JSON_VALUE, "notes": JSON_VALUE,
    "handoffs": JSON_VALUE, "tasks": JSON_VALUE,
    "answers": st.dictionaries(st.sampled_from(ANSWER_IDS), JSON_VALUE) | JSON_VALUE}))
def test_any_document_can_be_listed_and_indexed(doc: dict[str, Any]) -> None:
    """A document the list cannot read must never stop a case from being stored."""
    values = listing_values({"id": new_id(), **doc})
    assert set(values) == set(LISTING_COLUMNS)
    assert isinstance(values["title"], str) and isinstance(values["place"], str)
    entry = search_entry({"id": new_id(), **doc})
    assert len(entry) == len(SEARCH_COLUMNS) and all(isinstance(text, str) for text in entry)


# --- the listing stays in step with the case ----------------------------------------------------

def test_listing_columns_follow_edits_handoffs_and_tasks(alice: CaseStore, bob: CaseStore,
                                                         listing: CaseList) -> None:
    case = tip(alice, city="Dallas", situation_state="TX")
    alice.edit(case["id"], summary="Restaurant workers unpaid", urgency="urgent")
    alice.answer(case["id"], {"city": "Austin"})
    row = one(listing, case)
    assert (row.title, row.place, row.urgency) == ("Restaurant workers unpaid", "Austin, TX",
                                                   "urgent")
    assert shown(listing, view="all", text="dallas") == []
    assert shown(listing, view="all", text="austin") == [case["number"]]

    handoff = alice.hand_off(case["id"], "bob", "night shift please")["handoffs"][0]
    assert one(listing, case).pending_handoff_to == "bob"
    assert shown(listing, "bob", view="handed_to_me") == [case["number"]]
    bob.return_handoff(case["id"], handoff["id"], "off tomorrow")
    assert one(listing, case).pending_handoff_to is None
    assert one(listing, case).assigned_to == "alice"
    assert shown(listing, view="all", text="off tomorrow") == [case["number"]]

    queued = alice.hand_off(case["id"], NEXT_SHIFT)["handoffs"][-1]
    assert shown(listing, view="queue") == [case["number"]]
    bob.acknowledge_handoff(case["id"], queued["id"])
    assert shown(listing, view="queue") == []
    assert shown(listing, "bob", view="mine") == [case["number"]]
    assert one(listing, case).pending_handoff_to is None


def server_copy(case: Case, version: int, **fields: Any) -> Case:
    return {**json.loads(json.dumps(case)), **fields, "version": version}


def test_server_copies_update_the_listing_and_the_search(alice: CaseStore,
                                                         listing: CaseList) -> None:
    case = tip(alice, venue="Blue Moon Bar")
    changed = server_copy(case, 3, status="closed", assigned_to="carol",
                          answers={"venue": "Jade Garden"}, summary="Closed by carol")
    elsewhere = apply_change(None, new_change("create", new_id(), {
        "call_type": "crisis", "urgency": "urgent", "status": "open", "number": "ZZZZZZ-0001",
        "due_at": at(-1), "answers": {"caller_name": "Ana Ruiz"}}), "dana").case
    alice.apply_server_cases([changed, elsewhere], "7")
    row = one(listing, case)
    assert (row.status, row.assigned_to, row.title) == ("closed", "carol", "Closed by carol")
    assert shown(listing, view="all", text="blue moon") == []
    assert shown(listing, view="all", text="jade") == [case["number"]]
    assert shown(listing, "dana", view="overdue") == ["ZZZZZZ-0001"]
    assert shown(listing, view="all", text="ruiz") == ["ZZZZZZ-0001"]


def test_unsent_changes_replayed_on_a_server_copy_stay_listed(alice: CaseStore,
                                                              listing: CaseList) -> None:
    case = tip(alice)
    alice.add_task(case["id"], "Email materials", at(4))
    server = server_copy(case, 2, summary="Edited on another workstation")
    alice.apply_server_cases([server], "3")
    row = one(listing, case)
    assert row.title == "Edited on another workstation"
    assert row.next_task_due is not None and shown(listing, view="due_soon") == [case["number"]]


# --- stores made before the list existed --------------------------------------------------------

def store_at_first_revision(path: Path) -> Engine:
    engine = sqlite_engine(path)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS / "cases"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    return engine


def test_upgrading_an_older_store_lists_and_finds_its_cases(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite"
    old = store_at_first_revision(path)
    docs = []
    for hours, name in ((-3, "Maria Lopez"), (5, "Linh Tran")):
        case = apply_change(None, new_change("create", new_id(), {
            "call_type": "tip", "urgency": "non-urgent", "status": "open", "due_at": at(hours),
            "number": f"OLDWS1-{len(docs) + 1:04d}",
            "answers": {"caller_name": name, "caller_phone": "(713) 555-0150"}}), "alice").case
        docs.append(case)
    with old.begin() as connection:
        for case in docs:
            connection.exec_driver_sql(
                "INSERT INTO local_case (id, doc, server_version, call_type, urgency, status, "
                "assigned_to, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)",
                (case["id"], json.dumps(case), case["call_type"], case["urgency"],
                 case["status"], case["assigned_to"], case["created_at"], case["updated_at"]))
    old.dispose()

    engine = open_case_store(path)
    try:
        listing = CaseList(engine)
        assert shown(listing, view="overdue") == ["OLDWS1-0001"]
        assert shown(listing, view="due_soon") == ["OLDWS1-0002"]
        assert shown(listing, view="all", text="linh") == ["OLDWS1-0002"]
        assert set(shown(listing, view="all", text="555-0150")) == {"OLDWS1-0001",
                                                                    "OLDWS1-0002"}
        new = tip(CaseStore(engine, "alice"), venue="Lucky Star Karaoke")
        assert shown(listing, view="all", text="karaoke") == [new["number"]]
        assert CaseStore(engine, "alice").get(docs[0]["id"]) == docs[0]
    finally:
        engine.dispose()
