"""Server load: many workstations syncing at once, as they do on a busy shift.

    python benchmarks/load.py --clients 200 --seconds 30 [--database-url URL] [--workers N]

The server runs as production runs it (``hotline server --workers N`` in its own process, its own
data folder), with the demo directory imported; SQLite by default, or a PostgreSQL
``--database-url`` naming a scratch database, which is dropped and created again. Each simulated
workstation signs in as its own specialist before the measured window (argon2 makes sign-ins
deliberately slow), then, starting at a random moment, pulls every 2 s (the directory feed and
its cases after its cursors, following ``more``) and pushes a new case every 10 s. Every request
of the window is timed; an error is a status of 400 or more or no answer at all.

The load runs in this process, apart from the server's, each workstation on its own keep-alive
connection through a lean HTTP/1.1 client (httpx costs milliseconds of CPU per request, which
would make the generator the bottleneck). ``loop_lag_p99_ms`` says whether it kept up: how late
a timer set for every 20 ms fired. Late timers mean late requests and inflated latencies, so the
figures then describe this process more than the server. ``*_cpu_pct`` is the CPU the load
generator, the server's processes and the whole machine used in the window (100 is one core;
the machine's is a share of all its cores).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    PASSWORD,
    ROOT,
    Server,
    cpu_seconds,
    create_users,
    fresh_postgres,
    is_postgres,
    percentile,
    report,
    running_server,
    say,
    server_command,
    sqlite_url,
)
from console.cases.changes import new_change, new_id

ADMIN = "bench-admin"
PULL_EVERY = 2.0
PUSH_EVERY = 10.0
PAGE = 2_000
LAG_TICK = 0.02
TIMEOUT = 30.0
CALL_TYPES = ("crisis", "tip", "service referral")


@dataclass
class Samples:
    """Every request of the measured window: what it was, how long it took, whether it failed."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (start, seconds)
    lag: list[float] = field(default_factory=list)
    recording: bool = False

    def add(self, kind: str, seconds: float, failed: bool) -> None:
        if self.recording:
            self.latencies.setdefault(kind, []).append(seconds)
            self.timeline.append((time.perf_counter() - seconds, seconds))
            self.errors[kind] = self.errors.get(kind, 0) + failed


class HttpError(Exception):
    """A request that got no usable answer: connection refused or cut, timeout, bad reply."""


