"""The supervisor's shift summary and CSV exports (``console.cases.report``)."""

from __future__ import annotations

import codecs
import csv
import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from console.cases.changes import NEXT_SHIFT, Case, apply_change, new_change, new_id
from console.cases.listing import CaseList, CaseQuery
from console.cases.report import (
    CASE_COLUMNS,
    SUMMARY_COLUMNS,
    Shift,
    ShiftPlan,
    ShiftsError,
    load_shifts,
    shift_summary,
    write_cases_csv,
    write_csv,
    write_summary_csv,
)
from console.cases.store import CaseStore

ET = ZoneInfo("America/New_York")
PLAN = load_shifts()


def et(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=ET)



@pytest.fixture
def store(engine: Engine) -> CaseStore:
    return CaseStore(engine, "alice")


def received(store: CaseStore, when: datetime, request_type: str = "tip",
             urgency: str = "non-urgent", **answers: Any) -> Case:
    """A case that came in at ``when`` (as the server sends it), so its time is known."""
    case = apply_change(None, new_change("create", new_id(), {
        "call_type": "crisis" if request_type == "crisis" else "tip", "urgency": urgency,
        "status": "open", "request_type": request_type, "answers": answers},
        at=when.isoformat()), "alice").case
    store.apply_server_cases([case], "1")
    return case


# --- shifts -------------------------------------------------------------------------------------

def test_the_hotlines_shifts() -> None:
    assert PLAN.timezone == "America/New_York"
    assert [(s.name, f"{s.starts:%H:%M}", f"{s.ends:%H:%M}") for s in PLAN.shifts] == [
        ("Day", "07:00", "15:00"), ("Evening", "15:00", "23:00"), ("Night", "23:00", "07:00")]


@pytest.mark.parametrize(("now", "label", "start", "end"), [
    (et(11, 24, 7), "Day shift", et(11, 24, 7), et(11, 24, 15)),
    (et(11, 24, 14, 59, 59), "Day shift", et(11, 24, 7), et(11, 24, 15)),
    (et(11, 24, 15), "Evening shift", et(11, 24, 15), et(11, 24, 23)),
    (et(11, 24, 23), "Night shift", et(11, 24, 23), et(11, 25, 7)),
    (et(11, 25, 6, 59, 59), "Night shift", et(11, 24, 23), et(11, 25, 7)),
    (et(11, 25, 0), "Night shift", et(11, 24, 23), et(11, 25, 7)),
])
def test_the_shift_on_now_by_the_hotlines_clock(now: datetime, label: str, start: datetime,
                                                end: datetime) -> None:
    shift = PLAN.shift_at(now.astimezone(UTC))
    assert (shift.label, shift.start, shift.end) == (label, start, end)


def hours_long(start: datetime, end: datetime) -> float:
    # Times in one zone subtract as wall-clock times; the hours worked are told in UTC.
    return (end.astimezone(UTC) - start.astimezone(UTC)) / timedelta(hours=1)


def test_night_shifts_across_a_clock_change_are_an_hour_shorter_or_longer() -> None:
    spring = PLAN.shift_at(et(3, 8, 4))
    autumn = PLAN.shift_at(et(11, 1, 4))
    assert (spring.start, spring.end) == (et(3, 7, 23), et(3, 8, 7))
    assert hours_long(spring.start, spring.end) == 7
    assert hours_long(autumn.start, autumn.end) == 9


def test_the_day_is_the_hotlines_not_utcs() -> None:
    late_evening = et(11, 23, 23, 30)  # already 24 Nov in UTC
    day = PLAN.day_at(late_evening.astimezone(UTC))
    assert (day.label, day.start, day.end) == ("Mon 23 Nov", et(11, 23, 0), et(11, 24, 0))


def test_one_shift_may_cover_the_whole_day() -> None:
    plan = ShiftPlan("America/Chicago", (Shift("All day", time(6), time(6)),))
    shift = plan.shift_at(datetime(2026, 5, 5, 3, tzinfo=UTC))
    assert hours_long(shift.start, shift.end) == 24


