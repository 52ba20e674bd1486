"""The case list's columns and the case search index, filled in for the cases already stored.

The columns and the search entry are derived here as the case store derived them at this
revision (below the upgrade, frozen): the console's own modules change after it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:00:00.000000
"""

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import phonenumbers
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Made nullable, filled in from each case's document, then required.
REQUIRED_COLUMNS = (("search_rowid", sa.Integer()), ("due_order", sa.String(length=40)),
                    ("title", sa.Text()), ("place", sa.Text()))
OPTIONAL_COLUMNS = (("number", sa.Text()), ("request_type", sa.Text()),
                    ("created_by", sa.Text()), ("due_at", sa.String(length=40)),
                    ("next_task_due", sa.String(length=40)), ("pending_handoff_to", sa.Text()))
FILLED = ("call_type", "urgency", "status", "assigned_to", "created_at", "updated_at",
          *(name for name, _ in OPTIONAL_COLUMNS),
          *(name for name, _ in REQUIRED_COLUMNS if name != "search_rowid"))


def upgrade() -> None:
    op.drop_index("ix_local_case_assigned_to", table_name="local_case")
    for name, kind in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
        op.add_column("local_case", sa.Column(name, kind, nullable=True))
    op.execute(SEARCH_DDL)
    _fill_from_documents(op.get_bind())
    with op.batch_alter_table("local_case", schema=None) as batch_op:
        for name, kind in REQUIRED_COLUMNS:
            batch_op.alter_column(name, existing_type=kind, nullable=False)
    op.create_index("ix_local_case_search_key", "local_case",
                    ["search_rowid", "status", "urgency", "assigned_to", "pending_handoff_to",
                     "due_order", "updated_at", "id"])
    op.create_index("ix_local_case_created_at", "local_case", ["created_at"])
    op.create_index("ix_local_case_pending_handoff_to", "local_case", ["pending_handoff_to"])
    op.create_index("ix_local_case_due_order", "local_case",
                    ["due_order", sa.text("updated_at DESC"), "id"])
    op.create_index("ix_local_case_assigned_order", "local_case",
                    ["assigned_to", "due_order", sa.text("updated_at DESC"), "id"])


def _fill_from_documents(connection: sa.Connection) -> None:
    """Derive every stored case's columns and search entry, oldest case first, exactly as the
    case store does when it writes a case (a workstation holds thousands, not millions)."""
    rows = connection.exec_driver_sql(
        "SELECT id, doc FROM local_case ORDER BY created_at, id").all()
    assignments = ", ".join(f"{name} = ?" for name in FILLED)
    for search_rowid, (case_id, doc) in enumerate(rows, start=1):
        case = json.loads(doc)
        values = listing_values(case)
        connection.exec_driver_sql(
            f"UPDATE local_case SET search_rowid = ?, {assignments} WHERE id = ?",
            (search_rowid, *(values[name] for name in FILLED), case_id))
        index_case(connection, search_rowid, case)


def downgrade() -> None:
    for name in ("ix_local_case_assigned_order", "ix_local_case_due_order",
                 "ix_local_case_pending_handoff_to", "ix_local_case_created_at",
                 "ix_local_case_search_key"):
        op.drop_index(name, table_name="local_case")
    op.execute(f"DROP TABLE {SEARCH_TABLE}")
    with op.batch_alter_table("local_case", schema=None) as batch_op:
        for name, _ in (*OPTIONAL_COLUMNS, *REQUIRED_COLUMNS):
            batch_op.drop_column(name)
    op.create_index("ix_local_case_assigned_to", "local_case", ["assigned_to"])


# --- the listing and search entry as of this revision ----------------------------------------

Case = dict[str, Any]
PENDING = "pending"
NO_DUE = "9999-12-31T23:59:59.999+00:00"
SEARCH_TABLE = "case_search"
SEARCH_COLUMNS = ("number", "phones", "names", "places", "location", "venue", "vehicle",
                  "details")
