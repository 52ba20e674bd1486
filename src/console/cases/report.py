"""The shift supervisor's summary of the local cases, and CSV exports of it and of case lists.

What a supervisor reads out at a handover: who holds which open cases and how urgent they are,
handoffs nobody has accepted yet, what falls due before the shift ends, and how many contacts
came in this shift and today by request type, urgency, caller type and state. Shifts and days
are the hotline's own (``resources/cases/shifts.json``: its time zone and its shifts, e.g. day
07:00–15:00, evening 15:00–23:00, night 23:00–07:00), not the workstation's clock.

CSV files are UTF-8 with a byte order mark, which is how spreadsheet programs recognise UTF-8,
and a cell that would start a spreadsheet formula is written with a leading apostrophe, so text
a caller gave can never run as one.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine, func, select, text

from console.cases.listing import NOT_CLOSED, CaseRow, fetch_rows, time_text
from console.models.cases import LocalCase
from console.protocol.calendar import URGENT
from console.settings import resources_dir

SHIFTS_FILE = Path("cases") / "shifts.json"
ROW_LIMIT = 500
DIMENSIONS = (("by_request_type", "Request type"), ("by_urgency", "Urgency"),
              ("by_caller_type", "Caller type"), ("by_state", "State"))
NOT_RECORDED = "not recorded"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CSV_ENCODING = "utf-8-sig"
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class ShiftsError(ValueError):
    """The shifts file cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Shift:
    """One shift by the hotline's clock; it ends the next day when ``ends`` <= ``starts``."""

    name: str
    starts: time
    ends: time


@dataclass(frozen=True)
class Period:
    """A stretch of time summarised: a shift or a day, from ``start`` up to ``end`` (aware)."""

    label: str  # "Evening shift", "Tue 24 Nov"
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ShiftPlan:
    """The hotline's shifts, which together cover every minute of the day once."""

    timezone: str
    shifts: tuple[Shift, ...]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def shift_at(self, now: datetime) -> Period:
        """The shift on at ``now``."""
        local = _aware(now).astimezone(self.zone)
        for shift in self.shifts:
            overnight = shift.ends <= shift.starts
            if overnight and local.time() < shift.ends:
                first_day = local.date() - timedelta(days=1)
            elif shift.starts <= local.time() and (overnight or local.time() < shift.ends):
                first_day = local.date()
            else:
                continue
            last_day = first_day + timedelta(days=1 if overnight else 0)
            return Period(f"{shift.name} shift", self._at(first_day, shift.starts),
                          self._at(last_day, shift.ends))
        raise AssertionError("validated shifts cover the whole day")

    def day_at(self, now: datetime) -> Period:
        """The hotline's calendar day at ``now``, midnight to midnight."""
        day = _aware(now).astimezone(self.zone).date()
        label = f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]}"
        return Period(label, self._at(day, time(0)), self._at(day + timedelta(days=1), time(0)))

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.zone)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a time without a time zone cannot be placed on the hotline's clock")
    return at


# --- the shifts file --------------------------------------------------------------------------

def load_shifts(path: Path | None = None) -> ShiftPlan:
    """The shift plan from ``path`` (default: the hotline's), or ``ShiftsError`` saying what is
    wrong with it."""
    path = path or resources_dir() / SHIFTS_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as error:
        raise ShiftsError(f"{path}: cannot be read ({error.strerror or error})") from None
    except ValueError as error:
        raise ShiftsError(f"{path}: not valid JSON ({error})") from None
    try:
        return _plan(data)
    except ShiftsError as error:
        raise ShiftsError(f"{path}: {error}") from None


def _plan(data: Any) -> ShiftPlan:
    if not isinstance(data, dict):
        raise ShiftsError("expected an object with 'timezone' and 'shifts'")
    zone = _zone_name(data.get("timezone"))
    entries = data.get("shifts")
    if not isinstance(entries, list) or not entries:
        raise ShiftsError("shifts: expected a list of at least one shift")
    shifts = tuple(_shift(entry, f"shifts[{index}]") for index, entry in enumerate(entries))
    _check_cover(shifts)
    return ShiftPlan(zone, shifts)


def _zone_name(value: Any) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ShiftsError(f"timezone: {value!r} is not a known time zone") from None
    return str(value)


def _shift(entry: Any, where: str) -> Shift:
    if not isinstance(entry, dict):
        raise ShiftsError(f"{where}: expected an object with 'name', 'starts' and 'ends'")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ShiftsError(f"{where}.name: expected the shift's name")
    return Shift(name.strip(), _clock(entry.get("starts"), f"{where}.starts"),
                 _clock(entry.get("ends"), f"{where}.ends"))


