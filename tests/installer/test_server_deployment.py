"""The server's deployment files: the systemd unit, the container's health check, the compose
file and the example configuration agree with the server they run, and the server runs
configured by environment variables alone."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import jwt
import pytest
import yaml

from console.server.config import CONFIG_FILE_ENV, ENV_PREFIX, ServerConfig, load_config
from tests.live_server import PASSWORD, free_port, live_server

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "installer" / "server"
SETTINGS = {ENV_PREFIX + name.upper() for name in ServerConfig.__dataclass_fields__}


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_systemd_unit_verifies_cleanly(tmp_path: Path) -> None:
    unit = (SERVER / "hotline-server.service").read_text()
    assert "ExecStart=/usr/bin/hotline server" in unit and "User=hotline" in unit
    # The program is not installed on this machine: point the unit at one that is.
    verified = tmp_path / "hotline-server.service"
    verified.write_text(unit.replace("/usr/bin/hotline", shutil.which("true") or "/bin/true"))
    result = subprocess.run(["systemd-analyze", "verify", str(verified)], capture_output=True,
                            text=True)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    named = {line.split("=", 2)[1] for line in unit.splitlines()
             if line.startswith("Environment=HOTLINE_")}
    assert named <= SETTINGS | {CONFIG_FILE_ENV, "HOTLINE_HOME"}


def test_the_container_runs_the_server_as_an_unprivileged_user() -> None:
    dockerfile = (SERVER / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["hotline", "server"]' in dockerfile
    assert "\nUSER hotline\n" in dockerfile and "HEALTHCHECK" in dockerfile
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), source


def test_the_compose_file_sets_only_settings_the_server_knows() -> None:
    compose = yaml.safe_load((SERVER / "compose.yaml").read_text())
    server = compose["services"]["server"]
    assert set(server["environment"]) <= SETTINGS
    assert server["depends_on"]["db"]["condition"] == "service_healthy"
    assert set(server["secrets"]) <= set(compose["secrets"])
    assert compose["services"]["db"]["image"].startswith("postgres:")


def test_the_example_configuration_loads(tmp_path: Path) -> None:
    config = load_config({CONFIG_FILE_ENV: str(SERVER / "server.toml.example")})
    assert config.host == "0.0.0.0" and config.workers == 4
    assert config.database_url_file == Path("/etc/hotline/database-url")


def test_the_release_workflow_builds_on_windows_and_macos() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
    runners = {job["runs-on"].split("-")[0] for job in workflow["jobs"].values()}
    assert {"ubuntu", "windows", "macos"} <= runners


def _healthcheck(port: int) -> int:
    return subprocess.run([sys.executable, str(SERVER / "healthcheck.py")], timeout=30,
                          env={**os.environ, "HOTLINE_PORT": str(port)}).returncode


def test_the_health_check_tells_up_from_down(tmp_path: Path) -> None:
    with live_server(f"sqlite:///{tmp_path / 'server.sqlite'}") as live:
        assert _healthcheck(int(live.url.rsplit(":", 1)[1])) == 0
    assert _healthcheck(free_port()) == 1


def _self_signed(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True, timeout=60)
    return certificate, key


def _https_json(url: str, context: ssl.SSLContext, body: dict[str, str] | None = None,
                token: str | None = None) -> dict[str, object]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=30,
                                context=context) as reply:
        return json.load(reply)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl for a certificate")
def test_the_server_runs_configured_by_environment_variables_alone(tmp_path: Path) -> None:
    """Database URL and signing key from secret files, https from its own certificate, two
    workers, the sign-in policy and the announced release: all from the environment."""
    (tmp_path / "database-url").write_text(f"sqlite:///{tmp_path / 'server.sqlite'}\n")
    (tmp_path / "signing-key").write_text("k" * 48 + "\n")
    certificate, key = _self_signed(tmp_path)
    port = free_port()
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path),
                   "HOTLINE_HOME": str(tmp_path / "home"),
                   "HOTLINE_DATABASE_URL_FILE": str(tmp_path / "database-url"),
                   "HOTLINE_SIGNING_KEY_FILE": str(tmp_path / "signing-key"),
                   "HOTLINE_TLS_CERTIFICATE": str(certificate),
                   "HOTLINE_TLS_PRIVATE_KEY": str(key),
                   "HOTLINE_PORT": str(port), "HOTLINE_WORKERS": "2",
                   "HOTLINE_ACCESS_TOKEN_MINUTES": "7", "HOTLINE_CONSOLE_RELEASE": "9.9.9"}
    hotline = [sys.executable, "-m", "console"]
    subprocess.run([*hotline, "server", "create-user", "ada", "--role", "admin"],
                   input=PASSWORD + "\n", text=True, env=environment, check=True, timeout=120)
    server = subprocess.Popen([*hotline, "server"], env=environment, stderr=subprocess.PIPE,
                              text=True)
    url = f"https://127.0.0.1:{port}"
    context = ssl.create_default_context(cafile=str(certificate))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert _https_json(f"{url}/health", context)["status"] == "ok"
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "did not start"
                time.sleep(0.2)
        health = subprocess.run([sys.executable, str(SERVER / "healthcheck.py")], timeout=30,
                                env=environment)
        assert health.returncode == 0  # the container's check speaks https here too
        tokens = _https_json(f"{url}/auth/sign-in", context, {"user": "ada", "password": PASSWORD})
        assert tokens["expires_in"] == 7 * 60
        access = str(tokens["access_token"])
        assert jwt.decode(access, "k" * 48, algorithms=["HS256"])["sub"] == "ada"
        assert _https_json(f"{url}/console/release", context, token=access)["current"] == "9.9.9"
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=60)
    assert f"on https://127.0.0.1:{port}" in errors and "Traceback" not in errors
