"""The call desk (``console.intake.desk``): one call from triage to finish, over a real case store
and the shipped intake protocol, with the hour a call comes in set by the test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.cases.store import CaseStore
from console.cases.story import ALERT_NOTE
from console.intake.desk import HELP_NOW, OPEN_CALL_KEY, Call, CallDesk, Position
from console.models.database import open_case_store
from console.protocol import Field, Protocol, load_protocol
from console.protocol.calendar import us_states

EASTERN = ZoneInfo("America/New_York")
SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=EASTERN)
URGENT_HOURS = timedelta(hours=12)  # the service chart's urgent_email_hours
MONDAY_MORNING = datetime(2026, 11, 30, 10, 0, tzinfo=EASTERN)
CALL_TYPES = ("crisis", "tip", "referral-urgent", "referral-non-urgent", "ta-urgent",
              "ta-non-urgent", "general-information")


class Clock:
    """A wall clock the test sets: every call starts at ``now``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CaseStore]:
    engine = open_case_store(tmp_path / "cases.sqlite")
    yield CaseStore(engine, "alice")
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(SATURDAY_NIGHT)


@pytest.fixture
def desk(store: CaseStore, protocol: Protocol, clock: Clock) -> CallDesk:
    return CallDesk(store, protocol, clock)


def stored(desk: CallDesk, call: Call) -> dict[str, Any]:
    case = desk.store.get(call.case_id)
    assert case is not None
    return case


def alert_notes(case: dict[str, Any]) -> list[str]:
    return sorted(note["text"] for note in case["notes"]
                  if note["text"].startswith("Supervisor alert: "))


# --- starting --------------------------------------------------------------------------------

def test_a_crisis_call_opens_an_urgent_case_owing_a_call_back_if_it_drops(desk: CallDesk,
                                                        protocol: Protocol) -> None:
    call = desk.start("crisis")

    case = stored(desk, call)
    assert case["status"] == "open"
    assert case["urgency"] == "urgent"
    assert case["call_type"] == "crisis"
    assert case["request_type"] == "crisis"
    assert case["protocol"] == protocol.label == "national-intake@2026.12.1"
    # Answered on the call itself; the case owes a call back within the urgent hours should
    # the call end unfinished, so it is never "overdue" while the specialist is on the line.
    assert datetime.fromisoformat(case["due_at"]) == SATURDAY_NIGHT + URGENT_HOURS
    assert desk.due(call).explanation == "Urgent: respond now (24/7)"
    assert case["taken_as_message"] is False
    assert call.started_at == SATURDAY_NIGHT
    assert call.position == Position("safety", "safe_to_talk")  # safety is asked first


def test_a_hang_up_is_one_closed_case_with_nothing_to_resume(desk: CallDesk) -> None:
    call = desk.start("hang-up")

    cases = desk.store.list_cases()
    assert [case["id"] for case in cases] == [call.case_id]
    (case,) = cases
    assert case["status"] == "closed"
    assert case["call_type"] == "no-data contact"
    assert case["summary"] == "Hang-up"
    assert case["due_at"] is None
    assert case["taken_as_message"] is False
    assert desk.store.counts()["pending"] == 1  # logged with a single change
    assert desk.resume() is None


# --- saving ----------------------------------------------------------------------------------

def test_answers_are_stored_and_the_summary_is_mirrored(desk: CallDesk) -> None:
    call = desk.start("tip")
    call.answers.update(caller_zip="10001", what_is_happening="Workers locked in at night",
                        trafficking_type=["labor"], people_count=4,
                        summary="Four workers locked in a warehouse")

    desk.save(call)

    case = stored(desk, call)
    assert case["answers"] == call.answers
    assert case["summary"] == "Four workers locked in a warehouse"


def test_saving_nothing_new_queues_nothing(desk: CallDesk) -> None:
    call = desk.start("tip")
    call.answers["caller_zip"] = "10001"
    desk.save(call)
    waiting = desk.store.counts()["pending"]

    desk.save(call)

    assert desk.store.counts()["pending"] == waiting


