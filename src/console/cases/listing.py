"""The case list: a specialist's views of the local cases, their filters and search.

Everything is answered from the columns ``console.cases.index`` keeps beside each case document
and from its ``case_search`` FTS5 table, never by reading documents, so a list of 50,000 cases
answers as fast as one of fifty. Every view is ordered the same way: overdue cases first, then by
the time something is next owed on them, then the most recently updated; two indexes hold that
order, so a view is read straight off an index and stops at its limit.

Search takes what a specialist types: words (the last one may be unfinished), a case number or
its beginning ("K7QD"), or a phone number in any format ("(713) 555 0150", "555-0150").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, func, select, text

from console.cases.changes import NEXT_SHIFT
from console.cases.story import CLOSED, owed_at
from console.models.cases import SEARCH_TABLE, LocalCase

URGENT = "urgent"
_IDS_PER_QUERY = 500  # well under SQLite's limit on the values of one IN (...)
VIEWS = ("mine", "handed_to_me", "queue", "all_open", "due_soon", "overdue", "all")
DUE_SOON = timedelta(hours=24)
# Past this many words the rest of a search adds nothing a specialist meant.
MAX_SEARCH_WORDS = 16
# Shorter unfinished words would match too much of the index to be useful while typing.
MIN_PREFIX_LENGTH = 2
# Groups of digits joined by these are one phone number: "(713) 555-0150", "+1 713.555.0150".
_PHONE_JOINER = re.compile(r"[\s().+/-]*")
# A typed phone number is looked up once it has this many digits (area code and exchange).
MIN_PHONE_QUERY_DIGITS = 6
_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class CaseQuery:
    """What the case list shows: a view, optionally narrowed by typed text and filters."""

    view: str = "mine"
    text: str = ""
    status: str | None = None
    urgency: str | None = None
    assigned_to: str | None = None
    limit: int = 200


@dataclass(frozen=True)
class CaseRow:
    """One line of the case list, read from the listing columns (times: ISO UTC text)."""

    id: str
    number: str | None
    call_type: str | None
    request_type: str | None
    urgency: str | None
    status: str | None
    assigned_to: str | None
    created_by: str | None
    created_at: str
    updated_at: str
    due_at: str | None
    title: str
    place: str
    pending_handoff_to: str | None
    next_task_due: str | None


_ROW_COLUMNS = (LocalCase.id, LocalCase.number, LocalCase.call_type, LocalCase.request_type,
                LocalCase.urgency, LocalCase.status, LocalCase.assigned_to, LocalCase.created_by,
                LocalCase.created_at, LocalCase.updated_at, LocalCase.due_at, LocalCase.title,
                LocalCase.place, LocalCase.pending_handoff_to, LocalCase.next_task_due)
# ``due_order`` holds the earliest time owed, so overdue cases (the earliest of all) come first.
ROW_ORDER = (LocalCase.due_order, LocalCase.updated_at.desc(), LocalCase.id)
NOT_CLOSED = LocalCase.status.is_distinct_from(CLOSED)


def time_text(at: datetime) -> str:
    """An aware time as the stored times are written, so the two compare as text."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the time to compare due times with needs a time zone")
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


def typed_words(typed: str) -> list[str]:
    """The words typed, with a phone number typed in groups ("(713) 555 0150") as one word of
    digits ("7135550150"), which is how the index holds phone numbers."""
    runs: list[list[re.Match[str]]] = []
    for match in _WORD.finditer(typed):
        previous = runs[-1][-1] if runs else None
        if previous is not None and _DIGITS.fullmatch(match.group()) \
                and _DIGITS.fullmatch(previous.group()) \
                and _PHONE_JOINER.fullmatch(typed, previous.end(), match.start()):
            runs[-1].append(match)
        else:
            runs.append([match])
    words: list[str] = []
    for run in runs:
        digits = "".join(match.group() for match in run)
        if len(run) > 1 and len(digits) >= MIN_PHONE_QUERY_DIGITS:
            words.append(digits)
        else:
            words.extend(match.group() for match in run)
    return words


def search_expression(typed: str) -> str | None:
    """The FTS5 query for what a specialist typed; None when it holds nothing to search for.

    Each word is quoted, so nothing typed is read as query syntax (quotes, ``*``, ``-``,
    ``NEAR``, ``OR``); every word must match; the last one may be unfinished unless the text
    ends with a space.
    """
    words = typed_words(typed)[:MAX_SEARCH_WORDS]
    if not words:
        return None
    terms = [f'"{word}"' for word in words]
    finished = typed[-1:].isspace()
    if not finished and len(words[-1]) >= MIN_PREFIX_LENGTH:
        terms[-1] += "*"
    return " ".join(terms)


