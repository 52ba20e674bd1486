"""The referral sheet: the services a specialist gave a caller, on paper the caller can keep.

Built only from the local directory and the print options, never from a case's answers, so a
caller's or victim's name or anything the protocol marks personal cannot reach the page. A
confidential address is never read out of the directory at all: its service prints "Call for
location", with no street, ZIP, city or distance. The discreet layout carries a neutral title and
no word about trafficking or the hotline's name, in the text or in the PDF's metadata; directory
names and eligibility lines that contain such words are replaced or left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from reportlab.lib import colors
from reportlab.lib.styles import StyleSheet1
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table
from sqlalchemy import Engine

from console.directory import geo
from console.directory.hours import FULL_DAY, rule_hours_on
from console.directory.index import facet
from console.directory.vocabulary import vocabulary
from console.printing.base import (
    CONTENT_WIDTH,
    FONT_BOLD,
    PageSetup,
    PrintError,
    para,
    render,
    styles,
    table_style,
)
from console.printing.phrases import LANGUAGES, texts
from console.protocol import load_protocol
from console.protocol.calendar import ServiceChart, zone_abbreviation

DAYS_IN_WEEK = 7
Span = tuple[int, int]  # minutes from local midnight; ``closes`` passes 1440 when open overnight
_SHADE = colors.HexColor("#EEEEEE")
_RULE = colors.HexColor("#999999")


@dataclass(frozen=True)
class ReferralSheetOptions:
    """How the sheet is printed: "en" or "es", the discreet layout, large print."""

    language: str = "en"
    discreet: bool = False
    large_print: bool = False
    # Some callers must not carry the hotline's number at all; only a discreet sheet may omit
    # it (a plain sheet always says where help is).
    without_hotline: bool = False


@dataclass(frozen=True)
class SheetService:
    """One service as the sheet prints it: directory facts only.

    ``address`` is None for a confidential service (its address is never read) and when the
    directory has none; ``week`` holds Monday to Sunday of the printing week, in the service's
    own local time; ``distance_miles`` is None without a caller ZIP and for confidential services.
    """

    service_id: str
    service_name: str
    organization_name: str
    phone: str | None
    address: str | None
    confidential: bool
    week: tuple[tuple[Span, ...], ...]
    languages: tuple[str, ...] = ()
    eligibility: str = ""
    minimum_age: float | None = None
    maximum_age: float | None = None
    hours_listed: bool = True  # False: the directory has no schedule, which is not "closed"
    distance_miles: float | None = None
    national: bool = False  # serves the whole country, by phone: a distance would mislead


# -- reading the directory ------------------------------------------------------------------

_SERVICE_SQL = (
    "SELECT s.rowid, s.service_id, s.service_name, s.organization_name, s.phone, s.confidential, "
    "CASE WHEN s.confidential THEN NULL ELSE s.address END, "
    "CASE WHEN s.confidential THEN NULL ELSE s.city END, "
    "CASE WHEN s.confidential THEN NULL ELSE s.state END, "
    "s.latitude, s.longitude, s.languages, s.minimum_age, s.maximum_age, "
    "v.eligibility_description, s.facets "
    "FROM search_service s LEFT JOIN service v ON v.id = s.service_id "
    "WHERE s.service_id IN ({marks})"
)
_HOURS_SQL = ("SELECT service_rowid, day, opens, closes, valid_from, valid_to, rule "
              "FROM search_hours WHERE service_rowid IN ({marks})")


_NATIONAL = facet("a", "national")


def sheet_services(directory_engine: Engine, service_ids: Sequence[str],
                   caller_zip: str | None = None, today: date | None = None) -> list[SheetService]:
    """The services of ``service_ids`` in that order (a repeated id once), read from the local
    directory. PrintError names every id the directory does not have, and an unknown ZIP."""
    wanted = list(dict.fromkeys(service_id.strip() for service_id in service_ids
                                if service_id.strip()))
    if not wanted:
        raise PrintError("no services to print")
    origin = _caller_place(caller_zip)
    marks = ",".join("?" * len(wanted))
    with directory_engine.connect() as connection:
        rows = {row[1]: row for row in connection.exec_driver_sql(
            _SERVICE_SQL.format(marks=marks), tuple(wanted))}
        missing = [service_id for service_id in wanted if service_id not in rows]
        if missing:
            plural = "s" if len(missing) > 1 else ""
            raise PrintError(f"unknown service id{plural} (not in the local directory): "
                             + ", ".join(missing))
        rowids = tuple(rows[service_id][0] for service_id in wanted)
        hours: dict[int, list[Sequence[Any]]] = {}
        for row in connection.exec_driver_sql(
                _HOURS_SQL.format(marks=",".join("?" * len(rowids))), rowids):
            hours.setdefault(row[0], []).append(row[1:])
    week = _week_dates(today or date.today())
    return [_sheet_service(rows[service_id], hours.get(rows[service_id][0], []), week, origin)
            for service_id in wanted]


def _caller_place(caller_zip: str | None) -> geo.Place | None:
    if not caller_zip:
        return None
    found = geo.place(geo.normalize_zip(caller_zip))
    if found is None:
        raise PrintError(f"unknown ZIP code {caller_zip!r}")
    return found


def _sheet_service(row: Sequence[Any], hours: list[Sequence[Any]], week: list[date],
                   origin: geo.Place | None) -> SheetService:
    (_rowid, service_id, service_name, organization_name, phone, confidential, address, city,
     state, latitude, longitude, languages, minimum_age, maximum_age, eligibility, facets) = row
    confidential = bool(confidential)
    national = _NATIONAL in (facets or "").split()
    distance = None
    # A confidential service's point is its ZIP's centre: a distance from the caller would
    # still narrow down where it is, so only public places get one.
    if origin and not confidential and not national and latitude is not None \
            and longitude is not None and (address or city):
        distance = geo.distance_miles(origin.latitude, origin.longitude, latitude, longitude)
    return SheetService(
        service_id=service_id, service_name=service_name or "",
        organization_name=organization_name or "", phone=phone,
        address=address or ", ".join(part for part in (city, state) if part) or None,
        confidential=confidential, week=_week_hours(hours, week),
        languages=tuple(name for name in (languages or "").split(", ") if name),
        eligibility=(eligibility or "").strip(), minimum_age=minimum_age,
        maximum_age=maximum_age, distance_miles=distance, hours_listed=bool(hours),
        national=national,
    )


def _week_dates(today: date) -> list[date]:
    monday = today - timedelta(days=today.weekday())
    return [monday + timedelta(days=offset) for offset in range(DAYS_IN_WEEK)]


def _week_hours(rows: list[Sequence[Any]], week: list[date]) -> tuple[tuple[Span, ...], ...]:
    """Each day's opening spans in the given week: weekly rows valid that day, plus rule-based
    schedules ("first Monday") that fall on it."""
    days: list[list[Span]] = [[] for _ in range(DAYS_IN_WEEK)]
    for weekday, opens, closes, valid_from, valid_to, rule in rows:
        if rule:
            for day in week:
                days[day.weekday()] += [(i.opens, i.closes)
                                        for i in rule_hours_on(dict(json.loads(rule)), day)]
        elif _valid_on(week[weekday].isoformat(), valid_from, valid_to):
            days[weekday].append((opens, closes))
    return _join_overnight([_merged(spans) for spans in days])


def _valid_on(day: str, valid_from: str | None, valid_to: str | None) -> bool:
    return (not valid_from or valid_from[:10] <= day) and (not valid_to or day <= valid_to[:10])


def _merged(spans: Iterable[Span]) -> list[Span]:
    """Overlapping or touching spans as one: two schedules for one day read as a single span."""
    merged: list[Span] = []
    for opens, closes in sorted(spans):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def _join_overnight(days: list[list[Span]]) -> tuple[tuple[Span, ...], ...]:
    """The index stores "Fri 9 PM – 6 AM" as Friday until midnight plus Saturday from midnight;
    a caller reads it best as one span on the day it starts."""
    joined = [list(spans) for spans in days]
    for day, spans in enumerate(days):
        following = days[(day + 1) % DAYS_IN_WEEK]
        if (spans and spans[-1][0] > 0 and spans[-1][1] == FULL_DAY and following
                and following[0][0] == 0 and following[0][1] < FULL_DAY):
            joined[day][-1] = (spans[-1][0], FULL_DAY + following[0][1])
            joined[(day + 1) % DAYS_IN_WEEK].remove(following[0])
    return tuple(tuple(spans) for spans in joined)


# -- words in the sheet's language ----------------------------------------------------------


class _Words:
    """Hours, days, dates and distances in the sheet's language (``hours.py`` speaks English
    only, for specialists; a caller's sheet may be in Spanish)."""

    def __init__(self, language: str) -> None:
        self.text = texts(language)

    def __getitem__(self, key: str) -> str:
        return self.text[key]

    def clock(self, minutes: int) -> str:
        minutes %= FULL_DAY
        if minutes == 0:
            return self.text["hours.midnight"]
        if minutes == 12 * 60:
            return self.text["hours.noon"]
        hours, mins = divmod(minutes, 60)
        shown = f"{hours % 12 or 12}:{mins:02d}" if mins else str(hours % 12 or 12)
        return self.text["hours.am" if hours < 12 else "hours.pm"].format(time=shown)

    def day_hours(self, spans: Sequence[Span]) -> str:
        if not spans:
            return self.text["hours.closed"]
        if tuple(spans) == ((0, FULL_DAY),):
            return self.text["hours.open_24"]
        return ", ".join(self.text["hours.range"].format(opens=self.clock(opens),
                                                         closes=self.clock(closes))
                         for opens, closes in spans)

    def day_range(self, first: int, last: int) -> str:
        if first == last:
            return self.text[f"day.short.{first}"]
        return self.text["hours.days"].format(first=self.text[f"day.short.{first}"],
                                              last=self.text[f"day.short.{last}"])

    def week_lines(self, week: Sequence[Sequence[Span]]) -> list[str]:
        """"Mon–Fri: 9 AM – 5 PM", "Sat–Sun: Closed": runs of days with the same hours."""
        described = [self.day_hours(spans) for spans in week]
        if len(set(described)) == 1:
            return [self.day_line(self.text["hours.every_day"], described[0])]
        return [self.day_line(self.day_range(first, last), described[first])
                for first, last in _runs(described)]

    def day_line(self, days: str, hours: str) -> str:
        """"Mon–Fri: 9 AM – 5 PM"; Spanish day names are lower case, but not to start a line."""
        line = self.text["hours.day_line"].format(days=days, hours=hours)
        return line[:1].upper() + line[1:]

    def weekdays(self, days: Iterable[int]) -> str:
        """A set of weekdays as ranges: {0, 1, 2, 3, 4} is "Mon–Fri"."""
        chosen = set(days)
        open_days = [day in chosen for day in range(DAYS_IN_WEEK)]
        return ", ".join(self.day_range(first, last) for first, last in _runs(open_days)
                         if open_days[first])

    def long_date(self, day: date) -> str:
        return self.text["date.long"].format(day=day.day, month=self.text[f"month.{day.month}"],
                                             year=day.year)

    def miles(self, distance: float) -> str:
        if distance < 1:  # measured between ZIP centres or map points: tenths would mislead
            return self.text["sheet.under_a_mile"]
        # Tenths help across town; for a long trip they are noise.
        shown = f"{distance:.1f}" if distance < 10 else f"{distance:.0f}"
        number = shown.replace(".", self.text["decimal.point"])
        return self.text["sheet.miles"].format(miles=number)

    def language_names(self, names: Iterable[str]) -> str:
        shown = (self.text.get(f"language.{_language_code(name)}", name) for name in names)
        return ", ".join(dict.fromkeys(shown))

    def ages(self, minimum: float | None, maximum: float | None, eligibility: str) -> str:
        """"Ages 18 and over.", unless the eligibility text already gives those ages."""
        low = None if minimum is None else int(minimum)
        high = None if maximum is None else int(maximum)
        given = [str(age) for age in (low, high) if age is not None]
        if given and all(re.search(rf"\b{age}\b", eligibility) for age in given):
            return ""
        if low is not None and high is not None:
            return self.text["sheet.ages_between"].format(low=low, high=high)
        if low is not None:
            return self.text["sheet.ages_from"].format(low=low)
        if high is not None:
            return self.text["sheet.ages_to"].format(high=high)
        return ""


