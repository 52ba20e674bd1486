"""The server as deployed: a signing key from a secret file, the sign-in policy, the release it
announces to workstations (and a workstation hearing of it at its next sync)."""

from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from console.server.app import create_app
from console.server.auth import create_user, signing_key
from console.server.config import ServerConfig
from tests.live_server import PASSWORD, live_server
from tests.server.conftest import bearer, sign_in, workstation

KEY = "a-signing-key-kept-in-a-secret-file-0123456789"


def test_tokens_are_signed_with_the_key_from_the_secret_file(engine: Engine,
                                                             tmp_path: Path) -> None:
    key_file = tmp_path / "signing-key"
    key_file.write_text(KEY + "\n")
    config = ServerConfig(signing_key_file=key_file, access_token_minutes=5)
    create_user(engine, "sam", "specialist", PASSWORD)
    with TestClient(create_app(engine, config)) as client:
        tokens = sign_in(client, "sam")
        assert tokens["expires_in"] == 300  # the configured sign-in policy
        claims = jwt.decode(tokens["access_token"], KEY, algorithms=["HS256"])
        assert claims["sub"] == "sam"
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(tokens["access_token"], signing_key(engine), algorithms=["HS256"])
        assert client.get("/sync/queue", headers=bearer(tokens)).status_code == 200
    # Another instance with the same key file accepts the token; one without it does not.
    with TestClient(create_app(engine, config)) as other:
        assert other.get("/sync/queue", headers=bearer(tokens)).status_code == 200
    with TestClient(create_app(engine)) as unconfigured:
        assert unconfigured.get("/sync/queue", headers=bearer(tokens)).status_code == 401


def test_the_release_is_announced_to_signed_in_workstations(engine: Engine) -> None:
    config = ServerConfig(console_release="0.4.0",
                          console_download_url="https://it.example.org/hotline")
    create_user(engine, "sam", "specialist", PASSWORD)
    with TestClient(create_app(engine, config)) as client:
        assert client.get("/console/release").status_code == 401
        reply = client.get("/console/release", headers=bearer(sign_in(client, "sam")))
        assert reply.status_code == 200
        assert reply.json() == {"current": "0.4.0",
                                "download_url": "https://it.example.org/hotline"}


@pytest.mark.parametrize(("announced", "expected"), [("99.0.0", "99.0.0"), (None, None)])
def test_a_workstation_hears_of_a_newer_console_at_its_sync(
        database_url: str, tmp_path: Path, announced: str | None, expected: str | None) -> None:
    with live_server(database_url, ServerConfig(console_release=announced)) as live, \
            workstation(live, tmp_path, live.add_user("sam")) as desk:
        desk.sync.sync_once()
        release = desk.sync.status.release
        assert (release.version if release else None) == expected
