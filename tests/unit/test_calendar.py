"""The hotline's service calendar (``console.protocol.calendar``): due times and callers' zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.protocol import load_protocol
from console.protocol.calendar import ServiceChart, caller_zone, clock_text, us_states

ET = ZoneInfo("America/New_York")
CHART = load_protocol().service_chart


def et(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ET)


def test_the_shipped_chart() -> None:
    expected = ServiceChart.from_json({
        "timezone": "America/New_York", "opens": "09:00", "closes": "19:00",
        "weekdays": [0, 1, 2, 3, 4], "holidays": "US", "business_days": 3,
        "urgent_email_hours": 12})
    assert expected == CHART


def test_a_monday_request_is_due_thursday_at_closing() -> None:
    due = CHART.due("non-urgent", et(2026, 11, 16, 10))
    assert due.due_at == et(2026, 11, 19, 19)
    assert due.due_at.tzinfo is UTC
    assert not due.taken_as_message
    assert due.explanation == "Non-urgent: answer by Thu 19 Nov, 7:00 PM ET (3 business days)"


def test_a_friday_evening_request_is_a_message_due_wednesday() -> None:
    due = CHART.due("non-urgent", et(2026, 11, 20, 20))
    assert due.taken_as_message
    assert due.due_at == et(2026, 11, 25, 19)
    assert due.explanation == ("After hours: taken as a message; "
                               "answer by Wed 25 Nov, 7:00 PM ET (3 business days)")


def test_thanksgiving_is_skipped_but_the_day_after_is_a_business_day() -> None:
    assert not CHART.is_business_day(date(2026, 11, 26))  # Thanksgiving, Thursday
    assert CHART.is_business_day(date(2026, 11, 27))  # not a federal holiday
    assert CHART.due("non-urgent", et(2026, 11, 23, 10)).due_at == et(2026, 11, 27, 19)
    assert CHART.due("non-urgent", et(2026, 11, 25, 10)).due_at == et(2026, 12, 1, 19)
    on_the_holiday = CHART.due("non-urgent", et(2026, 11, 26, 11))
    assert on_the_holiday.taken_as_message
    assert on_the_holiday.due_at == et(2026, 12, 1, 19)
    assert CHART.is_open(et(2026, 11, 27, 11))


def test_christmas_and_new_year() -> None:
    assert CHART.due("non-urgent", et(2026, 12, 23, 12)).due_at == et(2026, 12, 29, 19)
    assert CHART.due("non-urgent", et(2026, 12, 30, 12)).due_at == et(2027, 1, 5, 19)
    # Christmas 2027 and New Year's Day 2028 fall on Saturdays: the Fridays before are observed.
    assert not CHART.is_business_day(date(2027, 12, 24))
    assert not CHART.is_business_day(date(2027, 12, 31))
    assert CHART.due("non-urgent", et(2027, 12, 22, 10)).due_at == et(2027, 12, 28, 19)
    assert CHART.due("non-urgent", et(2027, 12, 29, 10)).due_at == et(2028, 1, 4, 19)


def test_closing_time_stays_seven_pm_across_daylight_saving_changes() -> None:
    autumn = CHART.due("non-urgent", et(2026, 10, 30, 10))  # clocks go back Sun 1 Nov
    assert autumn.due_at == datetime(2026, 11, 5, 0, 0, tzinfo=UTC)  # Wed 4 Nov, 7 PM EST
    assert "Wed 4 Nov, 7:00 PM ET" in autumn.explanation
    spring = CHART.due("non-urgent", et(2026, 3, 6, 18))  # clocks go forward Sun 8 Mar
    assert spring.due_at == datetime(2026, 3, 11, 23, 0, tzinfo=UTC)  # Wed 11 Mar, 7 PM EDT


def test_urgent_requests_are_due_at_once_day_or_night() -> None:
    for received in (et(2026, 11, 17, 11), et(2026, 11, 21, 3), et(2026, 11, 26, 23)):
        due = CHART.due("urgent", received)
        assert due.due_at == received and not due.taken_as_message
        assert due.explanation == "Urgent: respond now (24/7)"


def test_an_urgent_email_is_due_within_twelve_hours() -> None:
    due = CHART.due("urgent", et(2026, 11, 21, 22), channel="email")
    assert due.due_at == et(2026, 11, 22, 10)
    assert due.explanation == "Urgent email: answer by Sun 22 Nov, 10:00 AM ET (within 12 hours)"


def test_opening_hours_edges() -> None:
    assert not CHART.is_open(et(2026, 11, 17, 8, 59))
    assert CHART.is_open(et(2026, 11, 17, 9, 0))
    assert CHART.is_open(et(2026, 11, 17, 18, 59))
    assert not CHART.is_open(et(2026, 11, 17, 19, 0))
    assert CHART.is_open(datetime(2026, 11, 17, 14, 0, tzinfo=UTC))  # 9:00 AM EST
    assert not CHART.is_open(et(2026, 11, 21, 12))  # Saturday


def test_times_without_a_zone_and_unknown_urgencies_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        CHART.due("non-urgent", datetime(2026, 11, 17, 10))
    with pytest.raises(ValueError, match="time zone"):
        CHART.is_open(datetime(2026, 11, 17, 10))
    with pytest.raises(ValueError, match="unknown urgency"):
        CHART.due("whenever", et(2026, 11, 17, 10))


def test_clock_text_reads_plainly() -> None:
    assert CHART.time_text(datetime(2026, 11, 25, 17, 5, tzinfo=UTC)) == "Wed 25 Nov, 12:05 PM ET"
    pacific = datetime(2026, 7, 4, 0, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert clock_text(pacific) == "Sat 4 Jul, 12:30 AM PT"


def test_caller_zone_from_zip_then_state() -> None:
    assert caller_zone("94103") == ZoneInfo("America/Los_Angeles")
    assert caller_zone("94103-1234") == ZoneInfo("America/Los_Angeles")
    assert caller_zone(state="TX") == ZoneInfo("America/Chicago")
    assert caller_zone(state=" ny ") == ZoneInfo("America/New_York")
    assert caller_zone("00000", state="CA") == ZoneInfo("America/Los_Angeles")
    assert caller_zone("not a zip", state="HI") == ZoneInfo("Pacific/Honolulu")
    assert caller_zone("00000") is None
    assert caller_zone(state="ZZ") is None
    assert caller_zone() is None


def test_every_state_has_a_real_zone() -> None:
    states = us_states()
    assert len(states) == 56  # 50 states, DC and 5 territories
    assert ("DC", "District of Columbia") in states and ("PR", "Puerto Rico") in states
    assert len({code for code, _ in states}) == len(states)
    for code, _ in states:
        assert caller_zone(state=code) is not None, code


@settings(max_examples=300, deadline=None)
@given(received=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2034, 12, 31),
                             timezones=st.sampled_from([UTC, ET,
                                                        ZoneInfo("America/Los_Angeles")])))
def test_non_urgent_due_is_closing_time_on_the_third_business_day_after(
        received: datetime) -> None:
    due = CHART.due("non-urgent", received)
    local_due = CHART.hotline_time(due.due_at)
    assert due.due_at >= received
    assert CHART.is_business_day(local_due.date())
    assert (local_due.hour, local_due.minute) == (19, 0)
    day = CHART.hotline_time(received).date()
    between = [day + timedelta(days=n) for n in range(1, (local_due.date() - day).days + 1)]
    assert sum(CHART.is_business_day(each) for each in between) == 3
    assert due.taken_as_message == (not CHART.is_open(received))


def test_a_state_is_found_by_its_code_or_its_name() -> None:
    from console.protocol.calendar import find_state

    assert find_state("New York") == find_state("new york") == find_state("NY") == "NY"
    assert find_state("new y") == "NY"  # the start of a name, as it is typed
    assert find_state("ne") == "NE"  # a code typed in full is that state
    assert find_state("  Rhode   Island ") == "RI"
    assert find_state("Atlantis") is None and find_state("") is None


def test_a_zips_state() -> None:
    from console.protocol.calendar import zip_state

    assert zip_state("10001") == "NY" and zip_state("77002-1234") == "TX"
    assert zip_state("00000") is None and zip_state("1234") is None and zip_state(None) is None
