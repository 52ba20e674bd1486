"""Live supervisor alerts on the workstation (Qt-free): raise one, follow them, acknowledge one.

``AlertLink`` talks to the server (``console.server.alerts``). Every alert raised goes into an
outbox in the person's own case store before it is sent, and leaves it only once the server has
taken it: an alert raised while the server cannot be reached is sent the moment it can, even
after a restart. ``AlertFeed`` follows the server's stream of alerts (server-sent events) in a
thread of its own: it sends what waits in the outbox, then reads events until it is stopped;
a connection that drops or goes silent is opened again with backoff, resuming after the last
event it saw, so no alert is missed.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from console.cases.store import CaseStore
from console.sync.api import BadReply, ServerApi, ServerRefused, SyncError, expect
from console.sync.client import Backoff

log = logging.getLogger(__name__)

OUTBOX_KEY = "alert_outbox"
# The server sends a beat every two seconds: this long without a byte means the link is dead.
STREAM_TIMEOUT = (5.0, 10.0, 10.0, 10.0)  # connect, read, write, pool (as httpx takes it)
# Reconnecting: quickly at first (an alert must get through within seconds of the network's
# return), never more often than every few seconds while the server stays away.
RECONNECT_BASE_S, RECONNECT_CAP_S = 0.5, 5.0
STOP_WAIT_S = 5.0


@dataclass(frozen=True)
class Alert:
    """An alert as the server has it: who, which case, why, when, and who answered."""

    id: str
    seq: int
    case_id: str
    case_number: str | None
    call_type: str | None
    specialist: str
    reasons: tuple[str, ...]
    raised_at: datetime
    acknowledged_by: str | None = None

    @property
    def open(self) -> bool:
        return self.acknowledged_by is None

    @classmethod
    def from_reply(cls, reply: dict[str, Any]) -> Alert:
        reasons = expect(reply, "reasons", list, lambda v: all(isinstance(r, str) for r in v))
        return cls(expect(reply, "id", str), expect(reply, "seq", int),
                   expect(reply, "case_id", str), _text_or_none(reply, "case_number"),
                   _text_or_none(reply, "call_type"), expect(reply, "specialist", str),
                   tuple(reasons), _time(reply, "raised_at"),
                   _text_or_none(reply, "acknowledged_by"))


@dataclass(frozen=True)
class CallInProgress:
    """A call open on a workstation, as it last reported."""

    user: str
    case_id: str
    number: str | None
    request_type: str
    urgency: str | None
    started_at: datetime

    @classmethod
    def from_reply(cls, reply: dict[str, Any]) -> CallInProgress:
        return cls(expect(reply, "user", str), expect(reply, "case_id", str),
                   _text_or_none(reply, "number"), expect(reply, "request_type", str),
                   _text_or_none(reply, "urgency"), _time(reply, "started_at"))


def _text_or_none(reply: dict[str, Any], key: str) -> str | None:
    return None if reply.get(key) is None else expect(reply, key, str)


def _time(reply: dict[str, Any], key: str) -> datetime:
    try:
        return datetime.fromisoformat(expect(reply, key, str)).astimezone(UTC)
    except ValueError:
        raise BadReply(f"the server's reply has a bad {key!r}") from None


def new_alert(case_id: str, case_number: str | None, call_type: str | None,
              reasons: list[str] | tuple[str, ...], now: datetime | None = None
              ) -> dict[str, Any]:
    """An alert to raise, with an id of its own (so sending it twice stores it once)."""
    return {"id": str(uuid.uuid4()), "case_id": case_id, "case_number": case_number,
            "call_type": call_type, "reasons": list(reasons),
            "raised_at": (now or datetime.now(UTC)).isoformat()}


class AlertOutbox:
    """Alerts raised and not yet taken by the server, in the person's case store."""

    def __init__(self, cases: CaseStore) -> None:
        self._cases = cases
        self._lock = threading.Lock()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return self._read()

    def add(self, alert: dict[str, Any]) -> None:
        with self._lock:
            self._write([*self._read(), alert])

    def remove(self, alert_id: str) -> None:
        with self._lock:
            self._write([alert for alert in self._read() if alert["id"] != alert_id])

    def _read(self) -> list[dict[str, Any]]:
        text = self._cases.get_state(OUTBOX_KEY)
        return list(orjson.loads(text)) if text else []

    def _write(self, alerts: list[dict[str, Any]]) -> None:
        self._cases.set_state(OUTBOX_KEY, orjson.dumps(alerts).decode())


