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
    "service": {"organization_id": "organization"},
    "location": {"organization_id": "organization"},
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
}


@dataclass
class ImportReport:
    """What an import kept and what it skipped, counted by kind of record and reason."""

    imported: Counter[str] = field(default_factory=Counter)
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    repaired: Counter[tuple[str, str]] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def skip(self, kind: str, reason: str, record_id: object = None) -> None:
        """Count one skipped record; keep a few ids per reason so a person can look them up."""
        key = (kind, reason)
        self.skipped[key] += 1
        if record_id is not None:
            sample = self.examples.setdefault(key, [])
            if len(sample) < 5:
                sample.append(str(record_id))

    def note(self, message: str) -> None:
        """Something worth telling that skipped nothing (e.g. a file listed but absent)."""
        self.notes.append(message)

    @property
    def total_skipped(self) -> int:
        return sum(self.skipped.values())

    def lines(self) -> list[str]:
        """The report as short lines for a terminal or a dialog."""
        out = [f"imported {count:,} {kind}" for kind, count in sorted(self.imported.items())]
        for (kind, reason), count in sorted(self.skipped.items()):
            sample = ", ".join(self.examples.get((kind, reason), []))
            example = f" (e.g. {sample})" if sample else ""
            out.append(f"skipped {count:,} {kind}: {reason}{example}")
        out.extend(f"kept {count:,} {kind}, but {reason}"
                   for (kind, reason), count in sorted(self.repaired.items()))
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
