"""Directory readers: HSDS 3.0 JSON/NDJSON, HSDS 3.0 CSV packages, legacy HSDS 1.1 CSV exports."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.directory.batch import COLUMNS, DirectoryBatch, ImportFailed, Row
from console.directory.formats import detect, read_directory
from console.directory.formats.hsds3_csv import read_hsds3_csv
from console.directory.formats.hsds3_json import read_hsds3_json
from console.directory.formats.hsds11_csv import airs_code, read_hsds11_csv
from console.directory.vocabulary import stable_uuid
from console.tasks import Cancelled, QuietState

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "hsds3"
SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
ORGANIZATION_ID = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
LOCATION_ID = "3a19ff88-4620-4d17-9830-ac1d859eb5d5"
SAL_ID = "e94c9f38-1e8f-4564-91d4-d53501ab1765"
PHONE_ID = "1554f2e2-a373-45db-a3fa-9fc48a61c15e"
CONTACT_ID = "1e7efce3-639b-4880-940c-b95cd30cdb50"
TERM_ID = "3f7b145d-84af-42d7-8fae-eaca714b02b2"
QUIET = QuietState()


def by_id(batch: DirectoryBatch, table: str) -> dict[Any, Row]:
    return {row["id"]: row for row in batch.tables[table]}


def assert_well_formed(batch: DirectoryBatch) -> None:
    """Rows use only their table's columns, and every value is plain."""
    for table, rows in batch.tables.items():
        for row in rows:
            assert set(row) <= set(COLUMNS[table]), table
            assert all(value is None or type(value) in (str, int, float, bool)
                       for value in row.values()), row


def write_json(path: Path, value: object) -> Path:
    path.write_bytes(orjson.dumps(value))
    return path


# --- HSDS 3.0 JSON -------------------------------------------------------------------------------

def test_service_full_is_flattened_with_parents_from_nesting() -> None:
    batch = read_hsds3_json(EXAMPLES / "service_full.json", QUIET)
    assert_well_formed(batch)
    for table in COLUMNS:
        assert batch.count(table) == 1, table  # every repeated nested copy is kept once
    service = by_id(batch, "service")[SERVICE_ID]
    assert service["organization_id"] == ORGANIZATION_ID
    assert service["minimum_age"] == 12
    sal = by_id(batch, "service_at_location")[SAL_ID]
    assert (sal["service_id"], sal["location_id"]) == (SERVICE_ID, LOCATION_ID)
    assert batch.tables["address"][0]["location_id"] == LOCATION_ID
    # The same phone sits under the service, its location, a contact, the organization...:
    # one row that keeps every parent.
    phone = by_id(batch, "phone")[PHONE_ID]
    assert phone["service_id"] == SERVICE_ID
    assert phone["location_id"] == LOCATION_ID
    assert phone["contact_id"] == CONTACT_ID
    assert phone["service_at_location_id"] == SAL_ID
    assert batch.tables["language"][0]["phone_id"] == PHONE_ID
    attribute = batch.tables["attribute"][0]
    assert (attribute["link_id"], attribute["link_entity"]) == (SERVICE_ID, "service")
    assert attribute["taxonomy_term_id"] == TERM_ID
    assert batch.tables["taxonomy_term"][0]["taxonomy_id"] == batch.tables["taxonomy"][0]["id"]
    assert batch.report.total_skipped == 0


def test_organization_full_gives_its_services_and_locations_the_organization() -> None:
    batch = read_hsds3_json(EXAMPLES / "organization_full.json", QUIET)
    assert_well_formed(batch)
    assert batch.tables["organization"][0]["id"] == ORGANIZATION_ID
    assert batch.tables["service"][0]["organization_id"] == ORGANIZATION_ID
    assert batch.tables["location"][0]["organization_id"] == ORGANIZATION_ID
    assert batch.tables["service_at_location"][0]["location_id"] == LOCATION_ID


def test_api_page_of_services() -> None:
    batch = read_hsds3_json(EXAMPLES / "service_list.json", QUIET)
    assert [row["id"] for row in batch.tables["service"]] == [SERVICE_ID]
    assert batch.tables["service"][0]["organization_id"] == ORGANIZATION_ID
    assert batch.count("organization") == 1


def _service(number: int, organization: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": f"svc-{number}", "name": f"Service {number}", "status": "active",
            "organization": organization, **extra}


