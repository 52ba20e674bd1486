"""The workstation's alert feed (no screen) against a real server on loopback: an alert reaches a
supervisor within seconds and the acknowledgement comes back; a server that stops and starts
again loses nothing — an alert raised while it was away is kept, sent when it returns, and the
supervisor's feed picks up again by itself."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from console.server.config import ServerConfig
from console.sync.alerts import Alert, AlertFeed, AlertLink, AlertOutbox, new_alert
from console.sync.api import ServerUnreachable
from tests.live_server import LiveServer, live_server
from tests.server.conftest import workstation

pytestmark = pytest.mark.timeout(120)
DELIVERY_S = 5.0


@dataclass
class Screen:
    """What a feed has told its workstation: every alert by id, and whether it is connected."""

    alerts: dict[str, Alert] = field(default_factory=dict)
    connected: list[bool] = field(default_factory=list)

    def saw(self, alert: Alert) -> None:
        self.alerts[alert.id] = alert

    def connection(self, online: bool, _why: str | None) -> None:
        self.connected.append(online)


def wait_for(condition: Callable[[], bool], seconds: float = DELIVERY_S) -> float:
    """Seconds until ``condition`` held; fails the test past ``seconds``."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "not within the time allowed"
        time.sleep(0.01)
    return time.monotonic() - started


@contextmanager
def following(live: LiveServer, folder: Path, user: str) -> Iterator[tuple[AlertLink, Screen]]:
    with workstation(live, folder, user) as station:
        link = AlertLink(station.sync.api, AlertOutbox(station.cases))
        screen = Screen()
        feed = AlertFeed(link, screen.saw, screen.connection)
        feed.start()
        try:
            yield link, screen
        finally:
            feed.stop()
            assert not feed.running


def raise_one(reasons: tuple[str, ...] = ("A minor is involved",)) -> dict[str, Any]:
    return new_alert(str(uuid.uuid4()), "K7QD2X-0042", "crisis", reasons)


class Network:
    """A loopback relay to the server that can go down (open connections cut, new ones
    refused) and come back, as a supervisor's network does."""

    def __init__(self, target: str) -> None:
        host, port = target.removeprefix("http://").split(":")
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.up = True
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def drop(self) -> None:
        self.up = False
        with self._lock:
            doomed, self._open = self._open, set()
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self.drop()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65_536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def live(database_url: str) -> Iterator[LiveServer]:
    with live_server(database_url) as server:
        server.add_user("sam", "specialist")
        server.add_user("sue", "supervisor")
        yield server


def test_an_alert_reaches_the_supervisor_and_the_answer_comes_back(
        live: LiveServer, tmp_path: Path) -> None:
    with ExitStack() as stack:
        sam, sam_sees = stack.enter_context(following(live, tmp_path / "sam", "sam"))
        sue, sue_sees = stack.enter_context(following(live, tmp_path / "sue", "sue"))
        wait_for(lambda: sam_sees.connected[-1:] == [True] and sue_sees.connected[-1:] == [True])

        alert = raise_one()
        started = time.monotonic()
        sam.raise_alert(alert)
        wait_for(lambda: alert["id"] in sue_sees.alerts)
        delivered = time.monotonic() - started
        seen = sue_sees.alerts[alert["id"]]
        assert (seen.specialist, seen.case_number) == ("sam", "K7QD2X-0042")
        assert seen.reasons == ("A minor is involved",) and seen.open

        sue.acknowledge(alert["id"])
        answered = wait_for(lambda: alert["id"] in sam_sees.alerts
                            and not sam_sees.alerts[alert["id"]].open)
        assert sam_sees.alerts[alert["id"]].acknowledged_by == "sue"
        print(f"\nalert delivery: raised to on the supervisor's feed in {delivered * 1000:.0f} ms; "
              f"acknowledgement back to the specialist in {answered * 1000:.0f} ms")
        assert sam.outbox.pending() == []


