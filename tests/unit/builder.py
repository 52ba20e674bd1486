"""Builds small, exact directories for tests through the real import path."""

from __future__ import annotations

from itertools import count
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from console.directory.batch import DirectoryBatch, ImportReport
from console.directory.loader import import_batch
from console.directory.vocabulary import vocabulary
from console.models.database import open_directory

WEEKDAYS = "MO,TU,WE,TH,FR"


class DirectoryBuilder:
    """Adds services with their organization, location, address, hours and facts to a batch."""

    def __init__(self) -> None:
        self.batch = DirectoryBatch()
        self._ids = count(1)

    def _id(self, kind: str) -> str:
        return f"{kind}-{next(self._ids)}"

    def service(self, name: str, *, organization: str = "Test Organization",
                zip_code: str = "77002", city: str = "Houston", state: str = "TX",
                categories: tuple[str, ...] = (), populations: tuple[str, ...] = (),
                languages: tuple[str, ...] = ("en",), hours: tuple[tuple[str, str, str], ...] = (
                    (WEEKDAYS, "09:00", "17:00"),),
                flags: tuple[str, ...] = (), confidential: bool = False,
                latitude: float | None = None, longitude: float | None = None,
                areas: tuple[str, ...] = (), description: str = "",
                status: str = "active", **service_fields: Any) -> str:
        vocab = vocabulary()
        org_id, service_id = self._id("org"), self._id("svc")
        location_id, address_id = self._id("loc"), self._id("addr")
        self.batch.add("organization", {"id": org_id, "name": organization})
        self.batch.add("service", {"id": service_id, "organization_id": org_id, "name": name,
                                   "description": description, "status": status,
                                   **service_fields})
        self.batch.add("location", {"id": location_id, "organization_id": org_id,
                                    "latitude": latitude, "longitude": longitude})
        self.batch.add("address", {"id": address_id, "location_id": location_id,
                                   "address_1": "100 Main St", "city": city,
                                   "state_province": state, "postal_code": zip_code})
        self.batch.add("service_at_location", {"id": self._id("sal"), "service_id": service_id,
                                               "location_id": location_id})
        self.batch.add("phone", {"id": self._id("ph"), "service_id": service_id,
                                 "number": "713-555-0100"})
        for byday, opens, closes in hours:
            self.batch.add("schedule", {"id": self._id("sch"), "service_id": service_id,
                                        "byday": byday, "opens_at": opens, "closes_at": closes})
        for code in languages:
            self.batch.add("language", {"id": self._id("lang"), "service_id": service_id,
                                        "code": code})
        for area in areas:
            self.batch.add("service_area", {"id": self._id("area"), "service_id": service_id,
                                            "name": area})
        terms = [vocab.categories[c] for c in categories] + \
            [vocab.populations[p] for p in populations] + [vocab.flags[f] for f in flags]
        for term in terms:
            self.attribute(service_id, "service", term.id)
        if confidential:
            self.attribute(address_id, "address", vocab.flags["confidential-address"].id)
        return service_id

    def attribute(self, link_id: str, entity: str, term_id: str) -> None:
        self.batch.add("attribute", {"id": self._id("attr"), "link_id": link_id,
                                     "link_entity": entity, "taxonomy_term_id": term_id})

    def build(self, path: Path) -> tuple[Engine, ImportReport]:
        engine = open_directory(path)
        return engine, import_batch(engine, self.batch)
