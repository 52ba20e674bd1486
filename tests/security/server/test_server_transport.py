"""Transport: passwords and cases travel over TLS with the certificate checked, a loopback
server is reached without any proxy, every reply carries the security headers, and a production
server can keep its API pages to itself."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from console.security.credentials import CredentialStore
from console.server.app import create_app
from console.sync.api import InsecureServer, ServerApi, ServerUnreachable
from tests.live_server import PASSWORD, free_port, live_server


@pytest.mark.parametrize("url", ["http://hotline.example.org", "http://10.1.2.3:8750",
                                 "http://127.0.0.1.example.org", "ftp://127.0.0.1", "hotline"])
def test_the_client_refuses_plain_http_beyond_this_computer(url: str) -> None:
    with pytest.raises(InsecureServer, match="https://"):
        ServerApi(url, CredentialStore.for_this_process())


@pytest.mark.parametrize("url", ["https://hotline.example.org", "http://127.0.0.1:8750",
                                 "http://localhost:8750", "http://[::1]:8750"])
def test_the_client_takes_https_and_loopback(url: str) -> None:
    ServerApi(url, CredentialStore.for_this_process()).close()


def test_loopback_is_never_reached_through_a_proxy(database_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with live_server(database_url) as live:
        live.add_user("pat", "specialist")
        # A proxy that would see every password: nothing listens there, so using it fails.
        dead_proxy = f"http://127.0.0.1:{free_port()}"
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(name, dead_proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{live.url}/health")  # what a client that trusts the proxy meets
        api = ServerApi(live.url, CredentialStore.for_this_process())
        try:
            assert api.sign_in("pat", PASSWORD).user == "pat"
            assert api.get("/sync/queue") == {"case_ids": []}
        finally:
            api.close()


def test_every_reply_carries_the_security_headers(client: TestClient) -> None:
    replies = [client.get("/health"), client.get("/sync/cases"), client.get("/nowhere"),
               client.post("/auth/sign-in", json={}),
               client.post("/sync/push", content=b"x" * (5 * 1024 * 1024),
                           headers={"Content-Type": "application/json"})]
    assert [reply.status_code for reply in replies] == [200, 401, 404, 422, 413]
    for reply in replies:
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["x-frame-options"] == "DENY"
        assert reply.headers["cache-control"] == "no-store"
        assert reply.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in reply.headers["content-security-policy"]


def test_api_pages_can_be_turned_off(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(create_app(engine)) as on:
        assert on.get("/openapi.json").status_code == 200
        assert on.get("/docs").status_code == 200
    monkeypatch.setenv("HOTLINE_SERVER_DOCS", "off")
    with TestClient(create_app(engine)) as off:
        for path in ("/openapi.json", "/docs", "/redoc"):
            assert off.get(path).status_code == 404
        assert off.get("/health").status_code == 200


def _trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


@contextmanager
def _tls_server(engine: Engine, folder: Path) -> Iterator[str]:
    """The server over https:// with a certificate of its own making (trusted by nobody)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(engine), host="127.0.0.1", port=port,
                                           log_level="warning", ssl_certfile=str(cert),
                                           ssl_keyfile=str(key)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(f"{url}/health", verify=_trusting(cert), timeout=1)
                break
            except httpx.TransportError:
                threading.Event().wait(0.05)
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl for a certificate")
def test_the_server_serves_tls_and_the_client_checks_the_certificate(
        engine: Engine, tmp_path: Path) -> None:
    with _tls_server(engine, tmp_path) as url:
        reply = httpx.get(f"{url}/health", verify=_trusting(tmp_path / "cert.pem"))
        assert reply.status_code == 200
        assert reply.headers["strict-transport-security"].startswith("max-age=")
        api = ServerApi(url, CredentialStore.for_this_process())
        try:
            with pytest.raises(ServerUnreachable, match="CERTIFICATE_VERIFY_FAILED"):
                api.sign_in("anyone", PASSWORD)
        finally:
            api.close()
