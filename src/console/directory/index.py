"""The search index: one denormalized row per service, its FTS5 entry and its weekly hours.

Derived from the HSDS tables after every import or sync, inside the writer's transaction, so the
index never disagrees with the records it describes. Filters are stored as tokens of a ``facets``
FTS column (category, population, language, state, service area, 24 hours, age group, and grid
cells of the map), so the index answers them in the same lookup as the words; search then checks
exact distance and age on the few rows left.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Connection

from console.directory import geo
from console.directory.hours import (
    ALWAYS_OPEN_WORDS,
    Interval,
    is_always_open,
    weekly_intervals,
)
from console.directory.vocabulary import CONFIDENTIAL_ADDRESS, OPEN_24H, Vocabulary, vocabulary
from console.models.directory import FTS_COLUMNS, SearchService
from console.tasks import TaskState, check_cancelled

SEARCHABLE_STATUSES = ("active", "temporarily closed")
FACET_PREFIX = "qq"  # marks filter tokens, so they never come up as spelling suggestions
CHUNK = 500


@cache
def facet(kind: str, value: str) -> str:
    """The FTS token that stands for one filter value, e.g. ``qqcimmigrationlegal``."""
    return FACET_PREFIX + kind + "".join(ch for ch in value.casefold() if ch.isalnum())


def execute_many(connection: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """``executemany`` that does nothing for no rows (an empty list would mean "no parameters")."""
    if rows:
        connection.exec_driver_sql(sql, list(rows))


# Age groups a specialist asks about; a service is tagged with every group its ages touch.
AGE_BUCKETS: tuple[tuple[int, int], ...] = ((0, 11), (12, 13), (14, 15), (16, 17), (18, 20),
                                            (21, 24), (25, 59), (60, 130))


def age_bucket(age: float) -> str:
    for low, high in AGE_BUCKETS:
        if low <= age <= high:
            return f"{low}to{high}"
    return f"{AGE_BUCKETS[-1][0]}to{AGE_BUCKETS[-1][1]}"


@cache
def age_buckets(minimum: float | None, maximum: float | None) -> tuple[str, ...]:
    """Age-group tokens of a service: "any" when it has no age limits (most services)."""
    if minimum is None and maximum is None:
        return ("any",)
    low, high = minimum if minimum is not None else 0, maximum if maximum is not None else 130
    return tuple(f"{a}to{b}" for a, b in AGE_BUCKETS if a <= high and b >= low)


def cell_facet(cell: tuple[int, int], degrees: float) -> str:
    """The facet token of one grid cell, e.g. ``qqgf239x169`` (fine) or ``qqgc59x42``."""
    size = "f" if degrees == geo.FINE_CELL_DEGREES else "c"
    return f"{FACET_PREFIX}g{size}{cell[0]}x{cell[1]}"


def grid_facet(latitude: float, longitude: float, degrees: float) -> str:
    return cell_facet(geo.grid_cell(latitude, longitude, degrees), degrees)


def set_meta(connection: Connection, key: str, value: str) -> None:
    connection.exec_driver_sql(
        "INSERT OR REPLACE INTO directory_meta (key, value) VALUES (?, ?)", (key, value))


def get_meta(connection: Connection, key: str) -> str | None:
    row = connection.exec_driver_sql(
        "SELECT value FROM directory_meta WHERE key = ?", (key,)).first()
    return row[0] if row else None


@dataclass
class _Related:
    """Everything the index needs about a set of services, grouped by the id it hangs off."""

    organizations: dict[str, str] = field(default_factory=dict)
    locations_of: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    locations: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    addresses_of: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: defaultdict(list))
    phones_of: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    schedules_of: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list))
    languages_of: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(list))
    terms_of: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    areas_of: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))
    terms: dict[str, tuple[str | None, str]] = field(default_factory=dict)


def _select(connection: Connection, sql: str, column: str | None,
            keys: Sequence[str] | None) -> Iterable[Sequence[Any]]:
    """Rows of ``sql``, all of them or those whose ``column`` is one of ``keys`` (chunked).

    Reads through the driver's own cursor: the index reads every row of the directory, and the
    ORM's per-row result handling would double the cost of a whole import.
    """
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    if keys is None or column is None:
        yield from cursor.execute(sql)
        return
    for start in range(0, len(keys), CHUNK):
        chunk = tuple(keys[start:start + CHUNK])
        marks = ",".join("?" * len(chunk))
        yield from cursor.execute(f"{sql} WHERE {column} IN ({marks})", chunk)


_SCHEDULE_COLUMNS = ("service_id", "location_id", "valid_from", "valid_to", "dtstart", "until",
                     "count", "freq", "interval", "byday", "bymonthday", "opens_at", "closes_at")


def _gather(connection: Connection, services: list[tuple[Any, ...]],
            restricted: bool) -> _Related:
    related = _Related()
    service_ids = [s[0] for s in services] if restricted else None
    org_ids = sorted({s[1] for s in services}) if restricted else None
    for org_id, name in _select(connection, "SELECT id, name FROM organization", "id", org_ids):
        related.organizations[org_id] = name
    for service_id, location_id in _select(
            connection, "SELECT service_id, location_id FROM service_at_location", "service_id",
            service_ids):
        related.locations_of[service_id].append(location_id)
    location_ids = sorted({loc for locs in related.locations_of.values() for loc in locs}) \
        if restricted else None
    for row in _select(connection, "SELECT id, latitude, longitude FROM location", "id",
                       location_ids):
        related.locations[row[0]] = tuple(row)
    for row in _select(connection, "SELECT location_id, id, address_1, address_2, city, "
                       "state_province, postal_code, address_type FROM address", "location_id",
                       location_ids):
        related.addresses_of[row[0]].append(tuple(row))
    owners = (service_ids + (location_ids or []) + (org_ids or [])) if restricted else None
    for owner_columns in ("service_id", "location_id", "organization_id"):
        for row in _select(connection, f"SELECT {owner_columns}, number, extension FROM phone",
                           owner_columns, owners):
            if row[0]:
                related.phones_of[row[0]].append(_phone_text(row[1], row[2]))
    for column in ("service_id", "location_id"):
        for row in _select(connection, f"SELECT {', '.join(_SCHEDULE_COLUMNS)} FROM schedule",
                           column, service_ids if column == "service_id" else location_ids):
            record = dict(zip(_SCHEDULE_COLUMNS, row, strict=True))
            owner = record[column]
            if owner and (column == "service_id" or not record["service_id"]):
                related.schedules_of[owner].append(record)
    for column in ("service_id", "location_id"):
        for owner, lang_name, code in _select(
                connection, f"SELECT {column}, name, code FROM language", column,
                service_ids if column == "service_id" else location_ids):
            if owner:
                related.languages_of[owner].append((lang_name, code))
    address_ids = None
    if restricted:
        address_ids = [a[1] for addrs in related.addresses_of.values() for a in addrs]
    for link_id, term_id in _select(connection,
                                    "SELECT link_id, taxonomy_term_id FROM attribute", "link_id",
                                    (service_ids or []) + (address_ids or []) if restricted
                                    else None):
        related.terms_of[link_id].append(term_id)
    for term_id, code, name in connection.exec_driver_sql(
            "SELECT id, code, name FROM taxonomy_term"):
        related.terms[term_id] = (code, name)
    for row in _select(connection, "SELECT service_id, name, description, extent_type "
                       "FROM service_area", "service_id", service_ids):
        related.areas_of[row[0]].append(tuple(row[1:]))
    return related


def _related_from_rows(rows: dict[str, dict[str, dict[str, Any]]]) -> tuple[
        list[tuple[Any, ...]], _Related]:
    """What ``_gather`` reads back from the store, taken from the rows just written instead.

    Only for a store that held nothing but these rows: reading 1.5 million rows back through
    SQLite cost about as much as writing them.
    """
    related = _Related()
    for org in rows.get("organization", {}).values():
        related.organizations[org["id"]] = org["name"]
    for link in rows.get("service_at_location", {}).values():
        related.locations_of[link["service_id"]].append(link["location_id"])
    for location in rows.get("location", {}).values():
        related.locations[location["id"]] = (location["id"], location["latitude"],
                                             location["longitude"])
    for a in rows.get("address", {}).values():
        related.addresses_of[a["location_id"]].append(
            (a["location_id"], a["id"], a["address_1"], a["address_2"], a["city"],
             a["state_province"], a["postal_code"], a["address_type"]))
    for phone in rows.get("phone", {}).values():
        text = _phone_text(phone["number"], phone["extension"])
        for owner in ("service_id", "location_id", "organization_id"):
            if phone[owner]:
                related.phones_of[phone[owner]].append(text)
    for schedule in rows.get("schedule", {}).values():
        record = {column: schedule[column] for column in _SCHEDULE_COLUMNS}
        if record["service_id"]:
            related.schedules_of[record["service_id"]].append(record)
        elif record["location_id"]:
            related.schedules_of[record["location_id"]].append(record)
    for language in rows.get("language", {}).values():
        for owner in ("service_id", "location_id"):
            if language[owner]:
                related.languages_of[language[owner]].append((language["name"], language["code"]))
    for attribute in rows.get("attribute", {}).values():
        related.terms_of[attribute["link_id"]].append(attribute["taxonomy_term_id"])
    for area in rows.get("service_area", {}).values():
        related.areas_of[area["service_id"]].append(
            (area["name"], area["description"], area["extent_type"]))
    services = [tuple(service[column] for column in _SERVICE_COLUMNS)
                for service in rows.get("service", {}).values()
                if service["status"] in SEARCHABLE_STATUSES]
    return services, related


def _phone_text(number: str, extension: float | None) -> str:
    return f"{number} ext. {int(extension)}" if extension else number


@dataclass
class _Entry:
    """One service's search row, its weekly hours and any rule-based schedules."""

    values: dict[str, Any]
    hours: list[tuple[Interval, str | None, str | None]]  # interval, valid from, valid to
    rules: list[dict[str, Any]]


