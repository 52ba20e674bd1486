"""Reader for the legacy HSDS 1.1 CSV layout that 211 exports still use.

HSDS 1.1 splits some 3.0 tables over several files (physical and postal addresses), names some
columns differently (organization ``url`` is 3.0 ``website``), keeps weekly hours as one row per
weekday, and links services to taxonomy terms through ``services_taxonomy.csv``. This reader
maps all of that onto HSDS 3.0 rows. Values pass through as found (integer ids, blank statuses,
"9:00am", "FL "): the loader cleans them the same way for every format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from console.directory.batch import COLUMNS, DirectoryBatch, ImportFailed, Row
from console.directory.formats.tabular import (
    CsvRow,
    locate,
    package_folder,
    read_csv,
    report_unread_files,
)
from console.directory.hours import normalize_byday
from console.directory.vocabulary import stable_uuid
from console.tasks import TaskState

# 3.0 column -> the 1.1 columns it is taken from (the first non-empty one wins).
ColumnSources = dict[str, tuple[str, ...]]

FILES: dict[str, tuple[str, ...]] = {
    "organizations": ("organizations.csv",),
    "services": ("services.csv",),
    "eligibility": ("eligibility.csv",),
    "locations": ("locations.csv",),
    "services_at_location": ("services_at_location.csv", "service_at_location.csv"),
    "physical_addresses": ("physical_addresses.csv", "addresses.csv"),
    "postal_addresses": ("postal_addresses.csv", "mail_addresses.csv"),
    "accessibility": ("accessibility_for_disabilities.csv", "accessibility.csv"),
    "contacts": ("contacts.csv",),
    "phones": ("phones.csv",),
    "regular_schedules": ("regular_schedules.csv",),
    "holiday_schedules": ("holiday_schedules.csv",),
    "languages": ("languages.csv",),
    "service_area": ("service_area.csv", "service_areas.csv"),
    "taxonomy": ("taxonomy.csv",),
    "services_taxonomy": ("services_taxonomy.csv",),
}

# Files whose presence marks a package as HSDS 1.1 rather than 3.0.
MARKERS = ("physical_addresses.csv", "regular_schedules.csv", "services_taxonomy.csv",
           "services_at_location.csv")


def _same(*columns: str) -> ColumnSources:
    return {column: (column,) for column in columns}


ORGANIZATION: ColumnSources = {
    **_same("id", "name", "alternate_name", "description", "email", "tax_status", "tax_id",
            "year_incorporated", "legal_status"),
    "website": ("url", "website"),
}
SERVICE: ColumnSources = {
    **_same("id", "organization_id", "program_id", "name", "alternate_name", "description",
            "email", "status", "interpretation_services", "application_process",
            "accreditations", "licenses"),
    "url": ("url", "website"),
    "wait_time": ("wait_time", "wait"),
    "fees_description": ("fees", "fees_description"),
    "eligibility_description": ("eligibility",),
}
# Columns of the Code for America "ohana" layout (HSDS 1.0): a service names its location, and
# lists languages, required documents, service areas and funding in comma-separated cells.
OHANA_SERVICE_LISTS = {"languages": "language", "required_documents": "required_document",
                       "service_areas": "service_area", "funding_sources": "funding"}
OHANA_LOCATION_LISTS = {"languages": "language", "accessibility": "accessibility"}
LOCATION: ColumnSources = {"url": ("url", "website"), **_same(
    "id", "organization_id", "name", "alternate_name", "description", "transportation",
    "latitude", "longitude")}
SERVICE_AT_LOCATION = _same("id", "service_id", "location_id", "description")
ADDRESS = _same("id", "location_id", "attention", "address_1", "city", "region", "state_province",
                "postal_code", "country")
CONTACT = _same("id", "organization_id", "service_id", "service_at_location_id", "location_id",
                "name", "title", "department", "email")
PHONE: ColumnSources = {
    **_same("id", "location_id", "service_id", "organization_id", "contact_id",
            "service_at_location_id", "number", "extension", "description"),
    "type": ("type", "number_type"),
}
SCHEDULE = _same("id", "service_id", "location_id", "service_at_location_id", "opens_at",
                 "closes_at", "description")
LANGUAGE: ColumnSources = {**_same("id", "service_id", "location_id"),
                           "name": ("language", "name")}
SERVICE_AREA: ColumnSources = {**_same("id", "service_id", "description"),
                               "name": ("service_area", "name")}
TAXONOMY: ColumnSources = {**_same("id", "name", "parent_id"),
                           "taxonomy": ("vocabulary", "taxonomy")}

# An AIRS/211 LA taxonomy code such as "BD-1800.2000" or "LH-2700.0150-900".
_AIRS_CODE = re.compile(r"\b[A-Z]{2}-\d{4}(?:\.\d{4}(?:-\d{3}(?:\.\d{2,3})?)?)?\b")


@dataclass
class _Package:
    batch: DirectoryBatch
    state: TaskState

    # Locations by their source id: ohana services reach their organization through them.
    locations: dict[str, Row] = field(default_factory=dict)

    def rows(self, path: Path, table: str, columns: ColumnSources,
             extra: Iterable[str] = ()) -> Iterator[tuple[CsvRow, Row]]:
        """(1.1 row, 3.0 row) for each row of a 1.1 file; ``extra`` names other columns read."""
        used = {name for names in columns.values() for name in names} | set(extra)
        for _, raw in read_csv(path, table, self.batch, self.state, used):
            yield raw, _complete(table, {
                column: next((raw[name] for name in names if raw.get(name) is not None), None)
                for column, names in columns.items()
            })


def _complete(table: str, values: Row) -> Row:
    """A row with every column of ``table``, like the rows of the other readers."""
    return {**dict.fromkeys(COLUMNS[table]), **values}


def read_hsds11_csv(path: Path, state: TaskState) -> DirectoryBatch:
    """Rows from a legacy HSDS 1.1 CSV package, given as its folder or its datapackage.json."""
    package = _Package(DirectoryBatch(), state)
    folder = package_folder(path)
    files = locate(folder, FILES, package.batch.report)
    if not files.keys() & {"organizations", "services", "locations"}:
        raise ImportFailed("The package holds none of the HSDS 1.1 files organizations.csv, "
                           "services.csv or locations.csv.")
    for resource, read in _READERS:
        if resource in files:
            read(package, files[resource])
    report_unread_files(folder, set(files.values()), package.batch.report)
    return package.batch


def _list_cells(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


_LIST_COLUMNS = {"language": "name", "required_document": "document", "service_area": "name",
                 "funding": "source", "accessibility": "description"}


def _add_listed(package: _Package, raw: CsvRow, lists: dict[str, str], owner: str,
                owner_id: object) -> None:
    """Rows for the comma-separated lists of an ohana service or location."""
    for column, table in lists.items():
        for item in _list_cells(raw.get(column)):
            package.batch.add(table, _complete(table, {
                "id": stable_uuid(table, owner, str(owner_id), item), f"{owner}_id": owner_id,
                _LIST_COLUMNS[table]: item}))


def _read_locations(package: _Package, path: Path) -> None:
    for raw, row in package.rows(path, "location", LOCATION, OHANA_LOCATION_LISTS):
        row["location_type"] = "physical"
        package.batch.add("location", row)
        if row["id"] is not None:
            package.locations[str(row["id"])] = row
            _add_listed(package, raw, OHANA_LOCATION_LISTS, "location", row["id"])


def _read_services(package: _Package, path: Path) -> None:
    """Services; an ohana service names its location, and reaches its organization through it."""
    for raw, row in package.rows(path, "service", SERVICE, ("location_id", *OHANA_SERVICE_LISTS)):
        location_id = raw.get("location_id")
        if location_id is not None and row["id"] is not None:
            location = package.locations.get(location_id)
            if row["organization_id"] is None and location is not None:
                row["organization_id"] = location["organization_id"]
            package.batch.add("service_at_location", _complete("service_at_location", {
                "id": stable_uuid("service_at_location", str(row["id"]), location_id),
                "service_id": row["id"], "location_id": location_id}))
        package.batch.add("service", row)
        if row["id"] is not None:
            _add_listed(package, raw, OHANA_SERVICE_LISTS, "service", row["id"])


def _read_languages(package: _Package, path: Path) -> None:
    """Languages; 211 exports often give one id to all the languages of a service, so each row's
    id is made from its id, owner and language, and none overwrites another."""
    for _, row in package.rows(path, "language", LANGUAGE):
        # "English; Spanish" in one cell is two languages.
        for name in _LANGUAGE_LIST.split(row["name"]) if row["name"] else [None]:
            if name is not None and not name.strip():
                continue
            package.batch.add("language", {**row, "name": name, "id": stable_uuid(
                "language", str(row["id"]), str(row["service_id"]), str(row["location_id"]),
                str(name))})


_LANGUAGE_LIST = re.compile(r"\s*[,;/]\s*|\s+and\s+")
ACCESSIBILITY: ColumnSources = {**_same("id", "location_id", "details", "url"),
                                "description": ("accessibility", "description")}


def _read_table(table: str, columns: ColumnSources, package: _Package, path: Path,
                fixed: Row | None = None) -> None:
    for _, row in package.rows(path, table, columns):
        package.batch.add(table, row | (fixed or {}))


def _read_eligibility(package: _Package, path: Path) -> None:
    """1.1 keeps eligibility in its own file; 3.0 in the service's eligibility_description."""
    services = {row["id"]: row for row in package.batch.tables["service"] if row["id"] is not None}
    for line, raw in read_csv(path, "eligibility", package.batch, package.state,
                              ("id", "service_id", "eligibility")):
        service, text = services.get(raw.get("service_id")), raw.get("eligibility")
        if service is None:
            package.batch.report.skip("eligibility", "service not found",
                                      raw.get("service_id") or f"line {line}")
        elif text is not None:
            known = service["eligibility_description"]
            service["eligibility_description"] = f"{known}; {text}" if known else text


