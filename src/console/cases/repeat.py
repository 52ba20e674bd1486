"""Repeat contacts: earlier cases a new contact's phone numbers, places, vehicle or name point to.

While a call is taken, the console looks up the answers given so far: the same caller phone (in
any format), the same venue, place or vehicle, or a caller name spelled almost the same way.
Each lookup goes through the case search index for a few candidates, never through every case,
and is then checked word by word, so a venue sharing only common words ("nail salon", "motel on
Main Street") with an earlier one, or a first name alone, is no match. What counts as common,
and how alike two names must be, is the hotline's data: ``resources/cases/repeat.json``.
Each match says why in plain words, so the specialist can judge it and attach the new contact to
the earlier case (``CaseStore.link_contact``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import Connection, Engine, Row, bindparam, text

from console.cases.index import (
    LOCATION_ANSWER,
    NAME_ANSWERS,
    PHONE_ANSWERS,
    VEHICLE_ANSWER,
    VENUE_ANSWER,
    joined_plates,
    phone_digits,
    words_of,
)
from console.models.cases import SEARCH_TABLE
from console.settings import resources_dir

SETTINGS_FILE = Path("cases") / "repeat.json"
CANDIDATES = 50  # per lookup of a phone number or a place
NAME_CANDIDATES = 200
NAME_PREFIX = 4  # a name word's first letters find its misspellings ("Gonzales", "González")
PLACE_OVERLAP = 0.8  # share of the shorter description's words the other must also hold
MIN_IDENTIFIER = 5  # characters of a plate
EXTRA_REASON_BONUS = 5  # each further reason makes a match more certain
NAME_WEIGHT = 0.7  # a similar name is weaker evidence than a shared phone number or place
PHONE_LABELS = {"caller_phone": "caller phone", "suspect_phone": "suspect phone",
                "safe_callback_number": "safe callback number"}
# (answer, its search column and name in reasons, score when the same, score when similar)
PLACES = ((VENUE_ANSWER, "venue", 80.0, 75.0), (LOCATION_ANSWER, "location", 70.0, 65.0),
          (VEHICLE_ANSWER, "vehicle", 85.0, 80.0))
SAME_CALLER_PHONE, SAME_PHONE, OTHER_ROLE, IN_NOTES, PLATE = 100.0, 95.0, 90.0, 80.0, 90.0
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class RepeatMatch:
    """An earlier case the new contact may be about, why, and how sure (0–100)."""

    case_id: str
    number: str | None
    reason: str  # "same caller phone; similar venue"
    score: float
    call_type: str | None = None
    created_at: str | None = None  # ISO UTC text


@dataclass(frozen=True)
class RepeatSettings:
    """What counts as the same caller, place or vehicle (``resources/cases/repeat.json``)."""

    name_similarity: float
    ignored_words: frozenset[str]
    common_words: frozenset[str]


@cache
def repeat_settings() -> RepeatSettings:
    """The settings, checked; ``ValueError`` naming the file and the entry that is wrong."""
    path = resources_dir() / SETTINGS_FILE
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected an object of settings")
    similarity = data.get("name_similarity")
    if isinstance(similarity, bool) or not isinstance(similarity, int | float) \
            or not 0 < similarity <= 100:
        raise ValueError(f"{path}: name_similarity must be a number above 0, at most 100")
    return RepeatSettings(float(similarity), _word_list(data, "ignored_words", path),
                          _word_list(data, "common_words", path))


def _word_list(data: dict[str, Any], key: str, path: Path) -> frozenset[str]:
    words = data.get(key)
    if not isinstance(words, list) or not all(
            isinstance(word, str) and plain_words(word) == [word] for word in words):
        raise ValueError(f"{path}: {key} must be a list of single words in lower case")
    return frozenset(words)


@dataclass(frozen=True)
class _Clue:
    search_rowid: int
    reason: str
    score: float


def plain_words(value: str) -> list[str]:
    """Words folded for comparison: lower case, accents dropped ("González" -> "gonzalez")."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WORD.findall(bare.casefold())


def significant_words(value: str) -> set[str]:
    ignored = repeat_settings().ignored_words
    return {word for word in plain_words(value) if word not in ignored}


def _is_identifier(word: str) -> bool:
    """A plate ("abc1234"): letters and digits together, long enough to tell apart, and not a
    model name ("ram1500", "f150")."""
    letters = "".join(ch for ch in word if ch.isalpha())
    return len(word) >= MIN_IDENTIFIER and letters != "" and len(letters) < len(word) \
        and letters not in repeat_settings().common_words


def _search(connection: Connection, expression: str, column: str,
            limit: int) -> list[tuple[int, str]]:
    """(search rowid, that column's text) of the best matches of an FTS5 expression."""
    statement = text(f"SELECT rowid, {column} FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} "
                     f"MATCH :expression ORDER BY rank LIMIT :limit")
    return [(row[0], row[1]) for row in connection.execute(
        statement, {"expression": expression, "limit": limit})]


def _any_of(column: str, words: list[str], prefix: bool = False) -> str:
    star = "*" if prefix else ""
    return f"{column} : (" + " OR ".join(f'"{word}"{star}' for word in words) + ")"


# --- phone numbers ----------------------------------------------------------------------------

def _phones(answers: Mapping[str, Any]) -> dict[str, str]:
    """The new contact's phone numbers, answer id -> E.164 digits."""
    digits = {name: phone_digits(answers.get(name)) for name in PHONE_ANSWERS}
    return {name: value for name, value in digits.items() if value}


