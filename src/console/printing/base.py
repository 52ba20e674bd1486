"""Shared building blocks for every printed document (reportlab platypus, no Qt).

One place decides fonts, text sizes, page furniture ("Page N of M", the footer line, the
CONFIDENTIAL band) and how a PDF reaches disk, so the referral sheet, the case printout, the shift
packet and the downtime pack look alike and all embed the shipped DejaVu Sans fonts.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from arabic_reshaper import reshape
from bidi import get_display
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from console.printing import PrintError, write_atomically
from console.printing.phrases import texts
from console.settings import resources_dir

__all__ = ["CONTENT_WIDTH", "FONT", "FONT_BOLD", "FONT_ITALIC", "MARGIN", "PAGE_SIZE",
           "PageSetup", "PrintError", "clean_text", "data_table", "markup", "para",
           "register_fonts", "render", "styles", "table_style", "write_atomically"]

FONT, FONT_BOLD, FONT_ITALIC = "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"
PAGE_SIZE = letter
MARGIN = 0.75 * inch
BAND_INSET = 0.25 * inch
FRAME_PADDING = 6  # reportlab's frames keep this much inside the margins
CONTENT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN - 2 * FRAME_PADDING
LARGE_PRINT_SCALE = 1.6  # 10 pt body -> 16 pt, the usual large-print size

_FONT_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf",
               FONT_ITALIC: "DejaVuSans-Oblique.ttf"}
# Chinese, Japanese and Korean, which DejaVu Sans does not cover (WenQuanYi Micro Hei).
FALLBACK_FONT, _FALLBACK_FILE = "WenQuanYiMicroHei", "wqy-microhei.ttc"
_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
# Point sizes at normal print; large print multiplies them all by LARGE_PRINT_SCALE.
_SIZES = {"Title": 17.0, "Subtitle": 11.0, "Heading": 12.5, "Body": 10.0, "Label": 10.0,
          "Small": 8.5, "Cell": 9.0, "CellHead": 9.0, "Band": 10.0}
_FURNITURE_SIZE = 8.0
_BAND_COLOR = colors.HexColor("#B00020")


@dataclass(frozen=True)
class PageSetup:
    """Page furniture for one document. ``title`` goes into the PDF metadata only (documents put
    their own visible heading); ``footer`` is printed at the bottom of every page."""

    large_print: bool = False
    title: str = ""
    footer: str = ""
    confidential: bool = False
    language: str = "en"


_registered = False


def register_fonts() -> None:
    """Register DejaVu Sans (regular, bold, oblique) and the fallback for the scripts it lacks
    once per process; later calls are free."""
    global _registered
    if _registered:
        return
    fonts_dir = resources_dir() / "fonts"
    for name, file_name in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(fonts_dir / file_name)))
    pdfmetrics.registerFont(TTFont(FALLBACK_FONT, str(fonts_dir / _FALLBACK_FILE),
                                   subfontIndex=0))
    # Lets <b> and <i> inside Paragraph markup pick the right DejaVu face.
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC,
                                  boldItalic=FONT_BOLD)
    _registered = True


@cache
def styles(large_print: bool = False) -> StyleSheet1:
    """Paragraph styles in DejaVu Sans: Title, Subtitle, Heading, Body, Label, Small, Cell,
    CellHead, Band. Built once per size and shared, so treat the result as read-only."""
    register_fonts()
    scale = LARGE_PRINT_SCALE if large_print else 1.0
    sheet = StyleSheet1()
    for name, size in _SIZES.items():
        points = round(size * scale, 1)
        bold = name in {"Title", "Heading", "Label", "CellHead", "Band"}
        sheet.add(ParagraphStyle(
            name, fontName=FONT_BOLD if bold else FONT, fontSize=points,
            leading=round(points * 1.3, 1), textColor=colors.black,
            spaceAfter=points * 0.5 if name in {"Title", "Heading"} else 0,
            alignment=TA_CENTER if name == "Band" else 0,
        ))
    sheet["Subtitle"].textColor = colors.HexColor("#333333")
    sheet["Small"].textColor = colors.HexColor("#333333")
    sheet["Band"].textColor = colors.white
    return sheet


def clean_text(text: object) -> str:
    """Printable text from any value: control characters and lone surrogates dropped (a PDF
    cannot carry them), outer spaces trimmed."""
    value = "" if text is None else str(text)
    kept = (ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cs"})
    return "".join(kept).strip()


def para(text: object, style: ParagraphStyle) -> Paragraph:
    """A Paragraph of plain text: markup characters escaped, so names like "A&B <Shelter>" print
    as written; line breaks kept; any script (see ``markup``)."""
    return Paragraph(markup(text), style)


def markup(text: object) -> str:
    """Plain text as Paragraph markup that prints in any script a caller's name may come in.

    reportlab lays text out left to right, one glyph per character: Arabic and Hebrew are put in
    display order with Arabic letters in their joined forms first, and the characters DejaVu
    Sans has no glyph for (Chinese, Japanese, Korean) are set in the fallback font.
    """
    cleaned = clean_text(text)
    if _RIGHT_TO_LEFT.search(cleaned):
        cleaned = "\n".join(get_display(reshape(line)) for line in cleaned.split("\n"))
    covered = _dejavu_characters()
    runs = []
    for missing, characters in groupby(cleaned, key=lambda c: ord(c) not in covered
                                       and c != "\n"):
        run = escape("".join(characters))
        runs.append(f'<font name="{FALLBACK_FONT}">{run}</font>' if missing else run)
    return "".join(runs).replace("\n", "<br/>")


@cache
def _dejavu_characters() -> frozenset[int]:
    register_fonts()
    return frozenset(pdfmetrics.getFont(FONT).face.charToGlyph)


def table_style(*commands: tuple[Any, ...]) -> TableStyle:
    """A TableStyle whose cells default to DejaVu Sans: reportlab otherwise sets Helvetica on
    every cell, even an empty one, and that font would go into the PDF unembedded."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands])


