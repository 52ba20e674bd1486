from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.directory.hours import (
    FULL_DAY,
    Interval,
    clock_text,
    describe_day,
    is_always_open,
    is_open,
    normalize_byday,
    parse_clock,
    rule_hours_on,
    spoken_clock,
    weekly_intervals,
)


def test_parse_clock_reads_what_exports_hold() -> None:
    cases = {"9:00am": 540, "9am": 540, "9 AM": 540, "09:00:00": 540, "0900": 540,
             "17.30": 1050, "5:30 PM": 1050, "noon": 720, "12:00 AM": 0, "12pm": 720,
             "24:00": 1440, "midnight": 0}
    for text, minutes in cases.items():
        assert parse_clock(text) == minutes, text


def test_parse_clock_rejects_nonsense() -> None:
    for text in ("25:00", "9:75", "13pm", "", "closed", None, "24:30"):
        assert parse_clock(text) is None, text


@given(st.integers(min_value=0, max_value=FULL_DAY))
def test_clock_text_round_trips(minutes: int) -> None:
    assert parse_clock(clock_text(minutes)) == minutes


@given(st.text(max_size=12))
def test_parse_clock_never_raises(text: str) -> None:
    result = parse_clock(text)
    assert result is None or 0 <= result <= FULL_DAY


def test_normalize_byday() -> None:
    assert normalize_byday("Monday") == "MO"
    assert normalize_byday("mon, tue ,wed") == "MO,TU,WE"
    assert normalize_byday(7) == "SU"  # HSDS 1.1 numbers days from Monday = 1
    assert normalize_byday("1MO") == "1MO"
    assert normalize_byday("Thurs") == "TH"
    assert normalize_byday("someday") is None


def test_overnight_hours_split_at_midnight() -> None:
    intervals = weekly_intervals({"byday": "FR", "opens_at": "20:00", "closes_at": "08:00"})
    assert intervals == [Interval(4, 1200, FULL_DAY), Interval(5, 0, 480)]
    assert is_open(intervals, datetime(2026, 11, 28, 7, 59))  # Saturday morning
    assert not is_open(intervals, datetime(2026, 11, 28, 8, 0))


def test_all_week_until_2359_is_round_the_clock() -> None:
    intervals = weekly_intervals({"opens_at": "00:00", "closes_at": "23:59"})
    assert intervals is not None and is_always_open(intervals)
    assert describe_day(intervals, 2) == "Open 24 hours"


def test_describe_day_in_plain_words() -> None:
    intervals = weekly_intervals({"byday": "MO", "opens_at": "09:00", "closes_at": "17:30"})
    assert intervals is not None
    assert describe_day(intervals, 0) == "9 AM – 5:30 PM"
    assert describe_day(intervals, 1) == "Closed"
    assert spoken_clock(0) == "midnight" and spoken_clock(720) == "noon"


def test_monthly_schedule_uses_rrule() -> None:
    schedule = {"freq": "MONTHLY", "byday": "1MO", "opens_at": "09:00", "closes_at": "13:00"}
    assert weekly_intervals(schedule) is None
    assert rule_hours_on(schedule, date(2026, 12, 7)) == [Interval(0, 540, 780)]
    assert rule_hours_on(schedule, date(2026, 12, 14)) == []


def test_validity_window_limits_rule() -> None:
    schedule = {"freq": "MONTHLY", "byday": "1MO", "opens_at": "09:00", "closes_at": "13:00",
                "valid_to": "2026-11-30"}
    assert rule_hours_on(schedule, date(2026, 12, 7)) == []


@given(st.integers(0, FULL_DAY - 1), st.integers(0, FULL_DAY), st.integers(0, 6),
       st.integers(0, FULL_DAY - 1))
def test_weekly_intervals_agree_with_the_clock(opens: int, closes: int, day: int,
                                               minute: int) -> None:
    """Open at a minute exactly when the schedule's own definition says so."""
    schedule = {"byday": "MO", "opens_at": clock_text(opens), "closes_at": clock_text(closes)}
    intervals = weekly_intervals(schedule)
    assert intervals is not None
    end = FULL_DAY if closes >= FULL_DAY - 1 else closes
    if end == opens or (opens == 0 and end == FULL_DAY):
        expected = day == 0
    elif end > opens:
        expected = day == 0 and opens <= minute < end
    else:
        expected = (day == 0 and minute >= opens) or (day == 1 and minute < end)
    moment = datetime(2026, 11, 23 + day, minute // 60, minute % 60)  # 23 Nov 2026 is a Monday
    assert is_open(intervals, moment) == expected


@pytest.mark.parametrize(("value", "byday"), [
    ("Monday", "MO"), ("monday", "MO"), ("Mon", "MO"), ("Tues.", "TU"), ("THURS", "TH"),
    ("1", "MO"), ("5", "FR"), ("7", "SU"), ("0", "SU"), ("3.0", "WE"),
    ("Mon-Fri", "MO,TU,WE,TH,FR"), ("Saturday to Sunday", "SA,SU"), ("Fri - Mon", "FR,SA,SU,MO"),
    ("Mon, Wed & Fri", "MO,WE,FR"), ("weekdays", "MO,TU,WE,TH,FR"),
    ("-1FR", "-1FR"), ("", None), ("8", None), ("M", None), ("Funday", None),
])
def test_normalize_byday_reads_what_exports_write(value: str, byday: str | None) -> None:
    assert normalize_byday(value) == byday
