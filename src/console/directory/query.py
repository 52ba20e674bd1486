"""What a directory search is asked and what it answers, without the search itself.

The window, the intake's fit checks and the printed sheets hold queries and results long before
(or without) searching: they import these from here, so the search engine, its tables and the
importer's modules load with the first search, not with the first screen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from console.errors import UserError

DEFAULT_LIMIT = 50
PLACEHOLDER_ORGANIZATION_NAME = "Organization not listed in the source"
"""The name a service's organization gets when the source does not hold it; search results and
the details pane show it as it is, so a specialist sees the gap."""


class SearchError(UserError, ValueError):
    """A filter the directory cannot apply (unknown ZIP, category…); the message says why."""


@dataclass(frozen=True)
class SearchQuery:
    """What the specialist asked for. ``open_at`` with a zone is that instant; without a zone it
    is that wall-clock time at each service ("open at 7 pm their time")."""

    text: str = ""
    zip_code: str | None = None
    radius_miles: float | None = None
    state: str | None = None
    category: str | None = None
    language: str | None = None
    population: str | None = None
    age: int | None = None
    open_now: bool = False
    open_at: datetime | None = None
    only_24h: bool = False
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class SearchResult:
    """One service as a specialist reads it out on the phone."""

    service_id: str
    service_name: str
    organization_name: str
    phone: str | None
    address: str | None  # None when confidential or unknown; see ``address_text``
    confidential: bool
    city: str | None
    state: str | None
    postal_code: str | None
    distance_miles: float | None
    serves_caller_area: bool  # found through its service area rather than its distance
    open_now: bool
    open_24h: bool
    hours_today: str
    languages: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    last_verified: str | None = None
    hours_listed: bool = True  # False: the source gives no schedule (never read as "closed")

    @property
    def organization_listed(self) -> bool:
        """False when the source did not hold the service's organization (a placeholder)."""
        return self.organization_name != PLACEHOLDER_ORGANIZATION_NAME

    @property
    def address_text(self) -> str:
        if self.confidential:
            return "confidential"
        return self.address or ", ".join(p for p in (self.city, self.state) if p) or "unknown"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["address"] = self.address_text
        return data


@dataclass(frozen=True)
class ServicePlace:
    """A service's organization and town, without the rest of a search result."""

    organization_name: str
    city: str | None
    state: str | None
    postal_code: str | None
    confidential: bool

    @property
    def town(self) -> str:
        """City and state; the ZIP too unless the address is confidential (it narrows the
        place)."""
        return town_text(self.city, self.state, self.postal_code, self.confidential)


def town_text(city: str | None, state: str | None, postal_code: str | None,
              confidential: bool) -> str:
    place = ", ".join(part for part in (city, state) if part)
    if postal_code and not confidential:
        place = f"{place} {postal_code}".strip()
    return place
