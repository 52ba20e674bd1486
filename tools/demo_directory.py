"""A synthetic national anti-trafficking referral directory, for demos, tests and benchmarks.

``generate_directory`` writes HSDS 3.0 nested services (each valid against
``resources/hsds/schema/service.json``) as a JSON list, or one service per line when the file
name ends in ``.ndjson``. The same seed and count always give byte-identical files: every choice
comes from one ``random.Random(seed)``, ids included, and nothing depends on the clock or on set
or hash order. Word lists and per-category profiles live in
``generator_words.json`` beside this file. Not part of the console: it makes the committed
``resources/demo/directory.json`` (which the console loads) and the directories of the tests and
benchmarks::

    python -m tools.demo_directory --services 300 --seed 7 resources/demo/directory.json

Conventions the rest of the console can rely on:

* Places are real ZIP centroids (active STANDARD ZIPs with an IANA time zone, from the
  ``zipcodes`` package); the city, state and ZIP of an address always agree with the ZIP record,
  only the street is made up. Schedule times are local to that ZIP's zone, named in the
  schedule's ``notes``. Every state, DC and Puerto Rico appears once there are 52 organizations.
* A 24/7 service has a single schedule: ``byday`` "MO,TU,WE,TH,FR,SA,SU", ``opens_at`` "00:00",
  ``closes_at`` "23:59", and also carries the ``open-24h`` flag attribute. A schedule whose
  ``closes_at`` is earlier than ``opens_at`` runs past midnight (overnight hours).
* ``service_area.name`` is a two-letter state code, or "United States" for national services;
  ``extent_type`` is "national", "state", "county" or "city"; ``description`` says it in words:
  "Nationwide", "Statewide", "Harris County", "Houston".
* Hotline facts are HSDS attributes carrying the nested taxonomy term: ``link_type``
  "service_category", "population" or "flag". Service attributes have ``link_entity`` "service"
  and the service id as ``link_id``.
* A confidential address (every emergency shelter, many housing programs) is marked by a
  ``confidential-address`` flag attribute in that address's own ``attributes`` (``link_entity``
  "address", ``link_id`` the address id). Its location sits on the bare ZIP centroid so that
  the map never pinpoints a shelter.
* Populations follow "no term in a facet means no restriction": a service lists age groups
  (minors, adults), immigration status or gender only when it limits or focuses on them. The age
  terms always agree with ``minimum_age``/``maximum_age``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import unicodedata
from bisect import bisect
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any, Generic, TypeVar

import orjson
import zipcodes

from console.directory.geo import STATE_NAMES
from console.directory.vocabulary import CONFIDENTIAL_ADDRESS, OPEN_24H, vocabulary
from console.tasks import TaskState, check_cancelled

T = TypeVar("T")
Record = dict[str, Any]

WORDS_FILE = Path(__file__).with_name("generator_words.json")
STAGE = "Generating demo directory"
PROGRESS_EVERY = 500
# Fixed "today" for assured dates, so output does not change with the day it is generated.
REFERENCE_DATE = date(2026, 11, 1)
ASSURED_WITHIN_DAYS = 730
# The hotline's coverage: the 50 states, DC and Puerto Rico (not the smaller territories).
JURISDICTIONS = tuple(code for code in STATE_NAMES if code not in {"GU", "VI", "AS", "MP"})
METRO_ZIPS = 10  # a city with this many ZIPs counts as a big metro (more languages spoken)
LINK_TYPES = {"category": "service_category", "population": "population", "flag": "flag"}
INACTIVE_SHARE = 0.03
ADULT_AGE = 18
YOUTH_MAX_AGE = 24
# Bits that make 128 random bits a well-formed version 4 UUID (as uuid.UUID(version=4) does).
_UUID_CLEAR = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
_UUID_SET = (0x8000 << 48) | (4 << 76)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class Weighted(Generic[T]):
    """Items drawn in proportion to their weights, by bisecting cumulative weights (fast)."""

    __slots__ = ("_cumulative", "items")

    def __init__(self, weights: Mapping[T, float] | Iterable[tuple[T, float]]) -> None:
        pairs = list(weights.items() if isinstance(weights, Mapping) else weights)
        self.items = tuple(item for item, _ in pairs)
        self._cumulative = list(accumulate(weight for _, weight in pairs))

    def pick(self, rng: random.Random) -> T:
        # ``hi`` guards against rounding putting the draw exactly on the total.
        point = rng.random() * self._cumulative[-1]
        return self.items[bisect(self._cumulative, point, hi=len(self.items) - 1)]


# Most organizations run one or two services; a few run four.
SERVICES_PER_ORG = Weighted({1: 4, 2: 3, 3: 2, 4: 1})
# Where a service of an organization with a branch office is offered: office, branch, or both.
SITE_CHOICE = Weighted({0: 7, 1: 1.5, 2: 1.5})


# --- places ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    zip_code: str
    city: str
    state: str
    county: str
    latitude: float
    longitude: float
    timezone: str
    area_code: str
    metro: bool


@dataclass(frozen=True)
class Atlas:
    everywhere: Weighted[Place]
    by_state: dict[str, Weighted[Place]]
    by_city: dict[tuple[str, str], tuple[Place, ...]]


def _usable(record: Mapping[str, Any]) -> bool:
    return bool(
        record["zip_code_type"] == "STANDARD" and record["active"] and record["lat"]
        and record["long"] and "/" in (record["timezone"] or "")
        and record["state"] in JURISDICTIONS
    )


def _county_name(record: Mapping[str, Any]) -> str:
    """The county as people say it: "Harris County", "Municipio de Ponce", "City of Richmond"."""
    county: str = record["county"] or ""
    if county.endswith(" Municipio"):
        return "Municipio de " + county.removesuffix(" Municipio")
    if county.endswith(" city"):  # Virginia's independent cities and the like
        return "City of " + county.removesuffix(" city")
    return county or f"{record['city']} Area"


@cache
def atlas() -> Atlas:
    """Every usable ZIP, weighted toward populous places."""
    records = [record for record in zipcodes.list_all() if _usable(record)]
    city_zips = Counter((record["city"], record["state"]) for record in records)
    state_codes: dict[str, Counter[str]] = {}
    for record in records:
        state_codes.setdefault(record["state"], Counter()).update(record["area_codes"][:1])
    places = [
        Place(
            record["zip_code"], record["city"], record["state"], _county_name(record),
            float(record["lat"]), float(record["long"]), record["timezone"],
            (record["area_codes"] or state_codes[record["state"]].most_common(1)[0])[0],
            city_zips[record["city"], record["state"]] >= METRO_ZIPS,
        )
        for record in records
    ]
    # A ZIP weighs n**0.75 for a city of n ZIPs, so a city weighs n**1.75: big metros hold most
    # services, as in real referral directories, while small towns still show up.
    weights = [(p, city_zips[p.city, p.state] ** 0.75) for p in places]
    by_state: dict[str, list[tuple[Place, float]]] = {}
    by_city: dict[tuple[str, str], list[Place]] = {}
    for place, weight in weights:
        by_state.setdefault(place.state, []).append((place, weight))
        by_city.setdefault((place.city, place.state), []).append(place)
    return Atlas(
        Weighted(weights),
        {state: Weighted(pairs) for state, pairs in by_state.items()},
        {city: tuple(members) for city, members in by_city.items()},
    )


# --- words and profiles ----------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    code: str
    populations: tuple[str, ...]
    eligibility: str
    suffix: str | None
    min_age: int | None
    max_age: int | None

    def age_terms(self) -> tuple[str, ...]:
        """Age population codes implied by the age limits; none when ages are unrestricted."""
        if self.min_age is None and self.max_age is None:
            return ()
        minors = self.min_age is None or self.min_age < ADULT_AGE
        adults = self.max_age is None or self.max_age >= ADULT_AGE
        return ("minors",) * minors + ("adults",) * adults


@dataclass(frozen=True, slots=True)
class Program:
    name: str
    lead: str  # the first sentence of the description: what this program does


@dataclass(frozen=True)
class Category:
    code: str
    programs: tuple[Program, ...]
    programs_24h: tuple[Program, ...]  # names and leads that promise round-the-clock help
    extras: tuple[str, ...]
    mailbox: str
    open_24h: float
    confidential: float
    interpretation: float
    hours: Weighted[tuple[str, ...]]
    audiences: Weighted[str]


@dataclass(frozen=True)
class OrgKind:
    code: str
    names: tuple[str, ...]
    statewide_names: tuple[str, ...]
    descriptions: tuple[str, ...]
    offers: Weighted[str]
    extents: Weighted[str]
    audiences: Weighted[str] | None


@dataclass(frozen=True)
class Words:
    raw: dict[str, Any]
    kinds: Weighted[OrgKind]
    categories: dict[str, Category]
    audiences: dict[str, Audience]
    # Hour patterns: kind ("office", "always"...) -> schedules as (byday, opens, closes, words).
    hours: dict[str, tuple[tuple[str, str, str, str], ...]]


def _category(code: str, data: Mapping[str, Any]) -> Category:
    return Category(
        code, tuple(Program(*pair) for pair in data["programs"]),
        tuple(Program(*pair) for pair in data.get("programs_24h", ())), tuple(data["extras"]),
        data["mailbox"], data["open_24h"], data["confidential"], data["interpretation"],
        Weighted((tuple(pattern.split("+")), w) for pattern, w in data["hours"].items()),
        Weighted(data["audiences"]),
    )


def _kind(code: str, data: Mapping[str, Any]) -> OrgKind:
    audiences = data.get("audiences")
    return OrgKind(
        code, tuple(data["names"]), tuple(data.get("statewide_names", ())),
        tuple(data["descriptions"]), Weighted(data["offers"]), Weighted(data["extents"]),
        Weighted(audiences) if audiences else None,
    )


def _audience(code: str, data: Mapping[str, Any]) -> Audience:
    return Audience(code, tuple(data["populations"]), data["eligibility"], data.get("suffix"),
                    data.get("min_age"), data.get("max_age"))


@cache
def words() -> Words:
    raw = json.loads(WORDS_FILE.read_text("utf-8"))
    return Words(
        raw,
        Weighted((_kind(code, data), data["weight"]) for code, data in raw["kinds"].items()),
        {code: _category(code, data) for code, data in raw["categories"].items()},
        {code: _audience(code, data) for code, data in raw["audiences"].items()},
        {kind: tuple(tuple(entry) for entry in entries) for kind, entries in raw["hours"].items()},
    )


@cache
def _nested_terms() -> dict[tuple[str, str], Record]:
    """HSDS taxonomy_term objects by (kind, code), built once and shared by every attribute."""
    vocab = vocabulary()
    rows = {row["id"]: row for row in vocab.taxonomy_rows()["taxonomy_term"]}
    return {(kind, code): rows[term.id]
            for kind, terms in vocab.terms.items() for code, term in terms.items()}


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")


# --- the generator ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Area:
    extent_type: str  # national / state / county / city
    name: str  # two-letter state code, or "United States"
    label: str  # service_area.description: "Nationwide", "Statewide", "Harris County"...
    phrase: str  # for running text: "across Texas", "in Harris County"...


@dataclass(slots=True)
class Org:
    record: Record  # the nested HSDS organization
    kind: OrgKind
    place: Place
    area: Area
    slug: str
    office: Record
    branch: Record | None
    e164: bool  # this organization writes its numbers as "+1 713-555-0123"
    service_names: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        return self.record["id"]


class DirectoryBuilder:
    """Draws organizations and their services from one seeded random stream."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = words()
        self.atlas = atlas()
        self.terms = _nested_terms()
        self.language_names = vocabulary().languages
        self.name_counts: Counter[str] = Counter()
        self.statewide: set[str] = set()  # states that already have a statewide coalition
        self.language_weights: dict[str, Weighted[str]] = {}
        self.assured_dates = [(REFERENCE_DATE - timedelta(days=days)).isoformat()
                              for days in range(ASSURED_WITHIN_DAYS)]
        # States in random order; organization i < 52 sits in the i-th, covering them all.
        self.uncovered = list(JURISDICTIONS)
        self.rng.shuffle(self.uncovered)

    def new_id(self) -> str:
        digits = f"{self.rng.getrandbits(128) & _UUID_CLEAR | _UUID_SET:032x}"
        return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"

    def choice(self, options: tuple[T, ...] | list[T]) -> T:
        return options[int(self.rng.random() * len(options))]

    def services(self, count: int) -> Iterator[Record]:
        """Exactly ``count`` services, organization by organization."""
        remaining = count
        for index in range(count):  # never more organizations than services
            if remaining <= 0:
                return
            org = self.organization(index)
            for category in self.offerings(org, min(remaining, SERVICES_PER_ORG.pick(self.rng))):
                yield self.service(org, category)
                remaining -= 1

    def offerings(self, org: Org, count: int) -> list[str]:
        """Categories an organization offers, preferring distinct ones."""
        chosen: list[str] = []
        for _ in range(count):
            category = org.kind.offers.pick(self.rng)
            for _retry in range(4):
                if category not in chosen:
                    break
                category = org.kind.offers.pick(self.rng)
            chosen.append(category)
        return chosen

    # organizations

    def organization(self, index: int) -> Org:
        kind = self.words.kinds.pick(self.rng)
        state = self.uncovered[index] if index < len(self.uncovered) else None
        place = (self.atlas.by_state[state] if state else self.atlas.everywhere).pick(self.rng)
        statewide = bool(kind.statewide_names) and place.state not in self.statewide
        if statewide:
            self.statewide.add(place.state)
        area = self.area(place, "state" if statewide else kind.extents.pick(self.rng))
        name = self.org_name(kind.statewide_names if statewide else kind.names, place)
        self.name_counts[name] += 1
        slug = slugify(name) + (f"-{self.name_counts[name]}" if self.name_counts[name] > 1 else "")
        record = {
            "id": self.new_id(), "name": name,
            "description": self.choice(kind.descriptions).format(name=name, area=area.phrase),
            "website": f"https://example.org/{slug}", "email": f"info.{slug}@example.org",
        }
        org = Org(record, kind, place, area, slug, {}, None, self.rng.random() < 0.5)
        org.office = self.location(org, place, confidential=False)
        org.branch = self.branch_office(org)
        return org

    def branch_office(self, org: Org) -> Record | None:
        """Some statewide and national organizations also staff an office elsewhere."""
        extent = org.area.extent_type
        if extent not in ("state", "national") or self.rng.random() >= 0.4:
            return None
        places = self.atlas.everywhere if extent == "national" else self.atlas.by_state[
            org.place.state]
        return self.location(org, places.pick(self.rng), confidential=False)

    def org_name(self, patterns: tuple[str, ...], place: Place) -> str:
        """A name no other organization has yet, if a few tries find one.

        Large directories exhaust the patterns (there are only so many "Texas Immigrant Justice
        Project"s), so a taken name gets the place added, as real chapters and branches do.
        """
        name = ""
        for _ in range(4):
            name = self.choice(patterns).format(
                city=place.city, state=STATE_NAMES[place.state], county=place.county,
                hope=self.choice(self.words.raw["hope"]), casa=self.choice(self.words.raw["casa"]),
                saint=self.choice(self.words.raw["saint"]),
            )
            if name not in self.name_counts:
                return name
        where = f"of {place.city}" if place.city not in name else f"({place.county})"
        return f"{name} {where}"

    @staticmethod
    def area(place: Place, extent: str) -> Area:
        state_name = STATE_NAMES[place.state]
        if extent == "national":
            return Area("national", "United States", "Nationwide", "across the United States")
        if extent == "state":
            return Area("state", place.state, "Statewide", f"across {state_name}")
        if extent == "county":
            return Area("county", place.state, place.county, f"in {place.county}")
        return Area("city", place.state, place.city, f"in {place.city}")

    # locations

    def location(self, org: Org, place: Place, confidential: bool) -> Record:
        location_id, address_id = self.new_id(), self.new_id()
        address: Record = {
            "id": address_id, "location_id": location_id, "address_1": self.street(place),
            "city": place.city, "state_province": place.state, "postal_code": place.zip_code,
            "country": "US", "address_type": "physical",
        }
        if self.rng.random() < 0.3:
            address["address_2"] = self.choice(self.words.raw["suites"])
        if confidential:
            address["attributes"] = [self.attribute(address_id, "address", "flag",
                                                    CONFIDENTIAL_ADDRESS)]
            latitude, longitude = place.latitude, place.longitude
        else:  # spread offices around the centroid (about a mile) so map pins do not stack
            latitude = round(place.latitude + self.rng.uniform(-0.015, 0.015), 5)
            longitude = round(place.longitude + self.rng.uniform(-0.015, 0.015), 5)
        suffix = "confidential site" if confidential else f"{place.city} office"
        return {
            "id": location_id, "location_type": "physical", "organization_id": org.id,
            "name": f"{org.record['name']} – {suffix}", "latitude": latitude,
            "longitude": longitude, "addresses": [address],
        }

    def street(self, place: Place) -> str:
        if place.state == "PR":
            return f"{self.choice(self.words.raw['pr_streets'])} {self.rng.randint(1, 999)}"
        street_type = self.choice(self.words.raw["street_types"])
        return f"{self.rng.randint(100, 9899)} {self.choice(self.words.raw['streets'])} " \
               f"{street_type}"

    def service_locations(self, org: Org, service_id: str, confidential: bool) -> list[Record]:
        if confidential:  # shelters sit at their own undisclosed site in the same city
            site = self.choice(self.atlas.by_city[org.place.city, org.place.state])
            chosen = [self.location(org, site, confidential=True)]
        elif org.branch is None:
            chosen = [org.office]
        else:
            chosen = [[org.office], [org.branch], [org.office, org.branch]][
                SITE_CHOICE.pick(self.rng)]
        return [{"id": self.new_id(), "service_id": service_id, "location_id": location["id"],
                 "location": location} for location in chosen]

    # services

    def service(self, org: Org, code: str) -> Record:
        category = self.words.categories[code]
        sid = self.new_id()
        open_24h = self.rng.random() < category.open_24h
        confidential = self.rng.random() < category.confidential
        audience = self.words.audiences[(org.kind.audiences or category.audiences).pick(self.rng)]
        program = self.program(org, category, open_24h)
        record: Record = {
            "id": sid, "organization_id": org.id,
            "name": self.service_name(program, audience),
            "description": self.description(program, category, org.area),
            "status": "inactive" if self.rng.random() < INACTIVE_SHARE else "active",
            "eligibility_description": audience.eligibility,
            "assured_date": self.choice(self.assured_dates),
        }
        self.contact_fields(record, org, category)
        if audience.min_age is not None:
            record["minimum_age"] = audience.min_age
        if audience.max_age is not None:
            record["maximum_age"] = audience.max_age
        record["organization"] = org.record
        record["service_at_locations"] = self.service_locations(org, sid, confidential)
        record["phones"] = self.phones(org, sid, open_24h)
        record["schedules"] = self.schedules(sid, category, open_24h, org.place.timezone)
        record["languages"] = self.languages(sid, org.place, code)
        record["service_areas"] = [self.service_area(sid, org.area)]
        record["attributes"] = self.service_attributes(sid, code, audience, open_24h)
        return record

    def program(self, org: Org, category: Category, open_24h: bool) -> Program:
        pool = category.programs_24h if open_24h and category.programs_24h else category.programs
        program = self.choice(pool)
        for _ in range(3):  # two services of one organization rarely run the same program
            if program.name not in org.service_names:
                break
            program = self.choice(pool)
        org.service_names.add(program.name)
        return program

    def service_name(self, program: Program, audience: Audience) -> str:
        """Sometimes "… for Women"; never "Youth Drop-In Center for Youth"."""
        if not audience.suffix or self.rng.random() < 0.5:
            return program.name
        said = set(program.name.split())
        if any(word[0].isupper() and word in said for word in audience.suffix.split()):
            return program.name
        return f"{program.name} {audience.suffix}"

    def description(self, program: Program, category: Category, area: Area) -> str:
        sentences = [program.lead]
        if self.rng.random() < 0.7:
            sentences.append(self.choice(category.extras))
        if self.rng.random() < 0.4:
            sentences.append(self.choice(self.words.raw["common_extras"]))
        return " ".join(sentences).replace("{area}", area.phrase)

    def contact_fields(self, record: Record, org: Org, category: Category) -> None:
        """Email, web page and interpretation, each missing from some records as in real data."""
        if self.rng.random() < 0.8:
            record["url"] = f"https://example.org/{org.slug}/{slugify(record['name'])}"
        if self.rng.random() < 0.7:
            record["email"] = f"{category.mailbox}.{org.slug}@example.org"
        if self.rng.random() < category.interpretation:
            record["interpretation_services"] = self.choice(self.words.raw["interpretation"])

    def phones(self, org: Org, service_id: str, open_24h: bool) -> list[Record]:
        national = org.area.extent_type == "national"
        area_code = self.choice(self.words.raw["toll_free"]) if national else org.place.area_code
        main = "24-hour hotline" if open_24h else "Main office and intake"
        phones = [self.phone(service_id, area_code, org.e164, "voice", main)]
        if open_24h and self.rng.random() < 0.4:
            phones.append(self.phone(service_id, area_code, org.e164, "text", "Text line"))
        elif not open_24h and self.rng.random() < 0.2:
            phones.append(self.phone(service_id, org.place.area_code, org.e164, "fax", "Fax"))
        return phones

    def phone(self, service_id: str, area_code: str, e164: bool, kind: str,
              description: str) -> Record:
        # 555-0100 to 555-0199 are reserved for fiction in every area code.
        line = f"555-01{self.rng.randrange(100):02d}"
        number = f"+1 {area_code}-{line}" if e164 else f"({area_code}) {line}"
        return {"id": self.new_id(), "service_id": service_id, "number": number, "type": kind,
                "description": description}

    def schedules(self, service_id: str, category: Category, open_24h: bool,
                  timezone: str) -> list[Record]:
        kinds = ("always",) if open_24h else category.hours.pick(self.rng)
        schedules = []
        for kind in kinds:
            byday, opens, closes, words_ = self.choice(self.words.hours[kind])
            schedules.append({
                "id": self.new_id(), "service_id": service_id, "freq": "WEEKLY", "interval": 1,
                "byday": byday, "opens_at": opens, "closes_at": closes,
                "description": words_, "notes": f"Local time ({timezone})",
            })
        return schedules

    def languages(self, service_id: str, place: Place, category: str) -> list[Record]:
        data = self.words.raw["languages"]
        codes = []
        if self.rng.random() < data["english_by_state"].get(place.state, data["english"]):
            codes.append("en")
        if self.rng.random() < data["spanish_by_state"].get(place.state, data["spanish"]):
            codes.append("es")
        # Interpretation services speak many languages; big metros more than small towns.
        more, most = ((0.85, 8) if category == "translation"
                      else (data["metro_extra"] if place.metro else data["town_extra"], 4))
        others = self.other_languages(place.state)
        while len(codes) < most and self.rng.random() < more:
            code = others.pick(self.rng)
            if code not in codes:
                codes.append(code)
        return [{"id": self.new_id(), "service_id": service_id,
                 "name": self.language_names[code], "code": code} for code in codes or ["en"]]

    def other_languages(self, state: str) -> Weighted[str]:
        if state not in self.language_weights:
            data = self.words.raw["languages"]
            boosted = data["boost_by_state"].get(state, ())
            self.language_weights[state] = Weighted(
                {code: weight * (4 if code in boosted else 1)
                 for code, weight in data["others"].items()})
        return self.language_weights[state]

    def service_area(self, service_id: str, area: Area) -> Record:
        return {"id": self.new_id(), "service_id": service_id, "name": area.name,
                "description": area.label, "extent_type": area.extent_type}

    def service_attributes(self, service_id: str, category: str, audience: Audience,
                           open_24h: bool) -> list[Record]:
        # A program for young people is also a youth service, whatever else it offers.
        youth = (audience.max_age is not None and audience.max_age <= YOUTH_MAX_AGE
                 and category != "youth")
        facts = [("category", category)] + [("category", "youth")] * youth
        facts += [("population", code) for code in audience.age_terms() + audience.populations]
        if open_24h:
            facts.append(("flag", OPEN_24H))
        return [self.attribute(service_id, "service", kind, code) for kind, code in facts]

    def attribute(self, link_id: str, entity: str, kind: str, code: str) -> Record:
        term = self.terms[kind, code]
        return {"id": self.new_id(), "link_id": link_id, "link_entity": entity,
                "link_type": LINK_TYPES[kind], "taxonomy_term_id": term["id"],
                "taxonomy_term": term}


