"""What IT runs the server with: readiness, request ids, JSON logs, metrics, quiet workstations,
and backups that a workstation can sync against after a restore."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from console.cli import main
from console.server.auth import create_user
from console.server.backup import BackupError, backup, restore
from console.server.observe import JsonLines, configure_server_logging
from tests.live_server import PASSWORD, live_server
from tests.server.conftest import bearer, case_create, note_change, sign_in, workstation

Headers = dict[str, dict[str, str]]
SCRAPE_TOKEN = "scrape-token-for-tests-0123456789"
WORKSTATION = "5d0b8d5e-2d0e-4a43-9d55-8ad0f3f8c2a1"


# --- health and readiness --------------------------------------------------------------------

def test_ready_when_the_database_answers_with_this_versions_schema(
        engine: Engine, client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    reply = client.get("/ready")
    assert reply.status_code == 200 and reply.json()["status"] == "ready"
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    reply = client.get("/ready")
    assert reply.status_code == 503
    assert "older" in reply.json()["error"]


def test_not_ready_when_the_database_is_gone(tmp_path: Path) -> None:
    from console.server.app import create_app
    from console.server.db import server_engine

    engine = server_engine(f"sqlite:///{tmp_path / 'server.sqlite'}")
    with TestClient(create_app(engine)) as client:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE alembic_version"))
        assert client.get("/ready").status_code == 503
        assert client.get("/health").status_code == 200  # alive, though not ready
    engine.dispose()


# --- request ids and logs ----------------------------------------------------------------------

def test_every_reply_carries_a_request_id(client: TestClient) -> None:
    made = client.get("/health").headers["X-Request-ID"]
    assert len(made) == 32
    assert client.get("/health").headers["X-Request-ID"] != made
    given = client.get("/health", headers={"X-Request-ID": "lb-7f3a-0001"})
    assert given.headers["X-Request-ID"] == "lb-7f3a-0001"
    hostile = client.get("/health", headers={"X-Request-ID": "a\" , \"level\": \"x" * 3})
    assert hostile.headers["X-Request-ID"] != "a\" , \"level\": \"x" * 3


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The server's JSON log lines, written to a buffer instead of standard output."""
    root = logging.getLogger()
    kept = (list(root.handlers), root.level)
    buffer = io.StringIO()
    configure_server_logging(logging.INFO)
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in kept[0]:
        root.addHandler(handler)
    root.setLevel(kept[1])


def test_log_lines_are_json_with_the_request_id_and_no_request_body(
        engine: Engine, client: TestClient, headers: Headers, json_log: io.StringIO) -> None:
    secret = "Rosalind Okafor, safe word bluebird"
    create = case_create(summary=secret)
    reply = client.post("/sync/push", json={"changes": [create]}, headers={
        **headers["specialist"], "X-Request-ID": "push-0001"})
    assert reply.status_code == 200
    client.post("/auth/sign-in", json={"user": "sam", "password": secret})
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    push = [line for line in lines if line.get("route") == "/sync/push"]
    assert push and push[-1]["request_id"] == "push-0001" and push[-1]["status"] == 200
    assert push[-1]["bytes_in"] > len(secret) and push[-1]["ms"] >= 0
    assert all({"time", "level", "logger", "message", "request_id"} <= line.keys()
               for line in lines)
    assert "Rosalind" not in json_log.getvalue() and "bluebird" not in json_log.getvalue()


def test_a_failure_is_logged_without_the_values_it_failed_on() -> None:
    record = logging.LogRecord("console.server", logging.ERROR, __file__, 1, "push failed",
                               None, None)
    try:
        {"Rosalind Okafor": 1}["Maria Delgado"]
    except KeyError as error:
        record.exc_info = (KeyError, error, error.__traceback__)
    line = json.loads(JsonLines().format(record))
    assert "KeyError" in line["failure"] and "test_operations.py" in line["failure"]
    assert "Maria" not in line["failure"]


# --- metrics ---------------------------------------------------------------------------------

def test_metrics_need_the_scrape_token_and_count_by_route(
        client: TestClient, headers: Headers, monkeypatch: pytest.MonkeyPatch) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=headers["admin"]).status_code == 403
    assert client.get("/metrics", headers=bearer(SCRAPE_TOKEN)).status_code == 401  # none set
    monkeypatch.setenv("HOTLINE_METRICS_TOKEN", SCRAPE_TOKEN)
    client.post("/auth/sign-in", json={"user": "sam", "password": "wrong password"})
    client.get("/sync/directory", headers=headers["specialist"])
    client.post("/admin/directory/organization", json={"name": "Metrics Test Org"},
                headers=headers["admin"])
    reply = client.get("/metrics", headers=bearer(SCRAPE_TOKEN))
    assert reply.status_code == 200
    figures = reply.text
    assert ('hotline_http_requests_total{method="GET",route="/sync/directory",status="200"}'
            in figures)
    assert 'route="/admin/directory/{kind}"' in figures  # templates, never concrete paths
    assert "hotline_sign_in_failures_total 1.0" in figures
    for name in ("hotline_http_request_seconds_bucket", "hotline_http_response_bytes_bucket",
                 "hotline_feed_head", "hotline_snapshot_lag_changes", "hotline_users 3.0",
                 "hotline_workstations_quiet", "hotline_db_pool_in_use"):
        assert name in figures, name


# --- workstations --------------------------------------------------------------------------

