"""Starting the desktop console: the window first, the network after.

The window is shown as soon as the local stores are open; the embedded server (or the configured
one) is reached afterwards in the background, so a first start, or a start with the network down,
is as quick as any other.
"""

from __future__ import annotations

import gc
import logging
import os
import platform
import sys
from collections.abc import Sequence

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from console import __version__, settings
from console.app import Workstation, configured_server, connect, open_workstation, sign_in
from console.logs import configure_console_logging
from console.security.credentials import CredentialStore
from console.security.people import PeopleRegistry, Person
from console.ui.lock import LockPage
from console.ui.main_window import MainWindow
from console.ui.sync_runner import SyncRunner
from console.ui.taskman import TaskManager
from console.ui.wheel import WheelGuard


def application(argv: Sequence[str] = ()) -> QApplication:
    """The Qt application with the console's look (one per process)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0] if sys.argv else "hotline", *argv])
        app.setApplicationName("Hotline Console")
        app.setOrganizationName("Hotline")
    if app.findChild(WheelGuard) is None:
        app.installEventFilter(WheelGuard(app))
    style = settings.resources_dir() / "styles" / "console.qss"
    app.setStyleSheet(style.read_text("utf-8"))
    return app


def build_window(workstation: Workstation, start_sync: bool = True) -> MainWindow:
    """The main window over ``workstation``, syncing in the background once it is shown."""
    tasks = TaskManager()
    runner = SyncRunner(tasks, lambda: connect(workstation))
    window = MainWindow(workstation, tasks, runner)
    tasks.setParent(window)
    runner.setParent(window)
    window.resume_unfinished_call()
    QTimer.singleShot(0, window.tell_about_salvage)
    if start_sync:
        QTimer.singleShot(0, runner.start)
    return window


def show_window(window: MainWindow, width: int = 1280, height: int = 760) -> None:
    """Shown at ``width`` × ``height``, or filling the screen where that is smaller (a window
    larger than the screen would hide its status bar and right-hand column off the edge)."""
    room = window.screen().availableGeometry().size()
    if room.width() < width or room.height() < height:
        window.resize(room)
        window.showMaximized()
    else:
        window.resize(width, height)
        window.show()
    # Everything built so far lives as long as the window: keep it out of the collector's way,
    # so a full collection never lands in the middle of a keystroke's search.
    gc.freeze()


def missing_display() -> str | None:
    """Why no window can open here, in words; None when it can.

    Without this check Qt aborts the process with a core dump and a message about plugins.
    """
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no desktop session to open the console in (DISPLAY is not set). Run it from a "
            "desktop, or under a virtual screen: xvfb-run hotline")


def close_after_shown(window: QWidget, seconds: float) -> None:
    """Installation checks: say on standard error when the window is on screen (the line IT
    staff and the installer tests wait for), then close it normally after ``seconds``."""

    def shown() -> None:
        print("hotline: the console window is shown", file=sys.stderr, flush=True)
        QTimer.singleShot(round(seconds * 1000), window.close)

    QTimer.singleShot(0, shown)


class Session(QObject):
    """Who works at this console: one window per person signed in, replaced without a restart
    when someone else signs in, and the sign-in screen in between."""

    def __init__(self, server_url: str | None, credentials: CredentialStore) -> None:
        super().__init__()
        self.server_url, self.credentials = server_url, credentials
        self.people = PeopleRegistry()
        self.window: MainWindow | None = None
        self.tasks = TaskManager(self)
        self.sign_in_screen: LockPage | None = None

    def start(self, person: Person | None = None, demo_user: str | None = None) -> None:
        if person is None and self.server_url is not None:
            self.show_sign_in()
            return
        self.open(open_workstation(self.server_url, self.credentials, demo_user, person,
                                   self.people))

    def open(self, workstation: Workstation) -> None:
        """Show ``workstation``'s window, then close whatever was shown before (in that order,
        so the application never finds itself without a window and quits)."""
        previous = self.window or self.sign_in_screen
        window = build_window(workstation)
        window.sig_switch_person.connect(self.switch_to)
        window.sig_signed_out.connect(self.show_sign_in)
        show_window(window)
        self.window, self.sign_in_screen = window, None
        if previous is not None:
            previous.close()  # a window saves its call and closes its person's store
            previous.deleteLater()

    def switch_to(self, person: Person) -> None:
        self.open(open_workstation(self.server_url, self.credentials, person=person,
                                   people=self.people))

    def show_sign_in(self) -> None:
        screen = LockPage(self.tasks, None, lambda user, password: sign_in(
            self.people, self.server_url, self.credentials, user, password))
        screen.setWindowTitle("Hotline Console")
        screen.sig_signed_in.connect(self.switch_to)
        screen.resize(520, 420)
        screen.show()
        screen.focus_first()
        if self.window is not None:
            self.window.close()
            self.window.deleteLater()
        self.window, self.sign_in_screen = None, screen


def run(server_url: str | None = None, credentials: CredentialStore | None = None,
        demo_user: str | None = None, open_for_s: float | None = None) -> int:
    problem = missing_display()
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    configure_console_logging()
    log = logging.getLogger(__name__)
    log.info("Hotline Console %s starting on %s (Python %s)", __version__,
             platform.platform(), platform.python_version())
    shown = sys.excepthook

    def log_unhandled(kind: type[BaseException], error: BaseException, trace: object) -> None:
        # Qt hands errors in slots to sys.excepthook: into the log (safely) as well.
        log.critical("unhandled error", exc_info=(kind, error, trace))
        shown(kind, error, trace)  # type: ignore[arg-type]

    sys.excepthook = log_unhandled
    app = application()
    session = Session(configured_server(server_url), credentials or CredentialStore())
    session.start(demo_user=demo_user)
    first = session.window or session.sign_in_screen
    if open_for_s is not None and first is not None:
        close_after_shown(first, open_for_s)
    return app.exec()