@cache
def _area_coverage(areas: tuple[tuple[Any, ...], ...]) -> tuple[bool, frozenset[str]]:
    national, states = False, set()
    for name, description, extent_type in areas:
        words = " ".join(str(v) for v in (name, description, extent_type) if v).casefold()
        if any(mark in words for mark in ("national", "united states", "nationwide")):
            national = True
        local = str(extent_type or "").casefold() in ("city", "county", "zip", "zipcode")
        state = geo.normalize_state(name)
        if state and not local:  # "KY" naming a city's state does not cover the whole state
            states.add(state)
    return national, frozenset(states)


def _classify_terms(term_ids: Iterable[str], related: _Related,
                    vocab: Vocabulary) -> tuple[list[str], list[str], set[str], list[str]]:
    """Hotline categories, populations and flags of a record, plus foreign term names."""
    own = vocab.terms_by_id
    categories: list[str] = []
    populations: list[str] = []
    flags: set[str] = set()
    foreign: list[str] = []
    for term_id in term_ids:
        term = own.get(term_id)
        if term is None:
            code, name = related.terms.get(term_id, (None, ""))
            foreign.append(name)
            label = f"{code or ''} {name}"
            guessed = vocab.classify("category", label)
            if guessed:
                categories.append(guessed)
            guessed = vocab.classify("population", label)
            if guessed:
                populations.append(guessed)
        elif term.kind == "category":
            categories.append(term.code)
        elif term.kind == "population":
            populations.append(term.code)
        else:
            flags.add(term.code)
    return list(dict.fromkeys(categories)), list(dict.fromkeys(populations)), flags, foreign


