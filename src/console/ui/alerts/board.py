"""The supervisor's board of open alerts and calls in progress: a band of the supervisor view
that is always there, so nothing appears or grows under the person's pointer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.sync.alerts import Alert, CallInProgress
from console.ui.alerts.desk import AlertDesk
from console.ui.alerts.slot import alert_line
from console.ui.cases.supervisor import Cell, SummaryTable, hour_text
from console.ui.intake.header import elapsed_text
from console.ui.labels import describe

CALLS_EVERY_MS = 10_000


class AlertBoard(QWidget):
    """Open alerts (with acknowledge) and calls in progress: the top band of the supervisor
    view."""

    def __init__(self, desk: AlertDesk, request_label: Callable[[str | None], str],
                 hotline_time: Callable[[datetime], datetime],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._desk, self._request_label, self._hotline_time = desk, request_label, hotline_time
        self._alert_ids: list[str] = []
        self.alert_table = SummaryTable(
            "Open alerts", "Specialists who need a supervisor now. Select one and press "
            "Acknowledge: the specialist sees that you are on it.",
            ("Raised", "Specialist", "Case", "Why"), "No open alerts.", stretch=3)
        self.acknowledge_button = QPushButton("Ac&knowledge")
        describe(self.acknowledge_button, "Acknowledge",
                 "Tell the specialist of the selected alert that you are on it")
        self.acknowledge_button.setEnabled(False)
        self.call_table = SummaryTable(
            "Calls in progress", "Calls open on the specialists' workstations now",
            ("Specialist", "Case", "Type", "Urgency", "For"),
            "No calls in progress.", stretch=2)
        self.problem = QLabel()
        self.problem.setAccessibleName("Live alerts problem")
        alerts_box = QGroupBox("Open &alerts")
        column = QVBoxLayout(alerts_box)
        column.addWidget(self.alert_table)
        buttons = QHBoxLayout()
        buttons.addWidget(self.problem, 1)
        buttons.addWidget(self.acknowledge_button)
        column.addLayout(buttons)
        calls_box = QGroupBox("Calls in p&rogress")
        QVBoxLayout(calls_box).addWidget(self.call_table)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(alerts_box, 5)
        row.addWidget(calls_box, 4)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._calls_timer = QTimer(self, interval=CALLS_EVERY_MS)
        self._calls_timer.timeout.connect(self.refresh_calls)
        self.acknowledge_button.clicked.connect(self.acknowledge_selected)
        self.alert_table.itemSelectionChanged.connect(self._selection_changed)
        desk.sig_open_alerts.connect(self.show_alerts)
        desk.sig_failed.connect(self.problem.setText)
        desk.sig_connection.connect(self._connection)

    def show_alerts(self, alerts: list[Alert]) -> None:
        chosen = self._selected_id()
        self._alert_ids = [alert.id for alert in alerts]
        self.alert_table.set_rows([self._alert_row(alert) for alert in alerts])
        if chosen in self._alert_ids:
            self.alert_table.selectRow(self._alert_ids.index(chosen))
        elif alerts:
            self.alert_table.selectRow(0)
        self._selection_changed()

    def _alert_row(self, alert: Alert) -> tuple[Cell, ...]:
        local = self._hotline_time(alert.raised_at)
        return (Cell(hour_text(local), alarm=True), Cell(alert.specialist),
                Cell(alert.case_number or "not numbered"),
                Cell("; ".join(alert.reasons), alert_line(alert)))

    def acknowledge_selected(self) -> None:
        alert_id = self._selected_id()
        if alert_id is not None:
            self.acknowledge_button.setEnabled(False)
            self._desk.acknowledge(alert_id)

    def refresh_calls(self) -> None:
        self._desk.calls_in_progress(self.show_calls)

    def show_calls(self, calls: list[CallInProgress]) -> None:
        now = datetime.now(UTC)
        self.call_table.set_rows([
            (Cell(call.user), Cell(call.number or "not numbered"),
             Cell(self._request_label(call.request_type)),
             Cell((call.urgency or "not set").capitalize(), alarm=call.urgency == "urgent"),
             Cell(elapsed_text((now - call.started_at).total_seconds())))
            for call in calls])

    def _selected_id(self) -> str | None:
        row = self.alert_table.currentRow()
        selected = self.alert_table.selectionModel().hasSelection()
        return self._alert_ids[row] if selected and 0 <= row < len(self._alert_ids) else None

    def _selection_changed(self) -> None:
        self.acknowledge_button.setEnabled(self._selected_id() is not None)

    def _connection(self, up: bool) -> None:
        self.problem.setText("" if up else "⚠ Live alerts are not reaching this screen: the "
                             "server cannot be reached. Trying again…")
        if up and self.isVisible():
            self.refresh_calls()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh_calls()
        self._calls_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._calls_timer.stop()
