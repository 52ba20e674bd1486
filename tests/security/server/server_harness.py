"""The central server as its own process (``hotline server``), as a hostile client meets it, and
what it costs that process: its resident memory now and at its peak (Linux ``/proc``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from console.server.auth import create_user
from console.server.db import server_engine
from tests.live_server import PASSWORD, free_port, wait_until_up


@dataclass
class ServerProcess:
    url: str
    pid: int

    def _status(self, field: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise LookupError(field)

    def rss(self) -> int:
        return self._status("VmRSS")

    def peak(self) -> int:
        return self._status("VmHWM")

    def reset_peak(self) -> None:
        """From here on ``peak`` counts from the memory in use now."""
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")


@contextmanager
def server_process(database_url: str, home: Path, users: dict[str, str]) -> Iterator[
        ServerProcess]:
    """``hotline server`` on a free loopback port over ``database_url``, with ``users`` (name ->
    role, password ``PASSWORD``) and production password hashing."""
    engine = server_engine(database_url)
    for name, role in users.items():
        create_user(engine, name, role, PASSWORD)
    engine.dispose()
    port = free_port()
    env = {**os.environ, "HOTLINE_HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "console", "server", "--database-url", database_url,
         "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, timeout=60)
        yield ServerProcess(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
