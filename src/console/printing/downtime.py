"""The downtime pack: paper to keep answering calls when the console cannot be used.

A blank intake form that follows the current protocol (each tab a section, each field a labelled
line, box or row of checkboxes, required fields marked, scripted prompts in italics, a triage
block to pick the request type), the hotline's number and hours, and the top services per
category of one state from the local directory. Once filled in, the form holds what callers
said, so every page is marked confidential; and the directory part never prints a confidential
address (nor the town of a confidential service), only "Call for location".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from sqlalchemy import Engine

from console.directory.search import DirectorySearch, SearchError, SearchQuery, SearchResult
from console.directory.vocabulary import vocabulary
from console.printing.base import (
    FONT_ITALIC,
    PageSetup,
    PrintError,
    data_table,
    markup,
    para,
    render,
    styles,
)
from console.printing.casefile import (
    CELL_PADDING,
    WIDTH,
    column_widths,
    paper_words,
)
from console.printing.sheet import SheetService, _Words, sheet_services
from console.protocol import Protocol, RequestType
from console.protocol.calendar import ServiceChart, us_states, zone_abbreviation
from console.protocol.definition import (
    AllOf,
    AnyOf,
    Condition,
    Field,
    FieldAnswered,
    FieldEquals,
    FieldIn,
    Not,
    RequestTypeIn,
    Tab,
)

TOP_PER_CATEGORY = 5
CHECKBOX = "\u2610"
LINE_HEIGHT = 0.34 * inch
LONGTEXT_LINES = 5  # lines to write a long free-text answer on
SHORT_KINDS = frozenset({"phone", "zip", "number", "state"})
SHORT_BOX = 2.6 * inch
CALL_LINE_GAP = 0.25 * inch
# One column for checklists (steps done in order), more for plain choices.
CHOICE_COLUMNS = {"checklist": 1, "yesno": 3}
DEFAULT_CHOICE_COLUMNS = 3
SERVICE_COLUMNS = (None, 1.2, 1.2, 2.0)
TRIAGE_COLUMNS = (2.3, 0.5, 0.9, None)
_PROMPT_BAR = colors.HexColor("#999999")
_RULE = colors.HexColor("#777777")


def state_name(state: str) -> str:
    """The name of a two-letter state code (any case); PrintError for anything else."""
    names = dict(us_states())
    code = state.strip().upper()
    if code not in names:
        raise PrintError(f"unknown state {state!r}: give a two-letter code such as TX, "
                         f"DC or PR")
    return names[code]


@dataclass(frozen=True)
class CategoryServices:
    """The top services of one category in the state, as the pack lists them."""

    category: str
    results: tuple[SearchResult, ...]
    services: tuple[SheetService, ...]


def top_services(directory_engine: Engine, state: str, per_category: int = TOP_PER_CATEGORY,
                 today: date | None = None) -> list[CategoryServices]:
    """The first ``per_category`` services of every hotline category in ``state``, in the
    directory search's own order (recently verified first), with their week's hours."""
    code = state.strip().upper()
    state_name(code)
    search = DirectorySearch(directory_engine)
    try:
        found = [(term.name, search.search(SearchQuery(state=code, category=term.code,
                                                       limit=per_category)))
                 for term in vocabulary().categories.values()]
    except SearchError as error:
        raise PrintError(str(error)) from None
    finally:
        search.close()
    ids = list(dict.fromkeys(result.service_id for _, results in found for result in results))
    by_id = ({service.service_id: service
              for service in sheet_services(directory_engine, ids, today=today)} if ids else {})
    return [CategoryServices(name, tuple(results),
                             tuple(by_id[result.service_id] for result in results))
            for name, results in found]


class _Pack:
    """Builds the pack's flowables: the hotline block, triage, the form, the directory."""

    def __init__(self, protocol: Protocol, today: date) -> None:
        self.protocol = protocol
        self.today = today
        self.words = _Words("en")  # the sheet's hours, days and dates in words
        self.text: Mapping[str, str] = self.words.text
        self.sheet: StyleSheet1 = styles()
        self.prompt_style = ParagraphStyle("Prompt", parent=self.sheet["Body"],
                                           fontName=FONT_ITALIC)

    def say(self, text_key: str, **values: object) -> str:
        return self.text[text_key].format(**values)

    # -- the hotline and triage -------------------------------------------------------------

    def header(self, state: str) -> list[Flowable]:
        chart = self.protocol.service_chart
        contact = Table([
            [para(self.words["sheet.hotline_line"].format(name=self.words["hotline.name"],
                                                          phone=self.words["hotline.phone"]),
                  self.sheet["Heading"])],
            [para(self.words["sheet.urgent_hours"], self.sheet["Body"])],
            [para(self._non_urgent_hours(chart), self.sheet["Body"])],
        ], colWidths=[WIDTH])
        contact.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#EEEEEE")),
                                     ("LEFTPADDING", (0, 0), (-1, -1), 8),
                                     ("TOPPADDING", (0, 0), (0, 0), 6),
                                     ("BOTTOMPADDING", (0, -1), (-1, -1), 8)]))
        return [
            para(self.text["downtime.title"], self.sheet["Title"]),
            para(self.say("downtime.subtitle", state=state,
                          date=self.words.long_date(self.today)), self.sheet["Subtitle"]),
            Spacer(1, 8), contact, Spacer(1, 8),
            para(self.text["downtime.intro"], self.sheet["Body"]), Spacer(1, 6)]

    def _non_urgent_hours(self, chart: ServiceChart) -> str:
        opens, closes = (moment.hour * 60 + moment.minute for moment in (chart.opens,
                                                                         chart.closes))
        noon = datetime.combine(self.today, time(12), tzinfo=chart.zone)
        return self.say("downtime.non_urgent_hours", days=self.words.weekdays(chart.weekdays),
                        hours=self.words["hours.range"].format(opens=self.words.clock(opens),
                                                               closes=self.words.clock(closes)),
                        zone=zone_abbreviation(noon), business_days=chart.business_days)

    def call_lines(self) -> list[Flowable]:
        """Who took the call and when: the facts the console would have stamped itself."""
        labels = [para(self.text[f"downtime.call.{name}"], self.sheet["Label"])
                  for name in ("date", "specialist", "case")]
        # Three lines to write on, with a gap between them: columns 1 and 3 are the gaps.
        width = (WIDTH - 2 * CALL_LINE_GAP) / 3
        table = Table([[labels[0], "", labels[1], "", labels[2]], [""] * 5],
                      colWidths=[width, CALL_LINE_GAP, width, CALL_LINE_GAP, width],
                      rowHeights=[None, LINE_HEIGHT])
        table.setStyle(TableStyle([
            *(("LINEBELOW", (column, 1), (column, 1), 0.75, _RULE) for column in (0, 2, 4)),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("VALIGN", (0, 0), (-1, 0), "BOTTOM")]))
        return [table, Spacer(1, 12)]

    def triage(self) -> list[Flowable]:
        header = [self.text[f"downtime.triage.{name}"]
                  for name in ("request", "key", "urgency", "description")]
        rows = [[f"{CHECKBOX} {kind.label}", kind.key, self.starts_as(kind), kind.description]
                for kind in self.protocol.request_types]
        table = data_table(header, rows, self.sheet, column_widths(TRIAGE_COLUMNS))
        return [KeepTogether([para(self.text["downtime.triage"], self.sheet["Heading"]),
                              para(self.text["downtime.triage_intro"], self.sheet["Body"]),
                              Spacer(1, 4), table]), Spacer(1, 10)]

    def starts_as(self, kind: RequestType) -> str:
        """A request type's first urgency, and that the chart takes it live at any hour."""
        urgency = paper_words(self.protocol, self.text).term(kind.urgency)
        return (self.say("downtime.triage.around_the_clock", urgency=urgency)
                if kind.around_the_clock else urgency)

    # -- the intake form ---------------------------------------------------------------------

    def form(self) -> list[Flowable]:
        story: list[Flowable] = [
            para(self.say("downtime.form_title", protocol=self.protocol.title),
                 self.sheet["Heading"]),
            para(self.say("downtime.form_legend", version=self.protocol.label),
                 self.sheet["Small"]), Spacer(1, 8), *self.call_lines(), *self.triage()]
        for tab in self.protocol.tabs:
            story += self.tab(tab)
        return story

    def tab(self, tab: Tab) -> list[Flowable]:
        heading = para(self.say("downtime.tab", key=tab.key, title=tab.title),
                       self.sheet["Heading"])
        prompts = [self.prompt(text) for text in tab.prompts]
        first, *others = [self.field(spec) for spec in tab.fields] or [[]]
        # One level of KeepTogether only: reportlab cannot keep a kept-together block inside
        # another (the inner one reports an endless height and pushes a blank page).
        return [CondPageBreak(2.5 * inch), Spacer(1, 6),
                KeepTogether([heading, *prompts, Spacer(1, 4), *first]),
                *(KeepTogether(parts) for parts in others)]

    def prompt(self, text: str) -> Flowable:
        """A scripted line to read out: italic, set off by a bar on its left."""
        table = Table([[para(f"“{text}”", self.prompt_style)]], colWidths=[WIDTH])
        table.setStyle(TableStyle([("LINEBEFORE", (0, 0), (0, -1), 2, _PROMPT_BAR),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 8),
                                   ("TOPPADDING", (0, 0), (-1, -1), 1),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
        return table

    def field(self, spec: Field) -> list[Flowable]:
        """One field: its label and marks, its prompt and hint, then where to write or tick
        (to be kept together on one page)."""
        parts: list[Flowable] = [para(self._label(spec), self.sheet["Label"])]
        for condition, key in ((spec.when, "downtime.only_if"),
                               (spec.required_when, "downtime.required_if")):
            if condition is not None:
                parts.append(para(self.say(key, condition=self.condition(condition)),
                                  self.sheet["Small"]))
        if spec.prompt:
            parts.append(self.prompt(spec.prompt))
        if spec.help:
            parts.append(para(spec.help, self.sheet["Small"]))
        return [*parts, Spacer(1, 3), self.answer_space(spec), Spacer(1, 9)]

    def _label(self, spec: Field) -> str:
        label = spec.label
        if spec.required:
            label = self.say("downtime.required", label=label)
        if spec.options and spec.kind in ("multichoice", "checklist"):
            label = self.say("downtime.all_that_apply", label=label)
        return label

    def answer_space(self, spec: Field) -> Flowable:
        if spec.options:
            labels = [option.label for option in spec.options]
            return self.checkboxes(labels, self._columns_for(spec.kind, labels))
        lines = LONGTEXT_LINES if spec.kind == "longtext" else 1
        width = SHORT_BOX if spec.kind in SHORT_KINDS else WIDTH
        table = Table([[""]] * lines, colWidths=[width], rowHeights=[LINE_HEIGHT] * lines,
                      hAlign="LEFT")
        table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.75, _RULE)]))
        return table

    def _columns_for(self, kind: str, labels: Sequence[str]) -> int:
        """As many columns as the field's kind allows while its longest option, box included,
        still fits on one line."""
        style = self.sheet["Body"]
        widest = max(stringWidth(f"{CHECKBOX}  {label}", style.fontName, style.fontSize * 1.05)
                     for label in labels)
        columns = CHOICE_COLUMNS.get(kind, DEFAULT_CHOICE_COLUMNS)
        while columns > 1 and widest > WIDTH / columns - CELL_PADDING:
            columns -= 1
        return columns

    def checkboxes(self, labels: Sequence[str], columns: int) -> Table:
        """Boxes to tick by hand in equal columns, each box a little larger than its text so
        a pen mark fits."""
        style = self.sheet["Body"]
        box = f'<font size="{style.fontSize * 1.3:.1f}">{CHECKBOX}</font>'
        cells = [Paragraph(f"{box} {markup(label)}", style) for label in labels]
        rows = [cells[start:start + columns] for start in range(0, len(cells), columns)]
        rows[-1] = rows[-1] + [""] * (columns - len(rows[-1]))
        table = Table(rows, colWidths=[WIDTH / columns] * columns)
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LEFTPADDING", (0, 0), (0, -1), 0),
                                   ("TOPPADDING", (0, 0), (-1, -1), 2),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
        return table

    def condition(self, condition: Condition) -> str:
        """A protocol condition in words: "Type of trafficking is Labor or Unclear"."""
        match condition:
            case FieldEquals(field=name, value=value):
                return self.say("downtime.condition.is", field=self._field_label(name),
                                value=self._option_label(name, value))
            case FieldIn(field=name, values=values):
                choices = self.text["downtime.condition.or"].join(
                    self._option_label(name, value) for value in values)
                return self.say("downtime.condition.is", field=self._field_label(name),
                                value=choices)
            case FieldAnswered(field=name, answered=answered):
                key = "downtime.condition.answered" if answered else "downtime.condition.blank"
                return self.say(key, field=self._field_label(name))
            case RequestTypeIn(request_types=kinds):
                return self.say("downtime.condition.request", request=self.text[
                    "downtime.condition.or"].join(self._request_label(kind) for kind in kinds))
            case AllOf(conditions=parts):
                return self.text["downtime.condition.and"].join(map(self.condition, parts))
            case AnyOf(conditions=parts):
                return self.text["downtime.condition.or"].join(map(self.condition, parts))
            case Not(condition=inner):
                return self.say("downtime.condition.not", condition=self.condition(inner))
        return ""

    def _field_label(self, field_id: str) -> str:
        return self.protocol.field(field_id).label

    def _option_label(self, field_id: str, value: object) -> str:
        options = {option.value: option.label for option in self.protocol.field(field_id).options}
        return options.get(value, str(value))

    def _request_label(self, request_type: str) -> str:
        return self.protocol.request_type(request_type).label

    # -- the directory -----------------------------------------------------------------------

    def directory(self, state: str, categories: Sequence[CategoryServices],
                  per_category: int) -> list[Flowable]:
        story: list[Flowable] = [
            PageBreak(), para(self.say("downtime.directory_title", state=state),
                              self.sheet["Title"]),
            para(self.say("downtime.directory_intro", count=per_category,
                          date=self.words.long_date(self.today)), self.sheet["Body"]),
            Spacer(1, 6)]
        for group in categories:
            story += self.category(group, state)
        return story

    def category(self, group: CategoryServices, state: str) -> list[Flowable]:
        heading = para(group.category, self.sheet["Heading"])
        if not group.services:
            return [KeepTogether([heading, para(self.say("downtime.no_services", state=state),
                                                self.sheet["Small"])]), Spacer(1, 6)]
        header = [self.text[f"downtime.column.{name}"]
                  for name in ("service", "phone", "city", "hours")]
        rows = [self.service_row(result, service)
                for result, service in zip(group.results, group.services, strict=True)]
        table = data_table(header, rows, self.sheet, column_widths(SERVICE_COLUMNS))
        return [KeepTogether([heading, table]), Spacer(1, 8)]

    def service_row(self, result: SearchResult, service: SheetService) -> list[str]:
        name = service.service_name
        if service.organization_name and service.organization_name != name:
            name = f"{name}\n{service.organization_name}"
        # A confidential service's town narrows down where survivors stay: never printed.
        where = (self.words["sheet.call_for_location"] if service.confidential
                 else result.city or self.words["sheet.not_listed"])
        return [name, service.phone or self.words["sheet.not_listed"], where,
                "\n".join(self.words.week_lines(service.week))]


def downtime_pack(protocol: Protocol, directory_engine: Engine, state: str,
                  out: Path | BinaryIO, today: date | None = None,
                  per_category: int = TOP_PER_CATEGORY) -> None:
    """Write the downtime pack for ``state`` (a two-letter code) as a PDF to ``out`` (a path is
    replaced atomically): the blank intake form of ``protocol`` once, then the top
    ``per_category`` services per category in the state. PrintError for an unknown state."""
    name = state_name(state)
    today = today or date.today()
    categories = top_services(directory_engine, state, per_category, today)
    pack = _Pack(protocol, today)
    story = [*pack.header(name), *pack.form(), *pack.directory(name, categories, per_category)]
    title = pack.text["downtime.title"]
    footer = pack.say("downtime.footer", title=title, state=name,
                      date=pack.words.long_date(today))
    render(story, PageSetup(title=title, footer=footer, confidential=True), out)
