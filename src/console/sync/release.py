"""Whether the central server announces a newer console release than the one running.

The server's administrators set the current release (``console_release`` in its
configuration); the workstation only tells the person, in the status bar. It never installs
anything itself: IT staff roll out installers, between shifts, so no call is ever cut by an
update.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from console import __version__
from console.sync.api import ServerApi, SyncError

RELEASE_PATH = "/console/release"
CHECK_INTERVAL_S = 3600.0  # a release is announced days ahead; once an hour is plenty


@dataclass(frozen=True)
class ReleaseNotice:
    """A newer console release than this one, as the server announced it."""

    version: str
    running: str
    download_url: str | None = None

    def words(self) -> str:
        """The status bar's few words (short: the bar must fit a 1024-pixel window)."""
        return f"Update {self.version} available"

    def details(self) -> str:
        """The tooltip: what runs now, who installs the new one, and where it is."""
        text = (f"This console is {self.running}; version {self.version} is out. IT installs "
                f"it between shifts: the console never updates itself.")
        return f"{text}\n{self.download_url}" if self.download_url else text


def newer_release(reply: dict[str, Any], running: str = __version__) -> ReleaseNotice | None:
    """The notice for a ``/console/release`` reply, or None when there is nothing newer (or the
    reply names no release, or one that is not a version number)."""
    announced = reply.get("current")
    url = reply.get("download_url")
    if not isinstance(announced, str):
        return None
    try:
        if Version(announced) <= Version(running):
            return None
    except InvalidVersion:
        return None
    return ReleaseNotice(announced, running, url if isinstance(url, str) else None)


class ReleaseCheck:
    """Asks the server at most once per ``interval_s``; keeps the last answer in between."""

    def __init__(self, interval_s: float = CHECK_INTERVAL_S) -> None:
        self._interval_s = interval_s
        self._checked_at: float | None = None
        self.notice: ReleaseNotice | None = None

    def check(self, api: ServerApi) -> ReleaseNotice | None:
        now = time.monotonic()
        if self._checked_at is not None and now - self._checked_at < self._interval_s:
            return self.notice
        try:
            reply = api.get(RELEASE_PATH)
        except SyncError:
            # A server too old to announce releases, or one gone for a moment: the sync itself
            # succeeded, and the next hour asks again.
            return self.notice
        self._checked_at = now
        self.notice = newer_release(reply)
        return self.notice
