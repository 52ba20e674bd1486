"""Directory search: what a specialist types and filters, answered from the local index.

Text goes to SQLite FTS5 (bm25 ranking, prefix matching as the person types, near-miss spelling
from ``Spelling``); category, population, language, state and 24-hour filters are facet tokens of
the same FTS query; age, distance and opening hours are checked on the candidate rows. The class
holds one read connection of its own, so it can serve a worker thread while the GUI stays free.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from dateutil import tz
from sqlalchemy import Engine

from console.directory import geo
from console.directory.hours import (
    FULL_DAY,
    Interval,
    describe_day,
    is_open,
    rule_hours_on,
)
from console.directory.index import facet
from console.directory.spelling import Spelling
from console.directory.vocabulary import Term, vocabulary

DEFAULT_LIMIT = 50
DEFAULT_RADIUS_MILES = 50.0
TEXT_COLUMNS = "{service_name organization_name description categories keywords}"
_WORD = re.compile(r"[^\W_]+")


class SearchError(ValueError):
    """A filter the directory cannot apply (unknown ZIP, category…); the message says why."""


@dataclass(frozen=True)
class SearchQuery:
    """What the specialist asked for. ``open_at`` with a zone is that instant; without a zone it
    is that wall-clock time at each service ("open at 7 pm their time")."""

    text: str = ""
    zip_code: str | None = None
    radius_miles: float | None = None
    state: str | None = None
    category: str | None = None
    language: str | None = None
    population: str | None = None
    age: int | None = None
    open_now: bool = False
    open_at: datetime | None = None
    only_24h: bool = False
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class SearchResult:
    """One service as a specialist reads it out on the phone."""

    service_id: str
    service_name: str
    organization_name: str
    phone: str | None
    address: str | None  # None when confidential or unknown; see ``address_text``
    confidential: bool
    city: str | None
    state: str | None
    postal_code: str | None
    distance_miles: float | None
    serves_caller_area: bool  # found through its service area rather than its distance
    open_now: bool
    open_24h: bool
    hours_today: str
    languages: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    last_verified: str | None = None

    @property
    def address_text(self) -> str:
        if self.confidential:
            return "confidential"
        return self.address or ", ".join(p for p in (self.city, self.state) if p) or "unknown"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["address"] = self.address_text
        return data


_RESULT_COLUMNS = ("s.rowid", "s.service_id", "s.service_name", "s.organization_name", "s.phone",
                   "s.address", "s.confidential", "s.city", "s.state", "s.postal_code",
                   "s.latitude", "s.longitude", "s.timezone", "s.languages", "s.category_codes",
                   "s.open_24h", "s.last_verified")


@dataclass
class _Plan:
    """The SQL for one query, and what must still be checked on each candidate row."""

    match: str | None
    where: list[str]
    params: list[Any]
    origin: geo.Place | None = None
    radius: float = DEFAULT_RADIUS_MILES
    open_rowids: set[int] | None = None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _resolve(kind: str, wanted: str | None, terms: dict[str, Term]) -> Term | None:
    if not wanted:
        return None
    key = wanted.strip().casefold()
    for term in terms.values():
        if key in (term.code, term.name.casefold()):
            return term
    guessed = vocabulary().classify(kind, wanted)
    if guessed:
        return terms[guessed]
    raise SearchError(f"unknown {kind} {wanted!r}; use one of: {', '.join(terms)}")


class DirectorySearch:
    """Searches the local directory index. Safe to call from one worker thread at a time."""

    def __init__(self, engine: Engine) -> None:
        self._connection = engine.raw_connection()
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._spelling = Spelling([])
        self._zones: list[str] = []
        self._open_cache: dict[tuple[Any, ...], set[int]] = {}

    def close(self) -> None:
        self._connection.close()

    # -- public -----------------------------------------------------------------------------

    def search(self, query: SearchQuery, now: datetime | None = None) -> list[SearchResult]:
        """Services matching ``query``, best first (nearest first when a ZIP is given)."""
        now = now or datetime.now(UTC)
        with self._lock:
            self._refresh()
            plan = self._plan(query, now)
            if plan.match is None and query.text.strip():
                return []  # every word was unknown, even allowing for typos
            rows = self._candidates(plan, query)
            return self._results(rows, plan, now)

    def spelling(self) -> Spelling:
        with self._lock:
            self._refresh()
            return self._spelling

    # -- state that follows the index -------------------------------------------------------

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._connection.execute(sql, params)

    def _refresh(self) -> None:
        row = self._execute(
            "SELECT value FROM directory_meta WHERE key = 'index_generation'").fetchone()
        generation = row[0] if row else None
        if generation == self._generation:
            return
        words = [r[0] for r in self._execute(
            "SELECT term FROM search_vocab WHERE term NOT LIKE 'qq%'")]
        self._spelling = Spelling(words)
        self._zones = [r[0] for r in self._execute("SELECT DISTINCT timezone FROM search_hours")]
        self._open_cache.clear()
        self._generation = generation

    # -- planning ---------------------------------------------------------------------------

    def _text_expression(self, text: str) -> str | None:
        """FTS5 expression for the typed text: every word must match, the last as a prefix."""
        words = text.split()
        parts = []
        for position, word in enumerate(words):
            tokens = _WORD.findall(_fold(word))
            if not tokens:
                continue
            typing = position == len(words) - 1 and not text.endswith(" ")
            alternatives = self._alternatives(tokens, typing)
            if not alternatives:
                return None
            parts.append("(" + " OR ".join(alternatives) + ")")
        return " AND ".join(parts) or None

    def _alternatives(self, tokens: list[str], typing: bool) -> list[str]:
        if len(tokens) > 1:  # "t-visa" is the phrase "t visa"
            phrase = " ".join(tokens)
            return [f'"{phrase}"*' if typing else f'"{phrase}"']
        token = tokens[0]
        prefix = typing or len(token) >= 3
        spelling = self._spelling
        known = spelling.is_prefix(token) if prefix else spelling.is_word(token)
        alternatives = [f'"{token}"*' if prefix else f'"{token}"'] if known else []
        if token.endswith("s") and len(token) > 4 and spelling.is_word(token[:-1]):
            alternatives.append(f'"{token[:-1]}"')  # "shelters" finds "shelter"
        if not known:
            alternatives += [f'"{c}"*' if prefix else f'"{c}"'
                             for c in spelling.corrections(token, as_prefix=prefix)]
        return alternatives

    def _plan(self, query: SearchQuery, now: datetime) -> _Plan:
        vocab = vocabulary()
        facets: list[str] = []
        category = _resolve("category", query.category, vocab.categories)
        if category:
            facets.append(facet("c", category.code))
        population = _resolve("population", query.population, vocab.populations)
        if population:  # services that name it, and those that serve everyone
            facets.append(f"({facet('p', population.code)} OR {facet('p', 'any')})")
        if query.language:
            code = vocab.language_code(query.language)
            if not code:
                raise SearchError(f"unknown language {query.language!r}")
            facets.append(facet("l", code))
        if query.state:
            state = geo.normalize_state(query.state)
            if not state:
                raise SearchError(f"unknown state {query.state!r}")
            facets.append(f"({facet('s', state)} OR {facet('a', state)} OR "
                          f"{facet('a', 'national')})")
        if query.only_24h:
            facets.append(facet("f", "24h"))
        text = self._text_expression(query.text) if query.text.strip() else None
        if query.text.strip() and text is None:
            return _Plan(None, [], [])
        clauses = ([f"{TEXT_COLUMNS} : ({text})"] if text else []) + \
            [f"facets : {f}" for f in facets]
        plan = _Plan(" AND ".join(clauses) or None, [], [])
        self._plan_age(query, plan)
        self._plan_distance(query, plan)
        if query.open_now or query.open_at:
            plan.open_rowids = self._open_rowids(query.open_at or now)
        return plan

    @staticmethod
    def _plan_age(query: SearchQuery, plan: _Plan) -> None:
        if query.age is None:
            return
        plan.where.append("(s.minimum_age IS NULL OR s.minimum_age <= ?) AND "
                          "(s.maximum_age IS NULL OR s.maximum_age >= ?)")
        plan.params += [query.age, query.age]

    @staticmethod
    def _plan_distance(query: SearchQuery, plan: _Plan) -> None:
        if not query.zip_code:
            return
        zip_code = geo.normalize_zip(query.zip_code)
        origin = geo.place(zip_code)
        if origin is None:
            raise SearchError(f"unknown ZIP code {query.zip_code!r}")
        plan.origin = origin
        plan.radius = query.radius_miles or DEFAULT_RADIUS_MILES
        if plan.radius <= 0:
            raise SearchError("the radius must be more than 0 miles")

    # -- candidates -------------------------------------------------------------------------

    def _select(self, plan: _Plan, extra: Sequence[str], params: Sequence[Any],
                order: str, limit: int | None) -> Iterable[tuple[Any, ...]]:
        source = ("search_fts JOIN search_service s ON s.rowid = search_fts.rowid"
                  if plan.match else "search_service s")
        where = (["search_fts MATCH ?"] if plan.match else []) + plan.where + list(extra)
        sql = f"SELECT {', '.join(_RESULT_COLUMNS)} FROM {source}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {order}" + (f" LIMIT {int(limit)}" if limit else "")
        values = ([plan.match] if plan.match else []) + plan.params + list(params)
        return self._execute(sql, values)

    def _candidates(self, plan: _Plan, query: SearchQuery) -> list[tuple[Any, float | None]]:
        """(row, distance) pairs in result order, at most ``query.limit`` of them."""
        order = "rank" if plan.match else "s.organization_name, s.service_name"
        limit = query.limit if plan.open_rowids is None and plan.origin is None else None
        if plan.origin is None:
            return self._take(self._select(plan, [], [], order, limit), plan, query.limit)
        origin = plan.origin
        box = geo.bounding_box(origin.latitude, origin.longitude, plan.radius)
        nearby = self._select(plan, ["s.rowid IN (SELECT id FROM search_geo WHERE min_lat >= ?"
                                     " AND max_lat <= ? AND min_lon >= ? AND max_lon <= ?)"],
                              box, order, None)
        measured = []
        for position, row in enumerate(nearby):
            if row[10] is None:
                continue
            miles = geo.distance_miles(origin.latitude, origin.longitude, row[10], row[11])
            if miles <= plan.radius and self._is_open(row, plan):
                measured.append((miles, position, row))
        measured.sort(key=lambda item: item[:2])
        found = [(row, miles) for miles, _position, row in measured[:query.limit]]
        if len(found) < query.limit:
            found += self._covering(plan, query, {row[0] for row, _ in found},
                                    query.limit - len(found))
        return found

    def _covering(self, plan: _Plan, query: SearchQuery, seen: set[int],
                  wanted: int) -> list[tuple[Any, float | None]]:
        """Services outside the radius whose service area covers the caller (state or nation)."""
        assert plan.origin is not None
        state = plan.origin.state
        area = f"facets : ({facet('a', state)} OR {facet('a', 'national')})"
        covering = _Plan(f"{plan.match} AND {area}" if plan.match else area, plan.where,
                         plan.params, open_rowids=plan.open_rowids)
        rows = self._select(covering, [], [], "rank", None)
        return [(row, None) for row, _ in self._take(
            (r for r in rows if r[0] not in seen), covering, wanted)]

    def _take(self, rows: Iterable[tuple[Any, ...]], plan: _Plan,
              limit: int) -> list[tuple[Any, float | None]]:
        found: list[tuple[Any, float | None]] = []
        for row in rows:
            if self._is_open(row, plan):
                found.append((row, None))
                if len(found) >= limit:
                    break
        return found

    @staticmethod
    def _is_open(row: tuple[Any, ...], plan: _Plan) -> bool:
        return plan.open_rowids is None or row[0] in plan.open_rowids

    # -- opening hours ----------------------------------------------------------------------

    def _open_rowids(self, at: datetime) -> set[int]:
        """Services open at ``at``; cached per minute, as a specialist types many queries."""
        key = (at.replace(second=0, microsecond=0).isoformat(),)
        if key not in self._open_cache:
            if len(self._open_cache) > 32:
                self._open_cache.clear()
            self._open_cache[key] = self._compute_open_rowids(at)
        return self._open_cache[key]

    def _local(self, at: datetime, zone: str) -> datetime:
        return at if at.tzinfo is None else at.astimezone(tz.gettz(zone))

    def _compute_open_rowids(self, at: datetime) -> set[int]:
        selects, params = [], []
        for zone in self._zones:
            local = self._local(at, zone)
            today = local.date().isoformat()
            selects.append("SELECT service_rowid FROM search_hours WHERE timezone = ? AND day = ?"
                           " AND opens <= ? AND closes > ? AND (valid_from IS NULL OR "
                           "valid_from <= ?) AND (valid_to IS NULL OR valid_to >= ?)")
            minute = local.hour * 60 + local.minute
            params += [zone, local.weekday(), minute, minute, today, today]
        rowids = {r[0] for r in self._execute(" UNION ALL ".join(selects), params)} \
            if selects else set()
        for rowid, zone, rule in self._execute(
                "SELECT service_rowid, timezone, rule FROM search_hours WHERE rule IS NOT NULL"):
            local = self._local(at, zone)
            if is_open(rule_hours_on(_rule(rule), local.date()), local):
                rowids.add(rowid)
        return rowids

    # -- results ----------------------------------------------------------------------------

    def _results(self, found: list[tuple[Any, float | None]], plan: _Plan,
                 now: datetime) -> list[SearchResult]:
        if not found:
            return []
        hours = self._hours_of([row[0] for row, _ in found])
        return [self._result(row, miles, hours.get(row[0], ([], [])), now, plan)
                for row, miles in found]

    def _hours_of(self, rowids: list[int]) -> dict[int, tuple[list[Any], list[str]]]:
        marks = ",".join("?" * len(rowids))
        hours: dict[int, tuple[list[Any], list[str]]] = {}
        for rowid, day, opens, closes, valid_from, valid_to, rule in self._execute(
                "SELECT service_rowid, day, opens, closes, valid_from, valid_to, rule "
                f"FROM search_hours WHERE service_rowid IN ({marks})", rowids):
            weekly, rules = hours.setdefault(rowid, ([], []))
            if rule:
                rules.append(rule)
            else:
                weekly.append((Interval(day, opens, closes), valid_from, valid_to))
        return hours

    def _result(self, row: tuple[Any, ...], miles: float | None,
                hours: tuple[list[Any], list[str]], now: datetime, plan: _Plan) -> SearchResult:
        (_rowid, service_id, service_name, organization_name, phone, address, confidential, city,
         state, postal_code, _lat, _lon, zone, languages, categories, open_24h,
         last_verified) = row
        local = now.astimezone(tz.gettz(zone))
        today = local.date().isoformat()
        intervals = [i for i, start, end in hours[0]
                     if (not start or start <= today) and (not end or today <= end)]
        for rule in hours[1]:
            intervals += rule_hours_on(_rule(rule), local.date())
        return SearchResult(
            service_id=service_id, service_name=service_name,
            organization_name=organization_name, phone=phone, address=address,
            confidential=bool(confidential), city=city, state=state, postal_code=postal_code,
            distance_miles=round(miles, 1) if miles is not None else None,
            serves_caller_area=plan.origin is not None and miles is None,
            open_now=is_open(intervals, local),
            open_24h=bool(open_24h) or all(
                any(i.day == d and i.opens == 0 and i.closes == FULL_DAY for i in intervals)
                for d in range(7)),
            hours_today=describe_day(intervals, local.weekday()),
            languages=[lang for lang in (languages or "").split(", ") if lang],
            categories=[c for c in (categories or "").split(",") if c],
            last_verified=last_verified,
        )


def _rule(text: str) -> dict[str, Any]:
    return dict(json.loads(text))
