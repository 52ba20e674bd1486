"""The directory change feed: imports and administrators' edits in, workstations' copies out.

A workstation that applies the feed — page by page, or from a snapshot and then page by page —
must end with the server's directory, searchable, and an incremental sync must bring exactly
what changed since its cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from console.cli import main
from console.directory.batch import COLUMNS, REFERENCES
from console.directory.index import SEARCHABLE_STATUSES, get_meta
from console.directory.search import DirectorySearch, SearchQuery
from console.server import snapshot
from console.server.app import MAX_PAGE
from console.server.directory import changes_after, directory_cursor, import_directory
from console.server.models import DirectoryRecord
from console.sync.client import SyncClient
from tests.conftest import REPO
from tests.live_server import PASSWORD, LiveServer, live_server
from tests.server.conftest import bearer
from tests.server.conftest import workstation as signed_in

DEMO = REPO / "resources" / "demo" / "directory.json"
Headers = dict[str, dict[str, str]]


# --- reading the server's side --------------------------------------------------------------

def feed(engine: Engine, after: int = 0) -> list[dict[str, Any]]:
    """Every change after ``after``, with the records decoded."""
    page = changes_after(engine, after, 10**7)
    assert not page.more
    return orjson.loads(orjson.dumps(page.changes))


def live_records(engine: Engine) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["kind"], c["id"]): c["data"] for c in feed(engine) if not c["deleted"]}


def live_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(select(DirectoryRecord.kind, func.count())
                                  .where(DirectoryRecord.deleted.is_(False))
                                  .group_by(DirectoryRecord.kind)).all()
    counts = dict.fromkeys(COLUMNS, 0)
    counts.update({kind: count for kind, count in rows})
    return counts


def cursor_of(engine: Engine) -> int:
    with engine.connect() as connection:
        return directory_cursor(connection)


def dependents(records: dict[tuple[str, str], dict[str, Any]],
               root: tuple[str, str]) -> set[tuple[str, str]]:
    """``root`` and every record that hangs off it, directly or through another."""
    found = {root}
    while True:
        more = set()
        for key, row in records.items():
            owners = {(target, row.get(column)) for column, target in REFERENCES[key[0]].items()}
            if key[0] == "attribute":
                owners.add((row.get("link_entity"), row.get("link_id")))
            if key not in found and owners & found:
                more.add(key)
        if not more:
            return found
        found |= more


# --- the feed on the server -----------------------------------------------------------------

def test_cli_import_fills_the_feed_and_a_reimport_adds_nothing(
        database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["server", "import-directory", str(DEMO), "--database-url", database_url]
    assert main([*argv, "--no-snapshot"]) == 0
    assert "imported 300 service" in capsys.readouterr().out
    changes = feed(engine)
    assert [c["seq"] for c in changes] == list(range(1, len(changes) + 1))
    assert live_counts(engine)["service"] == 300
    assert all(not c["deleted"] and c["data"]["id"] == c["id"] for c in changes)
    cursor = cursor_of(engine)

    assert main(argv) == 0  # again, the same file; this time it also builds the snapshot
    out = capsys.readouterr().out
    assert "0 records new or changed, 0 removed" in out
    assert cursor_of(engine) == cursor and feed(engine, cursor) == []
    built = snapshot.latest(engine)
    assert built is not None and built.cursor == cursor


def test_admin_edits_land_in_the_feed(engine: Engine, client: TestClient,
                                      headers: Headers) -> None:
    import_directory(engine, DEMO)
    admin = headers["admin"]
    start = cursor_of(engine)

    added = client.post("/admin/directory/organization", json={"name": "Feed Test Shelter"},
                        headers=admin)
    assert added.status_code == 201
    org_id = added.json()["id"]
    [change] = feed(engine, start)
    assert (change["kind"], change["id"], change["deleted"]) == ("organization", org_id, False)
    assert change["data"]["name"] == "Feed Test Shelter" and change["seq"] == start + 1

    edited = client.patch(f"/admin/directory/organization/{org_id}",
                          json={"email": "help@shelter.example.org"}, headers=admin)
    assert edited.status_code == 200
    [change] = feed(engine, start + 1)
    assert change["id"] == org_id and change["seq"] == start + 2
    assert change["data"]["email"] == "help@shelter.example.org"
    assert change["data"]["name"] == "Feed Test Shelter"  # fields not sent are kept
    assert [c["id"] for c in feed(engine, start)] == [org_id]  # one entry per record

    records = live_records(engine)
    service = next(key for key in records if key[0] == "service")
    expected = dependents(records, service)
    assert len(expected) > 4  # its locations' links, phones, schedules, attributes…
    retired = client.delete(f"/admin/directory/service/{service[1]}", headers=admin)
    assert retired.status_code == 200 and retired.json() == {"removed": len(expected)}
    tombstones = feed(engine, start + 2)
    assert {(c["kind"], c["id"]) for c in tombstones} == expected
    assert all(c["deleted"] and c["data"] is None for c in tombstones)
    assert [c["seq"] for c in tombstones] == list(range(start + 3, start + 3 + len(expected)))
    for reply in (client.patch(f"/admin/directory/service/{service[1]}", json={"name": "x"},
                               headers=admin),
                  client.delete(f"/admin/directory/service/{service[1]}", headers=admin)):
        assert reply.status_code == 404


def test_pages_walk_the_feed_in_order(engine: Engine, client: TestClient,
                                      headers: Headers) -> None:
    import_directory(engine, DEMO)
    reader = headers["specialist"]
    everything = client.get("/sync/directory", params={"limit": MAX_PAGE},
                            headers=reader).json()
    assert not everything["more"]
    walked, after, pages = [], 0, 0
    while True:
        page = client.get("/sync/directory", params={"after": after, "limit": 250},
                          headers=reader).json()
        pages += 1
        assert len(page["changes"]) <= 250
        walked += page["changes"]
        if page["changes"]:
            assert page["cursor"] == page["changes"][-1]["seq"]
        after = page["cursor"]
        if not page["more"]:
            break
        assert len(page["changes"]) == 250
    assert walked == everything["changes"]
    assert pages == -(-len(walked) // 250)
    seqs = [c["seq"] for c in walked]
    assert seqs == sorted(set(seqs))
    tail = client.get("/sync/directory", params={"after": after}, headers=reader).json()
    assert tail == {"changes": [], "cursor": after, "more": False}


# --- workstations ---------------------------------------------------------------------------

@contextmanager
def workstation(live: LiveServer, folder: Path, user: str) -> Iterator[SyncClient]:
    with signed_in(live, folder, user) as station:
        yield station.sync


def local_counts(client: SyncClient) -> dict[str, int]:
    with client.directory.connect() as connection:
        return {table: connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
                for table in [*COLUMNS, "search_service"]}


def local_ids(client: SyncClient, table: str) -> set[str]:
    column = "service_id" if table == "search_service" else "id"
    with client.directory.connect() as connection:
        return {row[0] for row in connection.exec_driver_sql(f"SELECT {column} FROM {table}")}


def found(client: SyncClient, text: str) -> list[str]:
    search = DirectorySearch(client.directory)
    try:
        return [r.service_id for r in search.search(SearchQuery(text=text, limit=500))]
    finally:
        search.close()


def assert_same_directory(client: SyncClient, engine: Engine) -> None:
    server = live_counts(engine)
    local = local_counts(client)
    assert {table: local[table] for table in COLUMNS} == server
    records = live_records(engine)
    services = {rid for kind, rid in records if kind == "service"}
    assert local_ids(client, "service") == services
    searchable = {rid for rid in services
                  if records[("service", rid)]["status"] in SEARCHABLE_STATUSES}
    assert local_ids(client, "search_service") == searchable
    with client.directory.connect() as connection:
        assert get_meta(connection, "sync_cursor") == str(cursor_of(engine))


def admin_edit_and_retire(live: LiveServer) -> tuple[str, str, str]:
    """Rename one service and retire another over HTTP; returns their ids and the old name."""
    records = live_records(live.engine)
    renamed, retired = sorted(rid for kind, rid in records if kind == "service")[:2]
    with httpx.Client(base_url=live.url) as http:
        reply = http.post("/auth/sign-in", json={"user": "ada", "password": PASSWORD})
        admin = bearer(reply.json())
        reply = http.patch(f"/admin/directory/service/{renamed}",
                           json={"name": "Zebrafish Harbor Legal Aid"}, headers=admin)
        assert reply.status_code == 200, reply.text
        reply = http.delete(f"/admin/directory/service/{retired}", headers=admin)
        assert reply.status_code == 200, reply.text
    return renamed, retired, records[("service", retired)]["name"]


@pytest.mark.timeout(180)
def test_workstation_applies_the_feed_and_then_only_what_changed(
        database_url: str, tmp_path: Path) -> None:
    with live_server(database_url) as live:
        import_directory(live.engine, DEMO)
        live.add_user("wanda", "specialist")
        live.add_user("ada", "admin")
        with workstation(live, tmp_path, "wanda") as client:
            report = client.sync_once()
            assert not report.used_snapshot
            assert report.directory_changes == len(feed(live.engine))
            assert_same_directory(client, live.engine)
            assert client.status.online and client.status.last_error is None
            records = live_records(live.engine)
            searchable = sorted(rid for (kind, rid), row in records.items()
                                if kind == "service" and row["status"] in SEARCHABLE_STATUSES)
            for rid in searchable[::30]:
                assert rid in found(client, records[("service", rid)]["name"])

            before = cursor_of(live.engine)
            renamed, retired, retired_name = admin_edit_and_retire(live)
            expected = feed(live.engine, before)
            report = client.sync_once()
            assert report.directory_changes == len(expected)
            assert_same_directory(client, live.engine)
            assert found(client, "Zebrafish Harbor") == [renamed]
            assert retired not in found(client, retired_name)
            assert retired not in local_ids(client, "service")

            assert client.sync_once().directory_changes == 0


@pytest.mark.timeout(180)
def test_snapshot_gives_the_same_directory_as_paging(database_url: str,
                                                     tmp_path: Path) -> None:
    with live_server(database_url) as live:
        import_directory(live.engine, DEMO)
        live.add_user("wanda", "specialist")
        live.add_user("walt", "specialist")
        live.add_user("ada", "admin")
        with workstation(live, tmp_path / "paged", "wanda") as paged:
            assert not paged.sync_once().used_snapshot
            snapshot.build(live.engine)
            with workstation(live, tmp_path / "snapshot", "walt") as fast:
                report = fast.sync_once()
                assert report.used_snapshot and report.directory_changes == 0
                assert local_counts(fast) == local_counts(paged)
                assert_same_directory(fast, live.engine)

                admin_edit_and_retire(live)
                for client in (paged, fast):
                    client.sync_once()
                    assert_same_directory(client, live.engine)
                assert local_counts(fast) == local_counts(paged)
                assert local_ids(fast, "search_service") == local_ids(paged, "search_service")
                assert found(fast, "Zebrafish Harbor") == found(paged, "Zebrafish Harbor")