class AlertLink:
    """The server's alert calls, with the outbox in front of raising."""

    def __init__(self, api: ServerApi, outbox: AlertOutbox) -> None:
        self.api, self.outbox = api, outbox

    def raise_alert(self, alert: dict[str, Any]) -> Alert:
        """Keep the alert, then send it; raises ``SyncError`` when it did not get through (it
        stays kept, and ``flush`` sends it later)."""
        self.outbox.add(alert)
        return self._send(alert)

    def flush(self) -> list[Alert]:
        """Send every kept alert, oldest first; stops at the first that does not get through."""
        return [self._send(alert) for alert in self.outbox.pending()]

    def _send(self, alert: dict[str, Any]) -> Alert:
        try:
            reply = self.api.post("/alerts", alert)
        except ServerRefused as refused:
            if refused.status != 429 and refused.status < 500:
                # The server will never take this one (it says why): keeping it would only
                # block the alerts behind it.
                self.outbox.remove(alert["id"])
            raise
        self.outbox.remove(alert["id"])
        return Alert.from_reply(reply)

    def acknowledge(self, alert_id: str) -> Alert:
        return Alert.from_reply(self.api.post(f"/alerts/{alert_id}/acknowledge", {}))

    def calls_in_progress(self) -> list[CallInProgress]:
        calls = expect(self.api.get("/calls/in-progress"), "calls", list)
        if not all(isinstance(call, dict) for call in calls):
            raise BadReply("the server's list of calls in progress is not a list of calls")
        return [CallInProgress.from_reply(call) for call in calls]


class AlertFeed:
    """Follows the alert stream in a thread of its own until ``stop``.

    ``on_alert`` gets every alert raised or acknowledged (and those still open when the feed
    starts); ``on_connection`` gets (True, None) once the stream is open and (False, why) when
    it is lost. Both are called on the feed's thread.
    """

    def __init__(self, link: AlertLink, on_alert: Callable[[Alert], None],
                 on_connection: Callable[[bool, str | None], None],
                 backoff: Backoff | None = None) -> None:
        self._link, self._on_alert, self._on_connection = link, on_alert, on_connection
        self._backoff = backoff or Backoff(RECONNECT_BASE_S, RECONNECT_CAP_S)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.cursor = 0  # the last event's number: a reconnection resumes after it

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alert-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop following; returns once the thread has ended (within a beat or two)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(STOP_WAIT_S)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                for alert in self._link.flush():
                    self._on_alert(alert)
                self._follow()
            except Exception as error:  # whatever stops it, the feed tries again (or ends)
                if self._stopping.is_set():
                    return  # the connection may have been closed under the stopping feed
                if isinstance(error, SyncError):
                    log.info("alert stream lost: %s", error)
                else:
                    log.error("alert stream stopped by an unexpected error", exc_info=error)
                self._on_connection(False, str(error))
                self._stopping.wait(self._backoff.next_delay())

    def _follow(self) -> None:
        from httpx_sse import EventSource, SSEError  # with the network, not at start-up

        with self._link.api.stream("/alerts/stream", {"after": self.cursor},
                                   STREAM_TIMEOUT) as response:
            self._backoff.reset()
            self._on_connection(True, None)
            try:
                for event in EventSource(response).iter_sse():
                    if self._stopping.is_set():
                        return
                    if event.event == "alert":
                        self._on_alert(Alert.from_reply(_object(event.data)))
                    if event.id:
                        self.cursor = int(event.id)
            except (SSEError, ValueError) as error:
                raise BadReply(f"the alert stream cannot be read: {error}") from None


def _object(data: str) -> dict[str, Any]:
    value = orjson.loads(data)
    if not isinstance(value, dict):
        raise BadReply("an alert is not a JSON object")
    return value