def shifts_file(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "shifts.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return path


def plan(*shifts: tuple[str, str, str], timezone: str = "America/New_York") -> dict[str, Any]:
    return {"timezone": timezone,
            "shifts": [{"name": n, "starts": s, "ends": e} for n, s, e in shifts]}


GOOD = (("Day", "07:00", "15:00"), ("Evening", "15:00", "23:00"), ("Night", "23:00", "07:00"))


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"),
    ([], "expected an object"),
    (plan(*GOOD, timezone="Mars/Olympus"), "timezone: 'Mars/Olympus' is not a known time zone"),
    (plan(), "at least one shift"),
    (plan(("Day", "7am", "15:00"), *GOOD[1:]), r"shifts\[0\].starts: '7am' is not a time"),
    (plan(("Day", "07:00", "25:00"), *GOOD[1:]), r"shifts\[0\].ends: '25:00'"),
    (plan(("", "07:00", "15:00"), *GOOD[1:]), r"shifts\[0\].name"),
    (plan(("Day", "07:00", "15:00"), ("Evening", "16:00", "23:00"), GOOD[2]),
     "Day ends at 15:00 but the next shift, Evening, starts at 16:00"),
    (plan(("Day", "07:00", "16:00"), *GOOD[1:]), "without gaps or overlaps"),
    (plan(GOOD[0], ("Day", "15:00", "23:00"), GOOD[2]), "'Day' is used twice"),
    (plan(*GOOD, ("Late", "23:00", "07:00")), "start at the same time"),
    ({"timezone": "America/New_York", "shifts": ["Day"]}, r"shifts\[0\]: expected an object"),
])
def test_a_bad_shifts_file_says_what_is_wrong(tmp_path: Path, content: Any,
                                              message: str) -> None:
    path = shifts_file(tmp_path, content)
    with pytest.raises(ShiftsError, match=message) as caught:
        load_shifts(path)
    assert str(caught.value).startswith(str(path))


def test_a_missing_shifts_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ShiftsError, match="cannot be read"):
        load_shifts(tmp_path / "nowhere.json")


# --- the summary --------------------------------------------------------------------------------

def test_counts_for_the_shift_and_the_day_follow_the_hotlines_clock(store: CaseStore,
                                                                    engine: Engine) -> None:
    received(store, et(11, 23, 23, 59), caller_state="TX")  # yesterday
    received(store, et(11, 24, 0), request_type="hang-up")
    received(store, et(11, 24, 14, 59, 59), "crisis", "urgent", caller_state="ny",
             caller_type="potential-victim")
    received(store, et(11, 24, 15), caller_state="TX", caller_type="community-member")
    received(store, et(11, 24, 16), "referral-urgent", "urgent", situation_state="CA",
             caller_type="law-enforcement")
    summary = shift_summary(engine, et(11, 24, 16, 30).astimezone(UTC), PLAN)

    assert summary.shift.label == "Evening shift" and summary.day.label == "Tue 24 Nov"
    assert summary.generated_at == et(11, 24, 16, 30)
    shift = summary.shift_counts
    assert shift.total == 2
    assert shift.by_request_type == {"referral-urgent": 1, "tip": 1}
    assert shift.by_urgency == {"non-urgent": 1, "urgent": 1}
    assert shift.by_caller_type == {"community-member": 1, "law-enforcement": 1}
    assert shift.by_state == {"CA": 1, "TX": 1}
    day = summary.day_counts
    assert day.total == 4
    assert list(day.by_request_type.items()) == [  # most first, then A to Z
        ("crisis", 1), ("hang-up", 1), ("referral-urgent", 1), ("tip", 1)]
    assert day.by_urgency == {"urgent": 2, "non-urgent": 2}
    assert day.by_state == {"CA": 1, "NY": 1, "TX": 1, None: 1}
    assert list(day.by_state)[-1] is None  # "not recorded" after the states of equal count
    assert day.by_caller_type[None] == 1


def test_the_queue_by_specialist_and_urgency_counts_open_cases(engine: Engine) -> None:
    alice, bob = CaseStore(engine, "alice"), CaseStore(engine, "bob")
    for urgency in ("urgent", "urgent", "non-urgent"):
        alice.create_case("crisis", urgency)
    alice.create_case("crisis", "urgent", status="closed")
    bob.create_case("tip", "non-urgent")
    queued = bob.create_case("tip", "urgent")
    bob.hand_off(queued["id"], NEXT_SHIFT)
    queue = shift_summary(engine, shifts=PLAN).queue
    assert [(line.specialist, line.by_urgency, line.total) for line in queue] == [
        ("alice", {"urgent": 2, "non-urgent": 1}, 3), (NEXT_SHIFT, {"urgent": 1}, 1),
        ("bob", {"non-urgent": 1}, 1)]