SEARCH_DDL = (
    f"CREATE VIRTUAL TABLE {SEARCH_TABLE} USING fts5(" + ", ".join(SEARCH_COLUMNS)
    + ", tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
)
STATE_NAMES = {"AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas",
               "CA": "California", "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware",
               "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii",
               "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
               "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
               "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
               "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
               "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
               "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
               "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
               "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah",
               "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
               "WI": "Wisconsin", "WY": "Wyoming", "AS": "American Samoa", "GU": "Guam",
               "MP": "Northern Mariana Islands", "PR": "Puerto Rico", "VI": "U.S. Virgin Islands"}

# Document fields the list copies as they are (times are made UTC first, below).
COPIED_FIELDS = ("call_type", "urgency", "status", "assigned_to", "created_at", "updated_at",
                 "number", "request_type", "created_by")
# Every column ``listing_values`` fills, in the order it fills them.
LISTING_COLUMNS = (*COPIED_FIELDS, "due_at", "next_task_due", "due_order", "pending_handoff_to",
                   "title", "place")
CLOSED = "closed"
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
SUMMARY_ANSWER = "summary"  # mirrored into the case's summary, indexed from there
_OWN_COLUMN = frozenset((*PHONE_ANSWERS, *NAME_ANSWERS, *PLACE_ANSWERS, LOCATION_ANSWER,
                         VENUE_ANSWER, VEHICLE_ANSWER, SUMMARY_ANSWER))
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


def utc_text(value: Any) -> str | None:
    """An ISO time as UTC text with milliseconds, the form every stored time sorts in; None for
    anything that is not a time with a zone."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
        return None if parsed.tzinfo is None else \
            parsed.astimezone(UTC).isoformat(timespec="milliseconds")
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 shifted past the range
        return None


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


def pending_handoff_to(case: Case) -> str | None:
    """Whom the newest handoff still waiting for an answer was made to."""
    waiting = [handoff for handoff in _items(case, "handoffs")
               if handoff.get("state", PENDING) == PENDING
               and handoff.get("acknowledged_at") is None]
    receiver = waiting[-1].get("to_user") if waiting else None
    return receiver if isinstance(receiver, str) else None


def next_task_due(case: Case) -> str | None:
    """The earliest due time of the follow-up tasks not done yet."""
    due = (utc_text(task.get("due_at")) for task in _items(case, "tasks")
           if task.get("done_at") is None)
    return min((time for time in due if time), default=None)


def listing_values(case: Case) -> dict[str, Any]:
    """The ``local_case`` columns beside the document, all derived from it."""
    values = {name: case.get(name) for name in COPIED_FIELDS}
    for name in ("created_at", "updated_at"):
        values[name] = utc_text(case.get(name)) or str(case.get(name) or "")
    due_at, task_due = utc_text(case.get("due_at")), next_task_due(case)
    owed = [time for time in (due_at, task_due) if time]
    place = place_of(case)
    values.update(
        due_at=due_at, next_task_due=task_due,
        due_order=min(owed) if owed and case.get("status") != CLOSED else NO_DUE,
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
    places.extend(STATE_NAMES.get(state, "") for state in states if state)
    vehicle = words_of(answers.get(VEHICLE_ANSWER))
    return (_number_words(case.get("number")), _phone_words(p for p in phones if p),
            " ".join(words_of(answers.get(name)) for name in NAME_ANSWERS),
            " ".join(p for p in places if p), words_of(answers.get(LOCATION_ANSWER)),
            words_of(answers.get(VENUE_ANSWER)), " ".join([vehicle, *joined_plates(vehicle)]),
            details)


def index_case(connection: sa.Connection, search_rowid: int, case: Case) -> None:
    """Replace the case's search entry (row ``search_rowid`` of the search table)."""
    connection.exec_driver_sql(_SEARCH_SQL, (search_rowid, *search_entry(case)))
