"""The print preview: a document's pages one under another, as wide as the view.

Pages are drawn once by pdfium (off the GUI thread) and only scaled here, page by page as they
scroll into sight, so resizing or scrolling a long document stays smooth.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import QScrollArea, QSizePolicy, QWidget

MARGIN, GAP, SHADOW = 16, 18, 4
MIN_PAGE_WIDTH = 120
DESK = QColor("#5f6670")
SHADE = QColor(0, 0, 0, 90)
EDGE = QColor("#3a3f45")
NOTE = QColor("#f3f5f8")


class _Sheets(QWidget):
    """Paints the pages on a dark desk, each with a thin edge and a shadow."""

    def __init__(self) -> None:
        super().__init__()
        self._pages: list[QImage] = []
        self._scaled: dict[int, QPixmap] = {}  # page index -> page at the current width
        self._note = ""
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setAccessibleName("Pages")

    def show_pages(self, pages: list[QImage]) -> None:
        self._pages, self._scaled, self._note = pages, {}, ""
        self.updateGeometry()
        self.update()

    def show_note(self, note: str) -> None:
        """Nothing to show yet, or any more: say why in the middle of the desk."""
        self._pages, self._scaled, self._note = [], {}, note
        self.updateGeometry()
        self.update()

    def page_count(self) -> int:
        return len(self._pages)

    def page_rects(self, width: int) -> list[QRect]:
        """Where each page sits when the view is ``width`` wide."""
        page_width = max(width - 2 * MARGIN, MIN_PAGE_WIDTH)
        rects, top = [], MARGIN
        for page in self._pages:
            height = round(page_width * page.height() / page.width())
            rects.append(QRect(MARGIN, top, page_width, height))
            top += height + GAP
        return rects

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        rects = self.page_rects(width)
        return rects[-1].bottom() + MARGIN if rects else 0

    def sizeHint(self) -> QSize:
        return QSize(MIN_PAGE_WIDTH + 2 * MARGIN, self.heightForWidth(self.width()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        if event.size().width() != event.oldSize().width():
            self._scaled = {}
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), DESK)
        if not self._pages:
            painter.setPen(NOTE)
            painter.drawText(self.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._note)
            return
        for index, rect in enumerate(self.page_rects(self.width())):
            if rect.adjusted(0, 0, SHADOW, SHADOW).intersects(event.rect()):
                painter.fillRect(rect.translated(SHADOW, SHADOW), SHADE)
                painter.drawPixmap(rect, self._page_at(index, rect.size()))
                painter.setPen(EDGE)
                painter.drawRect(rect.adjusted(0, 0, -1, -1))

    def _page_at(self, index: int, size: QSize) -> QPixmap:
        if index not in self._scaled:
            ratio = self.devicePixelRatioF()
            image = self._pages[index].scaled(size * ratio, Qt.AspectRatioMode.IgnoreAspectRatio,
                                              Qt.TransformationMode.SmoothTransformation)
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(ratio)
            self._scaled[index] = pixmap
        return self._scaled[index]


class PagePreview(QScrollArea):
    """Scrollable pages, fit to the view's width, telling which page is in sight."""

    sig_page_in_sight = Signal(int, int)
    """(page, pages): the page, counted from 1, filling most of the view, and how many there are."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sheets = _Sheets()
        self.setWidget(self._sheets)
        self.setWidgetResizable(True)
        # A bar that comes and goes would change the width, hence every page's height, hence
        # whether the bar is needed: keep it.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.verticalScrollBar().setSingleStep(40)
        self.verticalScrollBar().valueChanged.connect(self._tell_page_in_sight)

    def show_pages(self, pages: list[QImage]) -> None:
        self._sheets.show_pages(pages)
        self.verticalScrollBar().setValue(0)
        self._tell_page_in_sight()

    def show_note(self, note: str) -> None:
        self._sheets.show_note(note)
        self._tell_page_in_sight()

    def page_count(self) -> int:
        return self._sheets.page_count()

    def page_in_sight(self) -> int:
        """The page (from 1) across the middle of the view; 0 with no pages."""
        middle = self.verticalScrollBar().value() + self.viewport().height() // 2
        rects = self._sheets.page_rects(self._sheets.width())
        if not rects:
            return 0
        return 1 + sum(1 for rect in rects[1:] if rect.top() - GAP <= middle)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._tell_page_in_sight()

    def _tell_page_in_sight(self) -> None:
        self.sig_page_in_sight.emit(self.page_in_sight(), self.page_count())
