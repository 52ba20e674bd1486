"""Revocation: disabling a user, resetting a password or changing a role ends every sign-in of
theirs at once (access and refresh tokens alike), from the command line or an administrator's
request; a reused refresh token ends its whole chain; each change is audited; creating a user
that exists is an error, never a takeover."""

from __future__ import annotations

import io
import sys
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, update

from console.cli import main
from console.server import auth
from console.server.auth import create_user
from console.server.models import AuditEvent, RefreshToken, User
from tests.live_server import PASSWORD
from tests.server.conftest import bearer, sign_in

# The server tests' fixtures: each test runs on SQLite and on PostgreSQL.

Headers = dict[str, dict[str, str]]


def _works(client: TestClient, tokens: dict[str, Any], path: str = "/sync/cases") -> bool:
    return client.get(path, headers=bearer(tokens)).status_code == 200


def _refreshes(client: TestClient, tokens: dict[str, Any]) -> bool:
    return client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
                       ).status_code == 200


def _admin_log(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent.user_name, AuditEvent.action,
                                         AuditEvent.subject)
                                  .where(AuditEvent.action.like("admin.%"))
                                  .order_by(AuditEvent.id)).all()
    return [tuple(row) for row in rows]


def test_disable_ends_every_sign_in_and_enable_lets_them_back(
        engine: Engine, client: TestClient, headers: Headers) -> None:
    create_user(engine, "dan", "specialist", PASSWORD)
    laptop, desk = sign_in(client, "dan"), sign_in(client, "dan")
    assert _works(client, laptop)
    reply = client.post("/admin/users/dan/disable", headers=headers["admin"])
    assert reply.status_code == 200 and reply.json() == {"name": "dan", "disabled": True}
    for tokens in (laptop, desk):
        assert not _works(client, tokens)
        assert client.post("/sync/push", json={"changes": []}, headers=bearer(tokens)
                           ).status_code == 401
        assert not _refreshes(client, tokens)
    assert client.post("/auth/sign-in", json={"user": "dan", "password": PASSWORD}
                       ).status_code == 401
    assert client.post("/admin/users/dan/enable", headers=headers["admin"]).status_code == 200
    assert not _works(client, laptop)  # the old tokens stay dead
    assert _works(client, sign_in(client, "dan"))
    assert _admin_log(engine) == [("ada", "admin.disable_user", "dan"),
                                  ("ada", "admin.enable_user", "dan")]


def test_a_password_reset_ends_old_sign_ins(engine: Engine, client: TestClient,
                                            headers: Headers) -> None:
    create_user(engine, "dan", "specialist", PASSWORD)
    old = sign_in(client, "dan")
    reply = client.post("/admin/users/dan/password", json={"password": "a fresh passphrase"},
                        headers=headers["admin"])
    assert reply.status_code == 200
    assert not _works(client, old) and not _refreshes(client, old)
    assert _works(client, sign_in(client, "dan", "a fresh passphrase"))
    assert _admin_log(engine) == [("ada", "admin.reset_password", "dan")]


def test_a_demoted_supervisor_reads_no_more(engine: Engine, client: TestClient,
                                            headers: Headers) -> None:
    create_user(engine, "sid", "supervisor", PASSWORD)
    tokens = sign_in(client, "sid")
    assert _works(client, tokens, "/audit/events")
    reply = client.post("/admin/users/sid/role", json={"role": "specialist"},
                        headers=headers["admin"])
    assert reply.status_code == 200
    assert client.get("/audit/events", headers=bearer(tokens)).status_code == 401
    assert not _refreshes(client, tokens)
    again = sign_in(client, "sid")
    assert again["role"] == "specialist"
    assert client.get("/audit/events", headers=bearer(again)).status_code == 403
    assert _admin_log(engine) == [("ada", "admin.set_role", "sid")]


def test_reusing_a_rotated_refresh_token_ends_the_chain(engine: Engine,
                                                        client: TestClient) -> None:
    create_user(engine, "dan", "specialist", PASSWORD)
    stolen = sign_in(client, "dan")
    other_device = sign_in(client, "dan")
    renewed = client.post("/auth/refresh", json={"refresh_token": stolen["refresh_token"]}
                          ).json()
    assert not _refreshes(client, stolen)  # the copy is used: the chain ends
    assert not _refreshes(client, renewed) and not _works(client, renewed)
    # Another sign-in of the same person renews its access token and goes on.
    assert _refreshes(client, other_device)


