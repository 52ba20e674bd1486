"""Users, passwords and tokens: what gets stored, who gets in, and how long a token is good for."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from console.cli import main
from console.server import auth
from console.server.auth import create_user, signing_key
from console.server.models import User
from tests.live_server import PASSWORD
from tests.server.conftest import bearer, sign_in

PROTECTED = "/sync/cases"


def stored_user(engine: Engine, name: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(select(User).where(User.name == name)).first()


BAD_USERS = [
    ("alice", "root", PASSWORD, "role must be one of"),
    ("alice", "", PASSWORD, "role must be one of"),
    ("alice", "specialist", "short", "at least 8 characters"),
    ("", "specialist", PASSWORD, "user name"),
    ("   ", "specialist", PASSWORD, "user name"),
    ("two words", "specialist", PASSWORD, "user name"),
    ("tab\tname", "specialist", PASSWORD, "user name"),
    ("nul\x00name", "specialist", PASSWORD, "user name"),
    ("x" * 201, "specialist", PASSWORD, "user name"),
]


def test_create_user_refuses_bad_input(engine: Engine) -> None:
    for name, role, password, problem in BAD_USERS:
        with pytest.raises(ValueError, match=problem):
            create_user(engine, name, role, password)
    with engine.connect() as connection:
        assert connection.execute(select(User)).first() is None


def test_stored_password_is_an_argon2_hash(engine: Engine) -> None:
    create_user(engine, "alice", "specialist", PASSWORD)
    stored = stored_user(engine, "alice").password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)


@pytest.mark.production_hashing
def test_production_hashing_cost(engine: Engine) -> None:
    create_user(engine, "alice", "specialist", PASSWORD)
    stored = stored_user(engine, "alice").password_hash
    # argon2-cffi's recommended parameters: 64 MiB of memory, three passes.
    assert "m=65536,t=3" in stored


def test_create_user_again_is_an_error_never_a_reset(engine: Engine,
                                                     client: TestClient) -> None:
    create_user(engine, "alice", "specialist", PASSWORD)
    with pytest.raises(auth.UserExists):
        create_user(engine, "alice", "supervisor", "a brand new password")
    assert stored_user(engine, "alice").role == "specialist"
    assert client.post("/auth/sign-in", json={"user": "alice", "password": "a brand new password"}
                       ).status_code == 401
    assert sign_in(client, "alice")["role"] == "specialist"


def test_sign_in_right_and_wrong(engine: Engine, client: TestClient) -> None:
    create_user(engine, "alice", "specialist", PASSWORD)
    tokens = sign_in(client, "alice")
    assert tokens["user"] == "alice" and tokens["role"] == "specialist"
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] > 0
    assert client.get(PROTECTED, headers=bearer(tokens)).status_code == 200
    wrong = client.post("/auth/sign-in", json={"user": "alice", "password": "not it at all"})
    unknown = client.post("/auth/sign-in", json={"user": "nobody", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    # The same words either way: a caller cannot learn which user names exist.
    assert wrong.json() == unknown.json() == {"error": "wrong user name or password"}


def test_disabled_user_cannot_sign_in_or_refresh(engine: Engine, client: TestClient) -> None:
    create_user(engine, "alice", "specialist", PASSWORD)
    tokens = sign_in(client, "alice")
    with engine.begin() as connection:
        connection.execute(update(User).where(User.name == "alice").values(disabled=True))
    reply = client.post("/auth/sign-in", json={"user": "alice", "password": PASSWORD})
    assert reply.status_code == 401
    reply = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reply.status_code == 401


def test_refresh_rotates_and_reusing_the_old_token_revokes_the_chain(
        engine: Engine, client: TestClient) -> None:
    create_user(engine, "alice", "specialist", PASSWORD)
    first = sign_in(client, "alice")
    reply = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reply.status_code == 200
    second = reply.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["user"] == "alice" and second["role"] == "specialist"
    assert client.get(PROTECTED, headers=bearer(second)).status_code == 200
    again = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401
    # Someone holds a copy: the newer token of that chain, and its access token, stop too.
    assert client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]}
                       ).status_code == 401
    assert client.get(PROTECTED, headers=bearer(second)).status_code == 401


def test_sign_out_revokes_the_refresh_token(engine: Engine, client: TestClient) -> None:
    create_user(engine, "alice", "specialist", PASSWORD)
    tokens = sign_in(client, "alice")
    reply = client.post("/auth/sign-out", json={"refresh_token": tokens["refresh_token"]},
                        headers=bearer(tokens))
    assert reply.status_code == 200
    reply = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reply.status_code == 401


def _token(key: str, **claims: Any) -> str:
    now = datetime.now(UTC)
    base = {"sub": "alice", "role": "specialist", "ver": 0, "typ": "access", "iat": now,
            "exp": now + timedelta(minutes=5)}
    return jwt.encode({**base, **claims}, key, algorithm="HS256")


def test_expired_access_token_is_refused(engine: Engine, client: TestClient) -> None:
    create_user(engine, "alice", "specialist", PASSWORD)
    key = signing_key(engine)
    assert client.get(PROTECTED, headers=bearer(_token(key))).status_code == 200
    past = datetime.now(UTC) - timedelta(hours=1)
    reply = client.get(PROTECTED, headers=bearer(_token(key, iat=past,
                                                        exp=past + timedelta(minutes=15))))
    assert reply.status_code == 401
    assert "expired" in reply.json()["error"]


def test_forged_access_tokens_are_refused(engine: Engine, client: TestClient) -> None:
    key = signing_key(engine)
    soon = datetime.now(UTC) + timedelta(minutes=5)
    forged = {
        "other key": _token("a key the server never issued" * 2),
        "no expiry": jwt.encode({"sub": "alice", "role": "specialist", "typ": "access"}, key,
                                algorithm="HS256"),
        "refresh type": _token(key, typ="refresh"),
        "unknown role": _token(key, role="root"),
        "alg none": jwt.encode({"sub": "alice", "role": "admin", "typ": "access", "exp": soon},
                               None, algorithm="none"),
        "garbage": "eyJ.not.base64",
    }
    for what, token in forged.items():
        assert client.get(PROTECTED, headers=bearer(token)).status_code == 401, what


def test_signing_key_is_shared_and_stable(engine: Engine) -> None:
    assert signing_key(engine) == signing_key(engine)
    assert len(signing_key(engine)) >= 32


def _cli(monkeypatch: pytest.MonkeyPatch, stdin: str, *argv: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(list(argv))


def test_cli_create_user(database_url: str, engine: Engine, client: TestClient,
                         monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    code = _cli(monkeypatch, "a good long password\nignored second line\n", "server",
                "create-user", "carol", "--role", "supervisor", "--database-url", database_url)
    out, _ = capsys.readouterr()
    assert code == 0 and "carol" in out
    assert sign_in(client, "carol", "a good long password")["role"] == "supervisor"


def test_cli_create_user_refuses_a_short_password(
        database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code = _cli(monkeypatch, "short\n", "server", "create-user", "carol", "--role",
                "specialist", "--database-url", database_url)
    _, err = capsys.readouterr()
    assert code == 1 and "at least 8 characters" in err
    assert stored_user(engine, "carol") is None


def test_cli_create_user_refuses_an_unknown_role(
        database_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_code:
        _cli(monkeypatch, f"{PASSWORD}\n", "server", "create-user", "carol", "--role", "root",
             "--database-url", database_url)
    assert exit_code.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