def _read_addresses(address_type: str, package: _Package, path: Path) -> None:
    for raw, row in package.rows(path, "address", ADDRESS, ("address_3", "address_4")):
        lines = (raw.get(name) for name in ("address_2", "address_3", "address_4"))
        if address_type == "physical" and raw.get("attention") and row["attention"] is None:
            row["attention"] = raw["attention"]
        row["address_2"] = ", ".join(line for line in lines if line) or None
        row["address_type"] = address_type
        if address_type == "postal" and row["id"] is not None:
            # Physical and postal rows come from separate files and may reuse the same ids;
            # nothing refers to an address by id, so postal ones get ids of their own.
            row["id"] = stable_uuid("postal_address", row["id"])
        package.batch.add("address", row)


def _read_phones(package: _Package, path: Path) -> None:
    """Phones; a 1.1 phone's ``language`` becomes a 3.0 language row of that phone."""
    for raw, row in package.rows(path, "phone", PHONE, ("language",)):
        package.batch.add("phone", row)
        language = raw.get("language")
        if language is not None and row["id"] is not None:
            package.batch.add("language", _complete("language", {
                "id": stable_uuid("language", row["id"], language),
                "phone_id": row["id"], "name": language,
            }))


def _read_schedules(package: _Package, path: Path) -> None:
    """1.1 weekly hours (one weekday per row) as 3.0 weekly schedules."""
    for raw, row in package.rows(path, "schedule", SCHEDULE, ("weekday",)):
        byday = normalize_byday(raw.get("weekday") or "")
        if byday is None:
            package.batch.report.skip("schedule", "weekday not recognised", row["id"])
            continue
        row.update(freq="WEEKLY", byday=byday)
        package.batch.add("schedule", row)


