"""Confidential locations (shelters): what of their whereabouts may leave the central server.

An address carries the hotline's ``confidential-address`` flag as an HSDS attribute. Such an
address travels without its street lines (and without ``attention``, which names a person), and
its location without its exact point — the ZIP's centre stands in, as search already measures
distance from it — and without its directions. The central server sends only this scrubbed copy
to workstations (feed and snapshot), and a workstation's export scrubs again whatever it holds,
so the true address stays on the server, for the administrators who keep the directory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Connection

from console.directory import geo
from console.directory.batch import Row
from console.directory.vocabulary import CONFIDENTIAL_ADDRESS, vocabulary

# Stands in for the street lines: HSDS requires an address_1, and an export read back in must
# import (an empty one would not).
WITHHELD_STREET = "Confidential address"


@cache
def flag_term_id() -> str:
    """The id of the taxonomy term that marks an address confidential."""
    return vocabulary().flags[CONFIDENTIAL_ADDRESS].id


def flagged_address(attribute: dict[str, Any]) -> str | None:
    """The id of the address this attribute marks confidential, if it does."""
    if attribute.get("link_entity") == "address" \
            and attribute.get("taxonomy_term_id") == flag_term_id():
        return attribute.get("link_id")
    return None


@dataclass
class ConfidentialPlaces:
    """The confidential addresses, and the locations they are at (with their ZIP)."""

    addresses: set[str] = field(default_factory=set)
    zip_of_location: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def of(cls, addresses: Iterable[dict[str, Any]]) -> ConfidentialPlaces:
        """From the confidential address rows themselves."""
        places = cls()
        for address in addresses:
            places.addresses.add(address["id"])
            if address.get("location_id"):
                places.zip_of_location[address["location_id"]] = address.get("postal_code")
        return places

    def concerns(self, table: str, record_id: str) -> bool:
        return (table == "address" and record_id in self.addresses) or \
            (table == "location" and record_id in self.zip_of_location)

    def scrub(self, table: str, row: Row) -> Row:
        """``row`` as it may leave the server: unchanged unless it gives a shelter away."""
        if not self.concerns(table, row.get("id", "")):
            return row
        if table == "address":
            return {**row, "address_1": WITHHELD_STREET, "address_2": None, "attention": None}
        centre = geo.place(geo.normalize_zip(self.zip_of_location[row["id"]]))
        return {**row, "latitude": centre.latitude if centre else None,
                "longitude": centre.longitude if centre else None, "transportation": None}


def places_in_directory(connection: Connection) -> ConfidentialPlaces:
    """The confidential places of a workstation's directory file (kept on ``connection``)."""
    cached = connection.info.get("confidential_places")
    if cached is None:
        rows = connection.exec_driver_sql(
            "SELECT id, location_id, postal_code FROM address WHERE id IN (SELECT link_id FROM "
            "attribute WHERE link_entity = 'address' AND taxonomy_term_id = ?)",
            (flag_term_id(),))
        cached = ConfidentialPlaces.of(
            {"id": i, "location_id": loc, "postal_code": z} for i, loc, z in rows)
        connection.info["confidential_places"] = cached
    return cached
