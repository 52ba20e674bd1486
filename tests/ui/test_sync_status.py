"""The status bar against the real embedded server on loopback: online, sending, then offline.

Losing the server must change only what the status bar says: the specialist keeps searching the
directory and taking calls, and every change waits, counted, to be sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console import settings
from console.embedded import DEMO_SUPERVISOR, EmbeddedServer, sign_in_demo
from console.security.credentials import CredentialStore
from console.sync.api import ServerApi
from console.ui.main_window import MainWindow
from tests.ui.console import show_console

FIRST_SYNC_MS = 60_000  # a first start imports the demo directory and builds its snapshot
SYNC_MS = 15_000


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    window = show_console(qtbot, sync=True)
    yield window
    if window.isVisible():  # the test failed before closing it
        window.close()


def waiting(window: MainWindow) -> int:
    match = re.match(r"(\d+) waiting", window.status.waiting.text())
    assert match, window.status.waiting.text()
    return int(match.group(1))


def cases_on_server(embedded: EmbeddedServer) -> set[str]:
    """The case ids the server holds, as a supervisor pulling them would see."""
    api = ServerApi(embedded.start(), CredentialStore.for_this_process())
    try:
        sign_in_demo(api, DEMO_SUPERVISOR, settings.data_home())
        return {case["id"] for case in api.get("/sync/cases", after=0, limit=1000)["cases"]}
    finally:
        api.close()


def test_status_follows_the_server_and_work_goes_on_offline(qtbot: QtBot,
                                                            window: MainWindow) -> None:
    status, cases = window.status, window.workstation.cases
    qtbot.waitUntil(lambda: status.connection.text() == "Online"
                    and status.last_sync.text() != "Last sync never", timeout=FIRST_SYNC_MS)
    assert status.user.text() == "Signed in: demo.specialist"
    assert waiting(window) == 0

    # A hang-up is logged and sent soon after, with no key pressed.
    qtbot.keyClick(window.triage, "h")
    qtbot.waitUntil(lambda: len(cases.list_cases()) == 1, timeout=SYNC_MS)
    (hang_up,) = cases.list_cases()
    qtbot.waitUntil(lambda: waiting(window) == 0 and cases.counts()["pending"] == 0,
                    timeout=SYNC_MS)
    assert window.runner.connection is not None
    embedded = window.runner.connection.embedded
    assert embedded is not None
    assert hang_up["id"] in cases_on_server(embedded)
    assert status.connection.text() == "Online"

    # The server goes away; a tip call is taken all the same.
    embedded.stop()
    qtbot.keyClick(window.triage, "2")
    qtbot.waitUntil(window.call_page.is_open, timeout=SYNC_MS)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)  # Situation
    qtbot.keyClicks(QApplication.focusWidget(), "Van parked behind the motel every night")
    tip_id = window.call_page.call.case_id
    qtbot.waitUntil(lambda: (cases.get(tip_id) or {}).get("answers", {}).get(
        "what_is_happening") == "Van parked behind the motel every night", timeout=SYNC_MS)

    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: status.connection.text() == "Offline" and waiting(window) >= 2,
                    timeout=SYNC_MS)
    assert status.connection.toolTip()  # says what went wrong
    assert status.last_sync.text() != "Last sync never"
    assert cases.counts()["pending"] == waiting(window)

    # Searching the directory needs no server.
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    search_field = QApplication.focusWidget()
    assert search_field.accessibleName() == "Search services"
    with qtbot.waitSignal(window.referrals.sig_results_shown, timeout=SYNC_MS,
                          check_params_cb=lambda shown: shown > 0):
        qtbot.keyClicks(search_field, "shelter")

    # Nor does saving: the edit is kept and counted as waiting.
    before = waiting(window)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClicks(QApplication.focusWidget(), "Tip about a van; caller will call back")
    qtbot.waitUntil(lambda: (cases.get(tip_id) or {}).get("summary", "").startswith("Tip about"),
                    timeout=SYNC_MS)
    qtbot.waitUntil(lambda: waiting(window) > before, timeout=SYNC_MS)
    assert status.connection.text() == "Offline"

    window.close()
    assert window.runner.connection is None
    assert cases.counts()["pending"] >= before + 1