def _read_taxonomy(package: _Package, path: Path) -> None:
    """1.1 taxonomy rows as 3.0 taxonomy terms, with the AIRS code when the term carries one."""
    for _, row in package.rows(path, "taxonomy_term", TAXONOMY):
        row["code"] = airs_code(row["name"]) or airs_code(row["id"])
        row["description"] = row["name"]
        package.batch.add("taxonomy_term", row)


def airs_code(text: object) -> str | None:
    """The AIRS/211 taxonomy code in a term name or id, e.g. "Food Pantries (BD-1800.2000)"."""
    match = _AIRS_CODE.search(text) if isinstance(text, str) else None
    return match.group() if match else None


def _read_service_taxonomy(package: _Package, path: Path) -> None:
    """1.1 service-term links as 3.0 attributes of the service."""
    for line, raw in read_csv(path, "attribute", package.batch, package.state,
                              ("id", "service_id", "taxonomy_id", "taxonomy_detail")):
        service_id, term_id = raw.get("service_id"), raw.get("taxonomy_id")
        if service_id is None or term_id is None:
            package.batch.report.skip("attribute", "no service_id or taxonomy_id", f"line {line}")
            continue
        package.batch.add("attribute", _complete("attribute", {
            "id": stable_uuid("attribute", service_id, term_id), "link_id": service_id,
            "link_entity": "service", "link_type": "service_taxonomy",
            "taxonomy_term_id": term_id, "value": raw.get("taxonomy_detail"),
        }))


def _note_holidays(package: _Package, path: Path) -> None:
    rows = sum(1 for _ in read_csv(path, "schedule", package.batch, package.state))
    if rows:
        package.batch.report.drop(f"{path.name} (holiday closures are not kept)", rows)


# In dependency order, and services before eligibility, which completes them.
_READERS: tuple[tuple[str, Callable[[_Package, Path], None]], ...] = (
    ("taxonomy", _read_taxonomy),
    ("organizations", partial(_read_table, "organization", ORGANIZATION)),
    ("locations", _read_locations),
    ("services", _read_services),
    ("eligibility", _read_eligibility),
    ("accessibility", partial(_read_table, "accessibility", ACCESSIBILITY)),
    ("services_at_location", partial(_read_table, "service_at_location", SERVICE_AT_LOCATION)),
    ("physical_addresses", partial(_read_addresses, "physical")),
    ("postal_addresses", partial(_read_addresses, "postal")),
    ("contacts", partial(_read_table, "contact", CONTACT)),
    ("phones", _read_phones),
    ("regular_schedules", _read_schedules),
    ("holiday_schedules", _note_holidays),
    ("languages", _read_languages),
    ("service_area", partial(_read_table, "service_area", SERVICE_AREA)),
    ("services_taxonomy", _read_service_taxonomy),
)
