"""What the server tells the people who run it: JSON log lines, request ids, Prometheus metrics.

Every request gets an id (the caller's ``X-Request-ID`` when it is a plain token, else a new
one), returned in the reply's header and put on every log line written while it is served, so
one request can be followed through a busy log. Logs are JSON lines on standard output, the
container convention; they carry routes, statuses and timings, never a request's body.

Metrics are counted where requests pass, by route template (``/admin/directory/{kind}``, never
a concrete id), so nothing here knows about sign-ins or pushes: a 401 or 429 on the sign-in
route *is* a failed or throttled sign-in. Figures that live in the database (feed lag, workstations
that stopped syncing, the connection pool) are read when Prometheus scrapes.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.logs import clip_message, format_failure, log_level

REQUEST_ID_HEADER = "X-Request-ID"
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_current_request: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
log = logging.getLogger("console.server.requests")

# Request latencies from a quick health check to a first-sync snapshot download.
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_BYTES = (256, 1024, 8192, 65_536, 524_288, 4_194_304, 16_777_216, 134_217_728)


def current_request_id() -> str:
    return _current_request.get()


# --- logs --------------------------------------------------------------------------------------

class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any extras."""

    # uvicorn's ``color_message`` repeats the message with terminal colour codes.
    _STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime",
                                                                "color_message"}

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": clip_message(record.getMessage()),
            "request_id": current_request_id(),
        }
        line.update({key: value for key, value in vars(record).items()
                     if key not in self._STANDARD and not key.startswith("_")})
        if record.exc_info and isinstance(record.exc_info[1], BaseException):
            line["failure"] = format_failure(record.exc_info[1])
        return orjson.dumps(line, default=str).decode()


def configure_server_logging(level: int | None = None) -> None:
    """JSON lines on standard output for this process (and for uvicorn's own loggers)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(log_level() if level is None else level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # The request middleware writes one line per request; uvicorn's access line would repeat it
    # with the raw path and query.
    logging.getLogger("uvicorn.access").disabled = True
    # Alembic announces each of its plugins at every start: noise at INFO.
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))


# --- metrics -----------------------------------------------------------------------------------

class RequestMetrics:
    """The server's request figures, in a registry of its own (one per application)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "hotline_http_requests", "Requests served, by route template and status",
            ("method", "route", "status"), registry=self.registry)
        self.seconds = Histogram(
            "hotline_http_request_seconds", "Time to serve a request, by route template",
            ("method", "route"), buckets=_SECONDS, registry=self.registry)
        self.received = Histogram(
            "hotline_http_request_bytes", "Request body sizes (pushes, audit events)",
            ("method", "route"), buckets=_BYTES, registry=self.registry)
        self.sent = Histogram(
            "hotline_http_response_bytes", "Reply sizes (pulls, snapshots, push answers)",
            ("method", "route"), buckets=_BYTES, registry=self.registry)
        self.sign_in_failures = Counter(
            "hotline_sign_in_failures", "Sign-ins refused for a wrong name or password",
            registry=self.registry)
        self.sign_in_throttled = Counter(
            "hotline_sign_in_throttled", "Sign-ins turned away for too many attempts",
            registry=self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float, received: int,
                sent: int) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.seconds.labels(method, route).observe(seconds)
        if received:
            self.received.labels(method, route).observe(received)
        self.sent.labels(method, route).observe(sent)
        if route == "/auth/sign-in" and status == 401:
            self.sign_in_failures.inc()
        elif route == "/auth/sign-in" and status == 429:
            self.sign_in_throttled.inc()

    def exposition(self, extra: Iterable[Collector]) -> bytes:
        """The text Prometheus reads: this process's figures (all workers' in multiprocess
        mode) and the ``extra`` collectors read now."""
        from prometheus_client import generate_latest
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        if os.environ.get(MULTIPROCESS_ENV):
            MultiProcessCollector(registry)
        else:
            registry.register(_Forward(self.registry))
        for collector in extra:
            registry.register(collector)
        return generate_latest(registry)


class _Forward(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()


class DatabaseFigures(Collector):
    """Figures read from the database at scrape time: feed lag, quiet workstations, the pool."""

    def __init__(self, engine: Engine, quiet_hours: float = 24.0) -> None:
        self._engine = engine
        self._quiet_hours = quiet_hours

    def collect(self) -> Iterable[Metric]:
        from console.server.models import DirectorySnapshot, FeedClock
        from console.server.workstations import list_workstations

        with self._engine.connect() as connection:
            head = connection.scalar(select(FeedClock.value).where(FeedClock.id == 1)) or 0
            newest = connection.execute(
                select(DirectorySnapshot.cursor, DirectorySnapshot.created_at)
                .where(DirectorySnapshot.complete.is_(True))
                .order_by(DirectorySnapshot.id.desc()).limit(1)).first()
            users = connection.scalar(select(func.count()).select_from(_user_table())) or 0
        yield _gauge("hotline_feed_head", "Newest directory change number", head)
        behind = head - newest.cursor if newest is not None else head
        yield _gauge("hotline_snapshot_lag_changes",
                     "Directory changes a first sync must page after the newest snapshot", behind)
        if newest is not None:
            made = newest.created_at if newest.created_at.tzinfo else newest.created_at.replace(
                tzinfo=UTC)
            yield _gauge("hotline_snapshot_age_seconds", "Age of the newest directory snapshot",
                         (datetime.now(UTC) - made).total_seconds())
        yield _gauge("hotline_users", "Accounts on the server", users)
        quiet = list_workstations(self._engine, self._quiet_hours)
        yield _gauge("hotline_workstations_quiet",
                     f"Workstations with no successful sync for {self._quiet_hours:g} hours",
                     len(quiet))
        pool = self._engine.pool
        checked_out = getattr(pool, "checkedout", None)
        if callable(checked_out):
            yield _gauge("hotline_db_pool_in_use", "Database connections in use (this process)",
                         checked_out())
            size = getattr(pool, "size", None)
            if callable(size):
                yield _gauge("hotline_db_pool_size", "Database pool size (this process)", size())


def _user_table():  # type: ignore[no-untyped-def]
    from console.server.models import User

    return User.__table__


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


# --- the middleware ----------------------------------------------------------------------------

class Observe:
    """Request id, one JSON log line and the metrics for every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self._app = app
        self._metrics = metrics
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        offered = dict(scope.get("headers", ())).get(REQUEST_ID_HEADER.lower().encode(), b"")
        request_id = offered.decode("latin-1")
        if not _REQUEST_ID.fullmatch(request_id):
            request_id = uuid.uuid4().hex
        token = _current_request.set(request_id)
        started = self._clock()
        received = sent = 0
        status = 500

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            return message

        async def tagging_send(message: Message) -> None:
            nonlocal sent, status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()),
                                      (REQUEST_ID_HEADER.encode(), request_id.encode())]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self._app(scope, counting_receive, tagging_send)
        finally:
            seconds = self._clock() - started
            route = getattr(scope.get("route"), "path", None) or "(no route)"
            self._metrics.observe(scope["method"], route, status, seconds, received, sent)
            log.info("%s %s %s", scope["method"], route, status, extra={
                "method": scope["method"], "route": route, "status": status,
                "ms": round(seconds * 1000, 1), "bytes_in": received, "bytes_out": sent})
            _current_request.reset(token)
