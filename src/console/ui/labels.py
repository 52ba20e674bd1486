"""Naming controls for screen readers and tying labels to them, the same way in every panel."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent, QTextLayout
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

ELIDED_MINIMUM_CHARS = 8  # an elided line still shows this much before the "…"


def describe(widget: QWidget, name: str, tip: str) -> None:
    """Name a control for screen readers and explain it in a tooltip."""
    widget.setAccessibleName(name)
    widget.setToolTip(tip)


def buddy(text: str, widget: QWidget) -> QLabel:
    """A label whose mnemonic (the letter after "&") puts the focus in ``widget``."""
    label = QLabel(text)
    label.setBuddy(widget)
    return label


def elided_lines(text: str, font: QFont, width: int, lines: int) -> str:
    """``text`` word-wrapped at ``width``, cut to ``lines`` lines, the last ending in "…" when
    there was more."""
    layout = QTextLayout(text, font)
    layout.beginLayout()
    starts = []
    while len(starts) <= lines:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        starts.append(line.textStart())
    layout.endLayout()
    if len(starts) <= lines:
        return text
    last = starts[lines - 1]
    return text[:last] + QFontMetrics(font).elidedText(text[last:], Qt.TextElideMode.ElideRight,
                                                       width)


class ElidedLabel(QLabel):
    """A line (or ``lines`` lines) of plain text that ends in "…" when its room is short, the
    whole text then in its tooltip: a narrow window shortens it instead of growing, and nothing
    is cut off unseen."""

    def __init__(self, text: str = "", parent: QWidget | None = None, lines: int = 1) -> None:
        super().__init__(parent)
        self._full = self._tip = ""
        self._lines = lines
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(lines > 1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self.setAccessibleDescription(text)
        self.updateGeometry()
        self._elide()

    def set_tip(self, tip: str) -> None:
        """A tooltip always shown (after the whole text, when that is shortened)."""
        self._tip = tip
        self._elide()

    def text(self) -> str:
        """The whole text, however much of it is shown."""
        return self._full

    def shown_text(self) -> str:
        return super().text()

    def sizeHint(self) -> QSize:
        margins = self.contentsMargins()
        width = self.fontMetrics().horizontalAdvance(self._full)
        height = (self.fontMetrics().lineSpacing() * self._lines + margins.top()
                  + margins.bottom() if self._lines > 1 else super().minimumSizeHint().height())
        return QSize(width + margins.left() + margins.right() + 2, height)

    def minimumSizeHint(self) -> QSize:
        hint = self.sizeHint()
        least = self.fontMetrics().averageCharWidth() * ELIDED_MINIMUM_CHARS
        return QSize(min(hint.width(), least), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def heightForWidth(self, width: int) -> int:
        return self.sizeHint().height()  # the lines it was given, however long the text

    def _elide(self) -> None:
        width = self.contentsRect().width()
        shown = (elided_lines(self._full, self.font(), width, self._lines)
                 if self._lines > 1 else
                 self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width))
        super().setText(shown)
        self.setToolTip("\n\n".join(part for part in (
            self._full if shown != self._full else "", self._tip) if part))


class MessageSlot(ElidedLabel):
    """A message's place that is always there and always as high, quiet when it says nothing
    (its style sheet's ``active`` property), so nothing below it moves as messages come and go
    under the person's pointer."""

    def __init__(self, name: str, lines: int, padding: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(lines=lines, parent=parent)
        self.setObjectName(name)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.ensurePolished()  # the style sheet's font, before measuring the lines
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + padding)
        self.show_message("")

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setProperty("active", bool(text))
        self.style().unpolish(self)  # re-read the style sheet for the property
        self.style().polish(self)
