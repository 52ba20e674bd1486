"""The case's follow-up tasks, and due times from the hotline's business calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.cases.changes import (
    Case,
    case_vocabulary,
)
from console.cases.story import tasks
from console.cases.words import CaseWords
from console.protocol.calendar import NON_URGENT, ServiceChart, clock_text
from console.ui.cases.detail.parts import button, chosen_id, fill, row, table
from console.ui.cases.services import CaseServices
from console.ui.labels import buddy, describe

CUSTOM_DUE = "custom"


def due_choices(chart: ServiceChart, now: datetime) -> list[tuple[str, str]]:
    """Follow-up due times from the business calendar: (label, ISO UTC time)."""
    next_day = replace(chart, business_days=1).due(NON_URGENT, now).due_at
    in_days = chart.due(NON_URGENT, now).due_at
    return [(f"Next business day — {chart.time_text(next_day)}", next_day.isoformat()),
            (f"In {chart.business_days} business days — {chart.time_text(in_days)}",
             in_days.isoformat())]


class TasksSection(QWidget):
    """Follow-up tasks: what to do and by when; add one, mark one done."""

    sig_add = Signal(str, object)
    """(task text, ISO UTC due time or None) to add."""

    sig_done = Signal(str)
    """The id of the task to mark done."""

    sig_problem = Signal(str)
    """Something the person must fix before the task can be added."""

    def __init__(self, words: CaseWords, services: CaseServices,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._words, self._services = words, services
        self._open_ids: set[str] = set()
        self.table = table(("Task", "Due", "Done"), "Follow-up tasks",
                           "The case's follow-up tasks", stretch=0)
        self.done = button("Mark &done", "Mark done", "Mark the selected task as done")
        self.text = QLineEdit()
        self.text.setPlaceholderText("What to do, e.g. call the caller back on the safe number")
        self.text.setMaxLength(case_vocabulary().limits["short_text"])
        describe(self.text, "New task", "What needs doing next on this case")
        self.due = QComboBox()
        describe(self.due, "Task due", "When the task is due, on the hotline's business calendar")
        self.custom = QDateTimeEdit()
        self.custom.setCalendarPopup(True)
        self.custom.setDisplayFormat("ddd d MMM yyyy, h:mm AP")
        describe(self.custom, "Custom due time", "The due date and time on the hotline's clock")
        self.add = button("Add ta&sk", "Add task", "Add this follow-up task to the case")
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row(self.done))
        layout.addLayout(row(buddy("Ne&w task:", self.text), self.text, stretch=self.text))
        layout.addLayout(row(buddy("Due b&y:", self.due), self.due, self.custom,
                             QLabel("hotline time"), self.add))
        self.table.itemSelectionChanged.connect(self._enable)
        self.due.currentIndexChanged.connect(self._enable)
        self.text.textChanged.connect(self._enable)
        self.text.returnPressed.connect(self._add)
        self.done.clicked.connect(self._mark_done)
        self.add.clicked.connect(self._add)

    def show_case(self, case: Case, now: datetime) -> None:
        words, told = self._words, tasks(case)
        self._open_ids = {task.id for task in told if not task.done}
        fill(self.table, [(task.id, (task.text, words.when(task.due_at),
                                     words.task_state(task, now))) for task in told])
        self._offer_due_times(now)
        self._enable()

    def _offer_due_times(self, now: datetime) -> None:
        chart = self._services.protocol.service_chart
        chosen = self.due.currentIndex()
        self.due.clear()
        for label, due_at in due_choices(chart, now):
            self.due.addItem(label, due_at)
        self.due.addItem("A date and time of my choosing", CUSTOM_DUE)
        self.due.addItem("No set time", None)
        self.due.setCurrentIndex(max(chosen, 0))
        if self.due.currentData() != CUSTOM_DUE:
            local = chart.hotline_time(now + timedelta(days=1)).replace(second=0, microsecond=0)
            self.custom.setDateTime(local.replace(tzinfo=None))

    def _enable(self) -> None:
        chosen = chosen_id(self.table)
        self.done.setEnabled(chosen in self._open_ids)
        self.custom.setEnabled(self.due.currentData() == CUSTOM_DUE)
        self.add.setEnabled(bool(self.text.text().strip()))

    def _mark_done(self) -> None:
        chosen = chosen_id(self.table)
        if chosen in self._open_ids:
            self.sig_done.emit(chosen)

    def due_at(self, now: datetime) -> str | None:
        """The chosen due time as ISO UTC text (a custom one is read on the hotline's clock)."""
        chosen = self.due.currentData()
        if chosen != CUSTOM_DUE:
            return chosen
        chart = self._services.protocol.service_chart
        local = self.custom.dateTime().toPython().replace(tzinfo=chart.zone)
        if local <= now:
            raise ValueError(f"{clock_text(local)} has already passed; choose a later time.")
        return local.astimezone(UTC).isoformat()

    def _add(self) -> None:
        text = self.text.text().strip()
        if not text:
            return
        try:
            due_at = self.due_at(self._services.clock())
        except ValueError as problem:
            self.sig_problem.emit(str(problem))
            return
        self.sig_add.emit(text, due_at)