def test_workstations_report_and_quiet_ones_are_listed(
        client: TestClient, headers: Headers, database_url: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    reply = client.post("/sync/workstation", headers=headers["specialist"], json={
        "workstation": WORKSTATION, "version": "0.1.0", "last_sync": "2026-01-05T08:00:00Z"})
    assert reply.status_code == 200
    other = "0f6a47b1-6c53-4b1e-8f5e-0c4b8a1b2c3d"
    client.post("/sync/workstation", headers=headers["supervisor"], json={
        "workstation": other, "version": "0.2.0", "last_sync": "2999-01-01T00:00:00Z"})
    every = client.get("/admin/workstations", headers=headers["admin"]).json()["workstations"]
    assert [w["workstation"] for w in every] == [WORKSTATION, other]  # quietest first
    assert every[1]["last_sync"] < "2999"  # a clock far ahead is not believed
    quiet = client.get("/admin/workstations", params={"quiet_hours": 24},
                       headers=headers["supervisor"]).json()["workstations"]
    assert [(w["workstation"], w["user"], w["version"]) for w in quiet] == [
        (WORKSTATION, "sam", "0.1.0")]
    assert client.get("/admin/workstations", headers=headers["specialist"]).status_code == 403
    bad = client.post("/sync/workstation", headers=headers["specialist"],
                      json={"workstation": "not-an-id", "version": "0.1.0"})
    assert bad.status_code == 422

    assert main(["server", "workstations", "--quiet-hours", "24",
                 "--database-url", database_url]) == 0
    printed = capsys.readouterr().out
    assert WORKSTATION in printed and other not in printed


def test_a_sync_reports_the_workstation(tmp_path: Path) -> None:
    with live_server() as live:
        live.add_user("pat")
        with workstation(live, tmp_path / "pat", "pat") as desk:
            desk.sync.sync_once()
        with httpx.Client(base_url=live.url) as http:
            create_user(live.engine, "ada", "admin", PASSWORD)
            token = http.post("/auth/sign-in", json={"user": "ada", "password": PASSWORD})
            listed = http.get("/admin/workstations", headers=bearer(token.json()))
        [reported] = listed.json()["workstations"]
        assert reported["user"] == "pat" and reported["last_sync"] is not None


# --- backups -----------------------------------------------------------------------------------

def test_backup_and_restore_keep_every_case_and_every_answer(tmp_path: Path) -> None:
    """A workstation syncs, the server is backed up, lost, restored into a fresh database; the
    workstation's resent changes are answered from the stored answers, never applied twice."""
    database = tmp_path / "server.sqlite"
    url = f"sqlite:///{database}"
    with live_server(url) as live:
        live.add_user("pat")
        with workstation(live, tmp_path / "pat", "pat") as desk:
            ids = [desk.cases.create_case("crisis", "urgent", summary=f"call {n}")["id"]
                   for n in range(5)]
            desk.cases.add_note(ids[0], "caller safe for now")
            desk.sync.sync_once()
        with httpx.Client(base_url=live.url) as http:
            token = sign_in(http, "pat")  # type: ignore[arg-type]
            create = case_create(summary="sent just before the backup")
            note = note_change(create["case_id"])
            first = http.post("/sync/push", json={"changes": [create, note]},
                              headers=bearer(token)).json()["results"]
        saved = tmp_path / "backups" / "server-backup.sqlite"
        assert main(["server", "backup", str(saved), "--database-url", url]) == 0
    assert saved.stat().st_mode & 0o077 == 0

    fresh = f"sqlite:///{tmp_path / 'new-machine' / 'server.sqlite'}"
    counts = restore(saved, fresh)
    assert counts["cases"] == 6 and counts["users"] == 1
    with live_server(fresh) as live, httpx.Client(base_url=live.url) as http:
        token = sign_in(http, "pat")  # type: ignore[arg-type]
        again = http.post("/sync/push", json={"changes": [create, note]},
                          headers=bearer(token)).json()["results"]
        assert [r["duplicate"] for r in again] == [True, True]
        # Nothing applied again: the case is where the first push left it.
        assert again[-1]["case"]["version"] == first[-1]["case"]["version"]
        with workstation(live, tmp_path / "pat-again", "pat") as desk:
            desk.sync.sync_once()
            held = {case["id"]: case for case in desk.cases.list_cases()}
    assert set(ids) | {create["case_id"]} == set(held)
    assert [n["text"] for n in held[ids[0]]["notes"]] == ["caller safe for now"]
    assert len(held[create["case_id"]]["notes"]) == 1


def test_a_bad_backup_leaves_the_server_as_it_was(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.sqlite'}"
    with live_server(url) as live:
        live.add_user("pat")
    junk = tmp_path / "not-a-backup.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BackupError, match="not a usable server backup"):
        restore(junk, url)
    with pytest.raises(BackupError, match="no backup file"):
        restore(tmp_path / "missing.sqlite", url)
    assert main(["server", "restore", str(junk), "--database-url", url]) == 1
    with live_server(url) as live, httpx.Client(base_url=live.url) as http:
        assert sign_in(http, "pat")  # type: ignore[arg-type]


def test_backup_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.sqlite'}"
    with pytest.raises(BackupError, match="pg_dump"):
        backup("postgresql+psycopg://hotline@db/hotline", tmp_path / "out.sqlite")
    target = tmp_path / "exists.sqlite"
    target.write_bytes(b"")
    with pytest.raises(BackupError, match="exists already"):
        backup(url, target)


def test_the_built_in_servers_backup_is_encrypted_as_its_database_is(tmp_path: Path) -> None:
    from console.server.db import server_engine

    engine = server_engine()  # the default: SQLCipher under this workstation's server key
    create_user(engine, "pat", "specialist", PASSWORD)
    engine.dispose()
    out = tmp_path / "built-in-backup.sqlite"
    assert main(["server", "backup", str(out)]) == 0
    assert not out.read_bytes().startswith(b"SQLite format 3")  # not a plain database
    assert b"pat" not in out.read_bytes()
    assert restore(out, None)["users"] == 1
