"""The status bar's notice of a newer console: shown while announced, never a dialog."""

from pytestqt.qtbot import QtBot

from console.sync.client import SyncStatus
from console.sync.release import newer_release
from console.ui.status import SyncStatusBar


def test_the_notice_shows_only_while_a_newer_console_is_announced(qtbot: QtBot) -> None:
    bar = SyncStatusBar()
    qtbot.addWidget(bar)
    bar.show()
    assert not bar.release.isVisible()
    notice = newer_release({"current": "9.0.0", "download_url": "https://it.example.org/hc"})
    bar.show_status(SyncStatus(online=True, release=notice), "sam")
    assert bar.release.isVisible()
    assert bar.release.text() == "Update 9.0.0 available"
    assert "https://it.example.org/hc" in bar.release.toolTip()
    bar.show_status(SyncStatus(online=True), "sam")  # the server now announces nothing newer
    assert not bar.release.isVisible()
