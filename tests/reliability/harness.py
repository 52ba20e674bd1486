"""What the fault tests share: a server in its own process, workstation processes, and checks.

The server runs as ``python -m console server`` and each workstation as
``python -m tests.reliability.workstation``, each with its own ``HOTLINE_HOME``, so a test can
stop or kill either one the way a power cut or a crash would.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine, select

from console.cases.store import CaseStore
from console.directory.batch import COLUMNS
from console.directory.feed import CURSOR_KEY
from console.directory.index import SEARCHABLE_STATUSES, get_meta
from console.directory.search import DirectorySearch, SearchQuery
from console.models.database import open_directory
from console.security.credentials import CredentialStore
from console.server.directory import confidential_places, directory_cursor
from console.server.models import DirectoryRecord
from console.sync.api import ServerApi
from console.sync.client import SyncClient
from tests.live_server import PASSWORD, free_port, wait_until_up
from tests.reliability.workstation import PASSWORD_ENV

REPO = Path(__file__).resolve().parents[2]
Records = dict[str, dict[str, dict[str, Any]]]  # table -> id -> row


def child_env(home: Path) -> dict[str, str]:
    """The environment of a server or workstation process whose data lives in ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "HOTLINE_HOME": str(home), "PYTHONPATH": os.pathsep.join(paths),
            PASSWORD_ENV: PASSWORD}


class ServerProcess:
    """``hotline server`` in a process of its own, on a fixed loopback port (kept on restart)."""

    def __init__(self, home: Path, database_url: str, port: int | None = None) -> None:
        self.home = home
        self.database_url = database_url
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.home / "server.log").open("ab")
        command = [sys.executable, "-m", "console", "server", "--port", str(self.port),
                   "--database-url", self.database_url]
        self.process = subprocess.Popen(command, env=child_env(self.home), cwd=REPO,
                                        stdout=log, stderr=log)
        log.close()
        try:
            wait_until_up(self.url, timeout=30)
        except RuntimeError:
            self.kill()
            raise RuntimeError("the server did not start:\n" + self.log()) from None

    def stop(self) -> None:
        """A clean stop (SIGTERM): what a service manager does on restart."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def log(self) -> str:
        return (self.home / "server.log").read_text("utf-8", errors="replace")[-4000:]

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class Workstation:
    """``python -m tests.reliability.workstation COMMAND ARGS`` over the stores in ``home``.

    Its standard output is read line by line in a thread, so waiting for a line never blocks
    past its timeout; standard error goes to ``workstation.log`` in ``home``.
    """

    def __init__(self, home: Path, command: str, *args: str) -> None:
        self.home = home
        env = child_env(home)
        with (home / "workstation.log").open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.reliability.workstation", command, *args],
                env=env, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                text=True)
        self.output: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def wait_for(self, wanted: str, timeout: float) -> bool:
        """Wait for the line ``wanted``; False when the output ends or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                return False
            if line is None:
                return False
            self.output.append(line)
            if line == wanted:
                return True
        return False

    def go(self, timeout: float = 60) -> None:
        """Start the sync of a workstation started with ``--wait``, once it is ready."""
        assert self.wait_for("ready", timeout), f"the workstation did not start:\n{self.log()}"
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        assert self.wait_for("syncing", timeout), f"the sync did not start:\n{self.log()}"

    def kill(self) -> bool:
        """SIGKILL (no clean-up of any kind); True if it was still running then."""
        running = self.process.poll() is None
        if running:
            self.process.kill()
        self.process.wait(10)
        self._close()
        return running

    def finish(self, timeout: float) -> None:
        """Wait for the end; fails the test unless the command succeeded in time."""
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the workstation ran over {timeout} s:\n{self.log()}"
                                 ) from None
        self._close()
        assert self.process.returncode == 0, f"the workstation failed:\n{self.log()}"

    def report(self) -> dict[str, Any]:
        """The JSON report the command printed last."""
        while not self._lines.empty():
            line = self._lines.get_nowait()
            if line is not None:
                self.output.append(line)
        return dict(orjson.loads(self.output[-1]))

    def log(self) -> str:
        return (self.home / "workstation.log").read_text("utf-8", errors="replace")[-4000:]

    def _close(self) -> None:
        self._reader.join(10)
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()


