"""HSDS 3.0 export: nested JSON services that validate, and a CSV package like the official one."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from console.directory.export import (
    REQUIRED,
    export_csv,
    export_json,
    validate_json_export,
)
from console.models.database import open_directory
from console.models.directory import (
    Address,
    Attribute,
    Contact,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from console.tasks import Cancelled, QuietState

HSDS = Path(__file__).resolve().parents[1] / "data" / "hsds3"
SCHEMAS = Path(__file__).resolve().parents[2] / "resources" / "hsds" / "schema"

# Validation needs jsonschema, a development dependency; the exports themselves do not.
needs_jsonschema = pytest.mark.skipif(importlib.util.find_spec("jsonschema") is None,
                                      reason="jsonschema is not installed")

ORG = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a00"
SHELTER = "11111111-1111-4111-8111-111111111111"
BARE = "22222222-2222-4222-8222-222222222222"
LOC_SAFE = "33333333-3333-4333-8333-333333333333"
LOC_OFFICE = "44444444-4444-4444-8444-444444444444"
ADDR_SAFE = "55555555-5555-4555-8555-555555555555"
ADDR_OFFICE = "66666666-6666-4666-8666-666666666666"
PHONE = "77777777-7777-4777-8777-777777777777"
TAXONOMY = "88888888-8888-4888-8888-888888888888"
TERM_CONFIDENTIAL = "99999999-9999-4999-8999-999999999999"
TERM_SHELTER = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
ATTR_CONFIDENTIAL = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
ATTR_CATEGORY = "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
ATTR_LOCATION = "dddddddd-dddd-4ddd-8ddd-dddddddddddd"


def _uuid(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-000000000000"


def _rows() -> list[Any]:
    """A shelter at two locations (one confidential) and a service with only required fields."""
    return [
        Taxonomy(id=TAXONOMY, name="Hotline flags"),
        TaxonomyTerm(id=TERM_CONFIDENTIAL, code="confidential-address", name="Confidential",
                     taxonomy_id=TAXONOMY),
        TaxonomyTerm(id=TERM_SHELTER, code="shelter", name="Shelter", description="Housing",
                     taxonomy_id=TAXONOMY),
        Organization(id=ORG, name="Safe Harbor", website="https://safeharbor.example.org"),
        Service(id=SHELTER, organization_id=ORG, name="Emergency shelter", status="active",
                description="Beds for survivors", email="intake@safeharbor.example.org",
                minimum_age=18.0, last_modified="2024-05-01T12:00:00Z"),
        Service(id=BARE, organization_id=ORG, name="Hotline referral", status="active",
                description=None, url=None, email="", minimum_age=None),
        Location(id=LOC_SAFE, location_type="physical", name="Shelter house",
                 latitude=40.7128, longitude=-74.006),
        Location(id=LOC_OFFICE, location_type="physical", name="Intake office"),
        ServiceAtLocation(id=_uuid(1), service_id=SHELTER, location_id=LOC_SAFE),
        ServiceAtLocation(id=_uuid(2), service_id=SHELTER, location_id=LOC_OFFICE),
        Address(id=ADDR_SAFE, location_id=LOC_SAFE, address_1="1 Hidden Way", city="Albany",
                state_province="NY", postal_code="12207", country="US", address_type="physical"),
        Address(id=ADDR_OFFICE, location_id=LOC_OFFICE, address_1="2 Main St", city="Albany",
                state_province="NY", postal_code="12207", country="US", address_type="postal"),
        Phone(id=PHONE, service_id=SHELTER, number="+1 518 555 0100", extension=12.0,
              type="voice"),
        Phone(id=_uuid(3), location_id=LOC_OFFICE, number="+1 518 555 0199"),
        Language(id=_uuid(4), phone_id=PHONE, name="Spanish", code="es"),
        Language(id=_uuid(5), service_id=SHELTER, name="English", code="en"),
        Language(id=_uuid(6), location_id=LOC_OFFICE, name="French", code="fr"),
        Schedule(id=_uuid(7), service_id=SHELTER, freq="WEEKLY", byday="MO,TU,WE,TH,FR",
                 opens_at="00:00", closes_at="23:59", timezone=-5.0),
        Schedule(id=_uuid(8), location_id=LOC_OFFICE, freq="WEEKLY", byday="MO",
                 opens_at="09:00", closes_at="17:00"),
        Schedule(id=_uuid(11), service_at_location_id=_uuid(2), freq="WEEKLY", byday="SA",
                 opens_at="10:00", closes_at="12:00"),
        ServiceArea(id=_uuid(9), service_id=SHELTER, name="New York", extent_type="state"),
        Contact(id=_uuid(10), service_id=SHELTER, name="Intake desk"),
        Attribute(id=ATTR_CONFIDENTIAL, link_id=ADDR_SAFE, link_entity="address",
                  taxonomy_term_id=TERM_CONFIDENTIAL, value="true"),
        Attribute(id=ATTR_LOCATION, link_id=LOC_OFFICE, link_entity="location",
                  taxonomy_term_id=TERM_SHELTER),
        Attribute(id=ATTR_CATEGORY, link_id=SHELTER, link_entity="service",
                  taxonomy_term_id=TERM_SHELTER),
    ]


@pytest.fixture
def empty(tmp_path: Path) -> Engine:
    return open_directory(tmp_path / "directory.sqlite")


@pytest.fixture
def directory(empty: Engine) -> Engine:
    with Session(empty) as session:
        session.add_all(_rows())
        session.commit()
    return empty


def _export(engine: Engine, out: Path) -> list[dict[str, Any]]:
    assert export_json(engine, out, QuietState()) == 2
    return json.loads(out.read_text(encoding="utf-8"))


def _by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def _values(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [value for item in node.values() for value in _values(item)]
    if isinstance(node, list):
        return [value for item in node for value in _values(item)]
    return [node]


@needs_jsonschema
def test_json_export_is_valid_hsds(directory: Engine, tmp_path: Path) -> None:
    out = tmp_path / "services.json"
    _export(directory, out)
    assert validate_json_export(out) == []
    assert not list(tmp_path.glob("*.part"))


def test_json_export_nests_records_under_their_parents(directory: Engine, tmp_path: Path) -> None:
    shelter = _by_id(_export(directory, tmp_path / "services.json"))[SHELTER]

    locations = {sal["location"]["id"]: sal["location"]
                 for sal in shelter["service_at_locations"]}
    assert set(locations) == {LOC_SAFE, LOC_OFFICE}
    safe_address = locations[LOC_SAFE]["addresses"][0]
    assert [a["id"] for a in safe_address["attributes"]] == [ATTR_CONFIDENTIAL]
    assert safe_address["attributes"][0]["taxonomy_term"]["code"] == "confidential-address"
    assert "attributes" not in locations[LOC_SAFE]
    office = locations[LOC_OFFICE]
    assert [a["id"] for a in office["attributes"]] == [ATTR_LOCATION]
    assert [p["number"] for p in office["phones"]] == ["+1 518 555 0199"]
    assert [s["byday"] for s in office["schedules"]] == ["MO"]
    assert [language["code"] for language in office["languages"]] == ["fr"]

    at_office = next(sal for sal in shelter["service_at_locations"]
                     if sal["location_id"] == LOC_OFFICE)
    assert [s["byday"] for s in at_office["schedules"]] == ["SA"]

    assert [a["id"] for a in shelter["attributes"]] == [ATTR_CATEGORY]
    assert shelter["attributes"][0]["taxonomy_term"]["taxonomy_detail"]["id"] == TAXONOMY
    assert shelter["organization"]["name"] == "Safe Harbor"
    assert [p["languages"][0]["code"] for p in shelter["phones"]] == ["es"]
    assert [language["code"] for language in shelter["languages"]] == ["en"]
    assert [s["byday"] for s in shelter["schedules"]] == ["MO,TU,WE,TH,FR"]
    assert [area["name"] for area in shelter["service_areas"]] == ["New York"]
    assert [contact["name"] for contact in shelter["contacts"]] == ["Intake desk"]


def test_json_export_omits_nulls_and_fills_required(directory: Engine, tmp_path: Path) -> None:
    services = _by_id(_export(directory, tmp_path / "services.json"))
    assert None not in _values(list(services.values()))

    bare = services[BARE]
    assert {"description", "url", "email", "minimum_age", "phones"}.isdisjoint(bare)
    # Required by the schemas but absent from the store: written empty.
    assert bare["organization"]["description"] == ""
    term = services[SHELTER]["attributes"][0]["taxonomy_term"]
    assert term["description"] == "Housing"
    assert term["taxonomy_detail"]["description"] == ""


def test_json_export_keeps_numbers_numeric(directory: Engine, tmp_path: Path) -> None:
    shelter = _by_id(_export(directory, tmp_path / "services.json"))[SHELTER]
    assert shelter["minimum_age"] == 18 and isinstance(shelter["minimum_age"], int)
    assert shelter["phones"][0]["extension"] == 12
    assert shelter["schedules"][0]["timezone"] == -5
    location = next(sal["location"] for sal in shelter["service_at_locations"]
                    if sal["location"]["id"] == LOC_SAFE)
    assert location["latitude"] == pytest.approx(40.7128)


@needs_jsonschema
def test_ndjson_export_writes_one_service_per_line(directory: Engine, tmp_path: Path) -> None:
    out = tmp_path / "services.ndjson"
    assert export_json(directory, out, QuietState()) == 2
    lines = out.read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == [SHELTER, BARE]
    assert validate_json_export(out) == []


@needs_jsonschema
def test_empty_directory_exports_empty_list(empty: Engine, tmp_path: Path) -> None:
    out = tmp_path / "services.json"
    assert export_json(empty, out, QuietState()) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == []
    assert validate_json_export(out) == []


@needs_jsonschema
def test_validation_reports_service_path_and_message(tmp_path: Path) -> None:
    out = tmp_path / "bad.json"
    bad = {"id": SHELTER, "status": "open", "phones": [{"id": "not-a-uuid", "number": "1"}]}
    out.write_text(json.dumps([bad]), encoding="utf-8")
    problems = validate_json_export(out, SCHEMAS)
    assert any(p.startswith(f"service {SHELTER}: $: ") and "'name'" in p for p in problems)
    assert any("$.status" in p for p in problems)
    assert any("$.phones[0].id" in p and "uuid" in p for p in problems)


def test_required_defaults_cover_every_schema_requirement() -> None:
    for table, defaults in REQUIRED.items():
        schema = json.loads((SCHEMAS / f"{table}.json").read_text(encoding="utf-8"))
        assert set(schema["required"]) - {"id"} == set(defaults), table


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


OFFICIAL_FILES = [
    "organizations.csv", "services.csv", "locations.csv", "service_at_location.csv",
    "addresses.csv", "phones.csv", "schedules.csv", "languages.csv", "taxonomies.csv",
    "taxonomy_terms.csv", "attributes.csv", "contacts.csv", "service_areas.csv",
    "programs.csv", "organization_identifiers.csv", "funding.csv", "cost_options.csv",
    "required_documents.csv", "accessibility.csv", "metadata.csv",
]


def test_csv_package_matches_official_layout(directory: Engine, tmp_path: Path) -> None:
    out = tmp_path / "package"
    assert export_csv(directory, out, QuietState()) == 2

    assert sorted(p.name for p in out.iterdir()) == sorted([*OFFICIAL_FILES, "datapackage.json"])
    for name in OFFICIAL_FILES:
        assert _csv_rows(out / name)[0] == _csv_rows(HSDS / "csv" / name)[0], name

    counts = {name: len(_csv_rows(out / name)) - 1 for name in OFFICIAL_FILES}
    assert counts == {
        "organizations.csv": 1, "services.csv": 2, "locations.csv": 2,
        "service_at_location.csv": 2, "addresses.csv": 2, "phones.csv": 2, "schedules.csv": 3,
        "languages.csv": 3, "taxonomies.csv": 1, "taxonomy_terms.csv": 2, "attributes.csv": 3,
        "contacts.csv": 1, "service_areas.csv": 1, "programs.csv": 0,
        "organization_identifiers.csv": 0, "funding.csv": 0, "cost_options.csv": 0,
        "required_documents.csv": 0, "accessibility.csv": 0, "metadata.csv": 0,
    }


def test_csv_values_are_plain(directory: Engine, tmp_path: Path) -> None:
    out = tmp_path / "package"
    export_csv(directory, out, QuietState())
    header, *rows = _csv_rows(out / "services.csv")
    services = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert services[SHELTER]["minimum_age"] == "18"
    assert services[BARE]["description"] == ""


def test_datapackage_lists_exactly_the_files_written(directory: Engine, tmp_path: Path) -> None:
    out = tmp_path / "package"
    export_csv(directory, out, QuietState())
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    official = json.loads((HSDS / "csv" / "datapackage.json").read_text(encoding="utf-8"))

    assert package["profile"] == "tabular-data-package"
    assert package["version"] == "3.0.0"
    assert package["license"] == official["license"]
    assert sorted(r["path"] for r in package["resources"]) == sorted(OFFICIAL_FILES)
    names = {r["name"] for r in package["resources"]}
    for resource in package["resources"]:
        fields = [field["name"] for field in resource["schema"]["fields"]]
        assert fields == _csv_rows(out / resource["path"])[0]
        for key in resource["schema"].get("foreignKeys", ()):
            assert key["reference"]["resource"] in names


def test_empty_directory_exports_header_only_csvs(empty: Engine, tmp_path: Path) -> None:
    out = tmp_path / "package"
    assert export_csv(empty, out, QuietState()) == 0
    for name in OFFICIAL_FILES:
        assert _csv_rows(out / name) == [_csv_rows(HSDS / "csv" / name)[0]]


class _CancelAtOnce(QuietState):
    def cancelled(self) -> bool:
        return True


def test_cancelled_export_leaves_no_file(directory: Engine, tmp_path: Path) -> None:
    out = tmp_path / "services.json"
    with pytest.raises(Cancelled):
        export_json(directory, out, _CancelAtOnce())
    assert list(tmp_path.glob("services.json*")) == []


def test_cancelled_csv_export_leaves_no_file(directory: Engine, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("console.directory.export.hsds_csv.CHUNK", 2)  # cancel after 2 rows
    out = tmp_path / "package"
    with pytest.raises(Cancelled):
        export_csv(directory, out, _CancelAtOnce())
    assert list(out.iterdir()) == []


@needs_jsonschema
def test_unreadable_export_is_one_problem(tmp_path: Path) -> None:
    out = tmp_path / "services.json"
    out.write_text('[{"id": "x"', encoding="utf-8")
    problems = validate_json_export(out)
    assert len(problems) == 1 and problems[0].startswith("services.json: not valid JSON")
