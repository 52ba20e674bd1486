"""What the case list and case search need from a case document, derived as the case is written.

``CaseStore._write_case`` stores every case (a specialist's change or a server's copy) with
``listing_values`` and ``index_case`` in the transaction that writes its document, so the list's
columns and the search words never disagree with the case they describe. A case list then
filters, sorts and shows cases from columns, never parsing documents.

Documents are read defensively: old ones lack newer keys, and an intake answer may be any JSON
value. Phone numbers are indexed as digits in every form a specialist might type them (with
country code, ten digits, seven digits), and numbers written into notes are found too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from typing import Any

import phonenumbers
from sqlalchemy import Connection

from console.cases.changes import SUMMARY_FIELD, Case, utc_text
from console.cases.story import next_task_due, owed_at, pending_handoff_to
from console.models.cases import NO_DUE, SEARCH_COLUMNS, SEARCH_TABLE

# Document fields the list copies as they are (times are made UTC first, below).
COPIED_FIELDS = ("call_type", "urgency", "status", "assigned_to", "created_at", "updated_at",
                 "number", "request_type", "created_by")
# Every column ``listing_values`` fills, in the order it fills them.
LISTING_COLUMNS = (*COPIED_FIELDS, "due_at", "next_task_due", "due_order", "pending_handoff_to",
                   "title", "place")
PHONE_REGION = "US"
# Fewer digits than a local number is a fragment, not a phone number.
MIN_PHONE_DIGITS = 7
TITLE_LENGTH = 120

# Intake answers with a search column of their own; every other answer written in words is
# searched with the case's free text.
PHONE_ANSWERS = ("caller_phone", "suspect_phone", "safe_callback_number")
NAME_ANSWERS = ("caller_name",)
STATE_ANSWERS = ("situation_state", "caller_state")  # the situation's state first
PLACE_ANSWERS = ("city", *STATE_ANSWERS, "caller_zip")
LOCATION_ANSWER, VENUE_ANSWER, VEHICLE_ANSWER = "location_description", "venue", "vehicle"
_OWN_COLUMN = frozenset((*PHONE_ANSWERS, *NAME_ANSWERS, *PLACE_ANSWERS, LOCATION_ANSWER,
                         VENUE_ANSWER, VEHICLE_ANSWER, SUMMARY_FIELD))
# A choice's stored value ("potential-victim", "es"): a code, not words anyone wrote.
_OPTION_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# A phone number written in a note: 713-555-0150, (713) 555 0150, +1 713.555.0150, 555-0150.
_PHONE_IN_TEXT = re.compile(r"(?<!\w)(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)?"
                            r"\d{3}[\s.-]?\d{4}(?!\w)")
_NOT_DIGIT = re.compile(r"\D")
# A plate written in two parts ("ABC-1234", "ABC 1234", "123 XYZ"), also indexed as one word.
_PLATE_IN_PARTS = re.compile(r"\b(?:([A-Za-z]{2,4})[\s-](\d{2,5})|(\d{1,4})[\s-]([A-Za-z]{2,4}))\b")
_SEARCH_SQL = (f"INSERT OR REPLACE INTO {SEARCH_TABLE} (rowid, {', '.join(SEARCH_COLUMNS)}) "
               f"VALUES (?, {', '.join('?' * len(SEARCH_COLUMNS))})")


def words_of(value: Any) -> str:
    """An answer as text: a string, or the strings of a list; numbers and yes/no are not words."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(item for item in value if isinstance(item, str))
    return ""


def _answers(case: Case) -> dict[str, Any]:
    answers = case.get("answers")
    return answers if isinstance(answers, dict) else {}


def _items(case: Case, name: str) -> Iterator[dict[str, Any]]:
    items = case.get(name)
    if isinstance(items, list):
        yield from (item for item in items if isinstance(item, dict))


# --- phone numbers ----------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def phone_keys(text: str) -> tuple[str, ...]:
    """The digit strings a phone number is indexed and found by, E.164 (without "+") first:
    "(713) 555-0150" -> ("17135550150", "7135550150", "5550150"). Empty for non-numbers."""
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        digits = _NOT_DIGIT.sub("", text)
        return (digits,) if len(digits) >= MIN_PHONE_DIGITS else ()
    national = str(number.national_number)
    if len(national) < MIN_PHONE_DIGITS:
        return ()
    keys = [phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:],
            national]
    if number.country_code == 1 and len(national) == 10:
        keys.append(national[3:])  # the local number, as callers often give it
    return tuple(dict.fromkeys(keys))


def phone_digits(value: Any) -> str | None:
    """An answer's phone number in E.164 digits (US when no country is given), or None."""
    keys = phone_keys(value) if isinstance(value, str) else ()
    return keys[0] if keys else None


def phones_in_text(text: str) -> Iterator[str]:
    return (match.group() for match in _PHONE_IN_TEXT.finditer(text))


