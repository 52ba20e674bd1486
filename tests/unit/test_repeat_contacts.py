"""Repeat contacts (``console.cases.repeat``): earlier cases a new call's answers point to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from console.cases.changes import Case
from console.cases.repeat import RepeatMatch, find_repeats, repeat_settings
from console.cases.store import CaseStore
from console.models.database import open_case_store


@pytest.fixture
def store(engine: Engine) -> CaseStore:
    return CaseStore(engine, "alice")


def earlier(store: CaseStore, **answers: Any) -> Case:
    return store.create_case("tip", "non-urgent", answers=answers)


def reasons(engine: Engine, exclude: str | None = None, **answers: Any) -> dict[str, str]:
    """Case number -> why it matched."""
    return {match.number or "": match.reason
            for match in find_repeats(engine, answers, exclude)}


@pytest.mark.parametrize("typed", ["713.555.0150", "+1 713 555 0150", "7135550150",
                                   "1-713-555-0150", "(713)555-0150"])
def test_the_same_caller_phone_in_another_format(store: CaseStore, engine: Engine,
                                                 typed: str) -> None:
    case = earlier(store, caller_phone="(713) 555-0150")
    earlier(store, caller_phone="(713) 555-0151")
    [match] = find_repeats(engine, {"caller_phone": typed}, None)
    assert (match.case_id, match.number, match.reason, match.score) == (
        case["id"], case["number"], "same caller phone", 100)
    assert (match.call_type, match.created_at) == ("tip", case["created_at"])


def test_a_phone_in_another_role_or_in_the_notes_says_so(store: CaseStore,
                                                         engine: Engine) -> None:
    suspect = earlier(store, suspect_phone="832-555-0123")
    noted = earlier(store)
    store.add_note(noted["id"], "Her brother's number is 832 555 0123.")
    assert reasons(engine, caller_phone="(832) 555-0123") == {
        suspect["number"]: "caller phone is its suspect phone",
        noted["number"]: "caller phone is written in its notes"}


def test_the_same_or_a_similar_venue(store: CaseStore, engine: Engine) -> None:
    same = earlier(store, venue="Golden Dragon Spa")
    similar = earlier(store, venue="Golden Dragon")
    earlier(store, venue="Golden Lotus Spa")
    assert reasons(engine, venue="the golden dragon spa") == {
        same["number"]: "same venue", similar["number"]: "similar venue"}


def test_the_same_vehicle_by_its_plate_or_its_description(store: CaseStore,
                                                          engine: Engine) -> None:
    plate = earlier(store, vehicle="white Ford Transit van, plate ABC-1234")
    described = earlier(store, vehicle="maroon Lincoln Navigator with a dented door")
    assert reasons(engine, vehicle="van abc1234") == {plate["number"]: "same plate (ABC1234)"}
    assert reasons(engine, vehicle="Maroon Lincoln Navigator") == {
        described["number"]: "similar vehicle"}


def test_the_same_location(store: CaseStore, engine: Engine) -> None:
    case = earlier(store, location_description="trailer behind the Bellaire Food Mart")
    assert reasons(engine, location_description="Bellaire food mart, behind the trailer") == {
        case["number"]: "same location"}


def test_a_similar_name_but_not_a_different_one_or_a_first_name_alone(
        store: CaseStore, engine: Engine) -> None:
    case = earlier(store, caller_name="María González")
    earlier(store, caller_name="Maria Lopez")
    earlier(store, caller_name="Mario Gonzaga")
    [match] = find_repeats(engine, {"caller_name": "Maria Gonzales"}, None)
    assert match.number == case["number"] and match.reason.startswith("similar name (")
    assert repeat_settings().name_similarity <= float(match.reason[14:-2]) < 100
    assert reasons(engine, caller_name="gonzalez MARIA") == {case["number"]: "same name"}
    assert reasons(engine, caller_name="Maria") == {}


def test_no_match_on_common_words(store: CaseStore, engine: Engine) -> None:
    earlier(store, venue="Lucky Nail Salon", vehicle="white Ford van",
            location_description="motel on Main Street")
    earlier(store, venue="Sunset Motel")
    assert reasons(engine, venue="nail salon", vehicle="white van",
                   location_description="the diner on Main Street") == {}
    assert reasons(engine, venue="the motel") == {}


def test_the_case_itself_is_left_out(store: CaseStore, engine: Engine) -> None:
    case = earlier(store, caller_phone="713-555-0150", venue="Golden Dragon Spa")
    answers = {"caller_phone": "713-555-0150", "venue": "Golden Dragon Spa"}
    assert reasons(engine, case["id"], **answers) == {}
    older = earlier(store, caller_phone="713-555-0150")
    assert reasons(engine, case["id"], **answers) == {older["number"]: "same caller phone"}


def test_several_reasons_make_the_best_match_first(store: CaseStore, engine: Engine) -> None:
    venue_only = earlier(store, venue="Golden Dragon Spa")
    both = earlier(store, caller_name="Linh Tran", venue="Golden Dragon Spa")
    matches = find_repeats(engine, {"caller_name": "Linh Tran", "venue": "golden dragon spa"},
                           None)
    assert [m.number for m in matches] == [both["number"], venue_only["number"]]
    assert matches[0].reason == "same venue; same name"
    assert matches[0].score > matches[1].score


def test_nothing_given_finds_nothing(store: CaseStore, engine: Engine) -> None:
    earlier(store, caller_phone="713-555-0150", caller_name="Ana Ruiz")
    assert find_repeats(engine, {}, None) == []
    assert find_repeats(engine, {"caller_phone": "12", "caller_name": None, "venue": ["x"],
                                 "vehicle": 7}, None) == []


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = open_case_store(tmp_path_factory.mktemp("repeat") / "cases.sqlite")
    earlier(CaseStore(engine, "alice"), caller_phone="713-555-0150", caller_name="Ana Ruiz",
            venue="Motel 6", vehicle="Ford F-150 pickup", location_description="I-45 exit 12")
    yield engine
    engine.dispose()


ANSWER = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=40),
                   st.lists(st.text(max_size=10), max_size=3),
                   st.sampled_from(['"NEAR" *', "OR -", "713-555-0150", "ana ruiz", "(", "*"]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional={name: ANSWER for name in (
    "caller_phone", "suspect_phone", "safe_callback_number", "caller_name", "venue", "vehicle",
    "location_description")}))
def test_any_answers_never_fail(known: Engine, answers: dict[str, Any]) -> None:
    matches = find_repeats(known, answers, None)
    assert all(isinstance(match, RepeatMatch) and 0 < match.score <= 100 for match in matches)