def _clock(value: Any, where: str) -> time:
    try:
        parsed = time.fromisoformat(value) if isinstance(value, str) and len(value) == 5 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ShiftsError(f"{where}: {value!r} is not a time of day as HH:MM")
    return parsed


def _check_cover(shifts: tuple[Shift, ...]) -> None:
    """Each shift must end when the next one (by start time) starts: the whole day, once."""
    names = [shift.name for shift in shifts]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ShiftsError(f"shifts: the name {repeated[0]!r} is used twice")
    starts = [shift.starts for shift in shifts]
    if len(set(starts)) < len(starts):
        raise ShiftsError("shifts: two shifts start at the same time")
    ordered = sorted(shifts, key=lambda shift: shift.starts)
    for shift, following in zip(ordered, [*ordered[1:], ordered[0]], strict=True):
        if shift.ends != following.starts:
            raise ShiftsError(
                f"shifts: {shift.name} ends at {shift.ends:%H:%M} but the next shift, "
                f"{following.name}, starts at {following.starts:%H:%M}; shifts must cover "
                f"the day without gaps or overlaps")


# --- the summary ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    """Contacts received in a period, in all and by each grouping (None: not recorded)."""

    total: int
    by_request_type: dict[str | None, int]
    by_urgency: dict[str | None, int]
    by_caller_type: dict[str | None, int]
    by_state: dict[str | None, int]


@dataclass(frozen=True)
class QueueLine:
    """The open cases one specialist (or the next-shift queue) holds, by urgency."""

    specialist: str | None
    by_urgency: dict[str | None, int]
    total: int


@dataclass(frozen=True)
class OutstandingStep:
    """A mandated step (a report to child protective services…) left undone on a call: its
    follow-up task, carried until someone marks it done, even on a closed case."""

    case_id: str
    number: str | None
    assigned_to: str | None
    text: str
    due_at: str | None  # ISO UTC text


@dataclass(frozen=True)
class ShiftSummary:
    """Everything the supervisor view shows, as of ``generated_at``."""

    generated_at: datetime  # aware, on the hotline's clock
    shift: Period
    day: Period
    shift_counts: Counts
    day_counts: Counts
    queue: tuple[QueueLine, ...]  # most urgent open cases first
    unacknowledged_handoffs: tuple[CaseRow, ...]
    due_this_shift: tuple[CaseRow, ...]
    mandated_outstanding: tuple[OutstandingStep, ...] = ()  # earliest due first


def shift_summary(engine: Engine, now: datetime | None = None, shifts: ShiftPlan | None = None,
                  limit: int = ROW_LIMIT) -> ShiftSummary:
    """The summary at ``now`` (default: the present) for the hotline's shifts."""
    plan = shifts or load_shifts()
    at = _aware(now or datetime.now(UTC)).astimezone(plan.zone)
    shift, day = plan.shift_at(at), plan.day_at(at)
    with engine.connect() as connection:
        return ShiftSummary(
            generated_at=at, shift=shift, day=day,
            shift_counts=_counts(connection, shift), day_counts=_counts(connection, day),
            queue=_queue(connection),
            unacknowledged_handoffs=tuple(fetch_rows(
                connection, [LocalCase.pending_handoff_to.is_not(None)], limit)),
            due_this_shift=tuple(fetch_rows(
                connection, [LocalCase.due_order >= time_text(shift.start),
                             LocalCase.due_order < time_text(shift.end)], limit)),
            mandated_outstanding=_mandated_outstanding(connection, limit))


# Only cases with an open task (``next_task_due`` set) are opened up, so the supervisor view
# stays quick with tens of thousands of cases.
_MANDATED_SQL = text(
    "SELECT local_case.id, local_case.number, local_case.assigned_to, "
    "json_extract(task.value, '$.text'), json_extract(task.value, '$.due_at') "
    "FROM local_case, json_each(local_case.doc, '$.tasks') AS task "
    "WHERE local_case.next_task_due IS NOT NULL "
    "AND json_type(task.value, '$.mandated_step') = 'text' "
    "AND json_extract(task.value, '$.done_at') IS NULL "
    "ORDER BY json_extract(task.value, '$.due_at'), local_case.number LIMIT :limit")


def _mandated_outstanding(connection: Connection, limit: int) -> tuple[OutstandingStep, ...]:
    rows = connection.execute(_MANDATED_SQL, {"limit": limit}).all()
    return tuple(OutstandingStep(*row) for row in rows)


