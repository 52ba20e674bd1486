"""The call header: what kind of call, how urgent, when it is due, the clocks that matter.

Hotline time (Eastern) and the caller's own time sit side by side, so "call me after six" is
never misread across time zones; the running timer starts when the contact was triaged.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QWidget

from console.protocol.calendar import Due, ServiceChart
from console.ui.labels import ElidedLabel

URGENT = "urgent"


def time_of_day(at: datetime) -> str:
    return f"{at:%I:%M %p}".lstrip("0") + f" {at:%Z}"


def elapsed_text(seconds: float) -> str:
    minutes, seconds = divmod(int(max(seconds, 0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


class CallHeader(QFrame):
    """A strip above the intake tabs; refreshed by ``show_*`` calls and once a second."""

    def __init__(self, chart: ServiceChart, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callHeader")
        self._chart = chart
        self._started: datetime | None = None
        self._caller_zone: tzinfo | None = None
        self._caller_zone_source = ""
        self.title = ElidedLabel()
        self.title.setObjectName("callTitle")
        self.number = QLabel()
        self.number.setObjectName("caseNumber")
        self.urgency = QLabel()
        self.urgency.setObjectName("urgencyBadge")
        # One line each, so the header keeps its height as reasons are added.
        self.reasons = ElidedLabel()
        self.due = ElidedLabel()
        self.timer = QLabel()
        self.timer.setObjectName("callTimer")
        # As wide as an hour-long call from the start, so the clocks beside it never shift.
        self.timer.setMinimumWidth(self.timer.fontMetrics().horizontalAdvance("On call 0:00:00 "))
        self.hotline_clock = QLabel()
        self.caller_clock = ElidedLabel()
        # Where a supervisor alert stands: beside the due time, in a place that is always there,
        # so it never pushes the form down nor widens the window (the whole story is its tooltip
        # and, when it went wrong, the status bar's message).
        self.alert_status = ElidedLabel()
        self.alert_status.setObjectName("alertStatus")
        # Room around the words as margins, not style-sheet padding: the shortening measures
        # the margins and would leave the last letter under padding it does not know of.
        self.alert_status.setContentsMargins(4, 2, 4, 2)
        labels = {self.title: "Call type", self.number: "Case number", self.urgency: "Urgency",
                  self.reasons: "Why urgent", self.due: "Due", self.timer: "Call duration",
                  self.hotline_clock: "Hotline time", self.caller_clock: "Caller's local time",
                  self.alert_status: "Supervisor alert"}
        for label, name in labels.items():
            label.setAccessibleName(name)
        # Two halves whatever the width, so nothing jumps as the texts change: the call on the
        # left, the clocks on the right, why urgent and by when below them; a line too long for
        # its half ends in "…", whole in its tooltip, rather than widening the window.
        who = QHBoxLayout()
        who.setSpacing(14)
        who.addWidget(self.title)
        who.addWidget(self.number)
        who.addWidget(self.urgency)
        who.addStretch(1)
        clocks = QHBoxLayout()
        clocks.setSpacing(14)
        clocks.addWidget(self.timer)
        clocks.addWidget(self.hotline_clock)
        clocks.addWidget(self.caller_clock, 1)
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(18)
        when = QHBoxLayout()
        when.setSpacing(14)
        when.addWidget(self.due, 1)
        when.addWidget(self.alert_status)
        grid.addLayout(who, 0, 0)
        grid.addLayout(clocks, 0, 1)
        grid.addWidget(self.reasons, 1, 0)
        grid.addLayout(when, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.refresh_clocks)

    def start(self, title: str, started_at: datetime, number: str) -> None:
        """A new call: its type and case number (people read it out from the first minute)."""
        self.title.setText(title)
        self.number.setText(f"Case {number}")
        self._started = started_at
        self._caller_zone = None
        self._caller_zone_source = ""
        self.show_alert_status("", "")
        self.refresh_clocks()
        self._tick.start()

    def stop(self) -> None:
        self._tick.stop()

    def show_urgency(self, urgency: str, reasons: tuple[str, ...], due: Due) -> None:
        urgent = urgency == URGENT
        self.urgency.setText("URGENT" if urgent else "Non-urgent")
        self.urgency.setProperty("urgent", urgent)
        self.urgency.style().unpolish(self.urgency)  # re-read the style sheet for the property
        self.urgency.style().polish(self.urgency)
        self.reasons.setText(("Urgent because: " if urgent else "") + "; ".join(reasons))
        self.due.setText(due.explanation)

    def show_alert_status(self, text: str, tone: str, whole: str = "") -> None:
        """Where the supervisor alert stands, in a few words (``whole``: all of it)."""
        self.alert_status.setText(text)
        self.alert_status.set_tip(whole if whole != text else "")
        self.alert_status.setAccessibleDescription(whole or text)
        self.alert_status.setProperty("tone", tone)
        self.alert_status.style().unpolish(self.alert_status)
        self.alert_status.style().polish(self.alert_status)

    def show_caller_zone(self, zone: tzinfo | None, source: str) -> None:
        self._caller_zone, self._caller_zone_source = zone, source
        self.refresh_clocks()

    def refresh_clocks(self) -> None:
        now = datetime.now(UTC)
        self.hotline_clock.setText(f"Hotline {time_of_day(self._chart.hotline_time(now))}")
        if self._caller_zone is None:
            self.caller_clock.setText("Caller: time unknown (no ZIP or state yet)")
        else:
            local = time_of_day(now.astimezone(self._caller_zone))
            self.caller_clock.setText(f"Caller {local} ({self._caller_zone_source})")
        if self._started is not None:
            self.timer.setText(f"On call {elapsed_text((now - self._started).total_seconds())}")