class Connection:
    """One keep-alive HTTP/1.1 connection, as a workstation keeps one to the server.

    Deliberately lean: httpx spends several milliseconds of CPU on each request (measured here
    at 3.5 to 11 ms), so hundreds of workstations driven through it measure the load generator,
    not the server. This costs about 0.2 ms.
    """

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        try:
            return await asyncio.wait_for(self._exchange(method, path, body, headers or {}),
                                          TIMEOUT)
        except (OSError, EOFError, ValueError, TimeoutError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError) as error:
            self.close()
            raise HttpError(f"{method} {path}: {error.__class__.__name__} {error}") from None

    async def _exchange(self, method: str, path: str, body: bytes,
                        headers: dict[str, str]) -> tuple[int, bytes]:
        if self._reader is not None and self._reader.at_eof():
            self.close()  # the server closed it while idle (keep-alive timeout), as clients see
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self._host}:{self._port}",
                 f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        fields = {name.strip().lower(): value.strip() for name, _, value in
                  (line.partition(":") for line in head[1:] if line)}
        if fields.get("transfer-encoding", "").lower() == "chunked":
            content = await self._chunked(self._reader)
        else:
            content = await self._reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, content

    @staticmethod
    async def _chunked(reader: asyncio.StreamReader) -> bytes:
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        return b"".join(parts)

    async def json(self, method: str, path: str, data: Any = None,
                   token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = b""
        if data is not None:
            body = orjson.dumps(data)
            headers["Content-Type"] = "application/json"
        status, content = await self.request(method, path, body, headers)
        try:
            return status, orjson.loads(content) if content else None
        except orjson.JSONDecodeError:
            raise HttpError(f"{method} {path}: the answer is not JSON") from None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


SIGN_IN_ATTEMPTS = 120
SIGN_IN_RETRY_SECONDS = 2.0  # the server's Retry-After when it is busy hashing


@dataclass
class Workstation:
    user: str
    connection: Connection
    access_token: str = ""
    refresh_token: str = ""
    directory_cursor: int = 0
    cases_cursor: int = 0

    async def sign_in(self) -> None:
        for _attempt in range(SIGN_IN_ATTEMPTS):
            status, reply = await self.connection.json(
                "POST", "/auth/sign-in", {"user": self.user, "password": PASSWORD})
            if status != 503:
                break
            # The server hashes a few passwords at a time and asks the rest to come back.
            await asyncio.sleep(SIGN_IN_RETRY_SECONDS)
        if status != 200:
            raise SystemExit(f"{self.user} cannot sign in ({status}): {reply}")
        self.keep_tokens(reply)

    def keep_tokens(self, reply: dict[str, Any]) -> None:
        self.access_token = reply["access_token"]
        self.refresh_token = reply["refresh_token"]


class Load:
    def __init__(self, samples: Samples) -> None:
        self.samples = samples

    async def call(self, kind: str, station: Workstation, method: str, path: str,
                   data: Any = None) -> Any:
        """One timed request; its JSON answer, or None if it failed."""
        start = time.perf_counter()
        try:
            status, reply = await station.connection.json(method, path, data,
                                                          station.access_token)
            if status == 401:  # the access token expired: renew it, as sync does
                status, renewed = await station.connection.json(
                    "POST", "/auth/refresh", {"refresh_token": station.refresh_token})
                if status == 200:
                    station.keep_tokens(renewed)
                    status, reply = await station.connection.json(method, path, data,
                                                                  station.access_token)
        except HttpError as error:
            status, reply = 599, str(error)
        failed = status >= 400
        if failed and self.samples.recording:
            self.samples.reasons[f"{status} {str(reply)[:120]}"] += 1
        self.samples.add(kind, time.perf_counter() - start, failed)
        return None if failed else reply

    async def pull(self, station: Workstation) -> None:
        for path, cursor in (("/sync/directory", "directory_cursor"),
                             ("/sync/cases", "cases_cursor")):
            while True:
                query = urlencode({"after": getattr(station, cursor), "limit": PAGE})
                page = await self.call(path, station, "GET", f"{path}?{query}")
                if page is None:
                    break
                setattr(station, cursor, page["cursor"])
                if not page["more"]:
                    break

    async def push(self, station: Workstation, rng: random.Random) -> None:
        change = new_change("create", new_id(), {
            "call_type": rng.choice(CALL_TYPES), "urgency": rng.choice(("urgent", "non-urgent")),
            "status": "open", "summary": f"Call taken by {station.user}"})
        reply = await self.call("/sync/push", station, "POST", "/sync/push",
                                {"changes": [change]})
        if reply is not None and reply["results"][0]["status"] != "applied":
            self.samples.rejected += 1

    async def run(self, station: Workstation, start: float, end: float,
                  rng: random.Random) -> None:
        """Pull every 2 s and push every 10 s, from random offsets, until ``end``."""
        loop = asyncio.get_running_loop()
        next_pull = start + rng.uniform(0, PULL_EVERY)
        next_push = start + rng.uniform(0, PUSH_EVERY)
        while (due := min(next_pull, next_push)) < end:
            await asyncio.sleep(max(0.0, due - loop.time()))
            if next_push <= next_pull:
                await self.push(station, rng)
                next_push += PUSH_EVERY
            else:
                await self.pull(station)
                next_pull += PULL_EVERY


async def bounded(limit: int, jobs: list[Awaitable[Any]]) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Awaitable[Any]) -> Any:
        async with gate:
            return await job

    return await asyncio.gather(*(one(job) for job in jobs))


async def prepare(load: Load, server: Server, clients: int, users: int,
                  workers: int) -> list[Workstation]:
    """Users made, every workstation signed in and caught up: nothing of this is timed."""
    host, port = urlsplit(server.url).hostname or "", urlsplit(server.url).port or 80
    admin = Workstation(ADMIN, Connection(host, port))
    await admin.sign_in()
    names = [f"bench-specialist-{n:04d}" for n in range(users)]
    stations = [Workstation(names[n % users], Connection(host, port)) for n in range(clients)]

    async def add_user(station: Workstation) -> None:
        status, reply = await station.connection.json("POST", "/admin/users", {
            "name": station.user, "role": "specialist", "password": PASSWORD},
            admin.access_token)
        if status != 201:
            raise SystemExit(f"cannot add {station.user} ({status}): {reply}")

    async def sign_in_and_catch_up(station: Workstation) -> None:
        await station.sign_in()
        await load.pull(station)
        # Idle until the window, the server would drop it (keep-alive timeout) just as it is
        # used again; the first request of the window connects afresh instead.
        station.connection.close()

    say(f"adding {users} users and signing each of {clients} workstations in")
    await bounded(2 * workers, [add_user(station) for station in stations[:users]])
    await bounded(2 * workers, [sign_in_and_catch_up(station) for station in stations])
    admin.connection.close()
    return stations


