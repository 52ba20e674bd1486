"""The window lock: idle time and Ctrl+L hide every case, the password unlocks, nothing typed is
lost, a call goes on, and someone else at a locked screen signs in as themselves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from console import settings
from console.app import open_workstation
from console.demo import DEMO_SPECIALIST, DEMO_SUPERVISOR, demo_password
from console.security import people
from console.security.credentials import CredentialStore
from console.security.people import Policy
from console.ui.launch import Session, application
from console.ui.main_window import MainWindow
from tests.ui.console import open_console, show_console
from tests.ui.keyboard import Keyboard

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
TUESDAY_MORNING = datetime(2026, 11, 24, 15, 15, tzinfo=UTC)
TYPED = "Zephyrine says the van is blue"


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    with open_console(qtbot, clock=lambda: TUESDAY_MORNING) as window:
        yield window


def take_call(qtbot: QtBot, window: MainWindow) -> Keyboard:
    keyboard = Keyboard(qtbot)
    keyboard.type("1")
    qtbot.waitUntil(window.call_page.is_open)
    keyboard.press(Qt.Key.Key_3, ALT)  # Situation
    keyboard.type(TYPED)
    return keyboard


def shown_texts(window: MainWindow) -> list[str]:
    """Every text a visible widget of the window draws."""
    texts = [window.windowTitle()]
    for widget in window.findChildren(QLabel) + window.findChildren(QLineEdit) \
            + window.findChildren(QAbstractButton) + window.findChildren(QPlainTextEdit):
        if widget.isVisible():
            texts.append(widget.toPlainText() if isinstance(widget, QPlainTextEdit)
                         else widget.text())
    return texts


def test_ctrl_l_hides_every_case_and_the_call_goes_on(qtbot: QtBot, window: MainWindow) -> None:
    keyboard = take_call(qtbot, window)
    assert any(TYPED in text for text in shown_texts(window))  # the check below can fail

    keyboard.press(Qt.Key.Key_L, CTRL)

    assert window.locker.locked
    assert not window.workspace.isVisible(), "the case content is swapped out, not covered"
    assert not any(TYPED in text or "Zephyrine" in text for text in shown_texts(window))
    assert not window.menuBar().isEnabled()
    keyboard.press(Qt.Key.Key_N, CTRL)  # no shortcut reaches the hidden window
    assert window.call_page.is_open() and window.locker.locked
    window.tasks.wait_idle()
    call = window.call_page.call
    assert call is not None
    saved = window.workstation.cases.get(call.case_id)
    assert saved is not None and saved["answers"]["what_is_happening"] == TYPED
    assert saved["status"] == "open"


def test_unlock_needs_the_password_and_nothing_typed_is_lost(
        qtbot: QtBot, window: MainWindow) -> None:
    keyboard = take_call(qtbot, window)
    typed_into = QApplication.focusWidget()
    window.locker.lock()
    page = window.lock_page

    page.password.setText("not the password")
    page.unlock()
    qtbot.waitUntil(lambda: "Wrong" in page.message.text())
    assert window.locker.locked

    page.password.setText(demo_password(settings.data_home(), DEMO_SPECIALIST))
    with qtbot.waitSignal(window.locker.sig_locked, timeout=5000) as unlocked:
        page.unlock()
    assert unlocked.args == [False]
    assert window.workspace.isVisible() and window.menuBar().isEnabled()
    assert QApplication.focusWidget() is typed_into
    keyboard.type(" and red")
    assert any(TYPED + " and red" in text for text in shown_texts(window))
    assert window.actions_by_name["finish"].isEnabled()


def test_the_window_locks_after_the_hotlines_idle_time(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(people, "load_policy", lambda: Policy(lock_after_minutes=0.005))
    window = show_console(qtbot)
    qtbot.addWidget(window)
    assert not window.locker.locked
    with qtbot.waitSignal(window.locker.sig_locked, timeout=5000):
        pass  # 0.3 s without a key press or a mouse move
    assert window.locker.locked
    window.tasks.wait_idle()


def test_someone_else_at_the_locked_screen_signs_in_and_the_first_call_is_kept(
        qtbot: QtBot) -> None:
    application()
    session = Session(None, CredentialStore.for_this_process())
    session.start()
    first = session.window
    assert first is not None
    first.workstation.desk.clock = lambda: TUESDAY_MORNING
    first.activateWindow()
    qtbot.waitUntil(first.isActiveWindow)
    first.triage.setFocus()
    take_call(qtbot, first)
    first.sign_in_as()
    page = first.lock_page
    page.other_user.setText(DEMO_SUPERVISOR)
    page.other_password.setText(demo_password(settings.data_home(), DEMO_SUPERVISOR))
    page.sign_in()
    qtbot.waitUntil(lambda: session.window is not first, timeout=10_000)

    second = session.window
    assert second is not None and second.workstation.user == DEMO_SUPERVISOR
    assert not first.isVisible()
    assert second.workstation.desk.resume() is None, "the first person's call is not theirs"
    # The supervisor's window syncs at once and may rightly pull the case from the server, so
    # what shows the stores apart is where each lives and under which key, not emptiness.
    mine, theirs = second.workstation.person, first.workstation.person
    assert mine.folder != theirs.folder and mine.key != theirs.key
    assert second.workstation.cases.engine.url.database == str(mine.store_path)
    second.close()

    again = open_workstation(None, CredentialStore.for_this_process())  # the first person
    resumed = again.desk.resume()
    assert resumed is not None and resumed.answers["what_is_happening"] == TYPED
    again.close()


def test_with_a_central_server_the_console_starts_at_the_sign_in_screen(qtbot: QtBot) -> None:
    application()
    session = Session("http://127.0.0.1:9", CredentialStore.for_this_process())
    session.start()
    screen = session.sign_in_screen
    assert session.window is None and screen is not None and screen.isVisible()
    qtbot.addWidget(screen)
    screen.other_user.setText("alice")
    screen.other_password.setText("whatever")
    screen.sign_in()  # the server does not answer, and alice never signed in here online
    qtbot.waitUntil(lambda: "never signed in online" in screen.message.text(), timeout=10_000)
    assert session.window is None


def test_sign_out_closes_the_persons_window_and_store_and_shows_the_sign_in(
        qtbot: QtBot) -> None:
    application()
    session = Session(None, CredentialStore.for_this_process())
    session.start()
    first = session.window
    assert first is not None
    engine = first.workstation.cases.engine
    first.actions_by_name["sign-out"].trigger()
    screen = session.sign_in_screen
    assert screen is not None and screen.isVisible() and not first.isVisible()
    qtbot.addWidget(screen)
    assert engine.pool.checkedout() == 0  # the store's connections are closed
    assert not shown_texts_of(screen, "demo.specialist is signed in")
    screen.other_user.setText(DEMO_SPECIALIST)
    screen.other_password.setText(demo_password(settings.data_home(), DEMO_SPECIALIST))
    screen.sign_in()
    qtbot.waitUntil(lambda: session.window is not None, timeout=10_000)
    assert session.window is not None and session.window.workstation.user == DEMO_SPECIALIST
    session.window.close()


def shown_texts_of(widget: QWidget, text: str) -> bool:
    return any(text in label.text() for label in widget.findChildren(QLabel) if label.isVisible())