def test_shared_records_are_kept_once_and_completed(tmp_path: Path) -> None:
    location = {"id": "loc-1", "name": "Main office",
                "addresses": [{"address_1": "1 Main St", "city": "Houston",
                               "attributes": [{"taxonomy_term": {"id": "t-1", "name": "x"}}]}]}
    services = [
        _service(1, {"id": "org-1", "name": "Org"},
                 service_at_locations=[{"location": location}], funding=[{"id": "f"}]),
        _service(2, {"id": "org-1", "name": "Org", "email": "org@example.org"},
                 service_at_locations=[{"location": location}]),
        _service(3, {"id": "org-1", "name": "Org"}),
    ]
    path = write_json(tmp_path / "services.json", services)
    batch = read_hsds3_json(path, QUIET)
    assert_well_formed(batch)
    assert batch.tables["organization"] == [
        {**dict.fromkeys(COLUMNS["organization"]), "id": "org-1", "name": "Org",
         "email": "org@example.org"}]
    assert batch.count("location") == 1
    assert {row["service_id"] for row in batch.tables["service_at_location"]} == {"svc-1", "svc-2"}
    # Nested objects without ids get ids derived from their parent and place: stable across reads.
    address = batch.tables["address"][0]
    assert address["id"] == stable_uuid("address", "loc-1", "0")
    assert address["location_id"] == "loc-1"
    attribute = batch.tables["attribute"][0]
    assert (attribute["link_id"], attribute["link_entity"]) == (address["id"], "address")
    again = read_hsds3_json(path, QUIET)
    assert [r["id"] for r in again.tables["service_at_location"]] == [
        r["id"] for r in batch.tables["service_at_location"]]


def test_organizations_are_told_from_services_by_shape(tmp_path: Path) -> None:
    records = [
        {"id": "org-1", "name": "Org", "website": "https://example.org",
         "services": [{"id": "svc-1", "name": "Shelter"}]},
        {"id": "svc-2", "name": "Hotline", "organization_id": "org-1"},
        {"id": "svc-3", "name": "Bare record after a service"},
        {"unknown": True},
        42,
    ]
    batch = read_hsds3_json(write_json(tmp_path / "mixed.json", records), QUIET)
    assert set(by_id(batch, "organization")) == {"org-1"}
    assert by_id(batch, "service")["svc-1"]["organization_id"] == "org-1"
    assert set(by_id(batch, "service")) == {"svc-1", "svc-2", "svc-3"}
    assert batch.report.skipped[("record", "not an HSDS service or organization")] == 2


def test_garbage_inside_records_is_skipped_not_fatal(tmp_path: Path) -> None:
    records = [{"id": "svc-1", "name": "S", "status": "active", "organization_id": "o",
                "phones": ["555-0100", {"id": {"bad": 1}, "number": "1"}],
                "description": {"html": "<p>x</p>"}, "schedules": {"id": "sch-1"}}]
    batch = read_hsds3_json(write_json(tmp_path / "s.json", records), QUIET)
    assert_well_formed(batch)
    assert batch.tables["service"][0]["description"] is None
    assert by_id(batch, "schedule")["sch-1"]["service_id"] == "svc-1"  # an object for a list
    assert batch.report.skipped[("phone", "not a JSON object")] == 1
    assert batch.report.skipped[("phone", "id is not text or a number")] == 1


