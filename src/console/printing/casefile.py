"""The case printout: a supervisor's confidential copy of one case, the whole intake and its story.

Unlike the referral sheet, this copy carries everything the case holds, personal answers
included (each marked as personal), so every page says CONFIDENTIAL and names the case and when
it was printed. Answers are grouped by the protocol's tabs with their labels; the timeline lists
everything that happened to the case, oldest first, on the hotline's clock.

A long answer or note (a caller's account can run to pages) is printed as its label over free
text rather than squeezed into a table row, since a table row never breaks across pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import inch
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from console.cases.changes import Case, is_answered
from console.cases.words import CaseWords
from console.printing.base import CONTENT_WIDTH, PAGE_SIZE, PageSetup, para, render, styles
from console.printing.phrases import texts
from console.protocol import Protocol
from console.protocol.calendar import zone_abbreviation

# The page frame keeps reportlab's 6 pt padding on each side of the text.
WIDTH = CONTENT_WIDTH
# Past this height a label/value row would crowd a page (and could never move to the next one
# whole), so it is printed as a heading over free-flowing text instead.
LONG_ROW_HEIGHT = PAGE_SIZE[1] / 4
LABEL_WIDTH = 2.1 * inch
TIME_WIDTH = 2.15 * inch  # "Wed 25 Nov 2026, 10:47 PM ET" on one line
CELL_PADDING = 12  # a table cell's padding, left and right together
# Room left on a page for a long answer's label and first lines, and for a section's heading
# with that much under it.
LONG_TEXT_ROOM = 1.5 * inch
SECTION_ROOM = LONG_TEXT_ROOM + 0.6 * inch
NOT_SET = "—"
TimedEvent = tuple[datetime | None, str]
EARLIEST = datetime.min.replace(tzinfo=UTC)  # where a record without a readable time sorts


def column_widths(inches: Sequence[float | None]) -> list[float]:
    """Table column widths from inches; the one given as None takes the rest of the line."""
    fixed = sum(width for width in inches if width is not None) * inch
    return [width * inch if width is not None else WIDTH - fixed for width in inches]



def time_words(at: datetime, zone: tzinfo, words: Mapping[str, str], brief: bool = False) -> str:
    """An instant on the hotline's clock in the document's language, with its year and zone (a
    printed case may be read long after): "Wed 25 Nov 2026, 7:00 PM ET" / "mié 25 nov 2026,
    7:00 p. m. ET"; ``brief`` leaves both out where the page states them once."""
    local = at.astimezone(zone)
    hour = local.hour % 12 or 12
    clock = words["hours.am" if local.hour < 12 else "hours.pm"].format(
        time=f"{hour}:{local.minute:02d}")
    parts = {"weekday": words[f"day.short.{local.weekday()}"], "day": local.day,
             "month": words[f"month.short.{local.month}"], "clock": clock}
    if brief:
        return words["time.brief"].format(**parts)
    return words["time.moment"].format(**parts, year=local.year, zone=zone_abbreviation(local))



def pair_blocks(pairs: Iterable[tuple[str, str]], sheet: StyleSheet1,
                label_width: float = LABEL_WIDTH, label_style: str = "CellHead"
                ) -> list[list[Flowable]]:
    """Label/value pairs as blocks in order: ruled two-column tables of short pairs, and each
    pair too tall for a table row as its label over its free-flowing text, so nothing is cut."""
    blocks: list[list[Flowable]] = []
    rows: list[list[Paragraph]] = []
    label_over = ParagraphStyle("LabelOver", parent=sheet["Label"], spaceBefore=4)
    text_under = ParagraphStyle("TextUnder", parent=sheet["Body"], spaceAfter=6)

    def flush() -> None:
        if rows:
            blocks.append([_pair_table(list(rows), label_width)])
            rows.clear()

    for label, value in pairs:
        cell = para(value, sheet["Cell"])
        if cell.wrap(WIDTH - label_width - CELL_PADDING, PAGE_SIZE[1])[1] > LONG_ROW_HEIGHT:
            flush()
            blocks.append([para(label, label_over), para(value, text_under)])
        else:
            rows.append([para(label, sheet[label_style]), cell])
    flush()
    return blocks


def _pair_table(rows: list[list[Paragraph]], label_width: float) -> Table:
    table = Table(rows, colWidths=[label_width, WIDTH - label_width], splitInRow=0)
    table.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.HexColor("#BBBBBB")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
    ]))
    return table


def paper_words(protocol: Protocol, words: Mapping[str, str]) -> CaseWords:
    """A case's words on paper: in the document's language, everyone by name, times with their
    year and zone on the hotline's clock."""
    zone = protocol.service_chart.zone
    return CaseWords(protocol, words, lambda at: time_words(at, zone, words))


def _flowing(block: list[Flowable]) -> list[Flowable]:
    """A block as it goes on the page: a long answer starts only where a few of its lines fit
    under its label (it is never kept together whole: it may be longer than a page)."""
    return [CondPageBreak(LONG_TEXT_ROOM), *block] if len(block) > 1 else block


def _section(title: str, blocks: list[list[Flowable]], sheet: StyleSheet1) -> list[Flowable]:
    """A heading that starts a page only where the first rows or lines of what it heads fit
    under it; tables then break between rows as the page ends."""
    return [CondPageBreak(SECTION_ROOM), Spacer(1, 8), para(title, sheet["Heading"]),
            *chain.from_iterable(_flowing(block) for block in blocks)]


def case_flowables(case: Case, protocol: Protocol, language: str = "en",
                   now: datetime | None = None) -> tuple[list[Flowable], PageSetup]:
    """The printout's content and page setup (split from writing for previews and tests)."""
    words = texts(language)
    sheet = styles()
    case_words = paper_words(protocol, words)
    number = case.get("number") or case.get("id", "")
    printed = case_words.moment(now or datetime.now(UTC))
    story: list[Flowable] = [
        para(case_words.say("casefile.title", number=number), sheet["Title"]),
        para(case_words.say("casefile.subtitle", printed=printed), sheet["Subtitle"]),
        Spacer(1, 8), *chain.from_iterable(pair_blocks(case_words.overview(case), sheet))]
    if is_answered(case.get("summary")):
        story += _section(words["casefile.summary"], [[para(case["summary"], sheet["Body"])]],
                          sheet)
    for title, rows in case_words.answers_by_tab(case):
        story += _section(title, pair_blocks(rows, sheet), sheet)
    story += _section(words["casefile.timeline"],
                      pair_blocks(case_words.timeline(case), sheet, TIME_WIDTH, "Cell"), sheet)
    footer = case_words.say("casefile.footer", number=number, printed=printed)
    setup = PageSetup(title=case_words.say("casefile.title", number=number), footer=footer,
                      confidential=True, language=language)
    return story, setup


def case_printout(case: Case, protocol: Protocol, out: Path | BinaryIO, language: str = "en",
                  now: datetime | None = None) -> None:
    """Write the confidential printout of ``case`` (taken with ``protocol``) as a PDF to ``out``
    (a path is replaced atomically). ``now`` is the printed-at time (default: the present)."""
    flowables, setup = case_flowables(case, protocol, language, now)
    render(flowables, setup, out)