def _answer_text(answer: str) -> str:
    """An intake answer read in SQL, when it is text (an odd value counts as not recorded)."""
    path = f"'$.answers.{answer}'"
    return f"CASE json_type(doc, {path}) WHEN 'text' THEN json_extract(doc, {path}) END"


_PERIOD_SQL = text(
    f"SELECT request_type, urgency, {_answer_text('caller_type')}, "
    f"{_answer_text('caller_state')}, {_answer_text('situation_state')} "
    "FROM local_case WHERE created_at >= :start AND created_at < :end")


def _ranked(counter: Counter[str | None]) -> dict[str | None, int]:
    """Most frequent first, then alphabetically, with "not recorded" last among equals."""
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0] is None,
                                                          item[0] or "")))


def _counts(connection: Connection, period: Period) -> Counts:
    rows = connection.execute(_PERIOD_SQL, {"start": time_text(period.start),
                                            "end": time_text(period.end)}).all()
    groups: dict[str, Counter[str | None]] = {name: Counter() for name, _ in DIMENSIONS}
    for request_type, urgency, caller_type, caller_state, situation_state in rows:
        groups["by_request_type"][request_type or None] += 1
        groups["by_urgency"][urgency or None] += 1
        groups["by_caller_type"][caller_type or None] += 1
        groups["by_state"][(caller_state or situation_state or "").strip().upper() or None] += 1
    return Counts(total=len(rows), **{name: _ranked(counter) for name, counter in groups.items()})


def _queue(connection: Connection) -> tuple[QueueLine, ...]:
    statement = (select(LocalCase.assigned_to, LocalCase.urgency, func.count())
                 .where(NOT_CLOSED).group_by(LocalCase.assigned_to, LocalCase.urgency))
    holders: dict[str | None, Counter[str | None]] = {}
    for specialist, urgency, count in connection.execute(statement):
        holders.setdefault(specialist, Counter())[urgency] += count
    lines = [QueueLine(specialist, _ranked(counter), sum(counter.values()))
             for specialist, counter in holders.items()]
    lines.sort(key=lambda line: (-line.by_urgency.get(URGENT, 0), -line.total,
                                 line.specialist or ""))
    return tuple(lines)


# --- CSV --------------------------------------------------------------------------------------

CASE_COLUMNS = (("Case number", "number"), ("Title", "title"), ("Place", "place"),
                ("Call type", "call_type"), ("Request type", "request_type"),
                ("Urgency", "urgency"), ("Status", "status"), ("Assigned to", "assigned_to"),
                ("Created by", "created_by"), ("Created (UTC)", "created_at"),
                ("Updated (UTC)", "updated_at"), ("Due (UTC)", "due_at"),
                ("Next task due (UTC)", "next_task_due"),
                ("Handoff waiting for", "pending_handoff_to"), ("Case id", "id"))
SUMMARY_COLUMNS = ("Period", "From", "To", "Counted by", "Value", "Cases")


def spreadsheet_safe(value: Any) -> str:
    """A cell's text; one that a spreadsheet would run as a formula gets a leading apostrophe."""
    cell = "" if value is None else str(value)
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _write(path: Path, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> int:
    count = 0
    with path.open("w", encoding=_CSV_ENCODING, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([spreadsheet_safe(value) for value in row])
            count += 1
    return count


def write_cases_csv(rows: Iterable[CaseRow], path: Path) -> int:
    """A case list as CSV, one line per case; returns the number of cases written."""
    return _write(path, [title for title, _ in CASE_COLUMNS],
                  ([getattr(row, name) for _, name in CASE_COLUMNS] for row in rows))


def _local_text(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _count_lines(period: Period, counts: Counts) -> Iterable[list[Any]]:
    when = [period.label, _local_text(period.start), _local_text(period.end)]
    yield [*when, "All contacts", "", counts.total]
    for name, title in DIMENSIONS:
        grouped: Mapping[str | None, int] = getattr(counts, name)
        for value, count in grouped.items():
            yield [*when, title, value or NOT_RECORDED, count]


def write_summary_csv(summary: ShiftSummary, path: Path) -> int:
    """The summary's counts for the shift and the day as CSV (times on the hotline's clock);
    returns the number of lines written after the header."""
    lines = [*_count_lines(summary.shift, summary.shift_counts),
             *_count_lines(summary.day, summary.day_counts)]
    return _write(path, SUMMARY_COLUMNS, lines)


def write_csv(data: ShiftSummary | Iterable[CaseRow], path: Path) -> int:
    """Write a shift summary's counts or a list of cases as CSV (see the two functions above)."""
    if isinstance(data, ShiftSummary):
        return write_summary_csv(data, path)
    return write_cases_csv(data, path)
