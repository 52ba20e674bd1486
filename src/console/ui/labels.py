"""Naming controls for screen readers and tying labels to them, the same way in every panel."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
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


class ElidedLabel(QLabel):
    """One line of plain text that ends in "…" when its room is short, the whole text then in
    its tooltip: a narrow window shortens it instead of growing, and nothing is cut off unseen.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = self._tip = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
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
        return QSize(width + margins.left() + margins.right() + 2,
                     super().minimumSizeHint().height())

    def minimumSizeHint(self) -> QSize:
        hint = self.sizeHint()
        least = self.fontMetrics().averageCharWidth() * ELIDED_MINIMUM_CHARS
        return QSize(min(hint.width(), least), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight,
                                              self.contentsRect().width())
        super().setText(shown)
        self.setToolTip("\n\n".join(part for part in (
            self._full if shown != self._full else "", self._tip) if part))