@pytest.mark.parametrize(("answers", "reasons"), [
    ({"immediate_danger": "yes"}, ["Immediate danger"]),
    ({"minors_involved": "yes"}, ["A minor is involved"]),
    ({"immediate_danger": "yes", "minors_involved": "yes"},
     ["A minor is involved", "Immediate danger"]),
])
def test_answers_that_make_a_tip_urgent_raise_it_and_alert_once(
        desk: CallDesk, answers: dict[str, Any], reasons: list[str]) -> None:
    call = desk.start("tip")
    assert stored(desk, call)["urgency"] == "non-urgent"
    call.answers.update(answers)

    desk.save(call)
    evaluation = desk.evaluation(call)
    first = desk.alert(call, evaluation)
    again = desk.alert(call, evaluation)
    desk.alert(call, desk.evaluation(call))

    case = stored(desk, call)
    assert case["urgency"] == "urgent"
    assert datetime.fromisoformat(case["due_at"]) == SATURDAY_NIGHT + URGENT_HOURS
    assert case["taken_as_message"] is False
    assert sorted(first) == reasons
    assert again == []
    assert alert_notes(case) == sorted(ALERT_NOTE.format(reason=r) for r in reasons)


def test_new_alert_reasons_and_the_help_key_reach_the_listeners(desk: CallDesk) -> None:
    heard: list[tuple[str, str, list[str]]] = []
    desk.alert_listeners.append(lambda case, reasons: heard.append(
        (case["id"], case["number"], reasons)))
    call = desk.start("tip")
    number = stored(desk, call)["number"]
    call.answers["minors_involved"] = "yes"
    desk.save(call)
    desk.alert(call, desk.evaluation(call))
    desk.alert(call, desk.evaluation(call))  # nothing new: nobody is alerted twice
    desk.ask_for_help(call)
    desk.ask_for_help(call)  # asked again: the supervisors hear it again

    assert heard == [(call.case_id, number, ["A minor is involved"]),
                     (call.case_id, number, [HELP_NOW]), (call.case_id, number, [HELP_NOW])]
    assert alert_notes(stored(desk, call)).count(ALERT_NOTE.format(reason=HELP_NOW)) == 2


def test_the_call_in_progress_is_the_one_on_screen(desk: CallDesk) -> None:
    assert desk.call_in_progress() is None
    call = desk.start("crisis")
    case = stored(desk, call)
    assert desk.call_in_progress() == {
        "case_id": call.case_id, "number": case["number"], "request_type": "crisis",
        "urgency": "urgent", "started_at": SATURDAY_NIGHT.isoformat()}
    desk.finish(call)
    assert desk.call_in_progress() is None


def test_no_alert_is_written_when_the_protocol_asks_for_none(desk: CallDesk) -> None:
    call = desk.start("crisis")  # urgent, but nothing calls for a supervisor yet
    call.answers["safe_to_talk"] = "yes"
    desk.save(call)

    assert desk.alert(call, desk.evaluation(call)) == []
    assert alert_notes(stored(desk, call)) == []


def test_a_specialist_can_raise_urgency_but_never_lower_it(desk: CallDesk) -> None:
    tip = desk.start("tip")
    tip.raised_urgency = "urgent"
    tip.answers["immediate_danger"] = "no"
    desk.save(tip)
    tip.answers["caller_zip"] = "10001"
    desk.save(tip)
    assert stored(desk, tip)["urgency"] == "urgent"
    assert datetime.fromisoformat(stored(desk, tip)["due_at"]) == SATURDAY_NIGHT + URGENT_HOURS

    crisis = desk.start("crisis")
    crisis.raised_urgency = "non-urgent"
    desk.save(crisis)
    assert stored(desk, crisis)["urgency"] == "urgent"


# --- service hours ---------------------------------------------------------------------------

def test_a_non_urgent_request_on_saturday_night_is_a_message_due_wednesday(
        desk: CallDesk) -> None:
    call = desk.start("ta-non-urgent")

    case = stored(desk, call)
    due = datetime.fromisoformat(case["due_at"])
    assert case["urgency"] == "non-urgent"
    assert case["taken_as_message"] is True
    assert due == datetime(2026, 12, 2, 19, 0, tzinfo=EASTERN)
    assert due.astimezone(UTC) == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    assert desk.due(call).explanation.startswith("After hours: taken as a message")

    call.answers["ta_topics"] = ["awareness-materials"]
    desk.save(call)
    assert stored(desk, call)["taken_as_message"] is True