def test_creating_a_user_that_exists_is_an_error_never_a_reset(
        engine: Engine, client: TestClient, headers: Headers) -> None:
    create_user(engine, "dan", "specialist", PASSWORD)
    reply = client.post("/admin/users", json={"name": "dan", "role": "supervisor",
                                              "password": "taken over now"},
                        headers=headers["admin"])
    assert reply.status_code == 409 and "already exists" in reply.json()["error"]
    assert sign_in(client, "dan")["role"] == "specialist"
    assert client.post("/admin/users", json={"name": "eve", "role": "supervisor",
                                             "password": "a long password"},
                       headers=headers["admin"]).status_code == 201
    assert _admin_log(engine) == [("ada", "admin.create_user", "eve")]


def test_admin_user_changes_name_a_real_user_and_not_oneself(
        client: TestClient, headers: Headers) -> None:
    for action in ("disable", "enable"):
        assert client.post(f"/admin/users/nobody/{action}", headers=headers["admin"]
                           ).status_code == 404
        assert client.post(f"/admin/users/ada/{action}", headers=headers["admin"]
                           ).status_code == 409
    assert client.post("/admin/users/sam/role", json={"role": "root"},
                       headers=headers["admin"]).status_code == 422


def _cli(monkeypatch: pytest.MonkeyPatch, stdin: str, *argv: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(list(argv))


def test_the_command_line_revokes_too(database_url: str, engine: Engine, client: TestClient,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    create_user(engine, "dan", "supervisor", PASSWORD)
    where = ("--database-url", database_url)
    tokens = sign_in(client, "dan")
    assert _cli(monkeypatch, "", "server", "disable-user", "dan", *where) == 0
    assert not _works(client, tokens)
    assert _cli(monkeypatch, "", "server", "enable-user", "dan", *where) == 0
    tokens = sign_in(client, "dan")
    assert _cli(monkeypatch, "another long one\n", "server", "reset-password", "dan",
                *where) == 0
    assert not _works(client, tokens)
    tokens = sign_in(client, "dan", "another long one")
    assert _cli(monkeypatch, "", "server", "set-role", "dan", "specialist", *where) == 0
    assert not _works(client, tokens)
    assert sign_in(client, "dan", "another long one")["role"] == "specialist"
    capsys.readouterr()
    assert _cli(monkeypatch, "x long password\n", "server", "create-user", "dan", "--role",
                "admin", *where) == 1
    assert "already exists" in capsys.readouterr().err
    assert _cli(monkeypatch, "", "server", "disable-user", "nobody", *where) == 1
    assert "no user named nobody" in capsys.readouterr().err
    actions = [(action, whom) for who, action, whom in _admin_log(engine)]
    assert actions == [("admin.disable_user", "dan"), ("admin.enable_user", "dan"),
                       ("admin.reset_password", "dan"), ("admin.set_role", "dan")]
    assert all(who.startswith("server-console") for who, _, _ in _admin_log(engine))


def test_a_token_of_a_user_who_is_gone_is_refused(engine: Engine, client: TestClient) -> None:
    """On a workstation's built-in server too: a token outlives nobody it was made for."""
    create_user(engine, "dan", "specialist", PASSWORD)
    tokens = sign_in(client, "dan")
    with engine.begin() as connection:
        connection.execute(delete(RefreshToken).where(RefreshToken.user_name == "dan"))
        connection.execute(delete(User).where(User.name == "dan"))
    assert not _works(client, tokens)


def test_a_change_made_by_another_instance_reaches_this_one_within_a_second(
        engine: Engine, client: TestClient) -> None:
    create_user(engine, "dan", "specialist", PASSWORD)
    tokens = sign_in(client, "dan")
    assert _works(client, tokens)
    with engine.begin() as connection:  # as another server instance would write it
        connection.execute(update(User).where(User.name == "dan").values(disabled=True))
    time.sleep(auth.RECHECK.total_seconds() + 0.1)
    assert not _works(client, tokens)