def _runs(values: Sequence[object]) -> list[tuple[int, int]]:
    """(first, last) indexes of each run of equal neighbouring values."""
    runs: list[tuple[int, int]] = []
    for index, value in enumerate(values):
        if runs and values[runs[-1][1]] == value:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


@cache
def _language_code(name: str) -> str:
    return vocabulary().language_code(name) or name


class _Discretion:
    """Keeps words about trafficking and the hotline's name off a discreet sheet: the listed
    words of every print language are checked, since directory text is often English."""

    def __init__(self, enabled: bool, words: _Words) -> None:
        self.neutral_name = words["discreet.name"]
        self.avoid = _avoided_words() if enabled else ()

    def is_sensitive(self, text: str) -> bool:
        folded = text.casefold()
        return any(word in folded for word in self.avoid)

    def name(self, text: str) -> str:
        return self.neutral_name if self.is_sensitive(text) else text

    def sentence(self, text: str) -> str:
        return "" if self.is_sensitive(text) else text


@cache
def _avoided_words() -> tuple[str, ...]:
    words = {word.strip().casefold() for language in LANGUAGES
             for word in texts(language)["discreet.avoid"].split(",")}
    return tuple(sorted(word for word in words if word))


# -- layout -----------------------------------------------------------------------------------


@cache
def _chart() -> ServiceChart:
    """The current protocol's chart, validated once per process (a fifth of a second)."""
    return load_protocol().service_chart


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


