"""Reader for the HSDS 3.0 Tabular Data Package: one CSV file per HSDS table."""

from __future__ import annotations

from pathlib import Path

from console.directory.batch import COLUMNS, DirectoryBatch, ImportFailed
from console.directory.formats.tabular import (
    locate,
    package_folder,
    pick,
    read_csv,
    report_unread_files,
)
from console.tasks import TaskState

# The file name of each table in an HSDS 3.0 package (and a common variant).
FILES: dict[str, tuple[str, ...]] = {
    "taxonomy": ("taxonomies.csv",),
    "taxonomy_term": ("taxonomy_terms.csv",),
    "organization": ("organizations.csv",),
    "service": ("services.csv",),
    "location": ("locations.csv",),
    "service_at_location": ("service_at_location.csv", "service_at_locations.csv"),
    "address": ("addresses.csv",),
    "contact": ("contacts.csv",),
    "phone": ("phones.csv",),
    "schedule": ("schedules.csv",),
    "language": ("languages.csv",),
    "service_area": ("service_areas.csv",),
    "attribute": ("attributes.csv",),
    "program": ("programs.csv",),
    "organization_identifier": ("organization_identifiers.csv",),
    "funding": ("funding.csv", "fundings.csv"),
    "cost_option": ("cost_options.csv",),
    "required_document": ("required_documents.csv",),
    "accessibility": ("accessibility.csv", "accessibilities.csv"),
    "metadata": ("metadata.csv",),
}


def read_hsds3_csv(path: Path, state: TaskState) -> DirectoryBatch:
    """Rows from an HSDS 3.0 tabular package, given as its folder or its datapackage.json."""
    batch = DirectoryBatch()
    folder = package_folder(path)
    files = locate(folder, FILES, batch.report)
    if not files:
        raise ImportFailed("The package holds none of the HSDS 3.0 CSV files "
                           "(organizations.csv, services.csv, locations.csv, ...).")
    for table, columns in COLUMNS.items():
        file = files.get(table)
        if file is None:
            continue
        for _, raw in read_csv(file, table, batch, state, columns):
            batch.add(table, pick(raw, columns))
    report_unread_files(folder, set(files.values()), batch.report)
    return batch
