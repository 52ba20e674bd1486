"""The state's reporting lines for a mandated report, found in the referral directory.

Which lines to call is data: the protocol names the checklist they belong to, the directory
category that holds them and the answers that give the state; the hotline keeps each state's
lines in its directory like any other service. No number is ever written into the program.
"""

from __future__ import annotations

from console.directory.query import SearchQuery, SearchResult
from console.protocol import Answers, Evaluation, Protocol
from console.protocol.calendar import us_states

MOST_LINES = 3


def reporting_line_query(protocol: Protocol, answers: Answers, evaluation: Evaluation
                         ) -> SearchQuery | None:
    """The directory search for the state's reporting lines, or None while the checklist is
    not up or no state is known yet."""
    lines = protocol.reporting_lines
    if lines is None or lines.checklist not in {field.id for field in evaluation.checklists}:
        return None
    state = state_of(protocol, answers)
    if state is None:
        return None
    return SearchQuery(category=lines.category, state=state, limit=MOST_LINES)


def state_of(protocol: Protocol, answers: Answers) -> str | None:
    """The state a report goes to: the first of the protocol's state answers given."""
    lines = protocol.reporting_lines
    fields = lines.state_fields if lines is not None else ()
    return next((value for value in (answers.get(name) for name in fields)
                 if isinstance(value, str) and value.strip()), None)


def reporting_lines_text(state: str, results: list[SearchResult]) -> str:
    """What the specialist reads: each line's name, who runs it, its number and its hours."""
    name = dict(us_states()).get(state, state)
    if not results:
        return (f"The directory lists no reporting line for {name}. Use the hotline's list "
                "of state lines, and ask an administrator to add it to the directory.")
    lines = [f"• {result.service_name} ({result.organization_name}): "
             f"{result.phone or 'no phone listed'} — "
             f"{'24 hours' if result.open_24h else result.hours_today}" for result in results]
    return f"Reporting lines for {name}:\n" + "\n".join(lines)
