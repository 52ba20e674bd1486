"""The status bar's alert slot: a fixed-width place that is always there, so nothing moves when
an alert arrives. Built at start for a supervisor, before the supervisor view is first opened."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from console.sync.alerts import Alert
from console.ui.alerts.desk import AlertDesk

SLOT_CHARACTERS = 40


def alert_line(alert: Alert) -> str:
    """One alert in a line: who, which case, why."""
    return (f"{alert.specialist} needs a supervisor — case {alert.case_number or 'not numbered'}:"
            f" {'; '.join(alert.reasons)}")


class AlertSlot(QLabel):
    """The status bar's place for open alerts: always there, the same width, loud when an
    alert waits."""

    def __init__(self, desk: AlertDesk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertSlot")
        self.setAccessibleName("Open supervisor alerts")
        self.setFixedWidth(self.fontMetrics().averageCharWidth() * SLOT_CHARACTERS)
        self.full_text = ""
        self._alerts: list[Alert] = []
        self._online = True  # until the stream says otherwise: nothing to warn of at start
        desk.sig_open_alerts.connect(self.show_alerts)
        desk.sig_connection.connect(self.show_connection)

    def show_alerts(self, alerts: list[Alert]) -> None:
        self._alerts = alerts
        self._show()

    def show_connection(self, online: bool) -> None:
        self._online = online
        self._show()

    def _show(self) -> None:
        alerts = self._alerts
        if alerts:
            more = f" (+{len(alerts) - 1} more)" if len(alerts) > 1 else ""
            self.full_text = f"⚠ ALERT{more} — F4: {alert_line(alerts[0])}"
        elif not self._online:
            self.full_text = ("Live alerts offline: the server cannot be reached; trying "
                              "again…")
        else:
            self.full_text = ""
        self.setProperty("active", bool(alerts))
        self.style().unpolish(self)  # the loud style's bold font, before measuring the text
        self.style().polish(self)
        self.setText(self.fontMetrics().elidedText(
            self.full_text, Qt.TextElideMode.ElideRight, self.contentsRect().width() - 16))
        self.setToolTip(self.full_text)
        self.setAccessibleDescription(self.full_text)