def data_table(header: Sequence[str], rows: Sequence[Sequence[object]], sheet: StyleSheet1,
               col_widths: Sequence[float] | None = None) -> Table:
    """A ruled table with a bold header row that repeats on every page; cells wrap, rows never
    split across pages."""
    body = [[para(value, sheet["Cell"]) for value in row] for row in rows]
    table = Table([[para(title, sheet["CellHead"]) for title in header], *body],
                  colWidths=list(col_widths) if col_widths else None, repeatRows=1,
                  splitInRow=0)
    table.setStyle(table_style(
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E6E6E6")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F5F5F5")]),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ))
    return table


class _FurnishedCanvas(Canvas):
    """Holds every page until the end so each can say "Page N of M" with the real total."""

    def __init__(self, *args: Any, setup: PageSetup, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup = setup
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        words = texts(self._setup.language)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_furniture(words, number, len(self._pages))
            super().showPage()
        super().save()

    def _draw_furniture(self, words: Mapping[str, str], number: int, total: int) -> None:
        width, height = PAGE_SIZE
        size = _FURNITURE_SIZE * (LARGE_PRINT_SCALE if self._setup.large_print else 1.0)
        self.setFont(FONT, size)
        self.setFillColor(colors.HexColor("#444444"))
        page_text = words["page.number"].format(page=number, pages=total)
        self.drawRightString(width - MARGIN, MARGIN / 2, page_text)
        if self._setup.footer:
            room = CONTENT_WIDTH - stringWidth(page_text, FONT, size) - size * 2
            self.drawString(MARGIN, MARGIN / 2, _fitted(clean_text(self._setup.footer), room,
                                                        size))
        if self._setup.confidential:
            self._draw_band(words["page.confidential"], width, height)

    def _draw_band(self, label: str, width: float, height: float) -> None:
        band_height = 0.3 * inch
        top = height - BAND_INSET  # inside the edge most printers cannot reach
        self.setFillColor(_BAND_COLOR)
        self.rect(0, top - band_height, width, band_height, stroke=0, fill=1)
        self.setFillColor(colors.white)
        self.setFont(FONT_BOLD, 10)
        self.drawCentredString(width / 2, top - band_height + 0.1 * inch, label)


def _fitted(text: str, width: float, size: float) -> str:
    """``text`` shortened with an ellipsis until it fits ``width`` (one line of page furniture)."""
    if stringWidth(text, FONT, size) <= width:
        return text
    while text and stringWidth(text + "…", FONT, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def render(flowables: list[Flowable], setup: PageSetup, out: Path | BinaryIO) -> None:
    """Lay out ``flowables`` on US letter pages with the shared furniture and write the PDF.

    A path is written atomically (a temporary file beside it, then renamed) so a failed build
    never leaves half a PDF behind."""
    register_fonts()
    texts(setup.language)  # an unknown language fails before any layout work
    buffer = io.BytesIO()
    top = MARGIN + (0.3 * inch if setup.confidential else 0)
    document = SimpleDocTemplate(
        buffer, pagesize=PAGE_SIZE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=top,
        bottomMargin=MARGIN, title=clean_text(setup.title), author="", subject="", creator="",
        keywords="", lang=setup.language, initialFontName=FONT,
    )

    def canvas_maker(*args: Any, **kwargs: Any) -> _FurnishedCanvas:
        return _FurnishedCanvas(*args, setup=setup, **kwargs)

    document.build(list(flowables), canvasmaker=canvas_maker)
    if isinstance(out, Path):
        write_atomically(out, buffer.getvalue())
    else:
        out.write(buffer.getvalue())
