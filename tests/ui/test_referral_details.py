"""The details pane words what the directory knows and flags what the source left out."""

from __future__ import annotations

from dataclasses import replace

from console.directory.hours import HOURS_NOT_LISTED
from console.directory.query import PLACEHOLDER_ORGANIZATION_NAME
from console.directory.search import SearchResult
from console.ui.referral_search import details_fields

RESULT = SearchResult(
    service_id="s1", service_name="Immigration Legal Services", organization_name="Legal Aid",
    phone="(813) 555-0119", address="9 Court St, Tampa, FL 33602", confidential=False,
    city="Tampa", state="FL", postal_code="33602", distance_miles=None, serves_caller_area=False,
    open_now=False, open_24h=False, hours_today="9 AM – 5 PM")


def test_a_placeholder_organization_is_flagged() -> None:
    fields = dict(details_fields(replace(RESULT, organization_name=PLACEHOLDER_ORGANIZATION_NAME)))
    assert fields["Organization"].startswith(PLACEHOLDER_ORGANIZATION_NAME)
    assert "confirm who runs this service" in fields["Organization"]
    assert dict(details_fields(RESULT))["Organization"] == "Legal Aid"


def test_without_a_schedule_hours_are_not_known_never_closed() -> None:
    fields = dict(details_fields(replace(RESULT, hours_today=HOURS_NOT_LISTED,
                                         hours_listed=False)))
    assert fields["Hours today"] == HOURS_NOT_LISTED and fields["Open now"] == "Not known"
