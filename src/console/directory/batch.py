"""What every directory reader produces: HSDS 3.0 rows by table, and a report of what was skipped.

A reader (HSDS 3.0 JSON, HSDS 3.0 CSV package, legacy HSDS 1.1 CSV, the server's feed) turns its
input into plain rows keyed by HSDS 3.0 table and column names, with values as found (strings,
numbers or None). It does not check references or clean values: ``console.directory.loader`` does
that once for every format, then writes the rows and the search index in one transaction.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from console.errors import UserError
from console.models.directory import HSDS_TABLES

Row = dict[str, Any]

# Every HSDS table the directory keeps, with its columns, in dependency order.
COLUMNS: dict[str, tuple[str, ...]] = {
    model.__tablename__: tuple(column.name for column in model.__table__.columns)
    for model in HSDS_TABLES
}

# Which table each reference column points to. ``attribute.link_id`` is polymorphic: its table
# is named by ``attribute.link_entity``.
REFERENCES: dict[str, dict[str, str]] = {
    "taxonomy": {},
    "taxonomy_term": {"taxonomy_id": "taxonomy", "parent_id": "taxonomy_term"},
    "organization": {"parent_organization_id": "organization"},
    "program": {"organization_id": "organization"},
    "organization_identifier": {"organization_id": "organization"},
    "service": {"organization_id": "organization", "program_id": "program"},
    "funding": {"organization_id": "organization", "service_id": "service"},
    "cost_option": {"service_id": "service"},
    "required_document": {"service_id": "service"},
    "location": {"organization_id": "organization"},
    "accessibility": {"location_id": "location"},
    "service_at_location": {"service_id": "service", "location_id": "location"},
    "service_area": {"service_id": "service"},
    "address": {"location_id": "location"},
    "contact": {"organization_id": "organization", "service_id": "service",
                "service_at_location_id": "service_at_location", "location_id": "location"},
    "phone": {"location_id": "location", "service_id": "service",
              "organization_id": "organization", "contact_id": "contact",
              "service_at_location_id": "service_at_location"},
    "schedule": {"service_id": "service", "location_id": "location",
                 "service_at_location_id": "service_at_location"},
    "language": {"service_id": "service", "location_id": "location", "phone_id": "phone"},
    "attribute": {"taxonomy_term_id": "taxonomy_term"},
    "metadata": {},
}

# Fields the HSDS 3.0 schemas require besides ``id``, with the value kept when a source has none
# (the store requires the same columns, no more). A record missing one is kept with the value
# below and counted as repaired; export writes the same values.
HSDS_REQUIRED: dict[str, dict[str, Any]] = {
    "organization": {"name": "", "description": ""},
    "program": {"name": "", "description": ""},
    "organization_identifier": {"identifier_type": "", "identifier": ""},
    "service": {"name": "", "status": "active"},
    "location": {"location_type": "physical"},
    "address": {"address_1": "", "city": "", "state_province": "", "postal_code": "",
                "country": "US", "address_type": "physical"},
    "phone": {"number": ""},
    "taxonomy": {"name": "", "description": ""},
    "taxonomy_term": {"name": "", "description": ""},
    "metadata": {"last_action_date": "", "last_action_type": "", "field_name": "",
                 "previous_value": "", "replacement_value": "", "updated_by": ""},
}


@dataclass
class ImportReport:
    """What an import kept and what it skipped, counted by kind of record and reason."""

    imported: Counter[str] = field(default_factory=Counter)
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    repaired: Counter[tuple[str, str]] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    # Fields (``table.column`` or ``file.csv: column``) and whole tables or files of the source
    # that the directory does not keep, with how many records held a value there.
    dropped: Counter[str] = field(default_factory=Counter)

    def skip(self, kind: str, reason: str, record_id: object = None) -> None:
        """Count one skipped record; keep a few ids per reason so a person can look them up."""
        key = (kind, reason)
        self.skipped[key] += 1
        if record_id is not None:
            sample = self.examples.setdefault(key, [])
            if len(sample) < 5:
                sample.append(str(record_id))

    def drop(self, what: str, count: int = 1) -> None:
        """Count ``count`` values of a field (or rows of a table) that were not kept."""
        self.dropped[what] += count

    def note(self, message: str) -> None:
        """Something worth telling that skipped nothing (e.g. a file listed but absent)."""
        self.notes.append(message)

    @property
    def total_skipped(self) -> int:
        return sum(self.skipped.values())

    @property
    def anything_lost(self) -> bool:
        """True when a record was skipped or a field or table of the source was not kept."""
        return bool(self.total_skipped or self.dropped)

    def lines(self) -> list[str]:
        """The report as short lines for a terminal or a dialog."""
        out = [f"imported {count:,} {kind}" for kind, count in sorted(self.imported.items())]
        for (kind, reason), count in sorted(self.skipped.items()):
            sample = ", ".join(self.examples.get((kind, reason), []))
            example = f" (e.g. {sample})" if sample else ""
            out.append(f"skipped {count:,} {kind}: {reason}{example}")
        out.extend(f"kept {count:,} {kind}, but {reason}"
                   for (kind, reason), count in sorted(self.repaired.items()))
        out.extend(f"not kept: {what} ({count:,} {'value' if count == 1 else 'values'})"
                   for what, count in sorted(self.dropped.items()))
        out.extend(f"note: {message}" for message in self.notes)
        return out


@dataclass
class DirectoryBatch:
    """Rows read from one source, keyed by HSDS 3.0 table name, plus the reader's report."""

    tables: defaultdict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    report: ImportReport = field(default_factory=ImportReport)

    def add(self, table: str, row: Row) -> None:
        if table not in COLUMNS:
            raise KeyError(f"not an HSDS table the directory keeps: {table}")
        self.tables[table].append(row)

    def count(self, table: str) -> int:
        return len(self.tables.get(table, ()))


class ImportFailed(UserError):
    """The input cannot be imported at all (unreadable, unknown layout); nothing was changed."""
