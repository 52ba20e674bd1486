"""Opening hours from HSDS schedules: reading messy times, weekly intervals, open-at checks.

Times are minutes from local midnight in the service's own time zone. Weekly patterns (the vast
majority) become ``Interval`` rows that search evaluates in SQL; anything else ("first Monday of
the month", every other week) is evaluated with a dateutil ``rrule``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from dateutil import rrule

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FULL_DAY = 24 * 60
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.h]?(\d{2}))?(?::(\d{2}))?\s*([ap])?\.?\s*m?\.?$")
# "9:0am": a time whose minutes lost their last digit, as hand-typed exports have it.
_CUT_MINUTES = re.compile(r"^(\d{1,2})[:.](\d)(\s*[ap]\.?\s*m?\.?)?$")
# Words that say a service never closes: "24 hours", "24/7", "open 24 hrs", "around the clock".
ALWAYS_OPEN_WORDS = re.compile(
    r"\b24\s*(?:/|x)\s*7\b|\b24[\s-]*(?:hours?|hrs?|h)\b|\baround the clock\b"
    r"|\ball day,? every day\b", re.IGNORECASE)
# What a specialist sees for a service whose source gives no schedule: never "Closed".
HOURS_NOT_LISTED = "Hours not listed"
_ORDINAL_DAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_DAY_GROUPS = {"daily": DAY_CODES, "everyday": DAY_CODES, "every day": DAY_CODES,
               "weekdays": DAY_CODES[:5], "weekends": DAY_CODES[5:]}
_RANGE = re.compile(r"\s*(?:-|–|\bto\b|\bthrough\b|\bthru\b)\s*")
_SEPARATORS = re.compile(r"[\s,;/&]+|\band\b")
_NUMBER = re.compile(r"\d+(?:\.0*)?")


def parse_clock(value: object) -> int | None:
    """Minutes after midnight from "9:00am", "9 AM", "09:00:00", "0900", "17.30", "noon"…"""
    if value is None:
        return None
    text = str(value).strip().lower().replace(" ", "")
    if text in ("noon", "midday"):
        return 12 * 60
    if text == "midnight":
        return 0
    cut = _CUT_MINUTES.match(text)
    if cut:
        text = f"{cut[1]}:{cut[2]}0{cut[3] or ''}"
    match = _CLOCK.match(text)
    if not match:
        return None
    hours, minutes, meridiem = int(match[1]), int(match[2] or 0), match[4]
    if meridiem:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if meridiem == "p" else 0)
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def has_meridiem(value: object) -> bool:
    """True if a written time says AM or PM ("5:00pm", "9 a.m.")."""
    return bool(re.search(r"\d\s*[ap]\.?\s*m?\.?\s*$", str(value).strip().lower()))


def split_range(value: object) -> tuple[str, str] | None:
    """("9:00am", "5:00") from an opening written as a range in one cell: "9:00am-5:00"."""
    parts = re.split(r"\s*(?:-|–|\bto\b)\s*", str(value).strip(), maxsplit=1)
    if len(parts) == 2 and all(parse_clock(part) is not None for part in parts):
        return parts[0], parts[1]
    return None


def afternoon_closing(opens: int, closes: int, closes_text: object) -> int:
    """A closing time without AM/PM that falls before the opening is read in the afternoon.

    "9:00am-5:00" means until 5 PM; "22:00-6:00" (still before the opening twelve hours on)
    runs overnight and is kept.
    """
    if closes <= opens < closes + 12 * 60 <= FULL_DAY and not has_meridiem(closes_text):
        return closes + 12 * 60
    return closes


def clock_text(minutes: int) -> str:
    """HSDS ``opens_at``/``closes_at`` form: "09:00"; the end of the day is "24:00"."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def spoken_clock(minutes: int) -> str:
    """How a specialist says a time on the phone: "9 AM", "5:30 PM", "midnight"."""
    if minutes % FULL_DAY == 0:
        return "midnight"
    if minutes == 12 * 60:
        return "noon"
    hours, mins = divmod(minutes, 60)
    suffix = "AM" if hours < 12 else "PM"
    shown = hours % 12 or 12
    return f"{shown}:{mins:02d} {suffix}" if mins else f"{shown} {suffix}"


def normalize_byday(value: object) -> str | None:
    """HSDS ``byday`` ("MO,TU") from what exports write, None if it names no day.

    Accepts codes and RRULE ordinals ("MO", "1MO"), names and abbreviations ("Monday", "Tues."),
    lists ("Mon, Wed"), ranges ("Mon-Fri", "1-5", "Fri to Mon" wraps), groups ("weekdays") and
    HSDS 1.1 day numbers (1 = Monday … 7 = Sunday; 0 is Sunday, as exports counting from 0 do).
    """
    return None if value is None else _normalize_byday(str(value))


@lru_cache(maxsize=4096)
def _normalize_byday(value: str) -> str | None:
    # Remembered per text: an export repeats a handful of day patterns thousands of times.
    text = _RANGE.sub("-", value.strip().casefold())
    if text in _DAY_GROUPS:
        return ",".join(_DAY_GROUPS[text])
    codes: list[str] = []
    for part in filter(None, _SEPARATORS.split(text)):
        if _ORDINAL_DAY.fullmatch(part.upper()) and not part.isalpha():
            codes.append(part.upper())  # "1mo": the first Monday, kept for rrule
            continue
        first, _, last = part.partition("-")
        start, end = _day(first), _day(last) if last else _day(first)
        if start is None or end is None:
            return None
        codes.extend(DAY_CODES[(start + offset) % 7] for offset in range((end - start) % 7 + 1))
    return ",".join(dict.fromkeys(codes)) or None


