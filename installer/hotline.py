"""Entry point of the frozen console: the same ``hotline`` command as the installed package."""

import multiprocessing
import sys

# `hotline server --workers N` starts its workers as new processes of this program.
multiprocessing.freeze_support()

if sys.platform == "win32":
    import ctypes

    # The installer (AppMutex in hotline-console.iss) looks for these while it runs: an upgrade
    # or removal waits until every console on the machine is closed, never cutting a call.
    # Windows drops them when the process ends.
    for _name in ("HotlineConsoleRunning", "Global\\HotlineConsoleRunning"):
        ctypes.windll.kernel32.CreateMutexW(None, False, _name)

from console.cli import main  # noqa: E402  (after the mutexes: a slow import is covered)

raise SystemExit(main())
