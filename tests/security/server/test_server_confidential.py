"""Confidential locations stay home: a shelter's street line and exact point never leave the
central server — not in the feed, the snapshot or any reply, for any role — except to an
administrator keeping the directory; workstations that received them before lose them at their
next sync, and a workstation's export never writes them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import zstandard
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from console.directory import geo
from console.directory.confidential import WITHHELD_STREET
from console.directory.export import export_csv, export_json
from console.directory.vocabulary import vocabulary
from console.server import snapshot
from console.server.db import write_transaction
from console.server.directory import resend_all_confidential, store_batch
from console.tasks import QuietState
from tests.live_server import PASSWORD, LiveServer, live_server
from tests.server.conftest import workstation
from tests.unit.builder import DirectoryBuilder

Headers = dict[str, dict[str, str]]
STREET = "4417 Hidden Harbor Rd"
POINT = (29.7931, -95.4211)  # the shelter's own point, not its ZIP's centre


def shelter_directory(confidential: bool = True) -> DirectoryBuilder:
    """A shelter (confidential unless told) and an office, in Houston."""
    builder = DirectoryBuilder()
    builder.service("Safe House", zip_code="77008", confidential=confidential,
                    latitude=POINT[0], longitude=POINT[1])
    builder.service("Legal Aid Office", zip_code="77002", latitude=29.75, longitude=-95.36)
    shelter_address = builder.batch.tables["address"][0]
    shelter_address.update(address_1=STREET, address_2="Unit B", attention="Director Ruiz")
    return builder


def _flag_row(address_id: str) -> dict[str, Any]:
    return {"id": "9a7f6f0e-3c1d-4d59-8a0e-6b1f2f3c4d5e", "link_id": address_id,
            "link_entity": "address",
            "taxonomy_term_id": vocabulary().flags["confidential-address"].id}


def _shelter(records: dict[tuple[str, str], Any], zip_code: str = "77008") -> tuple[
        dict[str, Any], dict[str, Any] | None]:
    """The address at ``zip_code`` (the shelter's, or the office's at 77002) and its location
    (None when this page does not carry it); the import gave them ids of its own."""
    address = next(data for (kind, _), data in records.items()
                   if kind == "address" and data["postal_code"] == zip_code)
    return address, records.get(("location", address["location_id"]))


def _feed(client: TestClient, auth: dict[str, str], after: int = 0) -> tuple[
        dict[tuple[str, str], Any], str, int]:
    reply = client.get("/sync/directory", params={"after": after}, headers=auth)
    assert reply.status_code == 200
    page = reply.json()
    return ({(c["kind"], c["id"]): c["data"] for c in page["changes"]}, reply.text,
            page["cursor"])


def _assert_scrubbed(records: dict[tuple[str, str], Any], text: str) -> None:
    address, location = _shelter(records)
    assert address["address_1"] == WITHHELD_STREET and address["address_2"] is None
    assert address["attention"] is None
    assert (address["city"], address["postal_code"]) == ("Houston", "77008")
    assert location is not None
    centre = geo.place("77008")
    assert centre is not None
    assert (location["latitude"], location["longitude"]) == (centre.latitude, centre.longitude)
    for secret in (STREET, "Unit B", "Ruiz", str(POINT[0]), str(POINT[1])):
        assert secret not in text
    if any(data and data.get("postal_code") == "77002" for data in records.values()):
        assert _shelter(records, "77002")[0]["address_1"] == "100 Main St"  # not confidential


def test_feed_snapshot_and_replies_carry_no_street_or_point_for_any_role(
        engine: Engine, client: TestClient, headers: Headers) -> None:
    store_batch(engine, shelter_directory().batch, QuietState())
    for role in ("specialist", "supervisor", "admin"):
        records, text, _ = _feed(client, headers[role])
        _assert_scrubbed(records, text)

    info = snapshot.build(engine)
    reply = client.get(f"/sync/directory/snapshot/{info.id}/data", headers=headers["specialist"])
    assert reply.status_code == 200
    data = zstandard.ZstdDecompressor().decompressobj().decompress(reply.content)
    for secret in (STREET.encode(), b"Unit B", b"Ruiz"):
        assert secret not in data
    assert b"100 Main St" in data

    # Only the administrators' upkeep endpoint gives the true address.
    true_record = f"/admin/directory/address/{_shelter(records)[0]['id']}"
    reply = client.get(true_record, headers=headers["admin"])
    assert reply.status_code == 200 and reply.json()["address_1"] == STREET
    for role in ("specialist", "supervisor"):
        assert client.get(true_record, headers=headers[role]).status_code == 403


def test_an_address_marked_confidential_later_is_sent_again_scrubbed(
        engine: Engine, client: TestClient, headers: Headers) -> None:
    builder = shelter_directory(confidential=False)
    store_batch(engine, builder.batch, QuietState())
    records, _text, cursor = _feed(client, headers["specialist"])
    address, _location = _shelter(records)
    assert address["address_1"] == STREET  # not confidential yet
    reply = client.post("/admin/directory/attribute", json=_flag_row(address["id"]),
                        headers=headers["admin"])
    assert reply.status_code == 201, reply.text
    changed, text, _ = _feed(client, headers["specialist"], cursor)
    _assert_scrubbed(changed, text)


def test_an_upgraded_server_sends_every_confidential_place_again(
        engine: Engine, client: TestClient, headers: Headers) -> None:
    store_batch(engine, shelter_directory().batch, QuietState())
    _, _, cursor = _feed(client, headers["specialist"])
    with write_transaction(engine) as connection:
        assert resend_all_confidential(connection) == 2
    changed, text, _ = _feed(client, headers["specialist"], cursor)
    assert sorted(kind for kind, _ in changed) == ["address", "location"]
    _assert_scrubbed(changed, text)


@contextmanager
def live_client(live: LiveServer) -> Iterator[httpx.Client]:
    """An administrator's client of ``live``, signed in (``.headers`` carries the token)."""
    live.add_user("root", "admin")
    with httpx.Client(base_url=live.url, timeout=30) as http:
        token = http.post("/auth/sign-in", json={"user": "root", "password": PASSWORD}
                          ).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        yield http