def run_workstation(home: Path, command: str, *args: str, timeout: float = 60) -> Workstation:
    """Run a workstation command to its end; fails the test if it does not succeed."""
    workstation = Workstation(home, command, *args)
    workstation.finish(timeout)
    return workstation


# --- the server's directory and the workstation's copy -------------------------------------------

def server_records(engine: Engine) -> Records:
    """The server's live directory records by table and id, as workstations may have them
    (a confidential address without its street line, its location without its exact point)."""
    records: Records = {table: {} for table in COLUMNS}
    query = select(DirectoryRecord.kind, DirectoryRecord.id, DirectoryRecord.data).where(
        DirectoryRecord.deleted.is_(False))
    with engine.connect() as connection:
        places = confidential_places(connection)
        for kind, record_id, data in connection.execute(query):
            row = places.scrub(kind, orjson.loads(data))
            records[kind][record_id] = {column: row.get(column) for column in COLUMNS[kind]}
    return records


def server_cursor(engine: Engine) -> int:
    """The number of the server's newest directory change."""
    with engine.connect() as connection:
        return directory_cursor(connection)


def local_records(path: Path) -> Records:
    """Every HSDS row of the workstation's directory file, by table and id."""
    records: Records = {}
    with sqlite3.connect(path) as connection:
        for table, columns in COLUMNS.items():
            cursor = connection.execute(f"SELECT {', '.join(columns)} FROM {table}")
            records[table] = {row[0]: dict(zip(columns, row, strict=True)) for row in cursor}
    connection.close()
    return records


def searchable_services(records: Records) -> int:
    return sum(row["status"] in SEARCHABLE_STATUSES for row in records["service"].values())


def check_directory_file(path: Path) -> int:
    """The directory file opens clean and answers a search; returns its sync cursor (0: none)."""
    if not path.exists():
        return 0
    with sqlite3.connect(path) as connection:
        verdict = connection.execute("PRAGMA integrity_check").fetchall()
    connection.close()
    assert verdict == [("ok",)], f"directory damaged: {verdict[:5]}"
    engine = open_directory(path)
    try:
        search = DirectorySearch(engine)
        try:
            results = search.search(SearchQuery(limit=5))
            with engine.connect() as connection:
                indexed = connection.exec_driver_sql(
                    "SELECT count(*) FROM search_service").scalar()
                cursor = get_meta(connection, CURSOR_KEY)
            assert len(results) == min(5, indexed or 0)
        finally:
            search.close()
    finally:
        engine.dispose()
    return int(cursor or 0)


def read_cursor(path: Path) -> int:
    """The directory's sync cursor as committed right now (0: none yet), read without locking."""
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as connection:
            row = connection.execute(
                "SELECT value FROM directory_meta WHERE key = ?", (CURSOR_KEY,)).fetchone()
        connection.close()
    except sqlite3.OperationalError:  # not made yet: the first start is still creating it
        return 0
    return int(row[0]) if row else 0


def wait_for_cursor_beyond(path: Path, cursor: int, workstation: Workstation,
                           timeout: float = 60) -> None:
    """Wait until the workstation has committed a page beyond ``cursor`` (or has ended)."""
    deadline = time.monotonic() + timeout
    while read_cursor(path) <= cursor and workstation.process.poll() is None:
        assert time.monotonic() < deadline, "the pull made no progress"
        time.sleep(0.02)


def search_rows(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        count = connection.execute("SELECT count(*) FROM search_service").fetchone()[0]
    connection.close()
    return int(count)


# --- an in-process workstation -------------------------------------------------------------------

def signed_in_client(server_url: str, user: str, directory_path: Path, cases: CaseStore | None,
                     page_size: int = 5_000, transport: httpx.BaseTransport | None = None
                     ) -> SyncClient:
    """A sync client signed in as ``user`` (tokens in memory only)."""
    api = ServerApi(server_url, CredentialStore.for_this_process(), transport=transport)
    api.sign_in(user, PASSWORD)
    return SyncClient(api, directory_path, cases, page_size=page_size)