def test_handoffs_waiting_and_cases_due_this_shift_are_listed(store: CaseStore,
                                                              engine: Engine) -> None:
    now = datetime.now(UTC)
    shift = PLAN.shift_at(now)
    due_now = store.create_case("tip", "non-urgent",
                                due_at=(shift.start + timedelta(minutes=1)).isoformat())
    store.create_case("tip", "non-urgent", due_at=(shift.end + timedelta(minutes=1)).isoformat())
    store.create_case("tip", "non-urgent", due_at=(shift.start - timedelta(hours=1)).isoformat())
    store.create_case("tip", "non-urgent", status="closed", due_at=shift.start.isoformat())
    handed = store.create_case("tip", "non-urgent")
    handoff = store.hand_off(handed["id"], "bob", "please take over")["handoffs"][0]
    summary = shift_summary(engine, now, PLAN)
    assert [row.id for row in summary.due_this_shift] == [due_now["id"]]
    assert [(row.id, row.pending_handoff_to) for row in summary.unacknowledged_handoffs] == [
        (handed["id"], "bob")]
    CaseStore(engine, "bob").acknowledge_handoff(handed["id"], handoff["id"])
    assert shift_summary(engine, now, PLAN).unacknowledged_handoffs == ()


def test_mandated_steps_left_undone_are_carried_until_done(store: CaseStore,
                                                           engine: Engine) -> None:
    now = datetime.now(UTC)
    case = store.create_case("crisis", "urgent", status="closed")
    store.add_task(case["id"], "Call the family back", (now + timedelta(hours=2)).isoformat())
    later, sooner = (now + timedelta(hours=12)).isoformat(), (now + timedelta(hours=1)).isoformat()
    store.add_task(case["id"], "Report to child protective services", later,
                   mandated_step="child-protective-services")
    police = store.add_task(case["id"], "Notify law enforcement", sooner,
                            mandated_step="law-enforcement")["tasks"][-1]
    outstanding = shift_summary(engine, now, PLAN).mandated_outstanding
    # Even on a closed case, earliest first; the ordinary task is not a mandated step.
    assert [(step.case_id, step.text, step.due_at) for step in outstanding] == [
        (case["id"], "Notify law enforcement", sooner),
        (case["id"], "Report to child protective services", later)]
    assert outstanding[0].number == case["number"]
    store.complete_task(case["id"], police["id"])
    assert [step.text for step in shift_summary(engine, now, PLAN).mandated_outstanding] == [
        "Report to child protective services"]


# --- CSV ----------------------------------------------------------------------------------------

def read_csv(path: Path) -> list[list[str]]:
    assert path.read_bytes().startswith(codecs.BOM_UTF8)  # how spreadsheets recognise UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_a_case_list_round_trips_through_csv(store: CaseStore, engine: Engine,
                                             tmp_path: Path) -> None:
    store.create_case("tip", "non-urgent", summary="María — café, \"quoted\"\nsecond line",
                      answers={"city": "San Juan", "situation_state": "PR"})
    store.create_case("tip", "non-urgent", summary="=HYPERLINK(\"http://x\")")
    rows = CaseList(engine).list(CaseQuery(view="all"), "alice")
    path = tmp_path / "cases.csv"
    assert write_cases_csv(rows, path) == 2
    header, *lines = read_csv(path)
    assert header == [title for title, _ in CASE_COLUMNS]
    assert [dict(zip(header, line, strict=True))["Title"] for line in lines] == [
        row.title if not row.title.startswith("=") else "'" + row.title for row in rows]
    first = dict(zip(header, lines[0], strict=True))
    assert (first["Case number"], first["Place"], first["Case id"], first["Due (UTC)"]) == (
        rows[0].number, rows[0].place, rows[0].id, "")
    assert "'=HYPERLINK(\"http://x\")" in {line[1] for line in lines}


def test_the_summary_counts_round_trip_through_csv(store: CaseStore, engine: Engine,
                                                   tmp_path: Path) -> None:
    received(store, et(11, 24, 15, 30), caller_state="TX", caller_type="community-member")
    summary = shift_summary(engine, et(11, 24, 16), PLAN)
    path = tmp_path / "summary.csv"
    written = write_csv(summary, path)
    header, *lines = read_csv(path)
    assert header == list(SUMMARY_COLUMNS) and len(lines) == written
    evening = ["Evening shift", "2026-11-24 15:00", "2026-11-24 23:00"]
    assert [*evening, "All contacts", "", "1"] in lines
    assert [*evening, "State", "TX", "1"] in lines
    assert ["Tue 24 Nov", "2026-11-24 00:00", "2026-11-25 00:00", "Request type", "tip",
            "1"] in lines
    assert write_summary_csv(summary, path) == written
    assert write_csv(CaseList(engine).list(CaseQuery(view="all"), "alice"), path) == 1