def test_nothing_is_lost_while_the_server_is_away(database_url: str, tmp_path: Path) -> None:
    first = live_server(database_url)
    live = first.__enter__()
    live.add_user("sam", "specialist")
    live.add_user("sue", "supervisor")
    port = int(live.url.rsplit(":", 1)[1])
    with ExitStack() as stack:
        sam, _sam_sees = stack.enter_context(following(live, tmp_path / "sam", "sam"))
        _sue, sue_sees = stack.enter_context(following(live, tmp_path / "sue", "sue"))
        wait_for(lambda: sue_sees.connected[-1:] == [True])
        before = raise_one()
        sam.raise_alert(before)
        wait_for(lambda: before["id"] in sue_sees.alerts)

        first.__exit__(None, None, None)  # the server stops
        wait_for(lambda: sue_sees.connected[-1:] == [False], 15)
        during = raise_one(("The specialist asked for help now",))
        with pytest.raises(ServerUnreachable):
            sam.raise_alert(during)
        assert [kept["id"] for kept in sam.outbox.pending()] == [during["id"]]

        with live_server(database_url, port=port):  # back, on the same database
            back = wait_for(lambda: during["id"] in sue_sees.alerts, 15)
            assert sue_sees.alerts[during["id"]].reasons == ("The specialist asked for help now",)
            assert sam.outbox.pending() == []
            assert sue_sees.connected[-1] is True
            print(f"\nalert raised while the server was away: on the supervisor's feed "
                  f"{back:.1f} s after the server came back")


def test_a_supervisor_whose_network_drops_misses_nothing(live: LiveServer,
                                                         tmp_path: Path) -> None:
    network = Network(live.url)
    away = LiveServer(network.url, live.engine)  # the supervisor reaches the server through it
    try:
        with ExitStack() as stack:
            sam, _sam_sees = stack.enter_context(following(live, tmp_path / "sam", "sam"))
            sue, sue_sees = stack.enter_context(following(away, tmp_path / "sue", "sue"))
            wait_for(lambda: sue_sees.connected[-1:] == [True])
            before, during = raise_one(), raise_one()
            sam.raise_alert(before)
            wait_for(lambda: before["id"] in sue_sees.alerts)

            network.drop()
            wait_for(lambda: sue_sees.connected[-1:] == [False], 15)
            sam.raise_alert(during)  # raised while the supervisor is cut off
            with pytest.raises(ServerUnreachable):
                sue.acknowledge(before["id"])

            network.up = True
            back = wait_for(lambda: during["id"] in sue_sees.alerts, 15)
            assert sue_sees.connected[-1] is True
            assert [a.id for a in sue_sees.alerts.values() if a.open] == [before["id"],
                                                                          during["id"]]
            print(f"\nalert raised while the supervisor's network was down: on the feed "
                  f"{back:.1f} s after it came back")
    finally:
        network.close()


def test_expiring_sign_ins_renew_without_a_word(database_url: str, tmp_path: Path) -> None:
    """Access tokens good for three seconds: the stream ends with each, the feed comes back with
    a renewed one, and the sync sharing its connection renews in turn without either renewal
    looking like a stolen refresh token (which would end the sign-in)."""
    brief = ServerConfig(access_token_minutes=0.05)  # type: ignore[arg-type]
    with live_server(database_url, brief) as live:
        live.add_user("sam", "specialist")
        live.add_user("sue", "supervisor")
        with following(live, tmp_path / "sam", "sam") as (sam, _sam_sees), \
                workstation(live, tmp_path / "sue", "sue") as sue:
            sue_sees = Screen()
            feed = AlertFeed(AlertLink(sue.sync.api, AlertOutbox(sue.cases)), sue_sees.saw,
                             sue_sees.connection)
            feed.start()
            try:
                renewed_until = time.monotonic() + 8
                while time.monotonic() < renewed_until:
                    sue.sync.sync_once()  # signed in all along: no SignInNeeded
                    time.sleep(0.2)
                alert = raise_one()
                sam.raise_alert(alert)
                wait_for(lambda: alert["id"] in sue_sees.alerts)
            finally:
                feed.stop()


def test_a_workstation_reports_the_call_open_on_it(live: LiveServer, tmp_path: Path) -> None:
    with workstation(live, tmp_path / "sam", "sam") as sam, \
            workstation(live, tmp_path / "sue", "sue") as sue:
        case = sam.cases.create_case("crisis", "urgent", status="open", request_type="crisis")
        sam.sync.open_call = lambda: {"case_id": case["id"], "number": case["number"],
                                      "request_type": "crisis", "urgency": "urgent",
                                      "started_at": case["created_at"]}
        sam.sync.sync_once()
        board = AlertLink(sue.sync.api, AlertOutbox(sue.cases))
        [call] = board.calls_in_progress()
        assert (call.user, call.case_id, call.number) == ("sam", case["id"], case["number"])
        assert (call.request_type, call.urgency) == ("crisis", "urgent")

        sam.sync.open_call = lambda: None  # the call ended
        sam.sync.sync_once()
        assert board.calls_in_progress() == []
