"""The Cases tab: the case list beside the case it opens."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget

from console.ui.cases.case_list import CaseListPanel
from console.ui.cases.detail.panel import CaseDetail
from console.ui.cases.services import CaseServices
from console.ui.taskman import TaskManager


class CasesTab(QSplitter):
    """List on the left, the chosen case on the right; a change in one refreshes the other."""

    def __init__(self, services: CaseServices, tasks: TaskManager,
                 parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setChildrenCollapsible(False)
        self.list = CaseListPanel(services, tasks)
        self.detail = CaseDetail(services, tasks)
        self.addWidget(self.list)
        self.addWidget(self.detail)
        self.setStretchFactor(0, 2)
        self.setStretchFactor(1, 3)
        self.list.sig_open_case.connect(self.open_case)
        self.detail.sig_shown.connect(self.list.keep_in_step_with)

    def open_case(self, case_id: str) -> None:
        self.detail.show_case(case_id)

    def refresh(self) -> None:
        self.list.refresh()
