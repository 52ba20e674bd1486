"""The shift handoff packet: what a supervisor hands the next shift, on paper.

For the shift on now (``console.cases.report``), each specialist's open cases, what falls due
before the shift ends and the handoffs still waiting for them; then the next shift's queue and the
counts of the shift and the day. Every table repeats its header on each page and never breaks
inside a row, and the packet is marked confidential: it names cases and what they are about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.styles import StyleSheet1
from reportlab.lib.units import inch
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer
from sqlalchemy import Engine

from console.cases.changes import NEXT_SHIFT, parse_time
from console.cases.listing import (
    CaseList,
    CaseQuery,
    CaseRow,
    handoff_notes,
    most_urgent_first,
)
from console.cases.report import DIMENSIONS, Counts, ShiftPlan, ShiftSummary, shift_summary
from console.cases.story import is_overdue, owed_at
from console.printing.base import PageSetup, data_table, para, render, styles
from console.printing.casefile import (
    column_widths,
    paper_words,
    time_words,
)
from console.printing.phrases import texts
from console.protocol import Protocol, load_protocol
from console.protocol.calendar import URGENT, us_states, zone_abbreviation
from console.tasks import QuietState, TaskState, check_cancelled

# More rows than this per specialist is no longer a handoff but a backlog; the case list has it.
ROW_LIMIT = 300
NOT_SET = "—"
# Column widths in inches, sized so a case number, an urgency and a time each fit on one line;
# the column given as None takes the rest of the line.
CASE_COLUMNS = (1.15, 0.9, 0.95, None, 1.6)
DUE_COLUMNS = (1.15, 1.6, 1.1, 0.9, None)
OVERVIEW_COLUMNS = (None, 1.1, 1.1, 1.1, 1.1)
COUNT_COLUMNS = (1.4, None, 1.3, 1.3)
MANDATED_COLUMNS = (1.15, None, 1.6, 1.3)
# Room a section or a table needs left on the page to start there: its heading, the table's
# header and a few rows.
SECTION_ROOM = 2 * inch
TABLE_START_ROOM = 1.25 * inch


@dataclass(frozen=True)
class _Holder:
    """One specialist's (or the queue's) part of the packet."""

    name: str
    open_total: int
    urgent: int
    open_rows: list[CaseRow]
    due: list[CaseRow]
    handoffs: list[CaseRow]


class _Packet:
    """Builds the packet's flowables from a shift summary and the case list."""

    def __init__(self, summary: ShiftSummary, listing: CaseList, protocol: Protocol,
                 now: datetime) -> None:
        self.summary = summary
        self.listing = listing
        self.protocol = protocol
        self.now = now
        self.words = texts("en")
        self.sheet: StyleSheet1 = styles()
        self.zone = summary.generated_at.tzinfo or UTC
        self.zone_name = zone_abbreviation(summary.generated_at)
        self.term = paper_words(protocol, self.words).term
        self.notes: dict[str, str] = {}  # case id -> its newest handoff note

    def say(self, text_key: str, **values: object) -> str:
        return self.words[text_key].format(**values)

    # -- who holds what --------------------------------------------------------------------

    def holders(self) -> list[_Holder]:
        """Specialists most urgent first (as the summary orders them), then anyone who only
        has a handoff or a deadline waiting; the queue is left for its own section."""
        names = [line.specialist for line in self.summary.queue
                 if line.specialist and line.specialist != NEXT_SHIFT]
        extra = {row.pending_handoff_to for row in self.summary.unacknowledged_handoffs}
        extra |= {row.assigned_to for row in self.summary.due_this_shift}
        names += sorted(name for name in extra - set(names) - {NEXT_SHIFT} if name)
        return [self.holder(name) for name in names]

    def holder(self, name: str) -> _Holder:
        line = next((line for line in self.summary.queue if line.specialist == name), None)
        rows = self.listing.list(CaseQuery(view="all_open", assigned_to=name, limit=ROW_LIMIT),
                                 name, self.now)
        holder = _Holder(
            name=name, open_total=line.total if line else len(rows),
            urgent=line.by_urgency.get(URGENT, 0) if line else 0,
            open_rows=most_urgent_first(rows),
            due=most_urgent_first([row for row in self.summary.due_this_shift
                                   if row.assigned_to == name]),
            handoffs=most_urgent_first([row for row in self.summary.unacknowledged_handoffs
                                        if row.pending_handoff_to == name]))
        self.notes.update(handoff_notes(self.listing.engine, (
            row.id for row in (*holder.open_rows, *holder.handoffs)
            if row.id not in self.notes)))
        return holder

    # -- tables ----------------------------------------------------------------------------

    def due_text(self, row: CaseRow) -> str:
        """The earliest time something is owed on the case; past ones say overdue."""
        return self._when(owed_at(row.status, row.due_at, row.next_task_due),
                          is_overdue(row.status, row.due_at, row.next_task_due, self.now))

    def _when(self, iso: str | None, overdue: bool) -> str:
        """A time owed, brief; saying so when it is overdue."""
        moment = parse_time(iso)
        if moment is None:
            return NOT_SET
        shown = time_words(moment, self.zone, self.words, brief=True)
        return self.say("packet.overdue", time=shown) if overdue else shown

    def columns(self, *names: str) -> list[str]:
        """Column titles; times in the cells are brief, so the due column names the zone."""
        return [self.say(f"packet.column.{name}", zone=self.zone_name) for name in names]

    def case_table(self, rows: Sequence[CaseRow]) -> Flowable:
        header = self.columns("case", "urgency", "status", "title", "due")
        cells = [[row.number or row.id, self.term(row.urgency), self.term(row.status),
                  self._title(row), self.due_text(row)] for row in rows]
        return data_table(header, cells, self.sheet, column_widths(CASE_COLUMNS))

    def due_table(self, rows: Sequence[CaseRow]) -> Flowable:
        header = self.columns("case", "due", "what", "urgency", "title")
        cells = [[row.number or row.id, self.due_text(row), self._what_is_due(row),
                  self.term(row.urgency), self._title(row)] for row in rows]
        return data_table(header, cells, self.sheet, column_widths(DUE_COLUMNS))

    def _what_is_due(self, row: CaseRow) -> str:
        shift = self.summary.shift
        task = parse_time(row.next_task_due)
        if task is not None and shift.start <= task < shift.end:
            return self.words["packet.due.task"]
        return self.words["packet.due.response"]

    def _title(self, row: CaseRow) -> str:
        """The case's title and place (the place left out when the title already names it),
        and the handoff note the sender left, which is often what must be done first."""
        town = row.place.split(",")[0].strip().casefold()
        if not row.place or (town and town in row.title.casefold()):
            title = row.title or row.place or NOT_SET
        else:
            title = " · ".join(part for part in (row.title, row.place) if part)
        note = self.notes.get(row.id)
        return self.say("packet.handoff_note", title=title, note=note) if note else title

    # -- sections --------------------------------------------------------------------------

    def header(self) -> list[Flowable]:
        summary = self.summary
        return [
            para(self.words["packet.title"], self.sheet["Title"]),
            para(self.say("packet.subtitle", shift=summary.shift.label, day=summary.day.label,
                          printed=time_words(self.now, self.zone, self.words)),
                 self.sheet["Subtitle"]),
            Spacer(1, 10)]

    def overview(self, holders: Sequence[_Holder], queue: _Holder) -> list[Flowable]:
        header = self.columns("specialist", "open", "urgent", "due_shift", "handoffs")
        cells = [[holder.name, holder.open_total, holder.urgent, len(holder.due),
                  len(holder.handoffs)] for holder in (*holders, queue)]
        table = data_table(header, cells, self.sheet, column_widths(OVERVIEW_COLUMNS))
        return self._section(self.words["packet.overview"], [table])

    def mandated(self) -> list[Flowable]:
        """Mandated steps left undone on calls: first in the packet, they come before all."""
        steps = self.summary.mandated_outstanding
        parts = [para(self.words["packet.mandated_intro"], self.sheet["Body"]), Spacer(1, 6)]
        if not steps:
            parts.append(para(self.words["packet.none"], self.sheet["Small"]))
        else:
            header = self.columns("case", "step", "due", "specialist")
            # A step's task is owed by its own due time: the case's rule with the task alone.
            cells = [[step.number or step.case_id, step.text,
                      self._when(step.due_at, is_overdue(None, None, step.due_at, self.now)),
                      step.assigned_to or NOT_SET] for step in steps]
            parts.append(data_table(header, cells, self.sheet, column_widths(MANDATED_COLUMNS)))
        return self._section(self.words["packet.mandated"], parts)

    def holder_section(self, holder: _Holder) -> list[Flowable]:
        facts = self.say("packet.holder_facts", open=holder.open_total, urgent=holder.urgent,
                         due=len(holder.due), handoffs=len(holder.handoffs))
        parts = [para(facts, self.sheet["Body"]), Spacer(1, 6)]
        parts += self._part("packet.open_cases", holder.open_rows, self.case_table)
        if len(holder.open_rows) < holder.open_total:
            parts.append(para(self.say("packet.more", shown=len(holder.open_rows),
                                       total=holder.open_total), self.sheet["Small"]))
        parts += self._part("packet.due_this_shift", holder.due, self.due_table)
        parts += self._part("packet.handoffs", holder.handoffs, self.case_table)
        return self._section(holder.name, parts)

    def queue_section(self, queue: _Holder) -> list[Flowable]:
        parts = [para(self.words["packet.queue_intro"], self.sheet["Body"]), Spacer(1, 6)]
        parts += self._part("packet.open_cases", queue.open_rows, self.case_table)
        return self._section(self.words["packet.queue"], parts)

    def _part(self, title_key: str, rows: Sequence[CaseRow],
              table: Callable[[Sequence[CaseRow]], Flowable]) -> list[Flowable]:
        """A labelled table, or "None." when there is nothing to list. The label starts a
        page only where its table's header and first rows fit under it (a table may run over
        pages, so it is not kept together whole)."""
        label = para(self.words[title_key], self.sheet["Label"])
        if not rows:
            return [KeepTogether([label, para(self.words["packet.none"], self.sheet["Small"])]),
                    Spacer(1, 8)]
        return [CondPageBreak(TABLE_START_ROOM), label, Spacer(1, 3), table(rows), Spacer(1, 10)]

    def _section(self, title: str, body: list[Flowable]) -> list[Flowable]:
        """A heading that starts a page only where the first rows of what it heads fit under
        it; tables then break between rows as the page ends."""
        return [CondPageBreak(SECTION_ROOM), Spacer(1, 6), para(title, self.sheet["Heading"]),
                *body]

    def counts(self) -> list[Flowable]:
        summary = self.summary
        header = [self.words["packet.column.counted_by"], self.words["packet.column.value"],
                  summary.shift.label, summary.day.label]
        rows: list[list[object]] = [[self.words["packet.all_contacts"], "",
                                     summary.shift_counts.total, summary.day_counts.total]]
        for name, _ in DIMENSIONS:
            rows += self._dimension_rows(name, summary.shift_counts, summary.day_counts)
        table = data_table(header, rows, self.sheet, column_widths(COUNT_COLUMNS))
        return self._section(self.words["packet.counts"], [table])

    def _dimension_rows(self, name: str, shift: Counts, day: Counts) -> list[list[object]]:
        in_shift: Mapping[str | None, int] = getattr(shift, name)
        in_day: Mapping[str | None, int] = getattr(day, name)
        title = self.words[f"packet.dimension.{name}"]
        return [[title if index == 0 else "", self._value_label(name, value),
                 in_shift.get(value, 0), count]
                for index, (value, count) in enumerate(in_day.items())]

    def _value_label(self, dimension: str, value: str | None) -> str:
        if value is None:
            return self.words["packet.not_recorded"]
        if dimension == "by_request_type":
            try:
                return self.protocol.request_type(value).label
            except KeyError:
                return value
        if dimension == "by_caller_type":
            options = {option.value: option.label
                       for option in self.protocol.field("caller_type").options}
            return options.get(value, value)
        if dimension == "by_state":
            return dict(us_states()).get(value, value)
        return self.term(value)

    def build(self, state: TaskState) -> list[Flowable]:
        holders = self.holders()
        queue = replace(self.holder(NEXT_SHIFT), name=self.words["packet.queue"])
        story = [*self.header(), *self.mandated(), *self.overview(holders, queue)]
        for done, holder in enumerate(holders):
            state.progress("each specialist's cases", done, len(holders))
            check_cancelled(state)
            story += self.holder_section(holder)
        state.progress("each specialist's cases", len(holders), len(holders))
        story += self.queue_section(queue)
        story += self.counts()
        return story


