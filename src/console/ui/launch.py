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

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from console import __version__, settings
from console.app import Workstation, configured_server, connect, open_workstation
from console.logs import configure_console_logging
from console.security.credentials import CredentialStore
from console.ui.main_window import MainWindow
from console.ui.sync_runner import SyncRunner
from console.ui.taskman import TaskManager


def application(argv: Sequence[str] = ()) -> QApplication:
    """The Qt application with the console's look (one per process)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0] if sys.argv else "hotline", *argv])
        app.setApplicationName("Hotline Console")
        app.setOrganizationName("Hotline")
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
    if start_sync:
        QTimer.singleShot(0, runner.start)
    return window


def show_window(window: MainWindow, width: int = 1280, height: int = 760) -> None:
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


def close_after_shown(window: MainWindow, seconds: float) -> None:
    """Installation checks: say on standard error when the window is on screen (the line IT
    staff and the installer tests wait for), then close it normally after ``seconds``."""

    def shown() -> None:
        print("hotline: the console window is shown", file=sys.stderr, flush=True)
        QTimer.singleShot(round(seconds * 1000), window.close)

    QTimer.singleShot(0, shown)


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
    workstation = open_workstation(configured_server(server_url), credentials, demo_user)
    window = build_window(workstation)
    show_window(window)
    if open_for_s is not None:
        close_after_shown(window, open_for_s)
    return app.exec()