def test_ndjson_with_a_broken_line(tmp_path: Path) -> None:
    lines = [orjson.dumps(_service(1, {"id": "org-1", "name": "Org"})).decode(),
             '{"id": "svc-2", "name": ', "",
             orjson.dumps(_service(3, {"id": "org-1", "name": "Org"})).decode()]
    path = tmp_path / "services.ndjson"
    path.write_text("\n".join(lines), encoding="utf-8")
    batch = read_hsds3_json(path, QUIET)
    assert set(by_id(batch, "service")) == {"svc-1", "svc-3"}
    assert batch.report.skipped[("record", "not valid JSON")] == 1
    assert batch.report.examples[("record", "not valid JSON")] == ["line 2"]
    # The same lines saved as .json are still read line by line.
    json_path = tmp_path / "services.json"
    json_path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert set(by_id(read_hsds3_json(json_path, QUIET), "service")) == {"svc-1", "svc-3"}


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2", b'"just text"', b"12"])
def test_unusable_json_fails_with_a_message(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "directory.json"
    path.write_bytes(content)
    with pytest.raises(ImportFailed, match=r"directory\.json|JSON"):
        read_hsds3_json(path, QUIET)


class Recording(QuietState):
    def __init__(self, cancel: bool = False) -> None:
        self.calls: list[tuple[str, int, int]] = []
        self.cancel = cancel

    def progress(self, stage: str, done: int, total: int) -> None:
        self.calls.append((stage, done, total))

    def cancelled(self) -> bool:
        return self.cancel


def test_json_reports_progress_and_can_be_cancelled(tmp_path: Path) -> None:
    path = write_json(tmp_path / "many.json",
                      [_service(n, {"id": "org", "name": "O"}) for n in range(5000)])
    state = Recording()
    read_hsds3_json(path, state)
    assert state.calls[-1] == ("reading many.json", 5000, 5000)
    with pytest.raises(Cancelled):
        read_hsds3_json(path, Recording(cancel=True))


# --- HSDS 3.0 CSV --------------------------------------------------------------------------------

def test_official_csv_package() -> None:
    batch = read_hsds3_csv(EXAMPLES / "csv", QUIET)
    assert_well_formed(batch)
    assert batch.report.notes == [] and batch.report.total_skipped == 0
    for table in COLUMNS:
        assert batch.count(table) == 1, table
    service = batch.tables["service"][0]
    assert service["id"] == SERVICE_ID
    assert service["organization_id"] == ORGANIZATION_ID
    assert service["minimum_age"] == "12"  # values as found; the loader converts
    assert "£50" in service["fees_description"]
    assert batch.tables["schedule"][0]["byday"] == "TH,FR"
    # Tables the directory does not keep (funding, programs, ...) are not read.
    assert set(batch.tables) == set(COLUMNS)


def test_csv_package_found_in_a_sub_folder_without_datapackage(tmp_path: Path) -> None:
    folder = tmp_path / "export" / "hsds"
    folder.mkdir(parents=True)
    (folder / "organizations.csv").write_text("id,name,email\no-1,Org,\n,,\n", encoding="utf-8")
    (folder / "service_at_locations.csv").write_text("ID, Service_ID ,location_id,extra\n"
                                                     "sal-1,s-1,l-1,x,too,many\nsal-2,s-2\n")
    batch = read_hsds3_csv(tmp_path, QUIET)
    assert batch.tables["organization"] == [
        {**dict.fromkeys(COLUMNS["organization"]), "id": "o-1", "name": "Org"}]
    sal = by_id(batch, "service_at_location")
    assert sal["sal-1"]["service_id"] == "s-1"
    assert sal["sal-2"]["location_id"] is None


def test_csv_package_with_no_known_files_fails(tmp_path: Path) -> None:
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ImportFailed, match=r"organizations\.csv"):
        read_hsds3_csv(tmp_path, QUIET)


# --- HSDS 1.1 CSV --------------------------------------------------------------------------------

MESSY_11 = {
    "services.csv": "id,organization_id,name,description,status,fees,wait,url\n"
                    "10,1,Emergency Shelter,Beds for tonight,,Free,None,http://s.example\n"
                    "11,99,Orphan Service,Points at a missing organization,active,,,\n"
                    ",,,,,,,\n",
    "locations.csv": "id,organization_id,name,latitude,longitude\n"
                     "5,1,Main office,29.76,-95.37\n6,1,Outreach van,,\n",
    "services_at_location.csv": "id,service_id,location_id\n1,10,5\n2,11,6\n",
    "physical_addresses.csv": "id,location_id,address_1,address_2,address_3,city,"
                              "state_province,postal_code,country\n"
                              '1,5,100 Main St,Suite 2,"Floor 3",Houston,"FL ",77002,US\n',
    "postal_addresses.csv": "id,location_id,address_1,city,state_province,postal_code\n"
                            "1,5,PO Box 9,Houston,TX,77001\n",
    "phones.csv": "id,service_id,number,language\n1,10,713-555-0100,Spanish\n",
    "regular_schedules.csv": "id,service_id,weekday,opens_at,closes_at\n"
                             "1,10,1,9:00am,5:00pm\n2,10,Tuesday,9:00am,5:00pm\n"
                             "3,10,sat,10:00,12:00\n4,10,Funday,10:00,12:00\n",
    "holiday_schedules.csv": "id,service_id,closed,start_date\n1,10,true,2024-12-25\n",
    "taxonomy.csv": "id,name,parent_id,parent_name,vocabulary\n"
                    "101,Emergency Shelter (BH-1800.8500),,,AIRS\n102,Legal Aid,,,local\n",
    "services_taxonomy.csv": "id,service_id,taxonomy_id,taxonomy_detail\n"
                             "1,10,101,\n2,10,102,immigration\n3,,102,\n",
    "languages.csv": "id,service_id,language\n1,10,Vietnamese\n",
    "service_area.csv": "id,service_id,service_area,description\n1,10,Harris County,\n",
    "eligibility.csv": "id,service_id,eligibility\n1,10,adults\n2,10,survivors\n3,77,nobody\n",
    "contacts.csv": "id,service_id,name,title\n1,10,Ana,Case manager\n",
    "accessibility_for_disabilities.csv": "id,location_id,accessibility\n1,5,ramp\n",
}


