"""A PDF's pages drawn as pictures, for the preview on screen and for the printer.

pdfium draws the pages. It must never run on two threads at once, whatever the documents
(pypdfium2's rule), and previews and print jobs all run on the shared background lane, so every
call into it holds ``_PDFIUM``. Pages are drawn to plain bytes on the worker; ``to_qimage`` makes
the picture wherever it is needed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium
from PySide6.QtGui import QImage

POINTS_PER_INCH = 72
_PDFIUM = threading.Lock()


@dataclass(frozen=True)
class PageImage:
    """One page drawn in RGBX pixels, and the size of its paper in points."""

    pixels: bytes
    width: int
    height: int
    stride: int
    paper_points: tuple[float, float]

    def to_qimage(self) -> QImage:
        image = QImage(self.pixels, self.width, self.height, self.stride,
                       QImage.Format.Format_RGBX8888)
        return image.copy()  # a QImage only borrows the bytes it is made from: own them


def draw_pages(pdf: bytes, dpi: float, pages: Sequence[int] | None = None
               ) -> Iterator[PageImage]:
    """Draw ``pages`` (numbered from 0; all of them when None) one at a time, at ``dpi``.

    Pages are drawn lazily so a long print job holds one page in memory, and pdfium is free for
    other work between pages.
    """
    with _PDFIUM:
        document = pdfium.PdfDocument(pdf)
        wanted = range(len(document)) if pages is None else pages
    try:
        for index in wanted:
            with _PDFIUM:
                drawn = _draw(document, index, dpi)
            yield drawn
    finally:
        with _PDFIUM:
            document.close()


def _draw(document: pdfium.PdfDocument, index: int, dpi: float) -> PageImage:
    page = document[index]
    try:
        # RGBX: four bytes a pixel, in an order QImage reads the same on every processor.
        bitmap = page.render(scale=dpi / POINTS_PER_INCH, prefer_bgrx=True, rev_byteorder=True)
        try:
            return PageImage(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride,
                             page.get_size())
        finally:
            bitmap.close()
    finally:
        page.close()
