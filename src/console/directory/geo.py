"""Offline places: ZIP centroids, states and time zones from the ``zipcodes`` package."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import cache

import zipcodes

EARTH_RADIUS_MILES = 3958.8
HOTLINE_TIMEZONE = "America/New_York"

STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}
_STATE_BY_NAME = {name.casefold(): code for code, name in STATE_NAMES.items()}


@dataclass(frozen=True)
class Place:
    zip_code: str
    city: str
    state: str
    latitude: float
    longitude: float
    timezone: str


@cache
def _places() -> dict[str, Place]:
    places: dict[str, Place] = {}
    for record in zipcodes.list_all():
        if not (record.get("lat") and record.get("long") and record.get("timezone")):
            continue
        if "/" not in record["timezone"]:  # a few records carry a place name, not a zone
            continue
        places[record["zip_code"]] = Place(
            record["zip_code"], record["city"], record["state"],
            float(record["lat"]), float(record["long"]), record["timezone"],
        )
    return places


@cache
def _state_timezones() -> dict[str, str]:
    """Each state's most common time zone, for records whose ZIP is unknown."""
    counts: dict[str, Counter[str]] = {}
    for place in _places().values():
        counts.setdefault(place.state, Counter())[place.timezone] += 1
    return {state: counter.most_common(1)[0][0] for state, counter in counts.items()}


def normalize_zip(value: object) -> str | None:
    """A five-digit ZIP from what exports hold: ZIP+4, spaces, or a number that lost its zeros."""
    if value is None:
        return None
    text = str(value).strip().split("-")[0].strip()
    if text.endswith(".0"):  # spreadsheets turn 02134 into 2134.0
        text = text[:-2]
    if not text.isdigit() or len(text) > 5:
        return None
    return text.zfill(5) if len(text) >= 3 else None


def normalize_state(value: object) -> str | None:
    """A two-letter state code from a code or a full name, however it was spaced or cased."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    if text.upper() in STATE_NAMES:
        return text.upper()
    return _STATE_BY_NAME.get(text.casefold())


def place(zip_code: str | None) -> Place | None:
    return _places().get(zip_code) if zip_code else None


def timezone_for(zip_code: str | None, state: str | None) -> str:
    """The IANA zone of a ZIP, else of its state, else hotline time."""
    found = place(zip_code)
    if found:
        return found.timezone
    return _state_timezones().get(state or "", HOTLINE_TIMEZONE)


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(a))


def bounding_box(lat: float, lon: float, miles: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) of a box that contains the circle of ``miles``."""
    dlat = math.degrees(miles / EARTH_RADIUS_MILES)
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


# Grid cells index places for search: a fine grid for local searches, a coarse one for wide ones.
FINE_CELL_DEGREES = 0.5
COARSE_CELL_DEGREES = 2.0
FINE_GRID_MAX_MILES = 60.0


def grid_cell(latitude: float, longitude: float, degrees: float) -> tuple[int, int]:
    return int((latitude + 90) // degrees), int((longitude + 180) // degrees)


def cells_covering(box: tuple[float, float, float, float],
                   degrees: float) -> list[tuple[int, int]]:
    """Every grid cell that a bounding box (from ``bounding_box``) touches."""
    min_lat, max_lat, min_lon, max_lon = box
    low, high = grid_cell(min_lat, min_lon, degrees), grid_cell(max_lat, max_lon, degrees)
    return [(row, column) for row in range(low[0], high[0] + 1)
            for column in range(low[1], high[1] + 1)]