def write_messy_11_package(root: Path) -> Path:
    """A 211-style HSDS 1.1 export with the problems real ones have."""
    folder = root / "export" / "hsds"
    folder.mkdir(parents=True)
    for name, text in MESSY_11.items():
        (folder / name).write_text(text, encoding="utf-8")
    # Written by Excel on Windows: cp1252, with an accent.
    (folder / "organizations.csv").write_bytes(
        "id,name,url,email\n1,Café Esperanza,http://cafe.example,\n".encode("cp1252"))
    datapackage = {"resources": [
        {"name": "organizations", "path": "organizations.csv"},
        {"name": "services", "path": "data/services.csv"},
        {"name": "programs", "path": "programs.csv"},
        {"name": "contacts", "path": "people.csv"},
    ]}
    (root / "datapackage.json").write_text(json.dumps(datapackage), encoding="utf-8")
    return root


def test_messy_hsds11_export(tmp_path: Path) -> None:
    batch = read_hsds11_csv(write_messy_11_package(tmp_path), QUIET)
    assert_well_formed(batch)
    report = batch.report
    organization = batch.tables["organization"][0]
    assert (organization["id"], organization["name"]) == ("1", "Café Esperanza")
    assert organization["website"] == "http://cafe.example"
    assert any("organizations.csv" in note and "Windows-1252" in note for note in report.notes)
    assert any("people.csv" in note for note in report.notes)  # listed but missing
    assert any("holiday_schedules.csv" in what for what in report.dropped)

    services = by_id(batch, "service")
    assert set(services) == {"10", "11"}  # the orphan passes: the loader decides
    shelter = services["10"]
    assert shelter["status"] is None
    assert (shelter["fees_description"], shelter["wait_time"]) == ("Free", "None")
    assert shelter["eligibility_description"] == "adults; survivors"
    assert report.skipped[("eligibility", "service not found")] == 1

    locations = by_id(batch, "location")
    assert locations["6"]["latitude"] is None and locations["6"]["location_type"] == "physical"
    physical, postal = batch.tables["address"]
    assert physical["state_province"] == "FL "
    assert physical["address_2"] == "Suite 2, Floor 3"
    assert (physical["id"], physical["address_type"]) == ("1", "physical")
    assert postal["address_type"] == "postal" and postal["id"] != "1"

    schedules = by_id(batch, "schedule")
    assert {k: (s["byday"], s["opens_at"]) for k, s in schedules.items()} == {
        "1": ("MO", "9:00am"), "2": ("TU", "9:00am"), "3": ("SA", "10:00")}
    assert all(s["freq"] == "WEEKLY" and s["service_id"] == "10" for s in schedules.values())
    assert report.skipped[("schedule", "weekday not recognised")] == 1

    terms = by_id(batch, "taxonomy_term")
    assert terms["101"]["code"] == "BH-1800.8500" and terms["101"]["taxonomy"] == "AIRS"
    assert terms["102"]["code"] is None and terms["102"]["description"] == "Legal Aid"
    attributes = {row["taxonomy_term_id"]: row for row in batch.tables["attribute"]}
    assert attributes["102"] == {
        "id": stable_uuid("attribute", "10", "102"), "link_id": "10", "link_entity": "service",
        "link_type": "service_taxonomy", "taxonomy_term_id": "102", "value": "immigration"}
    assert report.skipped[("attribute", "no service_id or taxonomy_id")] == 1

    languages = {row["name"]: row for row in batch.tables["language"]}
    assert languages["Vietnamese"]["service_id"] == "10"
    assert languages["Spanish"]["phone_id"] == "1"
    assert batch.tables["service_area"][0]["name"] == "Harris County"
    assert batch.tables["contact"][0]["title"] == "Case manager"
    assert batch.count("service_at_location") == 2




def test_airs_code() -> None:
    assert airs_code("Food Pantries (BD-1800.2000)") == "BD-1800.2000"
    assert airs_code("LH-2700.0150-900") == "LH-2700.0150-900"
    assert airs_code("US Citizens") is None


# --- Detection -----------------------------------------------------------------------------------

