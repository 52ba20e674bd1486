"""The hotline's service calendar: when a request is due, and what time it is for a caller.

Urgent requests are answered around the clock. Non-urgent ones are answered by the closing time
of the Nth business day after the day they arrive, counted in the hotline's own time zone and
skipping weekends and (U.S. federal) public holidays; one that arrives outside opening hours is
taken as a message. The chart itself is data, in the intake protocol's ``service_chart``.

A caller's local time comes from their ZIP code (``zipcodes``) or, failing that, from the main
time zone of their state (``resources/protocols/state_zones.json``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.settings import resources_dir

URGENT = "urgent"
NON_URGENT = "non-urgent"
URGENCIES = (URGENT, NON_URGENT)
EMAIL_CHANNEL = "email"

# Fixed English names: strftime would follow whatever locale the desktop toolkit has set.
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ZIP = re.compile(r"(\d{5})(?:-?\d{4})?")
_SEASONAL_ABBREVIATION = re.compile(r"([A-Z]+)[SD]T")


@dataclass(frozen=True)
class Due:
    """When a request must be answered, and why, in words a specialist can read to a caller."""

    due_at: datetime  # aware, UTC
    taken_as_message: bool  # non-urgent request received outside service hours
    explanation: str


@dataclass(frozen=True)
class ServiceChart:
    """The hours and days the hotline answers non-urgent requests (urgent ones: 24/7)."""

    timezone: str
    opens: time
    closes: time
    weekdays: frozenset[int]  # 0 = Monday … 6 = Sunday
    holiday_country: str
    business_days: int
    urgent_email_hours: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServiceChart:
        """The chart from a protocol's ``service_chart``; ValueError says what is wrong."""
        chart = cls(timezone=data["timezone"], opens=time.fromisoformat(data["opens"]),
                    closes=time.fromisoformat(data["closes"]),
                    weekdays=frozenset(data["weekdays"]), holiday_country=data["holidays"],
                    business_days=data["business_days"],
                    urgent_email_hours=data["urgent_email_hours"])
        if _zone_or_none(chart.timezone) is None:
            raise ValueError(f"unknown time zone {chart.timezone!r}")
        if chart.opens >= chart.closes:
            raise ValueError(f"opens at {data['opens']} but closes at {data['closes']}")
        if not _has_holiday_calendar(chart.holiday_country):
            raise ValueError(f"no public holiday calendar for country {chart.holiday_country!r}")
        return chart

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def hotline_time(self, at: datetime) -> datetime:
        """The same instant on the hotline's clock."""
        return _require_aware(at).astimezone(self.zone)

    def time_text(self, at: datetime) -> str:
        """An instant on the hotline's clock, e.g. "Wed 25 Nov, 7:00 PM ET"."""
        return clock_text(self.hotline_time(at))

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in _holiday_dates(
            self.holiday_country, day.year)

    def is_open(self, at: datetime) -> bool:
        """Whether non-urgent requests are being answered at this instant."""
        local = self.hotline_time(at)
        return self.is_business_day(local.date()) and self.opens <= local.time() < self.closes

    def due(self, urgency: str, received_at: datetime, channel: str = "call",
            around_the_clock: bool = False) -> Due:
        """When a request received at ``received_at`` must be answered. A request the chart
        takes ``around_the_clock`` (tips) is taken live at any hour, never as a message."""
        _require_aware(received_at)
        if urgency == URGENT:
            return self._urgent_due(received_at, channel)
        if urgency == NON_URGENT:
            return self._non_urgent_due(received_at, around_the_clock)
        raise ValueError(f"unknown urgency {urgency!r}; expected one of {URGENCIES}")

    def _urgent_due(self, received_at: datetime, channel: str) -> Due:
        if channel != EMAIL_CHANNEL:
            return Due(received_at.astimezone(UTC), False, "Urgent: respond now (24/7)")
        # An email is read on the next pass through the inbox, not the moment it lands.
        due_at = (received_at + timedelta(hours=self.urgent_email_hours)).astimezone(UTC)
        return Due(due_at, False, f"Urgent email: answer by {self.time_text(due_at)} "
                                  f"(within {self.urgent_email_hours} hours)")

    def _non_urgent_due(self, received_at: datetime, around_the_clock: bool = False) -> Due:
        day = self.hotline_time(received_at).date()
        for _ in range(self.business_days):
            day = self._next_business_day(day)
        due_at = datetime.combine(day, self.closes, tzinfo=self.zone).astimezone(UTC)
        plural = "" if self.business_days == 1 else "s"
        answer = (f"answer by {self.time_text(due_at)} "
                  f"({self.business_days} business day{plural})")
        if self.is_open(received_at):
            return Due(due_at, False, f"Non-urgent: {answer}")
        if around_the_clock:
            return Due(due_at, False, f"Taken live (24/7); follow-up: {answer}")
        return Due(due_at, True, f"After hours: taken as a message; {answer}")

    def _next_business_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day


