"""The real console window on the test's own data folder, shown and ready for keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from PySide6.QtCore import QSize
from pytestqt.qtbot import QtBot

from console.app import open_workstation
from console.security.credentials import CredentialStore
from console.ui.launch import application, build_window
from console.ui.main_window import MainWindow
from tests.ui.keyboard import Keyboard

LAPTOP = QSize(1366, 768)  # the window's size unless a test asks for another


def show_console(qtbot: QtBot, sync: bool = False, clock: Callable[[], datetime] | None = None,
                 user: str | None = None, size: QSize = LAPTOP) -> MainWindow:
    """Build the window as ``hotline`` does (no keyring), ``size`` (1366×768), active; ``user``
    picks a demo account of the built-in server."""
    application()
    workstation = open_workstation(None, CredentialStore.for_this_process(), demo_user=user)
    if clock is not None:
        workstation.desk.clock = clock
    window = build_window(workstation, start_sync=sync)
    window.resize(size)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # shortcuts reach the active window only
    return window


@contextmanager
def open_console(qtbot: QtBot, clock: Callable[[], datetime] | None = None,
                 user: str | None = None, size: QSize = LAPTOP
                 ) -> Iterator[MainWindow]:
    """``show_console`` owned by the test, with the triage keys taking the focus; its
    background work is waited for when the test is done."""
    window = show_console(qtbot, clock=clock, user=user, size=size)
    qtbot.addWidget(window)
    window.triage.setFocus()
    yield window
    window.tasks.wait_idle()


def start_contact(qtbot: QtBot, window: MainWindow, key: str) -> Keyboard:
    """Press a contact type's key at triage, as a specialist does, and wait for the call."""
    keyboard = Keyboard(qtbot)
    keyboard.type(key)
    qtbot.waitUntil(window.call_page.is_open)
    return keyboard