def test_a_non_urgent_request_on_monday_morning_is_due_thursday(desk: CallDesk,
                                                               clock: Clock) -> None:
    clock.now = MONDAY_MORNING

    call = desk.start("ta-non-urgent")

    case = stored(desk, call)
    assert case["taken_as_message"] is False
    assert datetime.fromisoformat(case["due_at"]) == datetime(2026, 12, 3, 19, 0, tzinfo=EASTERN)


# --- finishing -------------------------------------------------------------------------------

@pytest.mark.parametrize(("request_type", "next_steps", "status"), [
    ("crisis", None, "closed"),
    ("crisis", ["none"], "closed"),
    ("crisis", ["call-back"], "awaiting follow-up"),
    ("crisis", ["none", "referral-given"], "referred"),  # given on the call, nothing owed
    ("crisis", ["referral-given", "call-back"], "awaiting follow-up"),
    ("ta-non-urgent", None, "awaiting follow-up"),  # taken as a message on a Saturday night
])
def test_finish_keeps_open_only_what_is_owed_a_follow_up(
        desk: CallDesk, request_type: str, next_steps: list[str] | None, status: str) -> None:
    call = desk.start(request_type)
    call.answers.update(summary="Caller asked for help", next_steps=next_steps)

    case = desk.finish(call)

    assert case["status"] == status
    assert stored(desk, call)["status"] == status
    assert stored(desk, call)["summary"] == "Caller asked for help"
    assert not desk.store.get_state(OPEN_CALL_KEY)
    assert desk.resume() is None


# --- after a crash ---------------------------------------------------------------------------

def test_resume_returns_the_call_where_it_was(desk: CallDesk) -> None:
    call = desk.start("tip")
    call.answers.update(caller_zip="10001", what_is_happening="Workers locked in at ni",
                        safe_to_talk="yes")
    call.raised_urgency = "urgent"

    desk.save(call, Position("safety", "safe_to_talk"))

    resumed = desk.resume()
    assert resumed is not None
    assert resumed.case_id == call.case_id
    assert resumed.request_type == "tip"
    assert resumed.started_at == SATURDAY_NIGHT
    assert resumed.answers == call.answers
    assert resumed.position == Position("safety", "safe_to_talk")
    assert resumed.raised_urgency == "urgent"
    assert resumed.recovered is True
    assert desk.urgency(resumed) == "urgent"


def test_resume_after_start_opens_the_safety_questions(desk: CallDesk) -> None:
    call = desk.start("crisis")

    resumed = desk.resume()

    assert resumed is not None and resumed.case_id == call.case_id
    assert resumed.position == Position("safety", "safe_to_talk")
    assert resumed.answers == {}


def _record(call: Call, **changes: Any) -> str:
    record = {"case_id": call.case_id, "request_type": call.request_type,
              "started_at": call.started_at.isoformat(), "tab": "caller", "field": None,
              "raised_urgency": None}
    return json.dumps({**record, **changes})


@pytest.mark.parametrize("garble", [
    lambda call: "{not json",
    lambda call: "[]",
    lambda call: "null",
    lambda call: json.dumps({"case_id": call.case_id}),
    lambda call: _record(call, case_id="4a1d0c3e-0000-4000-8000-000000000000"),
    lambda call: _record(call, request_type="retired-request-type"),
    lambda call: _record(call, started_at="yesterday"),
], ids=["bad-json", "list", "null", "incomplete", "unknown-case", "retired-type", "bad-time"])
def test_an_unreadable_open_call_record_is_cleared(desk: CallDesk, garble: Any) -> None:
    call = desk.start("tip")
    call.answers["what_is_happening"] = "Saved before the record broke"
    desk.save(call)
    desk.store.set_state(OPEN_CALL_KEY, garble(call))

    assert desk.resume() is None

    assert not desk.store.get_state(OPEN_CALL_KEY)
    assert desk.resume() is None
    assert stored(desk, call)["answers"]["what_is_happening"] == "Saved before the record broke"


