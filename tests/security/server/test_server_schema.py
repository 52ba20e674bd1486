"""The server's OpenAPI document is true: schemathesis sends generated requests — valid and
not — to every endpoint as each role and anonymously, and every reply must be no server error
(5xx), a documented status, of the documented media type and shape."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from console.server import auth, snapshot
from console.server.directory import store_batch
from console.tasks import QuietState
from tests.live_server import PASSWORD, live_server
from tests.security.server.test_server_confidential import shelter_directory
from tests.server.conftest import TEST_HASHER

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance")
CALLERS = ("specialist", "supervisor", "admin", "anonymous")
SECONDS_EACH = 20  # the whole run stays near a minute and a half
# Stays open for minutes by design (server-sent events); tests/server/test_alerts.py reads it.
LONG_LIVED = "/alerts/stream"


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_every_reply_keeps_to_the_documented_schema(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_hasher", TEST_HASHER)
    with live_server(f"sqlite:///{tmp_path / 'server.sqlite'}") as live:
        # Something to read: a directory with a confidential shelter, its snapshot.
        store_batch(live.engine, shelter_directory().batch, QuietState())
        snapshot.build(live.engine)
        failures = []
        for caller in CALLERS:
            header = []
            if caller != "anonymous":
                name = live.add_user(f"schema-{caller}", caller)
                token = httpx.post(f"{live.url}/auth/sign-in", json={
                    "user": name, "password": PASSWORD}).json()["access_token"]
                header = ["-H", f"Authorization: Bearer {token}"]
            started = time.monotonic()
            run = subprocess.run(
                [sys.executable, "-m", "schemathesis.cli", "run", f"{live.url}/openapi.json",
                 "--checks", CHECKS, "--max-examples", "8", "--seed", "7373788",
                 "--phases", "examples,coverage,fuzzing", "--request-timeout", "10",
                 "--exclude-path", LONG_LIVED, "--no-color", *header],
                capture_output=True, text=True,
                timeout=SECONDS_EACH * 4, env={**os.environ, "NO_COLOR": "1"},
                cwd=tmp_path)  # its cache and reports stay out of the source tree
            took = time.monotonic() - started
            if run.returncode != 0:
                failures.append(f"as {caller} ({took:.0f} s):\n{run.stdout}")
        assert not failures, "\n\n".join(failures)