async def watch_lag(samples: Samples, end: float) -> None:
    """How late the event loop fires a timer: the load generator's own delay."""
    loop = asyncio.get_running_loop()
    while loop.time() < end:
        planned = loop.time() + LAG_TICK
        await asyncio.sleep(LAG_TICK)
        samples.lag.append(loop.time() - planned)


def machine_busy() -> tuple[float, float] | None:
    """(busy, total) CPU time of the whole machine so far, where /proc/stat tells it."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    ticks = [float(value) for value in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0.0)
    return sum(ticks) - idle, sum(ticks)


async def measure(server: Server, args: argparse.Namespace) -> dict[str, object]:
    samples = Samples()
    load = Load(samples)
    stations = await prepare(load, server, args.clients, args.users or args.clients,
                             args.workers)
    say(f"{args.clients} workstations syncing for {args.seconds:g} s")
    loop = asyncio.get_running_loop()
    rng = random.Random(args.seed)
    start = loop.time()
    end = start + args.seconds
    samples.recording = True
    cpu, wall, machine = time.process_time(), time.perf_counter(), machine_busy()
    server_cpu = cpu_seconds(server.pid)
    await asyncio.gather(watch_lag(samples, end), *(
        load.run(station, start, end, random.Random(rng.random())) for station in stations))
    samples.recording = False
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    machine_after = machine_busy()
    server_cpu_after = cpu_seconds(server.pid)
    for station in stations:
        station.connection.close()
    for reason, count in samples.reasons.most_common(5):
        say(f"  {count} failed: {reason}")
    say_timeline(samples.timeline)
    figures = summary(samples, wall)
    figures["generator_cpu_pct"] = round(100 * cpu / wall)
    if server_cpu is not None and server_cpu_after is not None:
        figures["server_cpu_pct"] = round(100 * (server_cpu_after - server_cpu) / wall)
    if machine is not None and machine_after is not None:
        busy, total = (after - before for after, before in zip(machine_after, machine,
                                                               strict=True))
        figures["machine_cpu_pct"] = round(100 * busy / total) if total else None
    return figures


def say_timeline(timeline: list[tuple[float, float]], step: float = 5.0) -> None:
    """p99 of each few seconds of the window: a slow tail that comes in bursts shows here."""
    if not timeline:
        return
    first = min(start for start, _ in timeline)
    slices: dict[int, list[float]] = {}
    for start, seconds in timeline:
        slices.setdefault(int((start - first) // step), []).append(seconds)
    say("  p99 by " + f"{step:g} s: " + ", ".join(
        f"{1000 * percentile(values, 0.99):.0f}" for _, values in sorted(slices.items())))


def summary(samples: Samples, wall: float) -> dict[str, object]:
    every = [s for values in samples.latencies.values() for s in values]
    if not every:
        raise SystemExit("no request was made in the window")
    figures: dict[str, object] = {
        "requests": len(every), "errors": sum(samples.errors.values()),
        "p50_ms": round(1000 * percentile(every, 0.5), 1),
        "p99_ms": round(1000 * percentile(every, 0.99), 1),
        "requests_per_s": round(len(every) / wall), "rejected": samples.rejected}
    for kind, values in sorted(samples.latencies.items()):
        name = kind.strip("/").replace("/", "_")
        figures[f"{name}_p99_ms"] = round(1000 * percentile(values, 0.99), 1)
        figures[f"{name}_errors"] = samples.errors[kind]
    figures["loop_lag_p99_ms"] = round(1000 * percentile(samples.lag or [0.0], 0.99), 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int,
                        help="specialists the workstations sign in as (default: one each)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--database-url", help="a scratch PostgreSQL database (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-server-") as folder:
        home = Path(folder)
        database_url = args.database_url or sqlite_url(home / "server.sqlite")
        if args.database_url is not None:
            if not is_postgres(database_url):
                raise SystemExit("--database-url: a PostgreSQL URL (or none, for SQLite)")
            fresh_postgres(database_url)
        server_command(home, database_url, "import-directory",
                       str(ROOT / "resources" / "demo" / "directory.json"))
        create_users(home, database_url, [ADMIN], "admin")
        with running_server(home, database_url, args.workers) as server:
            figures = asyncio.run(measure(server, args))
    report({"clients": args.clients, "seconds": args.seconds, **figures,
            "database": "postgresql" if args.database_url else "sqlite",
            "workers": args.workers})


if __name__ == "__main__":
    main()
