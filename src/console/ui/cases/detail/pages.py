"""The case's answers and timeline laid out as HTML for the case detail."""

from __future__ import annotations

import html
from collections.abc import Iterable

from console.cases.changes import Case
from console.cases.words import CaseWords


def html_rows(rows: Iterable[tuple[str, str]], heading_cell: str = "th") -> str:
    return "".join(f"<tr><{heading_cell} align='left' valign='top' nowrap>{html.escape(left)}"
                   f"</{heading_cell}><td valign='top'>{html.escape(right)}</td></tr>"
                   for left, right in rows)


def overview_html(words: CaseWords, case: Case) -> str:
    summary = (case.get("summary") or "").strip() or words.say("case.summary.none")
    parts = [f"<h3>{html.escape(words.phrases['casefile.summary'])}</h3>"
             f"<p>{html.escape(summary).replace(chr(10), '<br>')}</p>"]
    for title, rows in words.answers_by_tab(case):
        parts.append(f"<h3>{html.escape(title)}</h3>"
                     f"<table cellspacing='0' cellpadding='3'>{html_rows(rows)}</table>")
    if len(parts) == 1:
        parts.append(f"<p>{html.escape(words.say('case.answers.none'))}</p>")
    return "".join(parts)


def timeline_html(words: CaseWords, case: Case) -> str:
    return (f"<table cellspacing='0' cellpadding='4'>{html_rows(words.timeline(case), 'td')}"
            "</table>")
