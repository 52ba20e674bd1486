"""Shared set-up for benchmarks: a generated directory at a given scale, made once and reused,
and the central server run as production runs it (its own process and data folder)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from console.directory.store import import_path
from console.models.database import open_directory
from console.tasks import QuietState

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the repository's tools/, beside the installed console
from tools.demo_directory import generate_directory  # noqa: E402

DATA = ROOT / "benchmarks" / ".data"
PASSWORD = "benchmark password"


def generated_json(services: int, seed: int = 7) -> Path:
    """An HSDS 3.0 JSON directory of ``services`` services (generated on first use)."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"directory-{services}-{seed}.json"
    if not path.exists():
        partial = path.with_suffix(".partial")
        generate_directory(services, partial, QuietState(), seed=seed)
        partial.rename(path)
    return path


def generated_store(services: int, seed: int = 7) -> Engine:
    """A directory store holding the generated directory (imported on first use)."""
    path = DATA / f"directory-{services}-{seed}.sqlite"
    ready = path.with_suffix(".ready")
    if not ready.exists():
        for stale in DATA.glob(path.name + "*"):
            stale.unlink()
        engine = open_directory(path)
        import_path(engine, generated_json(services, seed), QuietState(), replace=True)
        ready.touch()
        return engine
    return open_directory(path)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed_ms(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def report(figures: dict[str, object]) -> None:
    """Benchmarks end with one JSON line: the figures."""
    sys.stdout.flush()
    print(json.dumps(figures))


def say(message: str) -> None:
    """Progress for the person watching, on standard error (standard output is the figures)."""
    print(message, file=sys.stderr, flush=True)


def code_version() -> str:
    """A short digest of the console's code and resources: a cached server database made by
    other code (another schema, another cleaning or index) is never reused."""
    digest = hashlib.sha256()
    files = [*(ROOT / "src" / "console").rglob("*.py"), *(ROOT / "resources").rglob("*.json")]
    for path in sorted(files):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# --- a central server as production runs it: its own process, its own data folder ------------





def is_postgres(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def fresh_postgres(database_url: str) -> None:
    """Drop and re-create the PostgreSQL database named in ``database_url`` (a scratch one)."""
    url = make_url(database_url)
    if url.database in (None, "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to empty the database {url.database!r}; name a scratch one")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        admin.dispose()


def _server_env(home: Path) -> dict[str, str]:
    return {**os.environ, "HOTLINE_HOME": str(home), "PYTHONUNBUFFERED": "1"}


def server_command(home: Path, database_url: str, *args: str, stdin: str = "") -> str:
    """Run ``hotline server ARGS`` (create-user, import-directory, ...); returns its output."""
    command = [sys.executable, "-m", "console", "server", *args, "--database-url", database_url]
    done = subprocess.run(command, input=stdin, stdout=subprocess.PIPE, text=True,
                          env=_server_env(home), check=False)
    if done.returncode:
        raise SystemExit(f"`hotline server {' '.join(args)}` failed ({done.returncode})")
    return done.stdout


def create_users(home: Path, database_url: str, names: list[str], role: str) -> None:
    for name in names:
        server_command(home, database_url, "create-user", name, "--role", role,
                       stdin=PASSWORD + "\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped at start:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server at {url} did not answer within 120 s")


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


@contextmanager
def running_server(home: Path, database_url: str, workers: int = 1) -> Iterator[Server]:
    """``hotline server`` in its own process on a free loopback port."""
    port = free_port()
    log = home / "server.log"
    command = [sys.executable, "-m", "console", "server", "--database-url", database_url,
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=_server_env(home), stdout=output,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield Server(url, process.pid)
    finally:
        process.terminate()  # uvicorn shuts down gracefully on SIGTERM, workers included
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(root_pid: int) -> float | None:
    """CPU time used so far by a process and its live descendants (the server's workers);
    None where /proc does not tell (not Linux)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    processes: dict[int, tuple[int, float]] = {}
    try:
        entries = [entry for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    except OSError:
        return None
    for entry in entries:
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2:].split()  # after the command, which may hold spaces
        parent, user, system = int(fields[1]), float(fields[11]), float(fields[12])
        processes[int(entry.name)] = (parent, (user + system) / ticks)
    family, grown = {root_pid}, True
    while grown:
        grown = False
        for pid, (parent, _) in processes.items():
            if parent in family and pid not in family:
                family.add(pid)
                grown = True
    return sum(processes[pid][1] for pid in family if pid in processes)


__all__ = ["DATA", "PASSWORD", "ROOT", "Server", "code_version", "cpu_seconds",
           "create_users",
           "fresh_postgres", "generated_json", "generated_store", "is_postgres", "percentile",
           "report", "running_server", "say", "server_command", "sqlite_url", "statistics",
           "timed_ms"]
