"""Help → About and Help → Save a support file…, from the real window."""

from __future__ import annotations

import zipfile
from pathlib import Path

from pytestqt.qtbot import QtBot

from console import __version__
from tests.ui.console import show_console


def test_help_menu_saves_a_support_file_and_tells_the_versions(qtbot: QtBot,
                                                               tmp_path: Path) -> None:
    window = show_console(qtbot)
    qtbot.addWidget(window)
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles[-1] == "&Help"
    assert window.actions_by_name["support"].text() == "Save a &support file…"

    about = window.help.about_text()
    assert __version__ in about and "built-in server" in about

    out = tmp_path / "support.zip"
    with qtbot.waitSignal(window.help.sig_support_file_saved, timeout=10_000) as saved:
        window.help.save_support_file(out)
    assert saved.args == [str(out)]
    with zipfile.ZipFile(out) as bundle:
        facts = bundle.read("support.json").decode("utf-8")
    assert '"platform plugin": "offscreen"' in facts
    assert "Support file saved" in window.status.currentMessage()
    window.tasks.wait_idle()