def _weekly(schedule: dict[str, Any]) -> list[Interval] | None:
    """``weekly_intervals``, remembered: a directory repeats a handful of office-hour patterns."""
    return _weekly_cached(tuple(schedule[k] for k in _PATTERN_KEYS))


_PATTERN_KEYS = ("freq", "interval", "byday", "bymonthday", "opens_at", "closes_at")


@cache
def _weekly_cached(pattern: tuple[Any, ...]) -> list[Interval] | None:
    return weekly_intervals(dict(zip(_PATTERN_KEYS, pattern, strict=True)))


def _first_address(location_ids: list[str], related: _Related) -> tuple[Any, ...] | None:
    candidates = [a for loc in location_ids for a in related.addresses_of.get(loc, ())]
    physical = [a for a in candidates if a[7] == "physical"]
    return (physical or candidates or [None])[0]


@dataclass(frozen=True)
class _Where:
    """Where a service is, as search shows and measures it."""

    address: str | None  # None when confidential or unknown
    confidential: bool
    city: str | None
    state: str | None
    postal_code: str | None
    latitude: float | None
    longitude: float | None


def _where(location_ids: list[str], related: _Related, vocab: Vocabulary) -> _Where:
    address = _first_address(location_ids, related)
    if address is None:
        location = related.locations.get(location_ids[0]) if location_ids else None
        latitude, longitude = (location[1], location[2]) if location else (None, None)
        return _Where(None, False, None, None, None, latitude, longitude)
    location = related.locations.get(address[0])
    confidential = CONFIDENTIAL_ADDRESS in _classify_terms(
        related.terms_of.get(address[1], ()), related, vocab)[2]
    zip_code = geo.normalize_zip(address[6])
    latitude, longitude = (location[1], location[2]) if location else (None, None)
    place = geo.place(zip_code)
    if place and (latitude is None or confidential):
        # A shelter's exact point would give its address away; its ZIP's centroid does not.
        latitude, longitude = place.latitude, place.longitude
    return _Where(None if confidential else _address_text(address), confidential, address[4],
                  geo.normalize_state(address[5]), zip_code, latitude, longitude)


