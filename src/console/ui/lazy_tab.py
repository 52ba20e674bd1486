"""A workspace tab whose content is built the first time it is needed.

The Cases and Supervisor tabs are not part of the first screen: building them (and importing
what they show) at start would only delay the triage page a specialist is waiting for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

Content = TypeVar("Content", bound=QWidget)


class LazyTab(QWidget, Generic[Content]):
    """Holds the place of a tab's content; ``content`` builds it on first use (or first show)."""

    def __init__(self, build: Callable[[], Content], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build = build
        self._content: Content | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    @property
    def built(self) -> bool:
        return self._content is not None

    @property
    def content(self) -> Content:
        if self._content is None:
            self._content = self._build()
            self._layout.addWidget(self._content)
        return self._content

    def showEvent(self, event: QShowEvent) -> None:
        self.content  # noqa: B018 - built as it comes into view
        super().showEvent(event)