# --- any answers of the right shapes ---------------------------------------------------------

def _short_text(limit: int | None) -> st.SearchStrategy[str]:
    return st.text(max_size=min(limit or 200, 300))


def answer_strategy(spec: Field) -> st.SearchStrategy[Any]:
    """Values a field's editor can produce (None: unanswered)."""
    values = [option.value for option in spec.options]
    by_kind: dict[str, st.SearchStrategy[Any]] = {
        "text": _short_text(spec.max_length),
        "longtext": _short_text(spec.max_length),
        "phone": st.from_regex(r"\+?[0-9 ()-]{0,20}", fullmatch=True),
        "zip": st.from_regex(r"[0-9]{0,5}", fullmatch=True),
        "number": st.integers(min_value=0, max_value=9999),
        "yesno": st.sampled_from(("yes", "no", "unknown")),
        "state": st.sampled_from([code for code, _name in us_states()]),
        "choice": st.sampled_from(values) if values else st.nothing(),
        "multichoice": st.lists(st.sampled_from(values), unique=True, min_size=1)
        if values else st.nothing(),
    }
    by_kind["checklist"] = by_kind["multichoice"]
    return st.none() | by_kind[spec.kind]


def answers_strategy(protocol: Protocol) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {}, optional={spec.id: answer_strategy(spec) for spec in protocol.fields})


def test_any_answers_of_the_right_shapes_save_and_round_trip(desk: CallDesk,
                                                             protocol: Protocol) -> None:
    # Declared inside the test: the desk and its store are shared by every example.
    @settings(max_examples=60, deadline=None)
    @given(request_type=st.sampled_from(CALL_TYPES), first=answers_strategy(protocol),
           second=answers_strategy(protocol))
    def save_twice(request_type: str, first: dict[str, Any], second: dict[str, Any]) -> None:
        call = desk.start(request_type)
        call.answers.update(first)
        desk.save(call, Position("situation"))
        call.answers.update(second)
        desk.save(call, Position("summary", "summary"))

        case = stored(desk, call)
        for field_id, value in call.answers.items():
            assert case["answers"].get(field_id) == value
        assert case["summary"] == (call.answers.get("summary") or "")
        assert case["urgency"] == desk.urgency(call)
        resumed = desk.resume()
        assert resumed is not None
        assert {k: v for k, v in resumed.answers.items() if v is not None} == {
            k: v for k, v in call.answers.items() if v is not None}

    save_twice()


def test_urgency_sticks_when_the_answer_that_raised_it_is_corrected(desk: CallDesk) -> None:
    tip = desk.start("tip")
    tip.answers["immediate_danger"] = "yes"
    assert desk.settle_urgency(tip) == "urgent"
    tip.answers["immediate_danger"] = "no"
    assert desk.evaluation(tip).urgency == "non-urgent"
    assert desk.settle_urgency(tip) == "urgent"
    desk.save(tip)
    assert stored(desk, tip)["urgency"] == "urgent"


def test_a_call_that_gave_referrals_and_owes_nothing_ends_referred(desk: CallDesk) -> None:
    call = desk.start("referral-urgent")  # urgent: answered now, not taken as a message
    desk.add_referral(call, "svc-1", "Legal Aid of the Coast")
    call.answers.update(summary="Needed a lawyer", next_steps=["none"])
    assert desk.finish(call)["status"] == "referred"


def test_an_urgent_call_awaiting_follow_up_is_due_within_the_urgent_hours(
        desk: CallDesk) -> None:
    call = desk.start("crisis")
    call.answers.update(summary="Needs a safe call back", next_steps=["call-back"])
    case = desk.finish(call)
    due = datetime.fromisoformat(case["due_at"])
    assert due == SATURDAY_NIGHT + timedelta(hours=12)  # the call was the immediate response


# --- mandated reporting and tips ------------------------------------------------------------