def says_always_open(name: str | None, description: str | None, has_schedule: bool) -> bool:
    """Whether a service's own words say it never closes: "24 hours", "24/7"; or, when it gives
    no schedule at all, a hotline's name (help lines answer around the clock)."""
    text = f"{name or ''} {description or ''}"
    if ALWAYS_OPEN_WORDS.search(text):
        return True
    return not has_schedule and _HOTLINE_NAME.search(name or "") is not None


_HOTLINE_NAME = re.compile(r"\b(?:hotline|helpline|help line|crisis line|lifeline)\b", re.I)


def _opening_hours(schedules: list[dict[str, Any]], flags: set[str]) -> tuple[
        list[tuple[Interval, str | None, str | None]], list[dict[str, Any]], bool]:
    """Weekly intervals (with validity), rule-based schedules, and whether it never closes."""
    hours: list[tuple[Interval, str | None, str | None]] = []
    rules: list[dict[str, Any]] = []
    for schedule in schedules:
        weekly = _weekly(schedule)
        if weekly is None:
            rules.append(schedule)
        else:
            validity = (schedule["valid_from"], schedule["valid_to"])
            hours.extend((interval, *validity) for interval in weekly)
    open_24h = OPEN_24H in flags or (len(hours) >= 7 and is_always_open(
        i for i, start, end in hours if start is None and end is None))
    if OPEN_24H in flags and not hours:
        hours = [(Interval(day, 0, 24 * 60), None, None) for day in range(7)]
    return hours, rules, open_24h


def _facet_tokens(categories: list[str], populations: list[str], language_codes: list[str],
                  where: _Where, areas: tuple[bool, frozenset[str]], open_24h: bool,
                  ages: tuple[float | None, float | None]) -> list[str]:
    national, area_states = areas
    # A service that names no population serves everyone; "any" lets a filter include it.
    tokens = [facet("c", c) for c in categories]
    tokens += [facet("p", p) for p in populations or ["any"]]
    tokens += [facet("l", code) for code in language_codes if code]
    tokens += [facet("s", where.state)] if where.state else []
    tokens += [facet("a", s) for s in area_states] + ([facet("a", "national")] if national else [])
    tokens += [facet("f", "24h")] if open_24h else []
    tokens += [facet("y", bucket) for bucket in age_buckets(*ages)]
    if where.latitude is not None and where.longitude is not None:
        tokens += [grid_facet(where.latitude, where.longitude, degrees)
                   for degrees in (geo.FINE_CELL_DEGREES, geo.COARSE_CELL_DEGREES)]
    return tokens


def _own_or_locations(owner: str, location_ids: list[str],
                      by_owner: dict[str, list[Any]]) -> list[Any]:
    """A service's own rows of a kind, or else those of its locations."""
    return by_owner.get(owner) or [x for loc in location_ids for x in by_owner.get(loc, ())]


