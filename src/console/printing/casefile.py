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
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

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

from console.cases.changes import (
    ACCEPTED,
    NEXT_SHIFT,
    PENDING,
    RETURNED,
    SUPERSEDED,
    Case,
    is_answered,
    parse_time,
)
from console.cases.changes import handoff_state as state_of
from console.intake.desk import SUMMARY_FIELD
from console.printing.base import (
    CONTENT_WIDTH,
    PAGE_SIZE,
    PageSetup,
    para,
    render,
    styles,
    texts,
)
from console.protocol import Protocol
from console.protocol.calendar import zone_abbreviation
from console.protocol.engine import answer_in_words

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



def answer_words(protocol: Protocol, field_id: str, value: Any,
                 words: Mapping[str, str]) -> str:
    """An intake answer in words, in the document's language."""
    return answer_in_words(protocol, field_id, value, words["term.yes"], words["term.no"])


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


@dataclass(frozen=True)
class CaseWords:
    """A case's records as sentences in the printout's language, times on the hotline's clock."""

    protocol: Protocol
    words: Mapping[str, str]

    def when(self, iso: str | None) -> str:
        moment = parse_time(iso)
        return self.moment(moment) if moment else NOT_SET

    def moment(self, at: datetime) -> str:
        return time_words(at, self.protocol.service_chart.zone, self.words)

    def term(self, value: str | None) -> str:
        """A stored value from the case vocabulary (urgency, status, outcome…) in words."""
        if not value:
            return NOT_SET
        return self.words.get(f"term.{value}", value)

    def who(self, name: str | None) -> str:
        if not name:
            return self.words["casefile.nobody"]
        return self.words["casefile.queue"] if name == NEXT_SHIFT else name

    def request(self, case: Case) -> str:
        request_type = case.get("request_type")
        if request_type:
            try:
                return self.protocol.request_type(request_type).label
            except KeyError:
                return request_type
        return self.term(case.get("call_type"))

    def say(self, text_key: str, **values: str) -> str:
        return self.words[text_key].format(**values)

    def quoted(self, text: str | None) -> str:
        return self.say("casefile.quote", text=text.strip()) if text and text.strip() else ""

    def timeline(self, case: Case) -> list[tuple[str, str]]:
        """(time text, sentence) for everything that happened to the case, oldest first."""
        events: list[TimedEvent] = []
        opened = self.say("casefile.event.created", who=self.who(case.get("created_by")),
                          request=self.request(case))
        self._add(events, case.get("created_at"), opened)
        for note in case.get("notes", []):
            self._add(events, note.get("created_at"), self.say(
                "casefile.event.note", who=self.who(note.get("author")),
                text=note.get("text", "")))
        for referral in case.get("referrals", []):
            self._referral(events, referral)
        for handoff in case.get("handoffs", []):
            self._handoff(events, handoff)
        for task in case.get("tasks", []):
            self._task(events, task)
        for contact in case.get("contacts", []):
            self._add(events, contact.get("linked_at"), self.say(
                "casefile.event.contact", who=self.who(contact.get("linked_by")),
                note=self.quoted(contact.get("note"))))
        events.sort(key=lambda event: event[0] or EARLIEST)
        return [(self.moment(at) if at else NOT_SET, text) for at, text in events]

    @staticmethod
    def _add(events: list[TimedEvent], iso: str | None, text: str) -> None:
        # A record whose time cannot be read still prints, at the start of the story.
        events.append((parse_time(iso), text))

    def _referral(self, events: list[TimedEvent], referral: dict[str, Any]) -> None:
        service = referral.get("service_name", "")
        self._add(events, referral.get("given_at"), self.say(
            "casefile.event.referral", who=self.who(referral.get("given_by")), service=service))
        outcome = referral.get("outcome")
        if outcome:
            self._add(events, referral.get("outcome_at"), self.say(
                "casefile.event.outcome", who=self.who(referral.get("outcome_by")),
                service=service, outcome=self.term(outcome),
                note=self.quoted(referral.get("outcome_note"))))

    def _handoff(self, events: list[TimedEvent], handoff: dict[str, Any]) -> None:
        state = state_of(handoff)
        sent = self.say("casefile.event.handoff", who=self.who(handoff.get("from_user")),
                        to=self.who(handoff.get("to_user")),
                        note=self.quoted(handoff.get("note")))
        if state in (PENDING, SUPERSEDED):
            holder = self.who(handoff.get("lost_to")) if state == SUPERSEDED else ""
            sent += " " + self.say(f"casefile.handoff.{state}", holder=holder)
        self._add(events, handoff.get("created_at"), sent)
        by = self.who(handoff.get("acknowledged_by"))
        if state == ACCEPTED:
            key = ("casefile.event.taken" if handoff.get("to_user") == NEXT_SHIFT
                   else "casefile.event.accepted")
            self._add(events, handoff.get("acknowledged_at"), self.say(key, who=by))
        elif state == RETURNED:
            self._add(events, handoff.get("acknowledged_at"), self.say(
                "casefile.event.returned", who=by, to=self.who(handoff.get("from_user")),
                reason=self.quoted(handoff.get("return_reason"))))

    def _task(self, events: list[TimedEvent], task: dict[str, Any]) -> None:
        due = (self.say("casefile.task.due", due=self.when(task["due_at"]))
               if task.get("due_at") else "")
        text = task.get("text", "")
        self._add(events, task.get("created_at"), self.say(
            "casefile.event.task", who=self.who(task.get("created_by")), text=text, due=due))
        if task.get("done_at"):
            self._add(events, task.get("done_at"), self.say(
                "casefile.event.task_done", who=self.who(task.get("done_by")), text=text))

    def answers_by_tab(self, case: Case) -> list[tuple[str, list[tuple[str, str]]]]:
        """(tab title, [(label, answer)]) in protocol order, unanswered fields left out; the
        summary answer is left out when it is the case summary printed above."""
        answers = dict(case.get("answers") or {})
        if answers.get(SUMMARY_FIELD) == case.get("summary"):
            answers.pop(SUMMARY_FIELD, None)
        groups = []
        for tab in self.protocol.tabs:
            rows = [(self._label(spec.label, spec.personal),
                     answer_words(self.protocol, spec.id, answers[spec.id], self.words))
                    for spec in tab.fields if is_answered(answers.get(spec.id))]
            if rows:
                groups.append((tab.title, rows))
        asked = {spec.id for spec in self.protocol.fields}
        others = [(name, answer_words(self.protocol, name, value, self.words))
                  for name, value in answers.items() if name not in asked and is_answered(value)]
        if others:
            groups.append((self.words["casefile.other_answers"], others))
        return groups

    def _label(self, label: str, personal: bool) -> str:
        return self.say("casefile.personal", label=label) if personal else label

    def overview(self, case: Case) -> list[tuple[str, str]]:
        """The case's header facts: what it is, how urgent, who has it, when it is due."""
        return [
            (self.words["casefile.request_type"], self.request(case)),
            (self.words["casefile.call_type"], self.term(case.get("call_type"))),
            (self.words["casefile.urgency"], self.term(case.get("urgency"))),
            (self.words["casefile.status"], self.term(case.get("status"))),
            (self.words["casefile.assigned_to"], self.who(case.get("assigned_to"))),
            (self.words["casefile.due"], self.when(case.get("due_at"))),
            (self.words["casefile.created"], self.say(
                "casefile.created_by", when=self.when(case.get("created_at")),
                who=self.who(case.get("created_by")))),
            (self.words["casefile.updated"], self.when(case.get("updated_at"))),
            (self.words["casefile.protocol"], case.get("protocol") or NOT_SET),
        ]


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
    case_words = CaseWords(protocol, words)
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