def _day(token: str) -> int | None:
    """Index from Monday (0) of one day name, abbreviation, code or HSDS 1.1 day number."""
    token = token.strip(".")
    if _NUMBER.fullmatch(token):
        number = int(float(token))
        return (number - 1) % 7 if number <= 7 else None
    if len(token) < 2:
        return None
    return next((index for index, name in enumerate(DAY_NAMES)
                 if name.casefold().startswith(token)), None)


@dataclass(frozen=True, order=True)
class Interval:
    """Open on ``day`` (0 = Monday) from ``opens`` to ``closes`` minutes (closes ≤ 1440)."""

    day: int
    opens: int
    closes: int


def _end_of_day(closes: int) -> int:
    # "23:59" is how many systems write "until midnight"; read it as the end of the day.
    return FULL_DAY if closes >= FULL_DAY - 1 else closes


def weekly_intervals(schedule: Mapping[str, Any]) -> list[Interval] | None:
    """The intervals of a plain weekly schedule, or None when it needs rule evaluation.

    An empty list means the schedule gives no usable hours (e.g. no times at all).
    """
    freq = (schedule.get("freq") or "WEEKLY").upper()
    interval = schedule.get("interval") or 1
    byday = schedule.get("byday")
    if freq != "WEEKLY" or int(interval) != 1 or schedule.get("bymonthday"):
        return None
    codes = byday.split(",") if byday else list(DAY_CODES)
    if any(code not in DAY_CODES for code in codes):
        return None
    opens, closes = parse_clock(schedule.get("opens_at")), parse_clock(schedule.get("closes_at"))
    if opens is None or closes is None:
        return []
    closes = _end_of_day(closes)
    intervals: list[Interval] = []
    for code in codes:
        day = DAY_CODES.index(code)
        if closes == opens or (opens == 0 and closes == FULL_DAY):
            intervals.append(Interval(day, 0, FULL_DAY))
        elif closes > opens:
            intervals.append(Interval(day, opens, closes))
        else:  # runs past midnight into the next day
            intervals.append(Interval(day, opens, FULL_DAY))
            if closes:
                intervals.append(Interval((day + 1) % 7, 0, closes))
    return intervals


def is_always_open(intervals: Iterable[Interval]) -> bool:
    days = {i.day for i in intervals if i.opens == 0 and i.closes == FULL_DAY}
    return len(days) == 7


def _in_validity(schedule: Mapping[str, Any], day: date) -> bool:
    start, end = schedule.get("valid_from"), schedule.get("valid_to")
    iso = day.isoformat()
    return (not start or str(start)[:10] <= iso) and (not end or iso <= str(end)[:10])


def _rule(schedule: Mapping[str, Any]) -> rrule.rrule:
    weekdays = []
    for part in (schedule.get("byday") or "").split(","):
        match = _ORDINAL_DAY.match(part.strip())
        if match:
            weekday = getattr(rrule, match[2])
            weekdays.append(weekday(int(match[1])) if match[1] else weekday)
    start = schedule.get("dtstart") or "2000-01-01"
    until = schedule.get("until")
    return rrule.rrule(
        rrule.MONTHLY if (schedule.get("freq") or "").upper() == "MONTHLY" else rrule.WEEKLY,
        dtstart=datetime.fromisoformat(str(start)[:10]),
        interval=int(schedule.get("interval") or 1),
        byweekday=weekdays or None,
        bymonthday=[int(d) for d in str(schedule.get("bymonthday")).split(",")]
        if schedule.get("bymonthday") else None,
        until=datetime.fromisoformat(str(until)[:10]) if until else None,
        count=int(schedule["count"]) if schedule.get("count") else None,
    )


def rule_hours_on(schedule: Mapping[str, Any], day: date) -> list[Interval]:
    """The hours a non-weekly schedule gives on ``day`` (an rrule occurrence that day)."""
    if not _in_validity(schedule, day):
        return []
    try:
        rule = _rule(schedule)
    except (ValueError, TypeError):
        return []
    midnight = datetime.combine(day, time())
    if not rule.between(midnight, midnight + timedelta(days=1), inc=True):
        return []
    opens, closes = parse_clock(schedule.get("opens_at")), parse_clock(schedule.get("closes_at"))
    if opens is None or closes is None:
        return []
    closes = _end_of_day(closes)
    return [Interval(day.weekday(), opens, closes if closes > opens else FULL_DAY)]


def is_open(intervals: Iterable[Interval], local: datetime) -> bool:
    minute = local.hour * 60 + local.minute
    weekday = local.weekday()
    return any(i.day == weekday and i.opens <= minute < i.closes for i in intervals)


def describe_day(intervals: Iterable[Interval], weekday: int) -> str:
    """A day's hours in plain words: "9 AM – 5 PM", "Open 24 hours", "Closed"."""
    spans = sorted((i.opens, i.closes) for i in intervals if i.day == weekday)
    if not spans:
        return "Closed"
    if spans[0] == (0, FULL_DAY):
        return "Open 24 hours"
    return ", ".join(f"{spoken_clock(a)} – {spoken_clock(b)}" for a, b in spans)