@dataclass(frozen=True)
class _Layout:
    """What every block of one sheet shares: words, styles, the label column's width."""

    words: _Words
    discretion: _Discretion
    sheet: StyleSheet1
    label_width: float
    today: date


_LABEL_KEYS = ("sheet.phone", "sheet.address", "sheet.today", "sheet.hours", "sheet.languages",
               "sheet.eligibility", "sheet.distance")


@cache
def _label_width(language: str, large_print: bool) -> float:
    """Wide enough for the longest label in this language, at most a third of the page."""
    label = styles(large_print)["Label"]
    widest = max(stringWidth(texts(language)[key], FONT_BOLD, label.fontSize)
                 for key in _LABEL_KEYS)
    return min(widest + 14, CONTENT_WIDTH / 3)


def _header(layout: _Layout, options: ReferralSheetOptions, chart: ServiceChart,
            title: str) -> list[Flowable]:
    words, sheet = layout.words, layout.sheet
    gap = Spacer(0, sheet["Body"].fontSize * 0.8)
    head = [para(title, sheet["Title"]),
            para(words["sheet.printed"].format(date=words.long_date(layout.today)),
                 sheet["Subtitle"]), gap]
    if not (options.discreet and options.without_hotline):
        head += [_hotline_box(layout, options, chart), gap]
    return [*head, para(words["sheet.intro"], sheet["Body"]),
            Spacer(0, sheet["Body"].fontSize)]


