"""The window's live supervisor alerts: raising them from the call, following them, answering.

The work is ``console.sync.alerts``'s: this object runs it off the GUI thread (raising and
acknowledging on the background lane, the stream in the feed's own thread, stopped on close)
and turns what happens into signals on the GUI thread. The feed starts once the sync runner has
a connection to the server; an alert raised before then waits in the outbox and goes with the
feed's first breath.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from console.app import Workstation
from console.cases.changes import Case
from console.sync.alerts import Alert, AlertFeed, AlertLink, AlertOutbox, CallInProgress, new_alert
from console.sync.api import ServerUnreachable
from console.sync.client import CASE_ROLES as WORKS_CASES
from console.ui.sync_runner import SyncRunner
from console.ui.taskman import TaskManager

# How loud a line about an alert is (the style sheet's "tone" property).
ALARM, WAITING_TONE, CALM = "alarm", "waiting", "ok"

log = logging.getLogger(__name__)

HELP_KEY = "F12"  # the window's "I need help now"
SENDING, NOT_DELIVERED, WAITING, ANSWERED = "sending", "not-delivered", "waiting", "answered"


@dataclass(frozen=True)
class CallAlertState:
    """Where the newest alert about a case stands, for the specialist's call header."""

    case_id: str
    state: str  # SENDING, NOT_DELIVERED, WAITING or ANSWERED
    supervisor: str | None = None
    problem: str | None = None