@pytest.mark.timeout(120)
def test_a_workstation_loses_the_street_line_at_its_next_sync(
        database_url: str, tmp_path: Path) -> None:
    builder = shelter_directory(confidential=False)
    with live_server(database_url) as live:
        store_batch(live.engine, builder.batch, QuietState())
        live.add_user("pat", "specialist")
        with workstation(live, tmp_path / "pat", "pat") as pat:
            pat.sync.sync_once()
            local = tmp_path / "pat" / "directory.sqlite"
            assert _stored_place(local) == (STREET, POINT)
            with live_client(live) as admin:
                records, _text, _ = _feed(admin, admin.headers)
                assert admin.post("/admin/directory/attribute", headers=admin.headers,
                                  json=_flag_row(_shelter(records)[0]["id"])).status_code == 201
            pat.sync.sync_once()
            street, point = _stored_place(local)
            assert street == WITHHELD_STREET and point != POINT


def _stored_place(path: Path) -> tuple[str, tuple[float, float]]:
    with sqlite3.connect(path) as connection:
        street, latitude, longitude = connection.execute(
            "SELECT address_1, latitude, longitude FROM address JOIN location "
            "ON location.id = address.location_id WHERE postal_code = '77008'").fetchone()
    return street, (latitude, longitude)


def test_a_workstation_export_never_writes_a_confidential_address(tmp_path: Path) -> None:
    """Even of a directory imported on the workstation itself, with the street in it."""
    local, _report = shelter_directory().build(tmp_path / "directory.sqlite")
    assert _stored_place(tmp_path / "directory.sqlite") == (STREET, POINT)
    export_json(local, tmp_path / "out.json", QuietState())
    export_csv(local, tmp_path / "csv", QuietState())
    written = (tmp_path / "out.json").read_text() + "".join(
        path.read_text() for path in (tmp_path / "csv").glob("*.csv"))
    for secret in (STREET, "Unit B", "Ruiz", str(POINT[0]), str(POINT[1])):
        assert secret not in written
    assert "100 Main St" in written and "77008" in written
    services = json.loads((tmp_path / "out.json").read_text())
    assert len(services) == 2