def generate_directory(services: int, out: Path, state: TaskState, seed: int = 7) -> int:
    """Write ``services`` synthetic HSDS 3.0 nested services to ``out``; return how many.

    The file appears only when complete: it is written beside ``out`` and renamed at the end,
    so a cancelled or failed run leaves no half-written directory behind.
    """
    total = max(services, 0)
    ndjson = out.suffix.lower() == ".ndjson"
    builder = DirectoryBuilder(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    written = 0
    try:
        with partial.open("wb") as stream:
            stream.write(b"" if ndjson else b"[")
            for record in builder.services(total):
                if written % PROGRESS_EVERY == 0:
                    state.progress(STAGE, written, total)
                    check_cancelled(state)
                # One service per line in both forms: readable diffs of the committed demo file.
                lead = b"" if ndjson else (b",\n" if written else b"\n")
                stream.write(lead + orjson.dumps(record) + (b"\n" if ndjson else b""))
                written += 1
            stream.write(b"" if ndjson else b"\n]\n")
        partial.replace(out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    state.progress(STAGE, written, total)
    return written


def main(argv: list[str] | None = None) -> int:
    from console.terminal import TerminalProgress

    parser = argparse.ArgumentParser(description="Write a synthetic national directory.")
    parser.add_argument("--services", type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("out", help="a .json or .ndjson file")
    args = parser.parse_args(argv)
    progress = TerminalProgress()
    try:
        count = generate_directory(args.services, Path(args.out), progress, seed=args.seed)
    finally:
        progress.close()
    print(f"wrote {count:,} services to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
