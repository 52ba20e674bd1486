"""The synthetic demo directory: deterministic, national, valid HSDS 3.0, internally consistent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import zipcodes
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from console.directory.vocabulary import CONFIDENTIAL_ADDRESS, OPEN_24H, vocabulary
from console.tasks import Cancelled, QuietState
from tools.demo_directory import JURISDICTIONS, generate_directory

REPO = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO / "resources" / "hsds" / "schema"
DEMO = REPO / "resources" / "demo" / "directory.json"
COUNT = 300
ALL_DAYS = "MO,TU,WE,TH,FR,SA,SU"

Service = dict[str, Any]


@pytest.fixture(scope="module")
def directory_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generate") / "directory.json"
    assert generate_directory(COUNT, out, QuietState(), seed=7) == COUNT
    return out


@pytest.fixture(scope="module")
def directory(directory_file: Path) -> list[Service]:
    return json.loads(directory_file.read_bytes())


def service_validator() -> Draft202012Validator:
    # The HSDS schemas have no $id and point at each other by file name ("phone.json"), so each
    # is registered under its bare file name and relative references resolve to it.
    registry: Registry = Registry().with_resources(
        (path.name, Resource.from_contents(json.loads(path.read_text("utf-8")),
                                           default_specification=DRAFT202012))
        for path in SCHEMA_DIR.glob("*.json")
    )
    schema = json.loads((SCHEMA_DIR / "service.json").read_text("utf-8"))
    return Draft202012Validator(schema, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def codes(service: Service, link_type: str) -> list[str]:
    return [a["taxonomy_term"]["code"] for a in service["attributes"]
            if a["link_type"] == link_type]


def addresses(service: Service) -> list[dict[str, Any]]:
    return [address for sal in service["service_at_locations"]
            for address in sal["location"]["addresses"]]


def test_same_seed_gives_identical_bytes(directory_file: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.json"
    generate_directory(COUNT, again, QuietState(), seed=7)
    assert again.read_bytes() == directory_file.read_bytes()


def test_different_seed_gives_a_different_directory(directory_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    generate_directory(COUNT, other, QuietState(), seed=8)
    assert other.read_bytes() != directory_file.read_bytes()


def test_committed_demo_is_what_the_generator_makes(directory_file: Path) -> None:
    assert DEMO.stat().st_size < 1_500_000
    assert DEMO.read_bytes() == directory_file.read_bytes(), (
        "resources/demo/directory.json is stale: regenerate it with "
        "python -m tools.demo_directory --services 300 --seed 7 resources/demo/directory.json"
    )


def test_every_state_dc_and_puerto_rico_is_present(directory: list[Service]) -> None:
    assert len(directory) == COUNT
    states = {address["state_province"] for s in directory for address in addresses(s)}
    assert states == set(JURISDICTIONS)
    assert len(JURISDICTIONS) == 52


def test_every_service_is_valid_hsds(directory: list[Service]) -> None:
    validator = service_validator()
    for service in directory:
        errors = [error.message for error in validator.iter_errors(service)]
        assert not errors, (service["id"], errors[:3])


def test_ids_are_unique(directory: list[Service]) -> None:
    ids = [s["id"] for s in directory]
    ids += [a["id"] for s in directory for a in s["attributes"]]
    ids += [x["id"] for s in directory for key in ("phones", "schedules", "languages")
            for x in s[key]]
    assert len(ids) == len(set(ids))


def test_addresses_agree_with_their_zip(directory: list[Service]) -> None:
    for service in directory:
        for address in addresses(service):
            [record] = zipcodes.matching(address["postal_code"])
            assert (address["city"], address["state_province"]) == (record["city"],
                                                                    record["state"])
            assert address["country"] == "US" and address["address_type"] == "physical"


def test_attributes_point_at_hotline_terms(directory: list[Service]) -> None:
    terms = {term.id: term for kind in vocabulary().terms.values() for term in kind.values()}
    for service in directory:
        assert len(codes(service, "service_category")) >= 1
        for attribute in service["attributes"]:
            assert attribute["link_id"] == service["id"]
            assert attribute["link_entity"] == "service"
            term = terms[attribute["taxonomy_term_id"]]
            assert attribute["taxonomy_term"]["code"] == term.code
            assert attribute["link_type"] in ("service_category", "population", "flag")
    used = {code for s in directory for code in codes(s, "service_category")}
    # A state's child abuse reporting line is an official number the hotline enters itself;
    # a synthetic directory must never invent one.
    assert used == set(vocabulary().categories) - {"reporting-line"}


def test_round_the_clock_services_carry_flag_and_schedule(directory: list[Service]) -> None:
    always = [s for s in directory if OPEN_24H in codes(s, "flag")]
    assert always
    for service in always:
        [schedule] = service["schedules"]
        assert (schedule["byday"], schedule["opens_at"], schedule["closes_at"]) == (
            ALL_DAYS, "00:00", "23:59")
    for service in directory:
        if service not in always:
            assert all(s["byday"] != ALL_DAYS or s["opens_at"] != "00:00"
                       for s in service["schedules"])


def test_schedule_mix(directory: list[Service]) -> None:
    schedules = [s for service in directory for s in service["schedules"]]
    assert all(s["freq"] == "WEEKLY" and s["description"] for s in schedules)
    assert any(s["closes_at"] < s["opens_at"] for s in schedules)  # overnight
    assert any(s["byday"] == "SA,SU" for s in schedules)
    assert any(len(service["schedules"]) == 2 for service in directory)


def test_shelters_have_confidential_addresses(directory: list[Service]) -> None:
    shelters = [s for s in directory if "emergency-shelter" in codes(s, "service_category")]
    assert shelters
    for shelter in shelters:
        assert OPEN_24H in codes(shelter, "flag")
        for address in addresses(shelter):
            [flag] = address["attributes"]
            assert flag["link_entity"] == "address" and flag["link_id"] == address["id"]
            assert flag["link_type"] == "flag"
            assert flag["taxonomy_term"]["code"] == CONFIDENTIAL_ADDRESS


def test_ages_agree_with_populations(directory: list[Service]) -> None:
    for service in directory:
        populations = set(codes(service, "population"))
        low, high = service.get("minimum_age"), service.get("maximum_age")
        if low is None and high is None:
            assert not populations & {"minors", "adults"}
            continue
        assert ("minors" in populations) == (low is None or low < 18)
        assert ("adults" in populations) == (high is None or high >= 18)
    limits = {(s.get("minimum_age"), s.get("maximum_age")) for s in directory}
    assert {(18, None), (11, 17), (12, 24)} <= limits


def test_service_area_conventions(directory: list[Service]) -> None:
    states = set(JURISDICTIONS)
    for service in directory:
        [area] = service["service_areas"]
        if area["extent_type"] == "national":
            assert (area["name"], area["description"]) == ("United States", "Nationwide")
        else:
            assert area["name"] in states
            assert area["extent_type"] in ("state", "county", "city")
            assert (area["description"] == "Statewide") == (area["extent_type"] == "state")


def test_languages_and_phones(directory: list[Service]) -> None:
    names = vocabulary().languages
    for service in directory:
        assert service["languages"] and service["phones"]
        for language in service["languages"]:
            assert names[language["code"]] == language["name"]
        for phone in service["phones"]:
            assert "555-01" in phone["number"]
    share = sum(any(x["code"] == "en" for x in s["languages"]) for s in directory) / COUNT
    assert share > 0.9


def test_ndjson_writes_one_service_per_line(directory: list[Service], tmp_path: Path) -> None:
    out = tmp_path / "directory.ndjson"
    assert generate_directory(COUNT, out, QuietState(), seed=7) == COUNT
    lines = out.read_bytes().splitlines()
    assert [json.loads(line) for line in lines] == directory


def test_cancelling_leaves_no_file(tmp_path: Path) -> None:
    class CancelAtOnce(QuietState):
        def cancelled(self) -> bool:
            return True

    out = tmp_path / "directory.json"
    with pytest.raises(Cancelled):
        generate_directory(1000, out, CancelAtOnce())
    assert list(tmp_path.iterdir()) == []