def _phone_clues(connection: Connection, answers: Mapping[str, Any]) -> Iterator[_Clue]:
    phones = _phones(answers)
    if not phones:
        return
    found = dict(_search(connection, _any_of("phones", sorted(set(phones.values()))), "phones",
                         CANDIDATES))
    if not found:
        return
    answer_columns = ", ".join(f"json_extract(doc, '$.answers.{name}')" for name in PHONE_ANSWERS)
    statement = text(f"SELECT search_rowid, {answer_columns} FROM local_case "
                     "WHERE search_rowid IN :rowids").bindparams(
        bindparam("rowids", expanding=True))
    for rowid, *values in connection.execute(statement, {"rowids": list(found)}):
        theirs = {name: phone_digits(value) for name, value in zip(PHONE_ANSWERS, values,
                                                                     strict=True)}
        indexed = set((found[rowid] or "").split())
        ours = {name: digits for name, digits in phones.items() if digits in indexed}
        yield from _phone_reasons(rowid, ours, theirs)


def _phone_reasons(search_rowid: int, ours: dict[str, str],
                   theirs: dict[str, str | None]) -> Iterator[_Clue]:
    """Which of our numbers is which of theirs; one only found in their notes says so."""
    for name, digits in ours.items():
        label = PHONE_LABELS[name]
        roles = [other for other, value in theirs.items() if value == digits]
        if not roles:
            yield _Clue(search_rowid, f"{label} is written in its notes", IN_NOTES)
        for other in roles:
            if other != name:
                yield _Clue(search_rowid, f"{label} is its {PHONE_LABELS[other]}", OTHER_ROLE)
            else:
                score = SAME_CALLER_PHONE if name == "caller_phone" else SAME_PHONE
                yield _Clue(search_rowid, f"same {label}", score)


# --- venue, location, vehicle -----------------------------------------------------------------

def _same_place(ours: set[str], theirs: set[str]) -> bool:
    """Enough shared words that it is the same place or vehicle: a plate, or two or more words
    making up most of the shorter description, one of them not a common word (two nail salons,
    or two white vans, are not the same one)."""
    shared = ours & theirs
    if any(map(_is_identifier, shared)):
        return True
    if not shared - repeat_settings().common_words:
        return False
    return len(shared) >= 2 and len(shared) >= PLACE_OVERLAP * min(len(ours), len(theirs))


def _place_clues(connection: Connection, answers: Mapping[str, Any]) -> Iterator[_Clue]:
    for answer, column, same_score, similar_score in PLACES:
        given = words_of(answers.get(answer))
        ours = significant_words(given) | set(joined_plates(given))
        if not ours:
            continue
        for rowid, their_text in _search(connection, _any_of(column, sorted(ours)), column,
                                         CANDIDATES):
            theirs = significant_words(their_text or "")
            if not _same_place(ours, theirs):
                continue
            plate = next((word for word in ours & theirs if _is_identifier(word)), None)
            if answer == VEHICLE_ANSWER and plate is not None:
                yield _Clue(rowid, f"same plate ({plate.upper()})", PLATE)
            elif ours == theirs:
                yield _Clue(rowid, f"same {column}", same_score)
            else:
                yield _Clue(rowid, f"similar {column}", similar_score)


# --- names ------------------------------------------------------------------------------------

def _name_clues(connection: Connection, answers: Mapping[str, Any]) -> Iterator[_Clue]:
    """Callers whose name reads almost the same; a first name alone is too common to tell."""
    for answer in NAME_ANSWERS:
        words = plain_words(words_of(answers.get(answer)))
        if len(words) < 2:
            continue
        ours = " ".join(words)
        prefixes = sorted({word[:NAME_PREFIX] for word in words})
        for rowid, their_text in _search(connection, _any_of("names", prefixes, prefix=True),
                                         "names", NAME_CANDIDATES):
            theirs = plain_words(their_text or "")
            if len(theirs) < 2:
                continue
            similarity = fuzz.token_sort_ratio(ours, " ".join(theirs))
            if similarity >= repeat_settings().name_similarity:
                reason = "same name" if similarity == 100 else f"similar name ({similarity:.0f}%)"
                yield _Clue(rowid, reason, similarity * NAME_WEIGHT)


# --- putting it together ----------------------------------------------------------------------

def find_repeats(engine: Engine, answers: Mapping[str, Any], exclude_case_id: str | None = None,
                 limit: int = 20) -> list[RepeatMatch]:
    """Earlier cases the answers point to, best first (then the most recently updated)."""
    with engine.connect() as connection:
        clues: dict[int, list[_Clue]] = defaultdict(list)
        for finder in (_phone_clues, _place_clues, _name_clues):
            for clue in finder(connection, answers):
                clues[clue.search_rowid].append(clue)
        if not clues:
            return []
        statement = text("SELECT search_rowid, id, number, call_type, created_at, updated_at "
                         "FROM local_case WHERE search_rowid IN :rowids").bindparams(
            bindparam("rowids", expanding=True))
        rows = connection.execute(statement, {"rowids": sorted(clues)}).all()
    matches = [(_match(row, clues[row.search_rowid]), row.updated_at)
               for row in rows if row.id != exclude_case_id]
    matches.sort(key=lambda pair: pair[1], reverse=True)
    matches.sort(key=lambda pair: pair[0].score, reverse=True)
    return [match for match, _ in matches[:max(limit, 0)]]


def _match(case: Row[Any], clues: list[_Clue]) -> RepeatMatch:
    """One match per case: every reason, the strongest first, and the score they add up to."""
    reasons: dict[str, float] = {}
    for clue in sorted(clues, key=lambda c: c.score, reverse=True):
        reasons.setdefault(clue.reason, clue.score)
    best = max(reasons.values())
    score = min(100.0, best + EXTRA_REASON_BONUS * (len(reasons) - 1))
    return RepeatMatch(case.id, case.number, "; ".join(reasons), score, case.call_type,
                       case.created_at)
