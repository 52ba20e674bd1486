"""The Cases tab: the case list beside the case it opens, or above it on a narrow screen."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QSplitter, QWidget

from console.ui.cases.case_list import CaseListPanel
from console.ui.cases.detail.panel import CaseDetail
from console.ui.cases.services import CaseServices
from console.ui.taskman import TaskManager

LIST_SHARE = 2  # fifths of the room the list gets; the case the rest


class CasesTab(QSplitter):
    """List on the left, the chosen case on the right; a change in one refreshes the other.

    Where the two do not fit side by side (a laptop screen), the case goes under the list
    rather than widening the window past the screen, hiding under the list or shortening the
    views' titles.
    """

    def __init__(self, services: CaseServices, tasks: TaskManager,
                 parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setChildrenCollapsible(False)
        self.list = CaseListPanel(services, tasks)
        self.detail = CaseDetail(services, tasks)
        self.addWidget(self.list)
        self.addWidget(self.detail)
        self.setStretchFactor(0, LIST_SHARE)
        self.setStretchFactor(1, 5 - LIST_SHARE)
        self.list.sig_open_case.connect(self.open_case)
        self.detail.sig_shown.connect(self.list.keep_in_step_with)

    def minimumSizeHint(self) -> QSize:
        """What the stacked layout needs: the least the tab can do with."""
        parts = [self.list.minimumSizeHint(), self.detail.minimumSizeHint()]
        return QSize(max(part.width() for part in parts),
                     sum(part.height() for part in parts) + self.handleWidth())

    def resizeEvent(self, event: QResizeEvent) -> None:
        # Side by side only where the list keeps every view's title whole beside the case.
        side_by_side = (self.list.width_for_every_view()
                        + self.detail.minimumSizeHint().width() + self.handleWidth())
        wanted = (Qt.Orientation.Horizontal if event.size().width() >= side_by_side
                  else Qt.Orientation.Vertical)
        if wanted != self.orientation():
            self.setOrientation(wanted)
            along = event.size().width() if wanted == Qt.Orientation.Horizontal \
                else event.size().height()
            self.setSizes([along * LIST_SHARE // 5, along * (5 - LIST_SHARE) // 5])
        super().resizeEvent(event)

    def open_case(self, case_id: str) -> None:
        self.detail.show_case(case_id)

    def refresh(self) -> None:
        self.list.refresh()