def _entry(service: Sequence[Any], related: _Related, vocab: Vocabulary) -> _Entry:
    (service_id, org_id, name, alternate_name, description, _status, min_age, max_age,
     assured, modified, eligibility) = service
    location_ids = related.locations_of.get(service_id, [])
    where = _where(location_ids, related, vocab)
    categories, populations, flags, foreign = _classify_terms(
        related.terms_of.get(service_id, ()), related, vocab)
    schedules = _own_or_locations(service_id, location_ids, related.schedules_of)
    if says_always_open(name, description, bool(schedules)):
        flags.add(OPEN_24H)
    hours, rules, open_24h = _opening_hours(schedules, flags)
    languages = _own_or_locations(service_id, location_ids, related.languages_of)
    language_codes = [code or vocab.language_code(lang_name or "") or "" for lang_name, code
                      in languages]
    language_names = [lang_name or vocab.language_name(code or "")
                      for lang_name, code in languages]
    phones = (_own_or_locations(service_id, location_ids, related.phones_of)
              or related.phones_of.get(org_id, []))
    keywords = [kw for c in categories for kw in vocab.categories[c].keywords]
    keywords += [vocab.populations[p].name for p in populations]
    keywords += [*foreign, *language_names, alternate_name or "", where.city or "",
                 geo.STATE_NAMES.get(where.state or "", "")]
    facets = _facet_tokens(categories, populations, language_codes, where,
                           _area_coverage(tuple(related.areas_of.get(service_id, ()))),
                           open_24h, (min_age, max_age))
    values = {
        "service_id": service_id, "service_name": name,
        "organization_name": related.organizations.get(org_id, ""),
        # Eligibility is searchable, but as weakly as a description: it names who is served.
        "description": " ".join(t for t in (description, eligibility) if t),
        "categories": " ".join(vocab.categories[c].name for c in categories),
        "keywords": " ".join(k for k in keywords if k), "facets": " ".join(facets),
        "phone": phones[0] if phones else None,
        "address": where.address, "confidential": where.confidential, "city": where.city,
        "state": where.state, "postal_code": where.postal_code,
        "latitude": where.latitude, "longitude": where.longitude,
        "timezone": geo.timezone_for(where.postal_code, where.state),
        "languages": ", ".join(dict.fromkeys(n for n in language_names if n)),
        "category_codes": ",".join(categories), "open_24h": open_24h,
        "minimum_age": min_age, "maximum_age": max_age,
        "last_verified": (assured or modified or "")[:10] or None,
    }
    return _Entry(values, hours, rules)


def _address_text(address: Sequence[Any]) -> str:
    _, _, line1, line2, city, state, zip_code, _ = address
    street = ", ".join(part for part in (line1, line2) if part)
    place = " ".join(part for part in (f"{city}," if city else None, state, zip_code) if part)
    return ", ".join(part for part in (street, place.rstrip(",")) if part)


# The search row's columns, rowid first, as the model declares them.
SEARCH_COLUMNS = tuple(column.name for column in SearchService.__table__.columns)


def _remove_entries(connection: Connection, service_ids: list[str]) -> None:
    """Take services out of the index, in ascending rowid order.

    FTS5 writes out its pending changes as a new segment whenever a row id comes out of order;
    taken in service-id order, 1,000 removals left hundreds of tiny segments to merge, several
    times the cost of the removals themselves.
    """
    rowids = sorted(row[0] for row in _select(
        connection, "SELECT rowid FROM search_service", "service_id", service_ids))
    fts_columns = ", ".join(FTS_COLUMNS)
    for start in range(0, len(rowids), CHUNK):
        chunk = tuple(rowids[start:start + CHUNK])
        marks = ",".join("?" * len(chunk))
        connection.exec_driver_sql(
            f"INSERT INTO search_fts (search_fts, rowid, {fts_columns}) "
            f"SELECT 'delete', rowid, {fts_columns} FROM search_service "
            f"WHERE rowid IN ({marks}) ORDER BY rowid", chunk)
        connection.exec_driver_sql(
            f"DELETE FROM search_hours WHERE service_rowid IN ({marks})", chunk)
        connection.exec_driver_sql(f"DELETE FROM search_service WHERE rowid IN ({marks})", chunk)