class AlertDesk(QObject):
    """Raises, follows and acknowledges alerts for one signed-in person."""

    sig_call_state = Signal(object)
    """The newest alert about a case changed state (a ``CallAlertState``)."""

    sig_open_alerts = Signal(list)
    """The alerts nobody has acknowledged yet, oldest first (supervisors see everyone's)."""

    sig_new_alert = Signal(object)
    """An alert not seen before arrived from the server (an ``Alert``)."""

    sig_connection = Signal(bool)
    """The alert stream opened (True) or was lost (False)."""

    sig_failed = Signal(str)
    """Acknowledging or listing failed; the message says why."""

    _sig_raise = Signal(object)  # an alert body, from the thread that saved the case
    _sig_alert = Signal(object)  # an ``Alert``, from the feed's thread
    _sig_link = Signal(bool)  # the stream's state, from the feed's thread

    def __init__(self, workstation: Workstation, tasks: TaskManager, runner: SyncRunner,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks, self._runner = tasks, runner
        self.user, self.user_role = workstation.user, workstation.role
        self._outbox = AlertOutbox(workstation.cases)
        self._link: AlertLink | None = None
        self._feed: AlertFeed | None = None
        self.alerts: dict[str, Alert] = {}  # every alert the server has told of, by id
        self._newest_by_case: dict[str, str] = {}  # case id -> the newest alert raised here
        self._undelivered: set[str] = set()  # alert ids the server has not taken yet
        self.online = False
        self._stopped = False
        workstation.desk.alert_listeners.append(self._raised_on_desk)
        self._sig_raise.connect(self._send)
        self._sig_alert.connect(self._arrived)
        self._sig_link.connect(self._link_changed)
        runner.sig_status.connect(lambda _status: self._start_feed())

    # --- raising (specialist) -------------------------------------------------------------

    def _raised_on_desk(self, case: Case, reasons: list[str]) -> None:
        """On the thread that saved the case: hand the alert to the GUI thread to send."""
        self._sig_raise.emit(new_alert(case["id"], case.get("number"),
                                       case.get("request_type"), reasons))

    def _send(self, body: dict[str, Any]) -> None:
        case_id = body["case_id"]
        self._newest_by_case[case_id] = body["id"]
        self.sig_call_state.emit(CallAlertState(case_id, SENDING))
        link, outbox = self._link, self._outbox

        def send() -> Alert:
            if link is None:
                outbox.add(body)
                raise ServerUnreachable("not connected to the server yet")
            return link.raise_alert(body)

        self._tasks.run(send, self._arrived, lambda error: self._not_delivered(body, error))

    def _not_delivered(self, body: dict[str, Any], error: Exception) -> None:
        log.warning("supervisor alert not delivered: %s", error)
        if body["id"] not in self.alerts:
            self._undelivered.add(body["id"])
        if self._newest_by_case.get(body["case_id"]) == body["id"] and body["id"] not in \
                self.alerts:
            self.sig_call_state.emit(CallAlertState(body["case_id"], NOT_DELIVERED,
                                                    problem=str(error)))

    # --- following ------------------------------------------------------------------------

    def _start_feed(self) -> None:
        connection = self._runner.connection
        if self._feed is not None or connection is None or self._stopped \
                or self.user_role not in WORKS_CASES:
            return
        self._link = AlertLink(connection.client.api, self._outbox)
        self._feed = AlertFeed(self._link, self._sig_alert.emit, lambda up, _why:
                               self._sig_link.emit(up))
        self._feed.start()

    def _arrived(self, alert: Alert) -> None:
        new = alert.id not in self.alerts
        self.alerts[alert.id] = alert
        self._undelivered.discard(alert.id)
        if self._newest_by_case.get(alert.case_id) == alert.id or (
                alert.specialist == self.user and alert.case_id not in self._newest_by_case):
            self._newest_by_case[alert.case_id] = alert.id
            self.sig_call_state.emit(CallAlertState(
                alert.case_id, WAITING if alert.open else ANSWERED, alert.acknowledged_by))
        if new and alert.open and alert.specialist != self.user:
            self.sig_new_alert.emit(alert)
        self.sig_open_alerts.emit(self.open_alerts())

    def _link_changed(self, up: bool) -> None:
        self.online = up
        self.sig_connection.emit(up)

    def open_alerts(self) -> list[Alert]:
        """Newest first: the board shows a few rows, and the alert just raised is the one no
        supervisor has seen yet."""
        return sorted((alert for alert in self.alerts.values() if alert.open),
                      key=lambda alert: alert.seq, reverse=True)

    def state_of(self, case_id: str) -> CallAlertState | None:
        """Where the newest alert raised about ``case_id`` stands (None: none raised)."""
        alert_id = self._newest_by_case.get(case_id)
        if alert_id is None:
            return None
        alert = self.alerts.get(alert_id)
        if alert is None:
            return CallAlertState(case_id, NOT_DELIVERED if alert_id in self._undelivered
                                  else SENDING)
        return CallAlertState(case_id, WAITING if alert.open else ANSWERED,
                              alert.acknowledged_by)

    # --- answering (supervisor) -----------------------------------------------------------

    def acknowledge(self, alert_id: str) -> None:
        link = self._link
        if link is None:
            self.sig_failed.emit("Not connected to the server: the alert cannot be "
                                 "acknowledged yet. Go to the specialist in person.")
            return
        self._tasks.run(lambda: link.acknowledge(alert_id), self._arrived,
                        lambda error: self.sig_failed.emit(f"Could not acknowledge: {error}"))

    def calls_in_progress(self, on_done: Callable[[list[CallInProgress]], None]) -> None:
        """Read the calls in progress off the GUI thread; ``on_done(list)`` with them."""
        link = self._link
        if link is None:
            return

        def read() -> list[CallInProgress]:
            return link.calls_in_progress()

        self._tasks.run(read, on_done,
                        lambda error: self.sig_failed.emit(f"Calls in progress: {error}"))

    def stop(self) -> None:
        """End the stream (on close), before the server connection goes; for good."""
        self._stopped = True
        if self._feed is not None:
            self._feed.stop()
            self._feed = None


def call_status_text(state: CallAlertState) -> tuple[str, str, str]:
    """The call header's words for where the alert stands (short, to fit the header), the
    whole story (tooltip, status bar), and their tone."""
    if state.state == ANSWERED:
        words = f"Supervisor {state.supervisor} is on it"
        return words, words, CALM
    if state.state == NOT_DELIVERED:
        return ("⚠ Alert NOT delivered", "⚠ Supervisor alert NOT delivered: the server cannot "
                "be reached. Tell your supervisor in person; the console keeps trying and says "
                "so here when it gets through.", ALARM)
    if state.state == SENDING:
        return "Alerting supervisor…", "Alerting your supervisors…", WAITING_TONE
    return ("Supervisor alerted", "Supervisor alerted — waiting for one to answer",
            WAITING_TONE)
