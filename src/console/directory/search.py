"""Directory search: what a specialist types and filters, answered from the local index.

Text goes to SQLite FTS5: the word being typed is completed from the index's own words, unknown
words become their nearest spellings (``Spelling``), and bm25 ranks the matches when they are few
enough to rank quickly. Every filter that is a set (category, population, language, state,
service area, 24 hours, age group, map cell) is a facet token of the same FTS query; exact age
and distance are checked on the rows left, opening hours through a per-minute table of the
services open. The class holds one read connection of its own, so it can serve a worker thread
while the GUI stays free.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from itertools import islice
from typing import Any

import Stemmer
from dateutil import tz
from sqlalchemy import Engine

from console.directory import geo
from console.directory.hours import (
    HOURS_NOT_LISTED,
    Interval,
    describe_day,
    is_open,
    rule_hours_on,
)
from console.directory.index import age_bucket, cell_facet, facet
from console.directory.query import (
    DEFAULT_LIMIT,
    SearchError,
    SearchQuery,
    SearchResult,
    ServicePlace,
)
from console.directory.spelling import Spelling
from console.directory.vocabulary import Term, fold, vocabulary
from console.settings import resources_dir

# What a search is asked and answers, with the search for whoever needs both.
__all__ = ["DEFAULT_LIMIT", "DirectorySearch", "SearchError", "SearchQuery", "SearchResult"]

DEFAULT_RADIUS_MILES = 50.0
# Words found in these columns say what a service *is*; a description only mentions them.
NAMING_COLUMNS = "{service_name organization_name categories keywords}"
ALL_TEXT_COLUMNS = ""  # every column: typed words never match the facet tokens
# bm25 costs a few microseconds a row; beyond this many candidates the index's quality order
# (recently verified first) is used instead, so a common word never stalls the search.
RANK_CAP = 1500
_WORD = re.compile(r"[^\W_]+")
# "women's shelter" is "women shelter": a possessive or an apostrophe never makes a phrase, and
# punctuation other than a hyphen inside a word ("t-visa") separates words.
_POSSESSIVE = re.compile(r"(?<=\w)['’`]s\b")
_APOSTROPHE = re.compile(r"['’`]")
_PUNCTUATION = re.compile(r"[^\w\s-]|_|(?<!\w)-|-(?!\w)")
MAX_ALTERNATIVES = 16  # words one typed word may stand for: enough for stems and synonyms
# A word that alone finds this many services fills any page of results: its stems and synonyms
# would only make the search slower, so they are added for rarer words only.
RELATED_BELOW = 1000
_STEMMER = Stemmer.Stemmer("english")


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """Each word or phrase of ``resources/search/synonyms.json`` -> the others of its groups."""
    data = json.loads((resources_dir() / "search" / "synonyms.json").read_text(encoding="utf-8"))
    related: dict[str, list[str]] = {}
    for group in data["groups"]:
        folded = [fold(word) for word in group]
        for word in folded:
            related.setdefault(word, []).extend(other for other in folded if other != word)
    return {word: tuple(dict.fromkeys(others)) for word, others in related.items()}


def stem_families(words: Iterable[str]) -> dict[str, list[str]]:
    """Indexed words grouped by their English stem: "immigr" -> immigrant, immigration, ..."""
    candidates = [word for word in words if len(word) > 2 and word.isalpha()]
    families: dict[str, list[str]] = {}
    for word, stem in zip(candidates, _STEMMER.stemWords(candidates), strict=True):
        families.setdefault(stem, []).append(word)
    return families


MAX_PLACES = 200  # one call's sheet at most; bounds the query


_RESULT_COLUMNS = ("s.rowid", "s.service_id", "s.service_name", "s.organization_name", "s.phone",
                   "s.address", "s.confidential", "s.city", "s.state", "s.postal_code",
                   "s.latitude", "s.longitude", "s.timezone", "s.languages", "s.category_codes",
                   "s.open_24h", "s.last_verified")


@dataclass
class _Plan:
    """The parts of one query, and what must still be checked on each candidate row."""

    text: str | None
    facets: list[str]
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    origin: geo.Place | None = None
    radius: float = DEFAULT_RADIUS_MILES

    def match(self, columns: str = ALL_TEXT_COLUMNS, *extra_facets: str) -> str | None:
        """The FTS5 MATCH expression: the words in ``columns``, and every facet."""
        clauses = [f"{columns} : ({self.text})" if columns else f"({self.text})"] \
            if self.text else []
        clauses += [*self.facets, *extra_facets]  # facet tokens occur in no other column
        return " AND ".join(clauses) or None

    def tiers(self) -> tuple[str, ...]:
        """Column sets to search in turn: naming columns first, then descriptions too."""
        return (NAMING_COLUMNS, ALL_TEXT_COLUMNS) if self.text else (ALL_TEXT_COLUMNS,)


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
        self._spelling = Spelling({})
        self._stems: dict[str, list[str]] = {}
        self._zones: list[str] = []
        self._open_key: str | None = None

    def close(self) -> None:
        self._connection.close()

    # -- public -----------------------------------------------------------------------------

    def search(self, query: SearchQuery, now: datetime | None = None) -> list[SearchResult]:
        """Services matching ``query``, best first (nearest first when a ZIP is given)."""
        now = now or datetime.now(UTC)
        with self._lock:
            self._refresh()
            plan = self._plan(query, now)
            if plan.text is None and query.text.strip():
                return []  # every word was unknown, even allowing for typos
            rows = self._candidates(plan, query)
            return self._results(rows, plan, now)

    def places(self, service_ids: Sequence[str]) -> dict[str, ServicePlace]:
        """Who runs each service and where (the ones the directory still has), for a list
        that must name them without a search, e.g. a referral sheet reopened after a restart."""
        wanted = list(dict.fromkeys(service_ids))[:MAX_PLACES]
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        with self._lock:
            rows = self._execute(
                "SELECT service_id, organization_name, city, state, postal_code, confidential "
                f"FROM search_service WHERE service_id IN ({marks})", wanted).fetchall()
        return {row[0]: ServicePlace(row[1] or "", row[2], row[3], row[4], bool(row[5]))
                for row in rows}

    # -- state that follows the index -------------------------------------------------------

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._connection.execute(sql, params)

    def _refresh(self) -> None:
        row = self._execute(
            "SELECT value FROM directory_meta WHERE key = 'index_generation'").fetchone()
        generation = row[0] if row else None
        if generation == self._generation:
            return
        counts = dict(self._execute(
            "SELECT term, doc FROM search_vocab WHERE term NOT LIKE 'qq%'").fetchall())
        self._spelling = Spelling(counts)
        self._stems = stem_families(counts)
        self._zones = [r[0] for r in self._execute("SELECT DISTINCT timezone FROM search_hours")]
        self._open_key = None
        self._generation = generation

    # -- planning ---------------------------------------------------------------------------

    def _text_expression(self, text: str) -> str | None:
        """FTS5 expression for the typed text: every word must match; the last one, still being
        typed, may be any of its completions."""
        words = text.split()
        parts = []
        for position, word in enumerate(words):
            tokens = _WORD.findall(fold(word))
            if not tokens:
                continue
            typing = position == len(words) - 1 and not text.endswith(" ")
            alternatives = self._alternatives(tokens, typing)
            if not alternatives:
                return None
            parts.append("(" + " OR ".join(alternatives) + ")")
        return " AND ".join(parts) or None

    def _alternatives(self, tokens: list[str], typing: bool) -> list[str]:
        """FTS5 terms for one typed word: the word, its completions while it is being typed, its
        singular, or, for a word the index does not have, its nearest spellings."""
        if len(tokens) > 1:  # "t-visa" is the phrase "t visa"
            phrase = " ".join(tokens)
            return [f'"{phrase}"*' if typing else f'"{phrase}"']
        token = tokens[0]
        spelling = self._spelling
        words = spelling.completions(token) if typing else (
            [token] if spelling.is_word(token) else [])
        if token.endswith("s") and len(token) > 4 and spelling.is_word(token[:-1]):
            words.append(token[:-1])  # "shelters" finds "shelter"
        if (not typing or spelling.is_word(token) or token in synonyms()) \
                and spelling.documents(token) < RELATED_BELOW:
            words += self._related(token)
        if not words:
            for near in spelling.corrections(token, as_prefix=typing):
                words += spelling.completions(near, limit=3) if typing else [near]
        return [f'"{word}"' for word in islice(dict.fromkeys(words), MAX_ALTERNATIVES)]

    def _related(self, token: str) -> list[str]:
        """Indexed words of the same stem ("immigrant": immigration) and the hotline's synonyms
        ("food": meals, pantry); a synonym of several words is a phrase."""
        related = list(self._stems.get(_STEMMER.stemWord(token), ()))
        for synonym in synonyms().get(token, ()):
            parts = _WORD.findall(synonym)
            if len(parts) > 1:
                related.append(" ".join(parts))
            elif self._spelling.is_word(synonym):
                related.append(synonym)
                related += self._stems.get(_STEMMER.stemWord(synonym), ())
        return related

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
        plan = _Plan(text, facets)
        if query.text.strip() and text is None:
            return plan
        self._plan_age(query, plan)
        self._plan_distance(query, plan)
        if query.open_now or query.open_at:
            self._load_open_services(query.open_at or now)
            # Checked on the index's rows, so closed services are dropped before the join; the
            # unary + keeps SQLite from probing the index once per open service instead.
            plan.where.append(("+search_fts" if plan.match() else "s")
                              + ".rowid IN (SELECT rowid FROM temp.open_services)")
        return plan

    @staticmethod
    def _plan_age(query: SearchQuery, plan: _Plan) -> None:
        if query.age is None:
            return
        # Narrows in the index; services without age limits carry "any".
        plan.facets.append(f"({facet('y', age_bucket(query.age))} OR {facet('y', 'any')})")
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

    def _select(self, match: str | None, plan: _Plan, order: str | None = None,
                columns: Sequence[str] = _RESULT_COLUMNS) -> Iterable[tuple[Any, ...]]:
        source = ("search_fts JOIN search_service s ON s.rowid = search_fts.rowid"
                  if match else "search_service s")
        where = (["search_fts MATCH ?"] if match else []) + plan.where
        sql = f"SELECT {', '.join(columns)} FROM {source}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {order}" if order else ""
        return self._execute(sql, ([match] if match else []) + plan.params)

    def _ranked(self, plan: _Plan, *extra_facets: str) -> Iterator[tuple[Any, ...]]:
        """Matching rows, best first: bm25 where the candidates are few, else quality order."""
        seen: set[int] = set()
        for columns in plan.tiers():
            match = plan.match(columns, *extra_facets)
            if match is None:  # nothing to match: every service, in quality order
                yield from self._select(None, plan, order="s.rowid")
                return
            # FTS5 ranks every match before any other condition applies, so count those.
            few = len(self._execute(
                f"SELECT rowid FROM search_fts WHERE search_fts MATCH ? LIMIT {RANK_CAP + 1}",
                (match,)).fetchall()) <= RANK_CAP
            order = "rank" if few and plan.text else "search_fts.rowid"
            for row in self._select(match, plan, order=order):
                if row[0] not in seen:
                    seen.add(row[0])
                    yield row

    def _candidates(self, plan: _Plan, query: SearchQuery) -> list[tuple[Any, float | None]]:
        """(row, distance) pairs in result order, at most ``query.limit`` of them."""
        if plan.origin is None:
            return self._take(self._ranked(plan), query.limit)
        found = self._nearby(plan, query.limit)
        if len(found) < query.limit:
            found += self._covering(plan, {row[0] for row, _ in found},
                                    query.limit - len(found))
        return found

    def _nearby(self, plan: _Plan, limit: int) -> list[tuple[Any, float | None]]:
        """Services within the radius, nearest first; naming-column matches before others.

        The grid-cell facets narrow the candidates inside the index; exact distances are then
        measured on light rows, and only the nearest are read in full.
        """
        assert plan.origin is not None
        origin = plan.origin
        box = geo.bounding_box(origin.latitude, origin.longitude, plan.radius)
        degrees = (geo.FINE_CELL_DEGREES if plan.radius <= geo.FINE_GRID_MAX_MILES
                   else geo.COARSE_CELL_DEGREES)
        cells = "(" + " OR ".join(cell_facet(c, degrees)
                                  for c in geo.cells_covering(box, degrees)) + ")"
        nearest: list[tuple[float, int]] = []
        seen: set[int] = set()
        for columns in plan.tiers():
            measured = []
            for rowid, latitude, longitude in self._select(
                    plan.match(columns, cells), plan, columns=("s.rowid", "s.latitude",
                                                               "s.longitude")):
                if rowid in seen:
                    continue
                seen.add(rowid)
                miles = geo.distance_miles(origin.latitude, origin.longitude, latitude,
                                           longitude)
                if miles <= plan.radius:
                    measured.append((miles, rowid))
            measured.sort()
            nearest += measured[:limit - len(nearest)]
            if len(nearest) >= limit:
                break
        rows = self._rows_by_id([rowid for _, rowid in nearest])
        return [(rows[rowid], miles) for miles, rowid in nearest]

    def _rows_by_id(self, rowids: list[int]) -> dict[int, tuple[Any, ...]]:
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        return {row[0]: row for row in self._execute(
            f"SELECT {', '.join(_RESULT_COLUMNS)} FROM search_service s "
            f"WHERE s.rowid IN ({marks})", rowids)}

    def _covering(self, plan: _Plan, seen: set[int],
                  wanted: int) -> list[tuple[Any, float | None]]:
        """Services outside the radius whose service area covers the caller (state or nation)."""
        assert plan.origin is not None
        area = f"({facet('a', plan.origin.state)} OR {facet('a', 'national')})"
        rows = (row for row in self._ranked(plan, area) if row[0] not in seen)
        return self._take(rows, wanted)

    @staticmethod
    def _take(rows: Iterable[tuple[Any, ...]], limit: int) -> list[tuple[Any, float | None]]:
        return [(row, None) for row in islice(rows, limit)]

    # -- opening hours ----------------------------------------------------------------------

    def _load_open_services(self, at: datetime) -> None:
        """Put the services open at ``at`` into ``temp.open_services`` for the query to join.

        Computed once a minute: a specialist types many queries in that time.
        """
        key = at.replace(second=0, microsecond=0).isoformat()
        if key != self._open_key:
            rowids = self._compute_open_rowids(at)
            self._execute("CREATE TEMP TABLE IF NOT EXISTS open_services "
                          "(rowid INTEGER PRIMARY KEY)")
            self._execute("DELETE FROM temp.open_services")
            self._connection.executemany("INSERT INTO temp.open_services VALUES (?)",
                                         ((rowid,) for rowid in sorted(rowids)))
            self._connection.commit()
            self._open_key = key

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
        local_times: dict[str, datetime] = {}  # results share a handful of time zones
        for row, _ in found:
            zone = row[12]
            if zone not in local_times:
                local_times[zone] = now.astimezone(tz.gettz(zone))
        return [self._result(row, miles, hours.get(row[0], ([], [])), local_times[row[12]],
                             plan) for row, miles in found]

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
                hours: tuple[list[Any], list[str]], local: datetime,
                plan: _Plan) -> SearchResult:
        (_rowid, service_id, service_name, organization_name, phone, address, confidential, city,
         state, postal_code, _lat, _lon, _zone, languages, categories, open_24h,
         last_verified) = row
        today = local.date().isoformat()
        intervals = [i for i, start, end in hours[0]
                     if (not start or start <= today) and (not end or today <= end)]
        for rule in hours[1]:
            intervals += rule_hours_on(_rule(rule), local.date())
        listed = bool(hours[0] or hours[1] or open_24h)
        return SearchResult(
            service_id=service_id, service_name=service_name,
            organization_name=organization_name, phone=phone, address=address,
            confidential=bool(confidential), city=city, state=state, postal_code=postal_code,
            distance_miles=round(miles, 1) if miles is not None else None,
            serves_caller_area=plan.origin is not None and miles is None,
            open_now=is_open(intervals, local),
            open_24h=bool(open_24h),
            hours_today=describe_day(intervals, local.weekday()) if listed else HOURS_NOT_LISTED,
            languages=[lang for lang in (languages or "").split(", ") if lang],
            categories=[c for c in (categories or "").split(",") if c],
            last_verified=last_verified, hours_listed=listed,
        )


def _rule(text: str) -> dict[str, Any]:
    return dict(json.loads(text))
