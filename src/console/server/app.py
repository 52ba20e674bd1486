"""The central server's HTTP interface (FastAPI); the OpenAPI document is served at /openapi.json.

Every endpoint names the roles that may call it (``route``); the names also go into the OpenAPI
document as ``x-roles``, so a test can walk every endpoint against every role. The server keeps
no state of its own between requests: any number of instances can serve one PostgreSQL database.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any

import orjson
from fastapi import Body, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console import __version__
from console.cases.audit import UUID_PATTERN
from console.models.database import head_revision
from console.server import alerts, audit, cases, directory, snapshot, workstations
from console.server import auth as accounts
from console.server.auth import ROLES, Authenticator, AuthError, Principal, create_user, list_users
from console.server.config import DATABASE_URL_ENV, DOCS_ENV, ServerConfig, load_config
from console.server.db import server_engine
from console.server.observe import (
    DatabaseFigures,
    Observe,
    RequestMetrics,
    configure_server_logging,
)
from console.server.throttle import SignInThrottle, TryLater

MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_PAGE = 10_000
DEFAULT_PAGE = 2_000
EVERYONE = ROLES
ADMIN = ("admin",)
SUPERVISOR = ("supervisor",)
OVERSIGHT = ("supervisor", "admin")
# Not a person's role: Prometheus, presenting the scrape token IT configured.
METRICS = ("metrics",)
METRICS_TOKEN_ENV = "HOTLINE_METRICS_TOKEN"


class BodyTooLarge(HTTPException):
    """Raised while the body is read. An HTTP error, because FastAPI passes those on from body
    reading (anything else becomes a 400 "error parsing the body")."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_reason(limit))


# Tighter limits for some paths: a push is bounded in work as well as in bytes.
PATH_BODY_LIMITS = {"/sync/push": cases.MAX_PUSH_BYTES, "/alerts": alerts.MAX_ALERT_BYTES}


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes before they are read into memory."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self._app = app
        self._limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit = PATH_BODY_LIMITS.get(scope.get("path", ""), self._limit)
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(limit)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
            return message

        try:
            await self._app(scope, counted, send)
        except BodyTooLarge:
            await _too_large(limit)(scope, receive, send)


# On every reply: nothing the server sends is to be cached, framed, sniffed or referred to.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"), (b"cache-control", b"no-store"),
    (b"cross-origin-resource-policy", b"same-origin")]
STRICT_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
HSTS = (b"strict-transport-security", b"max-age=31536000")
# The interactive API pages load their scripts from a CDN: they get no CSP (and may be off).
DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        extra = list(SECURITY_HEADERS)
        if not scope.get("path", "").startswith(DOCS_PATHS):
            extra.append(STRICT_CSP)
        if scope.get("scheme") == "https":
            extra.append(HSTS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in extra if h[0] not in names)]
            await send(message)

        await self._app(scope, receive, with_headers)


def docs_wanted() -> bool:
    """Whether to serve /docs and /openapi.json: yes unless HOTLINE_SERVER_DOCS says off (as
    ``hotline server --no-docs`` does; a production server need not describe itself)."""
    return os.environ.get(DOCS_ENV, "on").strip().lower() not in ("off", "0", "false", "no")


def _too_large_reason(limit: int) -> str:
    return f"request body larger than {limit // (1024 * 1024)} MB; send it in smaller parts"


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"error": _too_large_reason(limit)}, status_code=413)


class EventStream(StreamingResponse):
    """Server-sent events (the live supervisor alerts)."""

    media_type = "text/event-stream"


class ZstdResponse(StreamingResponse):
    """The directory snapshot: a SQLite file compressed with zstd, streamed."""

    media_type = "application/zstd"


# --- request bodies ----------------------------------------------------------------------------

