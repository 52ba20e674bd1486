"""Sending a PDF to the printer chosen in the system print dialog.

pdfium draws each page at the printer's resolution (at most ``PRINT_DPI``: finer adds nothing on
paper, only memory) and the picture is painted on one sheet. Qt allows painting on a QPrinter off
the GUI thread, so a whole job runs on a worker and a long document never freezes the console.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, QRect, QSize, QSizeF, Qt
from PySide6.QtGui import QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter

from console.ui.printing.pages import draw_pages

PRINT_DPI = 300


class PrintFailed(RuntimeError):
    """The printer would not take the job, or a page of it."""


def printer_for(title: str, paper_points: tuple[float, float]) -> QPrinter:
    """A printer set up for one document: its name in the queue and its paper size."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(title)
    printer.setPageSize(QPageSize(QSizeF(*paper_points), QPageSize.Unit.Point, "",
                                  QPageSize.SizeMatchPolicy.FuzzyMatch))
    # The PDF carries its own margins: painting on the whole sheet keeps them as designed.
    printer.setFullPage(True)
    return printer


def chosen_pages(printer: QPrinter, count: int) -> list[int]:
    """The pages (numbered from 0) the print dialog asked for, in printing order, once per copy
    the printer cannot make by itself."""
    if printer.printRange() == QPrinter.PrintRange.PageRange:
        ranges = printer.pageRanges()
        pages = [index for index in range(count) if ranges.contains(index + 1)]
    else:
        pages = list(range(count))
    if printer.pageOrder() == QPrinter.PageOrder.LastPageFirst:
        pages.reverse()
    copies = 1 if printer.supportsMultipleCopies() else printer.copyCount()
    return pages * copies


def destination(printer: QPrinter) -> str:
    """Where the printer sends pages, in words: its name, or the file it writes."""
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
        return printer.outputFileName()
    return printer.printerName() or "the printer"


def print_pages(pdf: bytes, printer: QPrinter, pages: Sequence[int]) -> int:
    """Paint ``pages`` of ``pdf`` on ``printer``, one per sheet; the number of sheets sent."""
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintFailed(f"{destination(printer)} could not be opened")
    try:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        dpi = min(printer.resolution(), PRINT_DPI)
        for sheet, page in enumerate(draw_pages(pdf, dpi, pages)):
            if sheet and not printer.newPage():
                raise PrintFailed(f"{destination(printer)} did not take page {sheet + 1}")
            image = page.to_qimage()
            painter.drawImage(_fitted(image.size(), painter.viewport()), image)
    finally:
        painter.end()
    if printer.printerState() == QPrinter.PrinterState.Error:
        raise PrintFailed(f"{destination(printer)} reported an error")
    return len(pages)


def _fitted(size: QSize, area: QRect) -> QRect:
    """``size`` grown or shrunk to fill ``area`` without distortion, centred in it."""
    fitted = size.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    corner = QPoint(area.x() + (area.width() - fitted.width()) // 2,
                    area.y() + (area.height() - fitted.height()) // 2)
    return QRect(corner, fitted)
