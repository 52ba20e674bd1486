"""Every endpoint against every caller: the roles each endpoint declares are the roles it lets in.

The matrix is built from the application's own routes, so an endpoint added without declared
roles, or one whose check does not match its declaration, fails here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from console.server.auth import ROLES
from tests.live_server import PASSWORD
from tests.server.conftest import ROLE_USERS, bearer, sign_in

PUBLIC = "public"
METRICS = "metrics"  # the scrape token, which no person's sign-in is
CALLERS = ("anonymous", "bad token", *ROLES)

# Plausible values for path parameters: a real table, an id that does not exist, a number.
PATH_VALUES = {"kind": "organization", "record_id": "3f1e8e0c-4c4b-4bde-9a47-0c1d2b1f6a10",
               "snapshot_id": "1", "name": "no-such-user",
               "alert_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}
# Query parameters some endpoints need to answer at once: the alert stream would stay open.
QUERIES = {"/alerts/stream": {"seconds": 0}}


def _bodies(client: TestClient) -> dict[tuple[str, str], Callable[[], Any]]:
    """A minimal valid body per endpoint; made fresh per call (refresh tokens work once)."""
    return {
        ("POST", "/auth/sign-in"): lambda: {"user": ROLE_USERS["specialist"],
                                            "password": PASSWORD},
        ("POST", "/auth/refresh"): lambda: {
            "refresh_token": sign_in(client, ROLE_USERS["specialist"])["refresh_token"]},
        ("POST", "/auth/sign-out"): lambda: {"refresh_token": "not-a-real-refresh-token"},
        ("POST", "/sync/push"): lambda: {"changes": []},
        ("POST", "/audit/events"): lambda: {"events": []},
        ("POST", "/admin/users"): lambda: {"name": "newcomer", "role": "specialist",
                                           "password": "a long enough password"},
        ("POST", "/admin/directory/{kind}"): lambda: {"name": "Role Check Organization"},
        ("PATCH", "/admin/directory/{kind}/{record_id}"): lambda: {"name": "Renamed"},
        ("POST", "/sync/workstation"): lambda: {
            "workstation": "5d0b8d5e-2d0e-4a43-9d55-8ad0f3f8c2a1", "version": "0.1.0"},
        ("POST", "/admin/users/{name}/password"): lambda: {"password": "a long enough password"},
        ("POST", "/admin/users/{name}/role"): lambda: {"role": "specialist"},
        ("POST", "/alerts"): lambda: {
            "id": str(uuid.uuid4()), "case_id": str(uuid.uuid4()), "reasons": ["Help now"],
            "raised_at": "2026-01-01T00:00:00+00:00"},
    }


def _routes(client: TestClient) -> list[tuple[str, APIRoute]]:
    routes = [route for route in client.app.routes if isinstance(route, APIRoute)]
    return [(method, route) for route in routes for method in sorted(route.methods)]


def _call(client: TestClient, method: str, route: APIRoute, caller: str,
          headers: dict[str, dict[str, str]]) -> int:
    path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], route.path)
    make_body = _bodies(client).get((method, route.path))
    sent = {}
    if caller == "bad token":
        sent = bearer("not.a.token")
    elif caller in ROLES:
        sent = headers[caller]
    reply = client.request(method, path, headers=sent, params=QUERIES.get(route.path),
                           json=make_body() if make_body else None)
    return reply.status_code


def test_every_endpoint_declares_its_roles(client: TestClient) -> None:
    routes = _routes(client)
    assert len(routes) >= 16
    for method, route in routes:
        extra = route.openapi_extra or {}
        roles = extra.get("x-roles")
        assert roles, f"{method} {route.path} declares no roles (use route(...))"
        known = {PUBLIC, METRICS, *ROLES}
        assert set(roles) <= known, f"{method} {route.path}: unknown roles {roles}"
        assert roles == [PUBLIC] or PUBLIC not in roles


def test_role_matrix(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    wrong = []
    for method, route in _routes(client):
        roles = (route.openapi_extra or {})["x-roles"]
        for caller in CALLERS:
            status = _call(client, method, route, caller, headers)
            assert status < 500, f"{method} {route.path} as {caller}: {status}"
            if PUBLIC in roles:
                expected = "not 401/403"
                ok = status not in (401, 403)
            elif caller in ("anonymous", "bad token"):
                expected, ok = "401", status == 401
            elif caller not in roles:
                expected, ok = "403", status == 403
            else:
                expected = "not 401/403"
                ok = status not in (401, 403)
            if not ok:
                wrong.append(f"{method} {route.path} as {caller}: {status}, wanted {expected}")
    assert not wrong, "\n".join(wrong)


def test_openapi_document_carries_the_roles(client: TestClient) -> None:
    reply = client.get("/openapi.json")
    assert reply.status_code == 200
    paths = reply.json()["paths"]
    for method, route in _routes(client):
        operation = paths[route.path][method.lower()]
        assert operation["x-roles"] == route.openapi_extra["x-roles"]


def test_malformed_authorization_is_401(client: TestClient) -> None:
    for header in ("Basic abc", "Bearer", "Bearer ", "token abc", "Bearer a b"):
        reply = client.get("/sync/directory", headers={"Authorization": header})
        assert reply.status_code == 401, header
        assert reply.headers.get("www-authenticate") == "Bearer"