def _clear_index(connection: Connection) -> None:
    connection.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
    for table in ("search_service", "search_hours"):
        connection.exec_driver_sql(f"DELETE FROM {table}")


def _insert_entries(connection: Connection, entries: list[_Entry], first_rowid: int,
                    full: bool) -> None:
    service_rows, hour_rows = [], []
    for rowid, entry in enumerate(entries, start=first_rowid):
        values = entry.values
        service_rows.append((rowid, *(values[c] for c in SEARCH_COLUMNS[1:])))
        zone = values["timezone"]
        hour_rows.extend((rowid, zone, i.day, i.opens, i.closes, start, end, None)
                         for i, start, end in entry.hours)
        hour_rows.extend((rowid, zone, None, None, None, r.get("valid_from"), r.get("valid_to"),
                          _rule_text(r)) for r in entry.rules)
    execute_many(connection, f"INSERT INTO search_service ({', '.join(SEARCH_COLUMNS)}) "
                 f"VALUES ({', '.join('?' * len(SEARCH_COLUMNS))})", service_rows)
    execute_many(connection, "INSERT INTO search_hours (service_rowid, timezone, day, opens, "
                 "closes, valid_from, valid_to, rule) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", hour_rows)
    fts_columns = ", ".join(FTS_COLUMNS)
    if full:
        connection.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")
    elif service_rows:
        connection.exec_driver_sql(
            f"INSERT INTO search_fts (rowid, {fts_columns}) SELECT rowid, "
            f"{fts_columns} FROM search_service WHERE rowid >= ?", (first_rowid,))


def _rule_text(schedule: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in schedule.items() if v is not None}, sort_keys=True)


_SERVICE_COLUMNS = ("id", "organization_id", "name", "alternate_name", "description", "status",
                   "minimum_age", "maximum_age", "assured_date", "last_modified",
                   "eligibility_description")
_SERVICE_SQL = f"SELECT {', '.join(_SERVICE_COLUMNS)} FROM service"


def _quality_order(entries: list[_Entry]) -> None:
    """Order rows so that rowid order is a sensible default: recently verified first, then A–Z.

    Search falls back to rowid order when a word is too common to rank, and uses it when there
    are no words at all.
    """
    entries.sort(key=lambda e: (e.values["organization_name"].casefold(),
                                e.values["service_name"].casefold()))
    entries.sort(key=lambda e: e.values["last_verified"] or "", reverse=True)


def rebuild_search_index(connection: Connection, service_ids: Iterable[str] | None,
                         state: TaskState,
                         written: dict[str, dict[str, dict[str, Any]]] | None = None) -> int:
    """Re-derive the search rows of ``service_ids`` (all services when None); returns the count.

    ``written``: the rows by table and id of an import into a store that was empty, which
    then are all there is; the index is built from them without reading them back.
    """
    vocab = vocabulary()
    full = service_ids is None
    wanted = None if full else sorted(set(service_ids or ()))
    if full:
        _clear_index(connection)
    else:
        _remove_entries(connection, wanted or [])
    if full and written is not None:
        services, related = _related_from_rows(written)
        for term_id, code, name in connection.exec_driver_sql(
                "SELECT id, code, name FROM taxonomy_term"):
            related.terms[term_id] = (code, name)
    else:
        services = [s for s in _select(connection, _SERVICE_SQL, "id", wanted)
                    if s[5] in SEARCHABLE_STATUSES]
        related = _gather(connection, services, restricted=not full)
    state.progress("building the search index", 0, len(services))
    entries = []
    for done, service in enumerate(services, start=1):
        entries.append(_entry(service, related, vocab))
        if done % 5000 == 0:
            check_cancelled(state)
            state.progress("building the search index", done, len(services))
    state.progress("building the search index", len(services), len(services))
    _quality_order(entries)
    last = connection.exec_driver_sql("SELECT max(rowid) FROM search_service").scalar()
    _insert_entries(connection, entries, (last or 0) + 1, full)
    generation = int(get_meta(connection, "index_generation") or 0) + 1
    set_meta(connection, "index_generation", str(generation))
    return len(entries)