def clock_text(local: datetime) -> str:
    """An aware time in its own zone, in plain words: "Wed 25 Nov, 7:00 PM ET"."""
    hour = local.hour % 12 or 12
    noon = "AM" if local.hour < 12 else "PM"
    return (f"{_DAY_NAMES[local.weekday()]} {local.day} {_MONTH_NAMES[local.month - 1]}, "
            f"{hour}:{local.minute:02d} {noon} {zone_abbreviation(local)}")


def caller_zone(zip_code: str | None = None, state: str | None = None) -> ZoneInfo | None:
    """The caller's time zone: from their ZIP code, else their state's main zone, else None."""
    name = _zip_zone_name(zip_code.strip()) if zip_code else None
    if name is None and state:
        name = _state_zone_names().get(state.strip().upper())
    return _zone_or_none(name)


def us_states() -> tuple[tuple[str, str], ...]:
    """(code, name) of every state, the District of Columbia and the territories."""
    return tuple((row["code"], row["name"]) for row in _state_rows())


def find_state(typed: str) -> str | None:
    """The state a person means by what they typed: its code ("ny", "NY") or the start of its
    name ("New Y", "new york"); None when nothing matches."""
    wanted = " ".join(typed.split()).casefold()
    if not wanted:
        return None
    states = us_states()
    exact = next((code for code, name in states
                  if wanted in (code.casefold(), name.casefold())), None)
    if exact is not None:
        return exact
    return next((code for code, name in states if name.casefold().startswith(wanted)), None)


def zip_state(zip_code: str | None) -> str | None:
    """The state a 5-digit ZIP code is in, or None (unknown or not a ZIP). The first call
    loads the ZIP tables (about a second): keep it off a window's thread."""
    place = _zip_place((zip_code or "").strip())
    return place.get("state") if place else None


@lru_cache(maxsize=4096)
def _zip_place(zip_code: str) -> dict[str, Any] | None:
    """What the ZIP tables hold for a 5-digit ZIP code (state, time zone…), or None."""
    match = _ZIP.fullmatch(zip_code)
    if match is None:
        return None
    # Imported here: the first lookup loads the ZIP tables, which only caller lookups need.
    import zipcodes

    try:
        places = zipcodes.matching(match.group(1))
    except (ValueError, TypeError):
        return None
    return places[0] if places else None


def _has_holiday_calendar(country: str) -> bool:
    # The registry only: building a country's calendar takes a tenth of a second, left to the
    # first due time, off the path to the window.
    from holidays.registry import COUNTRIES

    return any(country in names[1:] for names in COUNTRIES.values())


@lru_cache(maxsize=64)
def _holiday_dates(country: str, year: int) -> frozenset[date]:
    import holidays  # the calendars are loaded on first use, not at start

    # The calendar includes observed days: a holiday on a Saturday closes the Friday before.
    return frozenset(holidays.country_holidays(country, years=year))


def _zip_zone_name(zip_code: str) -> str | None:
    place = _zip_place(zip_code)
    if place is None:
        return None
    return place.get("timezone") or _state_zone_names().get(place.get("state", ""))


@cache
def _state_rows() -> tuple[dict[str, str], ...]:
    path = resources_dir() / "protocols" / "state_zones.json"
    return tuple(json.loads(path.read_text("utf-8"))["states"])


@cache
def _state_zone_names() -> dict[str, str]:
    return {row["code"]: row["zone"] for row in _state_rows()}


def _zone_or_none(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_abbreviation(local: datetime) -> str:
    """The zone of an aware time as callers know it: "EST" and "EDT" both read "ET" (they
    think in the zone, not the season)."""
    name = local.tzname() or ""
    seasonal = _SEASONAL_ABBREVIATION.fullmatch(name)
    return f"{seasonal.group(1)}T" if seasonal else name


def _require_aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a time without a time zone cannot be placed on the hotline's clock")
    return at