class SignIn(BaseModel):
    user: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class Refresh(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class NewUser(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: str
    password: str = Field(min_length=8, max_length=1024)


class NewPassword(BaseModel):
    password: str = Field(min_length=8, max_length=1024)


class NewRole(BaseModel):
    role: str


class Push(BaseModel):
    changes: list[Any]  # over cases.MAX_PUSH: 413, which the workstation answers by splitting


class AuditPush(BaseModel):
    events: list[audit.WorkstationEvent] = Field(max_length=audit.MAX_PUSH)


# --- the application ---------------------------------------------------------------------------

def create_app(engine: Engine, config: ServerConfig | None = None, docs: bool | None = None
               ) -> FastAPI:
    """The server over an already migrated database engine (``docs`` None: ``docs_wanted``)."""
    config = config or ServerConfig()
    docs = docs_wanted() if docs is None else docs
    app = FastAPI(title="Hotline Console server", version=__version__,
                  **({} if docs else {"docs_url": None, "redoc_url": None,
                                      "openapi_url": None}))
    app.state.engine = engine
    app.state.config = config
    app.state.auth = Authenticator(engine, key=config.signing_key(),
                                   access_lifetime=config.access_lifetime(),
                                   refresh_lifetime=config.refresh_lifetime())
    app.state.throttle = SignInThrottle()
    app.state.metrics = RequestMetrics()
    app.state.alert_throttle = alerts.RaiseThrottle()
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Observe, metrics=app.state.metrics)
    _error_handlers(app)
    _auth_routes(app)
    _sync_routes(app)
    _audit_routes(app)
    _alert_routes(app)
    _admin_routes(app)
    _operations_routes(app)
    _release_routes(app, config)
    return app


def create_app_from_env() -> FastAPI:
    """For ``uvicorn --factory`` with several workers: the configuration comes from the env
    (``console.server.config``), the database URL as ``hotline server`` resolved it."""
    configure_server_logging()  # in each worker process
    return create_app(server_engine(os.environ.get(DATABASE_URL_ENV)), load_config())


def _release_routes(app: FastAPI, config: ServerConfig) -> None:
    @route(app.get, "/console/release", EVERYONE)
    def console_release() -> dict[str, str | None]:
        """The console release IT has rolled out; workstations running an older one say so."""
        return {"current": config.console_release, "download_url": config.console_download_url}


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
                    for e in error.errors()[:10]]
        return JSONResponse({"error": "invalid request", "problems": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400:
            # FastAPI's word for a body it could not read at all (not UTF-8, not JSON): an
            # invalid request like any other, as the API documents it.
            return JSONResponse({"error": "invalid request",
                                 "problems": ["body: not a JSON document"]}, status_code=422)
        return JSONResponse({"error": error.detail}, status_code=error.status_code,
                            headers=getattr(error, "headers", None))

    @app.exception_handler(DataError)
    async def unstorable(_request: Request, _error: DataError) -> JSONResponse:
        # PostgreSQL refuses some text SQLite takes (a NUL character): the request's fault.
        return JSONResponse({"error": "the request holds a value the database cannot store"},
                            status_code=422)

    @app.exception_handler(OperationalError)
    async def database_down(_request: Request, _error: OperationalError) -> JSONResponse:
        return JSONResponse({"error": "the database is unavailable; try again shortly"},
                            status_code=503, headers={"Retry-After": "5"})


def _principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "sign in first", headers={"WWW-Authenticate": "Bearer"})
    try:
        return request.app.state.auth.principal(token)
    except AuthError as error:
        raise HTTPException(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None


def _allow(roles: Sequence[str]) -> Callable[[Principal], Principal]:
    def check(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        if principal.role not in roles:
            raise HTTPException(403, f"the {principal.role} role may not do this")
        return principal
    return check


def _scraper(request: Request) -> None:
    """Lets in the metrics scrape token only; with none configured, nobody."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "present the metrics token",
                            headers={"WWW-Authenticate": "Bearer"})
    expected = os.environ.get(METRICS_TOKEN_ENV, "")
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return
    try:
        request.app.state.auth.principal(token)
    except AuthError:
        raise HTTPException(401, "not the metrics token",
                            headers={"WWW-Authenticate": "Bearer"}) from None
    raise HTTPException(403, "metrics are read with the metrics token, not a person's sign-in")


class ErrorReply(BaseModel):
    """Every error the server answers: what went wrong, in words for the person at the desk."""

    error: str
    problems: list[str] | None = Field(default=None,
                                       description="each invalid field, for a 422")


_ERROR_MEANINGS = {
    401: "not signed in, or the sign-in expired or was revoked",
    403: "the caller's role may not do this",
    404: "no such record",
    409: "conflicts with what is there (an existing user; one's own account)",
    413: "too large: send it in smaller parts",
    422: "the request is not valid; problems says where",
    429: "too many failed sign-ins; Retry-After says when to try again",
    503: "busy or the database is unavailable; Retry-After says when to try again",
}


def _errors(roles: Sequence[str] | None, extra: Sequence[int], json_route: bool
            ) -> dict[int | str, Any]:
    """The error replies an endpoint can give, so that its OpenAPI document is true. (FastAPI
    would give a ``model`` the media type of the route's own replies: the snapshot's errors
    are JSON all the same, so there they name the schema themselves.)"""
    codes = {413, 422, 503, *extra}
    if roles is not None:
        codes.add(401)
        if set(roles) != set(ROLES):
            codes.add(403)
    shape: dict[str, Any] = {"model": ErrorReply} if json_route else {"content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorReply"}}}}
    return {code: {**shape, "description": _ERROR_MEANINGS[code]} for code in sorted(codes)}


def route(method: Callable[..., Any], path: str, roles: Sequence[str] | None,
          errors: Sequence[int] = (), **options: Any
          ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an endpoint with the roles that may call it (None: anyone, signed in or not)
    and the errors it may answer beyond those every endpoint may (``_errors``)."""
    if roles is None:
        dependencies = []
    elif tuple(roles) == METRICS:
        dependencies = [Depends(_scraper)]
    else:
        dependencies = [Depends(_allow(roles))]
    extra = {"x-roles": list(roles) if roles is not None else ["public"]}
    json_route = "response_class" not in options
    responses = {**_errors(roles, errors, json_route), **options.pop("responses", {})}
    return method(path, dependencies=dependencies, openapi_extra=extra, responses=responses,
                  **options)


Who = Annotated[Principal, Depends(_principal)]
After = Annotated[int, Query(ge=0, le=2**62)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
AuditLimit = Annotated[int, Query(ge=1, le=audit.MAX_PAGE)]
CaseId = Annotated[str | None, Query(pattern=UUID_PATTERN)]


def _auth_routes(app: FastAPI) -> None:
    @route(app.get, "/health", None)
    async def health() -> dict[str, str]:
        # On the event loop itself: answers even while every worker thread is busy.
        return {"status": "ok", "version": __version__}

    @route(app.post, "/auth/sign-in", None, errors=(401, 429))
    async def sign_in(body: SignIn, request: Request) -> dict[str, object]:
        address = request.client.host if request.client else "unknown"
        guard: SignInThrottle = app.state.throttle
        try:
            guard.check(body.user, address)
            async with guard.hashing_slot():
                guard.check(body.user, address)  # failures recorded while this one waited
                tokens = await guard.run(app.state.auth.sign_in, body.user, body.password)
        except TryLater as wait:
            raise HTTPException(wait.status, str(wait),
                                headers={"Retry-After": str(wait.retry_after)}) from None
        except AuthError as error:
            guard.failed(body.user, address)
            raise HTTPException(401, str(error)) from None
        guard.succeeded(body.user)
        return tokens.as_dict()

    @route(app.post, "/auth/refresh", None, errors=(401,))
    def refresh(body: Refresh) -> dict[str, object]:
        try:
            return app.state.auth.refresh(body.refresh_token).as_dict()
        except AuthError as error:
            raise HTTPException(401, str(error)) from None

    @route(app.post, "/auth/sign-out", EVERYONE)
    def sign_out(body: Refresh) -> dict[str, str]:
        app.state.auth.sign_out(body.refresh_token)
        return {"status": "signed out"}


def _sync_routes(app: FastAPI) -> None:
    @route(app.get, "/sync/directory", EVERYONE)
    def directory_changes(after: After = 0, limit: Limit = DEFAULT_PAGE) -> Response:
        page = directory.changes_after(app.state.engine, after, limit)
        return _raw_json({"changes": page.changes, "cursor": page.cursor, "more": page.more})

    @route(app.get, "/sync/directory/snapshot", EVERYONE, errors=(404,))
    def snapshot_info() -> dict[str, Any]:
        info = snapshot.latest(app.state.engine)
        if info is None:
            raise HTTPException(404, "no directory snapshot yet; pull the changes instead")
        return info.as_dict()

    @route(app.get, "/sync/directory/snapshot/{snapshot_id}/data", EVERYONE, errors=(404,),
           response_class=ZstdResponse)
    def snapshot_data(snapshot_id: int) -> ZstdResponse:
        info = snapshot.latest(app.state.engine)
        if info is None or info.id != snapshot_id:
            raise HTTPException(404, "that snapshot is gone; ask for the newest one")
        chunks: Iterator[bytes] = snapshot.chunks(app.state.engine, snapshot_id)
        return ZstdResponse(chunks, headers={"Content-Length": str(info.size)})

    @route(app.get, "/sync/cases", cases.WORKS_CASES)
    def case_changes(principal: Who, after: After = 0, limit: Limit = DEFAULT_PAGE
                     ) -> Response:
        served: list[str] = []
        docs, cursor, more = cases.cases_after(app.state.engine, principal, after, limit, served)
        audit.record_reads(app.state.engine, principal, "case.pull", served)
        return _raw_json({"cases": docs, "cursor": cursor, "more": more})

    @route(app.post, "/sync/push", cases.WORKS_CASES)
    def push(principal: Who, body: Push) -> Response:
        if len(body.changes) > cases.MAX_PUSH:
            raise HTTPException(413, f"more than {cases.MAX_PUSH} changes in one push; "
                                     "send them in smaller parts")
        results = cases.push_changes(app.state.engine, principal, body.changes)
        return _raw_json({"results": results})

    @route(app.get, "/sync/queue", cases.WORKS_CASES)
    def queue(principal: Who) -> dict[str, Any]:
        case_ids = cases.queued_case_ids(app.state.engine)
        audit.record_reads(app.state.engine, principal, "case.list", case_ids, "next-shift queue")
        return {"case_ids": case_ids}

    @route(app.get, "/cases/conflicts", SUPERVISOR)
    def conflicts(principal: Who) -> dict[str, Any]:
        found = cases.open_conflicts(app.state.engine)
        audit.record_reads(app.state.engine, principal, "case.conflicts",
                           sorted({c["case_id"] for c in found}))
        return {"conflicts": found}


def _audit_routes(app: FastAPI) -> None:
    @route(app.post, "/audit/events", cases.WORKS_CASES)
    def record_events(principal: Who, body: AuditPush) -> dict[str, int]:
        stored = audit.store_events(app.state.engine, principal, body.events)
        return {"received": len(body.events), "stored": stored.new, "refused": stored.refused}

    @route(app.get, "/audit/events", SUPERVISOR)
    def audit_events(principal: Who, case_id: CaseId = None, after: After = 0,
                     limit: AuditLimit = audit.DEFAULT_PAGE) -> dict[str, Any]:
        events, cursor, more = audit.read_events(app.state.engine, case_id, after, limit)
        audit.record_reads(app.state.engine, principal, "audit.read", [case_id or ""],
                           f"{len(events)} event(s) after {after}")
        return {"events": events, "cursor": cursor, "more": more}


AlertId = Annotated[str, Path(pattern=UUID_PATTERN)]
StreamSeconds = Annotated[float, Query(ge=0, le=alerts.MAX_STREAM_SECONDS)]


def _alert_routes(app: FastAPI) -> None:
    engine = app.state.engine

    @route(app.post, "/alerts", cases.WORKS_CASES, errors=(403, 409, 429), status_code=201)
    def raise_alert(principal: Who, body: alerts.NewAlert) -> dict[str, Any]:
        """Alert every supervisor now (a resend of the same id is answered with it as stored)."""
        try:
            app.state.alert_throttle.hit(principal.name)
            return alerts.raise_alert(engine, principal, body)
        except TryLater as wait:
            raise HTTPException(wait.status, str(wait),
                                headers={"Retry-After": str(wait.retry_after)}) from None
        except alerts.AlertIdTaken as taken:
            raise HTTPException(409, str(taken)) from None
        except alerts.AlertRefused as refused:
            raise HTTPException(403, str(refused)) from None

    @route(app.post, "/alerts/{alert_id}/acknowledge", SUPERVISOR, errors=(404,))
    def acknowledge_alert(principal: Who, alert_id: AlertId) -> dict[str, Any]:
        """This supervisor is on it; the first acknowledgement stands and is audited."""
        try:
            return alerts.acknowledge(engine, principal, alert_id)
        except LookupError as error:
            raise HTTPException(404, str(error)) from None

    @route(app.get, "/alerts/stream", cases.WORKS_CASES, response_class=EventStream)
    def alert_stream(principal: Who, request: Request, after: After = 0,
                     seconds: StreamSeconds = alerts.MAX_STREAM_SECONDS) -> EventStream:
        """Server-sent events: ``alert`` (raised or acknowledged; supervisors see all, others
        their own), ``ready`` after the open alerts of a fresh start (``after`` 0), ``beat``
        while nothing happens. Each event's id is the number to pass as ``after`` to resume."""
        token = request.headers["authorization"].partition(" ")[2]

        def still_signed_in() -> bool:
            try:
                app.state.auth.principal(token)
            except AuthError:
                return False
            return True

        return EventStream(alerts.stream(engine, principal, still_signed_in, after, seconds),
                           headers={"X-Accel-Buffering": "no"})

    @route(app.get, "/calls/in-progress", SUPERVISOR)
    def calls_in_progress(principal: Who) -> dict[str, Any]:
        """The calls open on workstations now (as each last reported), longest first."""
        calls = workstations.calls_in_progress(engine)
        audit.record_reads(engine, principal, "call.list", [""],
                           f"{len(calls)} call(s) in progress")
        return {"calls": calls}


def _admin_routes(app: FastAPI) -> None:
    @route(app.get, "/admin/users", ADMIN)
    def users() -> dict[str, Any]:
        return {"users": list_users(app.state.engine)}

    @route(app.post, "/admin/users", ADMIN, errors=(409,), status_code=201)
    def add_user(principal: Who, body: NewUser) -> dict[str, str]:
        try:
            create_user(app.state.engine, body.name, body.role, body.password,
                        actor=principal.name)
        except accounts.UserExists as error:
            raise HTTPException(409, str(error)) from None
        except ValueError as error:
            raise HTTPException(422, str(error)) from None
        return {"name": body.name, "role": body.role}

    _user_admin_routes(app)

    @route(app.post, "/admin/directory/{kind}", ADMIN, errors=(404,), status_code=201)
    def add_record(kind: str, data: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return _saved(lambda: directory.save_record(app.state.engine, kind, data))

    @route(app.get, "/admin/directory/{kind}/{record_id}", ADMIN, errors=(404,))
    def true_record(kind: str, record_id: str) -> dict[str, Any]:
        """The record as stored: a confidential address whole, for directory upkeep."""
        return _saved(lambda: directory.true_record(app.state.engine, kind, record_id))

    @route(app.patch, "/admin/directory/{kind}/{record_id}", ADMIN, errors=(404,))
    def edit_record(kind: str, record_id: str, data: Annotated[dict[str, Any], Body()]
                    ) -> dict[str, Any]:
        return _saved(lambda: directory.save_record(app.state.engine, kind, data, record_id))

    @route(app.delete, "/admin/directory/{kind}/{record_id}", ADMIN, errors=(404,))
    def retire(kind: str, record_id: str) -> dict[str, Any]:
        removed = _saved(lambda: directory.retire_record(app.state.engine, kind, record_id))
        return {"removed": removed}

    @route(app.post, "/admin/directory-snapshot", ADMIN, status_code=201)
    def build_snapshot() -> dict[str, Any]:
        return snapshot.build(app.state.engine).as_dict()


def _operations_routes(app: FastAPI) -> None:
    @route(app.get, "/ready", None)
    def ready() -> JSONResponse:
        """Ready for traffic: the database answers and its schema is this version's."""
        try:
            with app.state.engine.connect() as connection:
                stored = connection.exec_driver_sql(
                    "SELECT version_num FROM alembic_version").scalar()
        except Exception:  # any failure to reach or read the database means: not ready
            return JSONResponse({"error": "the database is unreachable"}, status_code=503)
        if stored != head_revision("server"):
            return JSONResponse({"error": f"database schema {stored}, "
                                          f"this server needs {head_revision('server')}"},
                                status_code=503)
        return JSONResponse({"status": "ready", "version": __version__})

    @route(app.get, "/metrics", METRICS, response_class=PlainTextResponse)
    def metrics() -> PlainTextResponse:
        figures = app.state.metrics.exposition([DatabaseFigures(app.state.engine)])
        return PlainTextResponse(figures, media_type="text/plain; version=0.0.4; charset=utf-8")

    @route(app.post, "/sync/workstation", EVERYONE)
    def workstation_check_in(principal: Who, body: workstations.CheckIn) -> dict[str, str]:
        workstations.check_in(app.state.engine, principal, body)
        return {"status": "recorded"}

    @route(app.get, "/admin/workstations", OVERSIGHT)
    def quiet_workstations(quiet_hours: Annotated[float | None, Query(ge=0, le=24 * 365)] = None
                           ) -> dict[str, Any]:
        return {"workstations": workstations.list_workstations(app.state.engine, quiet_hours)}


UserName = Annotated[str, Path(min_length=1, max_length=200)]


def _user_admin_routes(app: FastAPI) -> None:
    """Disable, enable, reset a password, change a role: each revokes every token the user
    holds (their next request must sign in) and is audited with the administrator's name."""

    def change(principal: Principal, name: str, action: Callable[[], None],
               reply: dict[str, Any]) -> dict[str, Any]:
        if name == principal.name:
            raise HTTPException(409, "ask another administrator to change your own account")
        try:
            action()
        except LookupError as error:
            raise HTTPException(404, str(error)) from None
        except ValueError as error:
            raise HTTPException(422, str(error)) from None
        return {"name": name, **reply}

    engine = app.state.engine

    @route(app.post, "/admin/users/{name}/disable", ADMIN, errors=(404, 409))
    def disable_user(principal: Who, name: UserName) -> dict[str, Any]:
        return change(principal, name, lambda: accounts.set_disabled(
            engine, name, True, principal.name), {"disabled": True})

    @route(app.post, "/admin/users/{name}/enable", ADMIN, errors=(404, 409))
    def enable_user(principal: Who, name: UserName) -> dict[str, Any]:
        return change(principal, name, lambda: accounts.set_disabled(
            engine, name, False, principal.name), {"disabled": False})

    @route(app.post, "/admin/users/{name}/password", ADMIN, errors=(404, 409))
    def reset_password(principal: Who, name: UserName, body: NewPassword) -> dict[str, Any]:
        return change(principal, name, lambda: accounts.reset_password(
            engine, name, body.password, principal.name), {"password_reset": True})

    @route(app.post, "/admin/users/{name}/role", ADMIN, errors=(404, 409))
    def set_role(principal: Who, name: UserName, body: NewRole) -> dict[str, Any]:
        return change(principal, name, lambda: accounts.set_role(
            engine, name, body.role, principal.name), {"role": body.role})


def _raw_json(content: dict[str, Any]) -> Response:
    """Feed pages embed records stored as JSON text as they are (``orjson.Fragment``)."""
    return Response(orjson.dumps(content), media_type="application/json")


def _saved(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except LookupError as error:
        raise HTTPException(404, str(error)) from None
    except directory.RecordProblem as error:
        raise HTTPException(422, str(error)) from None