def _matching(expression: str) -> ColumnElement[bool]:
    matches = text(f"SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :expression") \
        .bindparams(expression=expression)
    return LocalCase.search_rowid.in_(matches)


def view_conditions(view: str, user: str, now: datetime) -> list[ColumnElement[bool]]:
    """The conditions of one of ``VIEWS`` for ``user`` at ``now``."""
    at = time_text(now)
    conditions: dict[str, list[ColumnElement[bool]]] = {
        "mine": [LocalCase.assigned_to == user, NOT_CLOSED],
        "handed_to_me": [LocalCase.pending_handoff_to == user],
        "queue": [LocalCase.assigned_to == NEXT_SHIFT],
        "all_open": [NOT_CLOSED],
        # A closed case owes nothing: its due order is past every real time.
        "due_soon": [LocalCase.due_order >= at,
                     LocalCase.due_order < time_text(now + DUE_SOON)],
        "overdue": [LocalCase.due_order < at],
        "all": [],
    }
    if view not in conditions:
        raise ValueError(f"unknown case view {view!r}; expected one of {', '.join(VIEWS)}")
    return conditions[view]


def query_conditions(query: CaseQuery, user: str, now: datetime) -> list[ColumnElement[bool]]:
    conditions = view_conditions(query.view, user, now)
    for column, wanted in ((LocalCase.status, query.status), (LocalCase.urgency, query.urgency),
                           (LocalCase.assigned_to, query.assigned_to)):
        if wanted is not None:
            conditions.append(column == wanted)
    expression = search_expression(query.text)
    if expression is not None:
        conditions.append(_matching(expression))
    return conditions


def row_select(conditions: Sequence[ColumnElement[bool]], limit: int) -> Select[Any]:
    """The list's rows meeting ``conditions``, in the list's order.

    The cases are picked and ordered first from indexes alone; only the rows shown are read, so
    a search matching thousands of cases reads a page of rows, not thousands.
    """
    page = (select(LocalCase.id).where(*conditions).order_by(*ROW_ORDER)
            .limit(max(limit, 0)).correlate(None))
    return select(*_ROW_COLUMNS).where(LocalCase.id.in_(page)).order_by(*ROW_ORDER)


def fetch_rows(connection: Connection, conditions: Sequence[ColumnElement[bool]],
               limit: int) -> list[CaseRow]:
    return [CaseRow(*row) for row in connection.execute(row_select(conditions, limit))]


def most_urgent_first(rows: Sequence[CaseRow]) -> list[CaseRow]:
    """Urgent cases before the others, each group by the time work is next owed (nothing owed
    last): the order a handoff is read out in."""
    def key(row: CaseRow) -> tuple[bool, bool, str]:
        owed = owed_at(row.status, row.due_at, row.next_task_due)
        return row.urgency != URGENT, owed is None, owed or ""

    return sorted(rows, key=key)


def handoff_notes(engine: Engine, case_ids: Iterable[str]) -> dict[str, str]:
    """The newest handoff note written on each of these cases (cases without one are left
    out): what the sender said the receiver must do first."""
    wanted = list(dict.fromkeys(case_ids))
    notes: dict[str, str] = {}
    with engine.connect() as connection:
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[start:start + _IDS_PER_QUERY]
            rows = connection.execute(select(LocalCase.id, LocalCase.doc)
                                      .where(LocalCase.id.in_(chunk)))
            for case_id, doc in rows:
                handoffs = json.loads(doc).get("handoffs") or []
                written = [h.get("note") for h in handoffs
                           if isinstance(h, dict) and isinstance(h.get("note"), str)
                           and h["note"].strip()]
                if written:
                    notes[case_id] = written[-1].strip()
    return notes


class CaseList:
    """The case list panel's data: one of ``VIEWS`` for a user, filtered and searched.

    Thread-safe as far as the engine is: each call reads on a connection of its own.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def list(self, query: CaseQuery, user: str, now: datetime | None = None) -> list[CaseRow]:
        """Up to ``query.limit`` cases in the list's order; ``ValueError`` for an unknown view."""
        conditions = query_conditions(query, user, now or datetime.now(UTC))
        with self.engine.connect() as connection:
            return fetch_rows(connection, conditions, query.limit)

    def count(self, query: CaseQuery, user: str, now: datetime | None = None) -> int:
        """How many cases the query matches in all (the list shows at most its limit)."""
        conditions = query_conditions(query, user, now or datetime.now(UTC))
        statement = select(func.count()).select_from(LocalCase).where(*conditions)
        with self.engine.connect() as connection:
            return int(connection.scalar(statement) or 0)