def packet_flowables(case_engine: Engine, now: datetime | None = None,
                     protocol: Protocol | None = None, shifts: ShiftPlan | None = None,
                     state: TaskState | None = None) -> tuple[list[Flowable], PageSetup]:
    """The packet's content and page setup (split from writing for previews and tests);
    ``state`` hears how far it has come and may stop it."""
    at = now or datetime.now(UTC)
    summary = shift_summary(case_engine, at, shifts)
    packet = _Packet(summary, CaseList(case_engine), protocol or load_protocol(), at)
    title = packet.words["packet.title"]
    footer = packet.say("packet.footer", title=title, shift=summary.shift.label,
                        day=summary.day.label)
    return packet.build(state or QuietState()), PageSetup(title=title, footer=footer,
                                                          confidential=True)


def shift_packet(case_engine: Engine, out: Path | BinaryIO, now: datetime | None = None,
                 protocol: Protocol | None = None, shifts: ShiftPlan | None = None,
                 state: TaskState | None = None) -> None:
    """Write the handoff packet of the shift on at ``now`` (default: the present) from the
    cases in ``case_engine`` as a PDF to ``out`` (a path is replaced atomically). ``protocol``
    names request types and caller types (default: the current intake protocol)."""
    flowables, setup = packet_flowables(case_engine, now, protocol, shifts, state)
    render(flowables, setup, out)
