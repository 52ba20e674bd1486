"""Checks of an installed console, run as a person would run it: from its own folder, outside
the checkout, with a clean environment and a data folder of its own."""

from __future__ import annotations

import fcntl
import json
import subprocess
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def building_in_the_checkout() -> Iterator[None]:
    """One build at a time in the checkout's build/ folder, which setuptools and PyInstaller
    share: the tests run in several processes (``-n auto``) and two of them build."""
    (REPO / "build").mkdir(exist_ok=True)
    with open(REPO / "build" / ".tests-building.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield
WINDOW_SHOWN = "hotline: the console window is shown"


def project_version() -> str:
    return tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["version"]


@dataclass
class Installed:
    """The ``hotline`` program of one installation, run in ``workdir`` with only ``path``."""

    program: Path
    workdir: Path
    path: str = "/usr/bin:/bin"

    def environment(self, **extra: str) -> dict[str, str]:
        return {"PATH": self.path, "HOME": str(self.workdir),
                "HOTLINE_HOME": str(self.workdir / "data"), "LANG": "C.UTF-8", **extra}

    def run(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([str(self.program), *args], cwd=self.workdir, text=True,
                                capture_output=True, timeout=timeout,
                                env=self.environment(**env))
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def start_window(self, seconds: float = 3.0) -> float:
        """Open the console offscreen for ``seconds``; the seconds until its window showed."""
        started = time.monotonic()
        process = subprocess.Popen(
            [str(self.program), "--open-for", str(seconds)], cwd=self.workdir, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=self.environment(QT_QPA_PLATFORM="offscreen"))
        assert process.stderr is not None
        shown_after = None
        for line in process.stderr:
            if WINDOW_SHOWN in line:
                shown_after = time.monotonic() - started
                break
        _, rest = process.communicate(timeout=120)
        assert shown_after is not None, rest
        assert process.returncode == 0, rest
        assert "Traceback" not in rest, rest
        return shown_after


def check_installation(installed: Installed) -> None:
    """--version, a directory search, a referral sheet and the window, all from the install."""
    version = installed.run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"hotline {project_version()}"

    search = installed.run("directory", "search", "shelter", "--json", "--limit", "3")
    assert search.returncode == 0, search.stderr
    results = json.loads(search.stdout)["results"]
    assert results, "the demo directory came with the installation"

    sheet = installed.workdir / "sheet.pdf"
    ids = ",".join(result["service_id"] for result in results)
    printed = installed.run("sheet", "--services", ids, "--zip", "77002", "--out", str(sheet))
    assert printed.returncode == 0, printed.stderr
    assert sheet.read_bytes().startswith(b"%PDF") and sheet.stat().st_size > 10_000

    installed.start_window()