def joined_plates(text: str) -> list[str]:
    """Plates written in two parts, as the one word they are often typed as: "abc1234"."""
    return ["".join(part for part in match.groups() if part).casefold()
            for match in _PLATE_IN_PARTS.finditer(text)]


# --- the list's columns -----------------------------------------------------------------------

@cache
def _state_names() -> dict[str, str]:
    # Imported here: the protocol package is only needed once a case names a state.
    from console.protocol.calendar import us_states

    return dict(us_states())


def place_of(case: Case) -> str:
    """Where the situation is, for the list: "Houston, TX", "TX" or a ZIP code; "" if unknown."""
    answers = _answers(case)
    city = words_of(answers.get("city")).strip()
    state = next((text for text in (words_of(answers.get(name)).strip()
                                    for name in STATE_ANSWERS) if text), "")
    place = ", ".join(part for part in (city, state) if part)
    return place or words_of(answers.get("caller_zip")).strip()


def title_of(case: Case, place: str) -> str:
    """One short line for the list: the summary's first line, else the call type and place."""
    summary = words_of(case.get("summary"))
    first_line = next((line.strip() for line in summary.splitlines() if line.strip()), "")
    if not first_line:
        kind = words_of(case.get("call_type")).capitalize()
        first_line = " — ".join(part for part in (kind, place) if part)
    if len(first_line) > TITLE_LENGTH:
        return first_line[:TITLE_LENGTH - 1].rstrip() + "…"
    return first_line


def listing_values(case: Case) -> dict[str, Any]:
    """The ``local_case`` columns beside the document, all derived from it."""
    values = {name: case.get(name) for name in COPIED_FIELDS}
    for name in ("created_at", "updated_at"):
        values[name] = utc_text(case.get(name)) or str(case.get(name) or "")
    due_at, task_due = utc_text(case.get("due_at")), next_task_due(case)
    place = place_of(case)
    values.update(
        due_at=due_at, next_task_due=task_due,
        due_order=owed_at(case.get("status"), due_at, task_due) or NO_DUE,
        pending_handoff_to=pending_handoff_to(case), title=title_of(case, place), place=place)
    return values


# --- the search entry -------------------------------------------------------------------------

def _free_text(case: Case) -> Iterator[str]:
    """What people wrote on the case: summary, notes, handoff notes, tasks, worded answers."""
    yield words_of(case.get("summary"))
    for name, key in (("notes", "text"), ("handoffs", "note"), ("handoffs", "return_reason"),
                      ("tasks", "text")):
        yield from (words_of(item.get(key)) for item in _items(case, name))
    for answer_id, value in _answers(case).items():
        if answer_id in _OWN_COLUMN:
            continue
        items = value if isinstance(value, list) else [value]
        yield from (item for item in items
                    if isinstance(item, str) and not _OPTION_CODE.fullmatch(item))


def _phone_words(numbers: Iterable[str]) -> str:
    keys = (key for number in numbers for key in phone_keys(number))
    return " ".join(dict.fromkeys(keys))


def _number_words(number: Any) -> str:
    """The case number as read out ("K7QD2X-0042") and as typed without its hyphen."""
    if not isinstance(number, str):
        return ""
    return f"{number} {number.replace('-', '')}"


def search_entry(case: Case) -> tuple[str, ...]:
    """The case's words, one text per column of ``SEARCH_COLUMNS``."""
    answers = _answers(case)
    details = "\n".join(text for text in _free_text(case) if text)
    phones = [words_of(answers.get(name)) for name in PHONE_ANSWERS]
    phones.extend(phones_in_text(details))
    states = [words_of(answers.get(name)).strip().upper() for name in STATE_ANSWERS]
    places = [words_of(answers.get(name)) for name in PLACE_ANSWERS]
    places.extend(_state_names().get(state, "") for state in states if state)
    vehicle = words_of(answers.get(VEHICLE_ANSWER))
    return (_number_words(case.get("number")), _phone_words(p for p in phones if p),
            " ".join(words_of(answers.get(name)) for name in NAME_ANSWERS),
            " ".join(p for p in places if p), words_of(answers.get(LOCATION_ANSWER)),
            words_of(answers.get(VENUE_ANSWER)), " ".join([vehicle, *joined_plates(vehicle)]),
            details)


def driver_cursor(connection: Connection) -> Any:
    """The driver's own cursor on ``connection`` (inside its transaction): for the statements
    run for every case written, where SQLAlchemy's handling of each call would cost more than
    the statement itself."""
    return connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def index_case(connection: Connection, search_rowid: int, case: Case) -> None:
    """Replace the case's search entry (row ``search_rowid`` of the search table)."""
    driver_cursor(connection).execute(_SEARCH_SQL, (search_rowid, *search_entry(case)))
