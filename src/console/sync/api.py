"""Talking to the central server over HTTP, with every failure turned into a clear error.

``ServerApi`` signs in, renews the access token when it expires (saving the new pair through the
credential store), and checks that every reply is JSON of the expected shape before anyone uses it.

Passwords and cases travel only over TLS (certificates verified): plain ``http://`` is refused
for any server but this computer's own (loopback), and a loopback server is reached directly,
never through a proxy named in the environment, which would see everything sent to it.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import orjson

from console.errors import UserError
from console.security.credentials import CredentialStore, Tokens, normalize_server_url

if TYPE_CHECKING:
    import httpx

# httpx is imported where a request is made, not with this module: the window imports the
# errors below at start and talks to a server only afterwards, on the sync lane.
TIMEOUT = (5.0, 30.0, 30.0, 30.0)  # seconds to connect, read, write, wait for a connection


class SyncError(UserError):
    """Base of everything that can stop a sync; the message is meant for the specialist."""


class ServerUnreachable(SyncError):
    """No answer: network down, server stopped, connection cut. Try again later."""


class ServerRefused(SyncError):
    """The server answered with an error (status and its reason)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"the server refused ({status}): {reason}")
        self.status = status


class SignInNeeded(SyncError):
    """No valid sign-in for this server; sign in with ``hotline sync --user NAME``."""


class BadReply(SyncError):
    """The server answered something this console cannot read; nothing was applied."""


class InsecureServer(SyncError):
    """A server address this console will not send a password to (plain http, not loopback)."""


def is_loopback(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_server_url(server_url: str) -> bool:
    """Whether ``server_url`` is on this computer; ``InsecureServer`` unless it is https://
    or a loopback http:// address."""
    import httpx

    url = httpx.URL(server_url)
    loopback = is_loopback(url.host)
    if url.scheme == "https" and url.host:
        return loopback
    if url.scheme == "http" and loopback:
        return True
    raise InsecureServer(
        f"{server_url} is not a secure address: use https:// (plain http:// only reaches a "
        "server on this computer)")


class ServerApi:
    def __init__(self, server_url: str, credentials: CredentialStore,
                 transport: httpx.BaseTransport | None = None) -> None:
        import httpx

        self.server_url = normalize_server_url(server_url)
        loopback = check_server_url(self.server_url)
        self._credentials = credentials
        # trust_env off for loopback: no HTTP(S)_PROXY may stand between us and our own server.
        self._http = httpx.Client(base_url=self.server_url, timeout=TIMEOUT, transport=transport,
                                  verify=True, trust_env=not loopback)
        # Sync and the alert stream share this API from two threads: one renews an expired
        # token, the other then uses the new one. Two renewals with the same refresh token
        # would look like a stolen token to the server, which then revokes the sign-in.
        self._renewing = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def sign_in(self, user: str, password: str) -> Tokens:
        reply = self._call("POST", "/auth/sign-in", json={"user": user, "password": password})
        return self._keep_tokens(reply)

    def role(self) -> str:
        return self._tokens().role

    def user(self) -> str:
        return self._tokens().user

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self._authorized("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._authorized("POST", path, content=orjson.dumps(body),
                                headers={"Content-Type": "application/json"})

    @contextmanager
    def stream(self, path: str, params: dict[str, Any] | None = None,
               timeout: httpx.Timeout | tuple[float, ...] = TIMEOUT) -> Iterator[httpx.Response]:
        """A streamed reply (the directory snapshot, the alert stream), authorized like any
        call; a connection lost while reading is ``ServerUnreachable`` too."""
        tokens = self._tokens()
        response = self._open_stream(path, params, timeout, tokens)
        if response.status_code == 401:
            response.close()
            response = self._open_stream(path, params, timeout, self._renew(tokens))
        try:
            if response.status_code != 200:
                response.read()
                raise ServerRefused(response.status_code, _reason(response))
            with self._errors():
                yield response
        finally:
            response.close()

    # --- inside ---

    def _open_stream(self, path: str, params: dict[str, Any] | None, timeout: httpx.Timeout,
                     tokens: Tokens) -> httpx.Response:
        with self._errors():
            request = self._http.build_request(
                "GET", path, params=params, timeout=timeout,
                headers={"Authorization": f"Bearer {tokens.access_token}"})
            return self._http.send(request, stream=True)

    def _tokens(self) -> Tokens:
        tokens = self._credentials.load(self.server_url)
        if tokens is None:
            raise SignInNeeded(f"not signed in to {self.server_url}")
        return tokens

    def _authorized(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        tokens = self._tokens()
        headers = options.pop("headers", {})
        try:
            return self._call(method, path, headers={
                **headers, "Authorization": f"Bearer {tokens.access_token}"}, **options)
        except ServerRefused as refused:
            if refused.status != 401:
                raise
        tokens = self._renew(tokens)
        return self._call(method, path, headers={
            **headers, "Authorization": f"Bearer {tokens.access_token}"}, **options)

    def _renew(self, tokens: Tokens) -> Tokens:
        with self._renewing:
            current = self._credentials.load(self.server_url)
            if current is not None and current.access_token != tokens.access_token:
                return current  # renewed by the other thread while this one waited
            return self._refresh(tokens)

    def _refresh(self, tokens: Tokens) -> Tokens:
        try:
            reply = self._call("POST", "/auth/refresh",
                               json={"refresh_token": tokens.refresh_token})
        except ServerRefused as refused:
            if refused.status == 401:
                self._credentials.clear(self.server_url)
                raise SignInNeeded("the sign-in has expired; sign in again") from None
            raise
        return self._keep_tokens(reply)

    def _keep_tokens(self, reply: dict[str, Any]) -> Tokens:
        try:
            tokens = Tokens(user=str(reply["user"]), role=str(reply["role"]),
                            access_token=str(reply["access_token"]),
                            refresh_token=str(reply["refresh_token"]))
        except KeyError as missing:
            raise BadReply(f"the sign-in reply lacks {missing}") from None
        self._credentials.save(self.server_url, tokens)
        return tokens

    @contextmanager
    def _errors(self) -> Iterator[None]:
        import httpx

        try:
            yield
        except (httpx.TransportError, httpx.StreamError) as error:
            raise ServerUnreachable(f"cannot reach {self.server_url}: "
                                    f"{error.__class__.__name__} {error}".strip()) from None

    def _call(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        with self._errors():
            response = self._http.request(method, path, **options)
        if response.status_code >= 400:
            raise ServerRefused(response.status_code, _reason(response))
        return _json_object(response)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        reply = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise BadReply("the server's reply is not JSON") from None
    if not isinstance(reply, dict):
        raise BadReply("the server's reply is not a JSON object")
    return reply


def _reason(response: httpx.Response) -> str:
    try:
        reply = orjson.loads(response.content)
        return str(reply.get("error") or reply)[:300]
    except (orjson.JSONDecodeError, AttributeError):
        return response.reason_phrase or "no reason given"


def expect(reply: dict[str, Any], key: str, kind: type | tuple[type, ...],
           check: Callable[[Any], bool] = lambda _value: True) -> Any:
    """``reply[key]`` if it has the expected type (and passes ``check``), else ``BadReply``."""
    value = reply.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int) or not check(value):
        raise BadReply(f"the server's reply has a bad or missing {key!r}")
    return value