def test_detection_of_each_format(tmp_path: Path) -> None:
    ndjson = tmp_path / "feed.jsonl"
    ndjson.write_text('{"id": "s", "name": "S", "status": "active"}\n')
    hsds11 = write_messy_11_package(tmp_path / "hsds11")
    assert detect(EXAMPLES / "service_full.json") == ("hsds3-json", EXAMPLES / "service_full.json")
    assert detect(ndjson) == ("hsds3-ndjson", ndjson)
    assert detect(EXAMPLES / "csv") == ("hsds3-csv", EXAMPLES / "csv")
    assert detect(EXAMPLES / "csv" / "datapackage.json") == ("hsds3-csv", EXAMPLES / "csv")
    assert detect(hsds11) == ("hsds11-csv", hsds11)
    assert detect(hsds11 / "datapackage.json") == ("hsds11-csv", hsds11)


def test_zip_files_are_read_inside(tmp_path: Path) -> None:
    package = write_messy_11_package(tmp_path / "hsds11")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in package.rglob("*"):
            out.write(path, Path("top") / path.relative_to(package))
    assert set(by_id(read_directory(archive, QUIET), "service")) == {"10", "11"}
    single = tmp_path / "one.zip"
    with zipfile.ZipFile(single, "w") as out:
        out.write(EXAMPLES / "service_full.json", "directory/services.json")
    assert set(by_id(read_directory(single, QUIET), "service")) == {SERVICE_ID}


@pytest.mark.parametrize("name", ["missing.json", "notes.txt", "services.csv", "bad.zip",
                                  "empty-folder"])
def test_unknown_inputs_fail_with_the_accepted_formats(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name == "empty-folder":
        path.mkdir()
    elif name != "missing.json":
        path.write_text("id,name\n1,x\n")
    with pytest.raises(ImportFailed) as failure:
        read_directory(path, QUIET)
    assert name in str(failure.value) or "HSDS" in str(failure.value)


# --- Robustness ----------------------------------------------------------------------------------

HSDS_KEYS = st.sampled_from([
    "id", "name", "status", "organization", "organization_id", "services", "locations",
    "service_at_locations", "location", "service", "phones", "languages", "contacts",
    "addresses", "schedules", "attributes", "taxonomy_term", "taxonomy_detail", "contents",
    "latitude", "website",
])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(HSDS_KEYS | st.text(max_size=4), children, max_size=5),
    max_leaves=30,
)
FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def read_or_fail(reader: Any, path: Path) -> None:
    """Any input either reads into well-formed rows or fails with ImportFailed."""
    try:
        batch = reader(path, QUIET)
    except ImportFailed:
        return
    assert_well_formed(batch)


@FAST
@given(value=JSON_VALUES)
def test_any_json_value_reads_or_fails_cleanly(tmp_path_factory: pytest.TempPathFactory,
                                               value: object) -> None:
    path = tmp_path_factory.getbasetemp() / "any.json"
    write_json(path, value)
    read_or_fail(read_hsds3_json, path)


@FAST
@given(lines=st.lists(st.one_of(JSON_VALUES.map(lambda v: orjson.dumps(v).decode()),
                                st.text(max_size=20)), max_size=6))
def test_any_ndjson_lines_read_or_fail_cleanly(tmp_path_factory: pytest.TempPathFactory,
                                               lines: list[str]) -> None:
    path = tmp_path_factory.getbasetemp() / "any.ndjson"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    read_or_fail(read_hsds3_json, path)


CELLS = st.text(alphabet=st.characters(codec="utf-8"), max_size=6) | st.sampled_from(
    ['"', '""', ",", "\n", "\r", "\x00", " ", "Mon-Fri", "9:00am", "12"])


@FAST
@given(header=st.lists(st.sampled_from(["id", "service_id", "weekday", "name", "taxonomy_id",
                                        "url", "latitude", "x"]), min_size=1, max_size=5),
       cells=st.lists(st.lists(CELLS, max_size=6), max_size=4),
       raw=st.binary(max_size=40))
def test_any_csv_cells_read_or_fail_cleanly(tmp_path_factory: pytest.TempPathFactory,
                                            header: list[str], cells: list[list[str]],
                                            raw: bytes) -> None:
    folder = tmp_path_factory.getbasetemp() / "any-csv"
    folder.mkdir(exist_ok=True)
    text = "\n".join(",".join(row) for row in [header, *cells])
    for name in ("services.csv", "regular_schedules.csv", "services_taxonomy.csv",
                 "taxonomy.csv", "eligibility.csv", "locations.csv"):
        (folder / name).write_text(text, encoding="utf-8", errors="surrogatepass")
    (folder / "phones.csv").write_bytes(raw)
    (folder / "datapackage.json").write_bytes(raw)
    for reader in (read_hsds3_csv, read_hsds11_csv, read_directory):
        read_or_fail(reader, folder)