def _hotline_box(layout: _Layout, options: ReferralSheetOptions, chart: ServiceChart
                 ) -> Flowable:
    """The hotline's (or, discreetly, the help line's) number and hours, shaded."""
    words, sheet = layout.words, layout.sheet
    name = words["sheet.helpline"] if options.discreet else words["hotline.name"]
    hours = words["hours.range"].format(opens=words.clock(_minutes(chart.opens)),
                                        closes=words.clock(_minutes(chart.closes)))
    other = words["sheet.other_hours"].format(
        days=words.weekdays(chart.weekdays), hours=hours,
        zone=zone_abbreviation(datetime.combine(layout.today, time(12), tzinfo=chart.zone)))
    contact = Table([
        [para(words["sheet.hotline_line"].format(name=name, phone=words["hotline.phone"]),
              sheet["Heading"])],
        [para(words["sheet.urgent_hours"], sheet["Body"])],
        [para(other, sheet["Body"])],
    ], colWidths=[CONTENT_WIDTH])
    contact.setStyle(table_style(("BACKGROUND", (0, 0), (-1, -1), _SHADE),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 8),
                                 ("TOPPADDING", (0, 0), (0, 0), 6),
                                 ("BOTTOMPADDING", (0, -1), (-1, -1), 8)))
    return contact