def test_finishing_with_mandated_steps_undone_leaves_a_task_for_each(
        desk: CallDesk, clock: Clock) -> None:
    call = desk.start("tip")
    call.answers.update(minors_involved="yes", mandatory_reporting=["shift-supervisor"],
                        summary="Minors at a motel")
    case = desk.finish(call)

    assert case["status"] == "awaiting follow-up"
    open_tasks = [task for task in case["tasks"] if task["done_at"] is None]
    assert [task["mandated_step"] for task in open_tasks] == [
        "confidentiality-explained", "child-protective-services", "law-enforcement"]
    assert open_tasks[1]["text"] == ("Mandated step not done on the call: Report to child "
                                     "protective services in the state")
    within_urgent_hours = (SATURDAY_NIGHT + timedelta(hours=12)).astimezone(UTC).isoformat()
    assert {task["due_at"] for task in open_tasks} == {within_urgent_hours}
    assert case["due_at"] == within_urgent_hours
    assert any(note["text"].startswith("Finished with mandated steps outstanding: Explain")
               for note in case["notes"])


def test_finishing_twice_never_doubles_the_mandated_tasks(desk: CallDesk) -> None:
    call = desk.start("crisis")
    call.answers.update(minors_involved="yes")
    desk.finish(call)
    case = desk.finish(call)
    steps = [task["mandated_step"] for task in case["tasks"]]
    assert len(steps) == len(set(steps)) == 4


def test_every_mandated_step_done_leaves_no_task(desk: CallDesk) -> None:
    call = desk.start("crisis")
    call.answers.update(minors_involved="yes", mandatory_reporting=[
        "confidentiality-explained", "child-protective-services", "law-enforcement",
        "shift-supervisor"], cps_report_reference="CPS-2026-118")
    case = desk.finish(call)
    assert case["tasks"] == [] and case["status"] == "closed"
    assert case["answers"]["cps_report_reference"] == "CPS-2026-118"


def test_a_tip_at_night_is_taken_live_never_as_a_message(desk: CallDesk) -> None:
    call = desk.start("tip")  # Saturday 10 pm: outside the chart's hours
    case = stored(desk, call)
    assert case["urgency"] == "non-urgent" and case["taken_as_message"] is False
    assert desk.due(call).explanation.startswith("Taken live (24/7)")
    # A training request at the same hour still waits as a message.
    assert stored(desk, desk.start("ta-non-urgent"))["taken_as_message"] is True


def test_a_tip_turns_urgent_from_its_answers(desk: CallDesk) -> None:
    call = desk.start("tip")
    assert desk.urgency(call) == "non-urgent"
    call.answers["immediate_danger"] = "yes"
    assert desk.urgency(call) == "urgent"
    assert desk.due(call).explanation == "Urgent: respond now (24/7)"


def test_a_hang_up_key_pressed_by_mistake_becomes_the_call(desk: CallDesk) -> None:
    logged = desk.start("hang-up")
    assert logged.request_type == "hang-up"
    call = desk.retype(logged.case_id, "crisis")
    assert call is not None and call.case_id == logged.case_id
    assert call.position == Position("safety", "safe_to_talk")
    case = stored(desk, call)
    assert (case["request_type"], case["call_type"], case["status"], case["urgency"]) == (
        "crisis", "crisis", "open", "urgent")
    assert case["due_at"] is not None
    assert case["summary"] == ""  # no longer logged as "Hang-up"
    assert [note["text"] for note in case["notes"]] == [
        "Contact type changed from Hang-up to Crisis call"]
    assert json.loads(desk.store.get_state(OPEN_CALL_KEY))["case_id"] == call.case_id


def test_a_correction_never_lowers_urgency(desk: CallDesk) -> None:
    call = desk.start("crisis")
    assert desk.retype(call.case_id, "ta-non-urgent") is not None
    case = stored(desk, call)
    assert case["request_type"] == "ta-non-urgent" and case["urgency"] == "urgent"
    assert desk.retype(call.case_id, "wrong-number") is None
    assert stored(desk, call)["status"] == "closed"


def test_a_no_data_contact_corrected_to_another_is_logged_as_that_one(desk: CallDesk) -> None:
    logged = desk.start("hang-up")
    assert desk.retype(logged.case_id, "wrong-number") is None
    assert stored(desk, logged)["summary"] == "Wrong number"
