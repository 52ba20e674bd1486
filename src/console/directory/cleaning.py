"""Cleaning rows from messy exports into values the directory can keep.

Each cleaner takes one HSDS 3.0 row (a dict, changed in place) and returns None when the row is
usable, or the reason it must be skipped. References are checked later, by the loader.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import phonenumbers

from console.directory.geo import normalize_state, normalize_zip
from console.directory.hours import (
    ALWAYS_OPEN_WORDS,
    afternoon_closing,
    clock_text,
    normalize_byday,
    parse_clock,
    split_range,
)
from console.directory.vocabulary import vocabulary

Row = dict[str, Any]
SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
FLOAT_COLUMNS = {"minimum_age", "maximum_age", "latitude", "longitude", "extension", "timezone",
                 "amount"}
# Columns HSDS declares as absolute URIs ("format": "uri").
URI_COLUMNS = {"website", "url", "uri", "logo", "schedule_link", "term_uri"}
INT_COLUMNS = {"year_incorporated", "count", "interval"}


def clean_values(raw: Row, columns: tuple[str, ...], known: set[str]) -> Row:
    """A row of exactly ``columns``: text trimmed, blanks as None, numbers as numbers.

    Unknown keys are dropped; an unreadable number becomes None (the record stays usable).
    This runs for every record of every import, so it makes one pass over what is present.
    """
    row: Row = dict.fromkeys(columns)
    for key, value in raw.items():
        if value is None or key not in known:
            continue
        if type(value) is str:
            value = value.strip()
            if not value:
                continue
        if key in FLOAT_COLUMNS:
            value = _number(value, float)
        elif key in INT_COLUMNS:
            value = _number(value, int)
        row[key] = value
    return row


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_SPACE = re.compile(r"\s")
_HOST = re.compile(r"(?:[^\W_][\w-]*\.)+[^\W\d_]{2,}(?::\d+)?(?:[/?#]\S*)?")


def absolute_uri(value: str) -> str | None:
    """``value`` as an absolute URI: "www.example.org" gains "https://"; None if it is no address.

    Exports often leave the scheme out; HSDS 3.0 requires absolute URIs.
    """
    text = value.strip()
    if _SCHEME.match(text) and _SPACE.search(text) is None:
        return text if "." in text or text.startswith(("mailto:", "tel:")) else None
    if _HOST.fullmatch(text):
        end = next((i for i, ch in enumerate(text) if ch in "/?#"), len(text))
        host, rest = text[:end], text[end:]
        try:
            host = host.encode("idna").decode("ascii")  # "clínica.org": xn--clnica-qva.org
        except UnicodeError:
            return None
        return f"https://{host}{rest}"
    return None


def clean_uris(columns: tuple[str, ...], row: Row) -> list[str]:
    """Give scheme-less web addresses in ``columns`` (the row's URI columns, see
    ``URI_COLUMNS``) a scheme; clear (and name) the ones that are no address."""
    dropped = []
    for column in columns:
        value = row[column]
        if value is not None and value.__class__ is str:
            fixed = absolute_uri(value)
            if fixed is None:
                dropped.append(column)
            row[column] = fixed
    return dropped


def _number(value: object, kind: type[int] | type[float]) -> int | float | None:
    try:
        number = float(str(value).replace(",", ""))
    except ValueError:
        return None
    if number != number or abs(number) >= 2.0**63:  # NaN, infinities, beyond a 64-bit column
        return None
    return kind(number)


def _require(row: Row, *columns: str) -> str | None:
    missing = [column for column in columns if not row.get(column)]
    return f"no {' or '.join(missing)}" if missing else None


def clean_organization(row: Row) -> str | None:
    return _require(row, "name")


def clean_service(row: Row) -> str | None:
    status = (row.get("status") or "active").casefold()
    row["status"] = status if status in SERVICE_STATUSES else "active"
    for column in ("minimum_age", "maximum_age"):
        if row.get(column) is not None and not 0 <= row[column] <= 130:
            row[column] = None
    return _require(row, "name")


def clean_location(row: Row) -> str | None:
    latitude, longitude = row.get("latitude"), row.get("longitude")
    if latitude is None or longitude is None or not (-90 <= latitude <= 90) \
            or not (-180 <= longitude <= 180) or (latitude == 0 and longitude == 0):
        # Search places the location at its ZIP's centroid instead.
        row["latitude"] = row["longitude"] = None
    location_type = (row.get("location_type") or "physical").casefold()
    row["location_type"] = location_type if location_type in ("physical", "postal", "virtual") \
        else "physical"
    return None


def clean_address(row: Row) -> str | None:
    row["state_province"] = normalize_state(row.get("state_province")) or row.get("state_province")
    row["postal_code"] = normalize_zip(row.get("postal_code")) or row.get("postal_code")
    row["country"] = (row.get("country") or "US").upper()
    if row["country"] in ("USA", "UNITED STATES"):
        row["country"] = "US"
    address_type = (row.get("address_type") or "physical").casefold()
    row["address_type"] = address_type if address_type in ("physical", "postal", "virtual") \
        else "physical"
    if not (row.get("address_1") or row.get("city") or row.get("postal_code")):
        return "no street, city or postal code"
    return None


_US_NUMBER = re.compile(r"^\+?1?[\s.-]*\(?(\d{3})\)?[\s.-]*(\d{3})[\s.-]*(\d{4})$")


def clean_phone(row: Row) -> str | None:
    number = row.get("number")
    if not number:
        return "no number"
    plain = _US_NUMBER.match(str(number))
    if plain:  # the common case, without the cost of a full parse
        row["number"] = f"({plain[1]}) {plain[2]}-{plain[3]}"
        return None
    try:
        parsed = phonenumbers.parse(str(number), "US")
    except phonenumbers.NumberParseException:
        return None  # keep what the export says; a person can still read it out
    if phonenumbers.is_possible_number(parsed):
        extension, parsed.extension = parsed.extension, None
        row["number"] = phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.NATIONAL
            if parsed.country_code == 1 else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        if extension and row.get("extension") is None:
            row["extension"] = _number(extension, float)
    return None


def clean_schedule(row: Row) -> str | None:
    opens_text, closes_text = row.get("opens_at"), row.get("closes_at")
    if opens_text is not None and ALWAYS_OPEN_WORDS.search(str(opens_text)) \
            and closes_text is None:
        opens_text, closes_text = "00:00", "24:00"  # "24 hours" written where a time belongs
    elif opens_text is not None and closes_text is None and split_range(opens_text):
        opens_text, closes_text = split_range(opens_text)  # type: ignore[misc]
    times: dict[str, int] = {}
    for column, text in (("opens_at", opens_text), ("closes_at", closes_text)):
        if text is None:
            continue
        minutes = parse_clock(text)
        if minutes is None:
            return f"unreadable {column.replace('_', ' ')}"
        times[column] = minutes
    if len(times) == 2:
        times["closes_at"] = afternoon_closing(times["opens_at"], times["closes_at"],
                                               closes_text)
    for column, minutes in times.items():
        row[column] = clock_text(minutes)
    if row.get("byday") is not None:
        byday = normalize_byday(row["byday"])
        if byday is None:
            return "unreadable days"
        row["byday"] = byday
    if row.get("freq"):
        row["freq"] = str(row["freq"]).upper()
    elif row.get("byday") or row.get("opens_at"):
        row["freq"] = "WEEKLY"
    if row.get("wkst"):
        row["wkst"] = normalize_byday(row["wkst"])
    return None


def clean_language(row: Row) -> str | None:
    code = vocabulary().language_code(row.get("code") or row.get("name") or "")
    if code:
        row["code"] = code
        row["name"] = row.get("name") or vocabulary().language_name(code)
    return _require(row, "name")


def clean_taxonomy_term(row: Row) -> str | None:
    return _require(row, "name")


def clean_taxonomy(row: Row) -> str | None:
    return _require(row, "name")


def _accept(_row: Row) -> str | None:
    return None


CLEANERS: dict[str, Callable[[Row], str | None]] = {
    "taxonomy": clean_taxonomy,
    "taxonomy_term": clean_taxonomy_term,
    "organization": clean_organization,
    "service": clean_service,
    "location": clean_location,
    "service_at_location": _accept,
    "address": clean_address,
    "contact": _accept,
    "phone": clean_phone,
    "schedule": clean_schedule,
    "language": clean_language,
    "service_area": _accept,
    "attribute": _accept,
    "program": _accept,
    "organization_identifier": _accept,
    "funding": _accept,
    "cost_option": _accept,
    "required_document": _accept,
    "accessibility": _accept,
    "metadata": _accept,
}