def _block(number: int, service: SheetService, layout: _Layout) -> Flowable:
    """One service in a ruled box that is never split across pages."""
    words, sheet, discretion = layout.words, layout.sheet, layout.discretion
    organization = discretion.name(service.organization_name)
    service_name = discretion.name(service.service_name)
    rows: list[list[Any]] = [[para(f"{number}. {organization}", sheet["Heading"]), ""]]
    if service_name and service_name != organization:
        rows.append([para(service_name, sheet["Subtitle"]), ""])
    heading_rows = len(rows)
    rows += [[para(words[key], sheet["Label"]), para(value, sheet["Body"])]
             for key, value in _facts(service, layout)]
    table = Table(rows, colWidths=[layout.label_width, CONTENT_WIDTH - layout.label_width])
    table.setStyle(table_style(
        *(("SPAN", (0, row), (-1, row)) for row in range(heading_rows)),
        ("BACKGROUND", (0, 0), (-1, heading_rows - 1), _SHADE),
        ("BOX", (0, 0), (-1, -1), 0.75, _RULE),
        ("LINEBELOW", (0, heading_rows - 1), (-1, heading_rows - 1), 0.5, _RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        # Facts sit close together (leading already separates them); the box gets air.
        ("TOPPADDING", (0, heading_rows), (-1, -1), 1),
        ("BOTTOMPADDING", (0, heading_rows), (-1, -1), 1),
        ("TOPPADDING", (0, heading_rows), (-1, heading_rows), 5),
        ("BOTTOMPADDING", (0, -1), (-1, -1), 5),
    ))
    return KeepTogether([table, Spacer(0, sheet["Body"].fontSize * 1.2)])


def _facts(service: SheetService, layout: _Layout) -> list[tuple[str, str]]:
    """(label key, value) rows of one service, in reading order; empty facts left out."""
    words = layout.words
    address = (words["sheet.call_for_location"] if service.confidential or not service.address
               else service.address)
    today = layout.today.weekday()
    eligibility = layout.discretion.sentence(service.eligibility)
    facts = [
        ("sheet.phone", service.phone or words["sheet.not_listed"]),
        ("sheet.address", address),
        ("sheet.today", words.day_line(words[f"day.{today}"],
                                       words.day_hours(service.week[today]))
         if service.hours_listed else words["sheet.not_listed"]),
        ("sheet.hours", "\n".join(words.week_lines(service.week))
         if service.hours_listed else words["sheet.not_listed"]),
        ("sheet.languages", words.language_names(service.languages)),
        ("sheet.eligibility", " ".join(part for part in (
            words.ages(service.minimum_age, service.maximum_age, eligibility),
            eligibility) if part)),
        ("sheet.distance", _distance_words(service, words)),
    ]
    return [(key, value) for key, value in facts if value]


def _distance_words(service: SheetService, words: _Words) -> str:
    """Miles from the caller; a national service, or one reached only by phone, says so
    instead ("2,563 miles" to a national line's office would only mislead)."""
    if service.national:
        return words["sheet.national_call"]
    if not service.address and not service.confidential:
        return words["sheet.phone_only"]
    return words.miles(service.distance_miles) if service.distance_miles is not None else ""


def referral_sheet(services: Sequence[SheetService], options: ReferralSheetOptions,
                   out: Path | BinaryIO, today: date | None = None,
                   chart: ServiceChart | None = None) -> None:
    """Print ``services`` as a referral sheet to ``out`` (a path is written atomically).

    ``chart`` gives the hotline's hours (default: the current intake protocol's chart)."""
    if not services:
        raise PrintError("no services to print")
    words = _Words(options.language)
    today = today or date.today()
    layout = _Layout(words, _Discretion(options.discreet, words), styles(options.large_print),
                     _label_width(options.language, options.large_print), today)
    title = words["sheet.discreet_title" if options.discreet else "sheet.title"]
    flowables = _header(layout, options, chart or _chart(), title)
    flowables += [_block(number, service, layout)
                  for number, service in enumerate(services, start=1)]
    footer = f"{title} · {words.long_date(today)}"
    render(flowables, PageSetup(large_print=options.large_print, title=title, footer=footer,
                                language=options.language), out)


def sheet_for_case(case: Mapping[str, Any], directory_engine: Engine,
                   options: ReferralSheetOptions, out: Path | BinaryIO,
                   caller_zip: str | None = None, today: date | None = None,
                   chart: ServiceChart | None = None) -> None:
    """The referral sheet of the services added to ``case``, in the order they were given.

    Reads only ``case["referrals"]`` (service ids), never the answers: nothing the caller said
    can reach the sheet. ``caller_zip`` (optional) is used for distances and not printed;
    ``chart`` (the protocol's, when the caller has it) gives the hotline's hours."""
    service_ids = [referral["service_id"] for referral in case.get("referrals") or []
                   if referral.get("service_id")]
    if not service_ids:
        raise PrintError("no services were added to this case")
    referral_sheet(sheet_services(directory_engine, service_ids, caller_zip, today), options,
                   out, today, chart)
