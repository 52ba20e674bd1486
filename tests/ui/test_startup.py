"""The first screen loads only what it shows: a specialist waits for triage, not for the case
list, the printing libraries, the directory's importer or the server connection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.ui.console import show_console

# What the window, once shown, must not have imported. (The directory's search engine is not here:
# the referral panel's first search loads it on the search lane as soon as the window is built.
# The holiday registry is: the protocol check looks up its country there, not a calendar.)
NOT_AT_START = ("reportlab", "pypdfium2", "holidays.countries", "httpx", "uvicorn", "fastapi",
                "console.printing.base", "console.ui.printing.dialog",
                "console.ui.cases.case_detail", "console.ui.cases.supervisor")

START = """
import sys
from console.app import open_workstation
from console.security.credentials import CredentialStore
from console.ui.launch import application, build_window, show_window

app = application()
window = build_window(open_workstation(None, CredentialStore.for_this_process(),
                                       demo_user="demo.supervisor"), start_sync=False)
show_window(window)
app.processEvents()
print(" ".join(sorted(sys.modules)))
window.close()
"""


def test_the_first_screen_imports_nothing_it_does_not_show(hotline_home: Path) -> None:
    # A second start: the first one imports the demo directory (on the search lane, after the
    # window is shown), which loads the importer on purpose.
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for _ in range(2):
        loaded = set(subprocess.run([sys.executable, "-c", START], env=environment, check=True,
                                    capture_output=True, text=True).stdout.split())
    assert "console.ui.main_window" in loaded
    assert [name for name in NOT_AT_START if name in loaded] == []


def test_the_cases_and_supervisor_tabs_are_built_when_first_shown(qtbot: QtBot) -> None:
    window = show_console(qtbot, user="demo.supervisor")
    qtbot.addWidget(window)
    assert window.supervisor_page is not None
    assert not window.cases_page.built and not window.supervisor_page.built
    QTest.keyClick(window, Qt.Key.Key_F3)
    assert window.cases_page.built and window.workspace.currentWidget() is window.cases_page
    assert not window.supervisor_page.built
    QTest.keyClick(window, Qt.Key.Key_F4)
    assert window.supervisor_page.built
    window.tasks.wait_idle()
