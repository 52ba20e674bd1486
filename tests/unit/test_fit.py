"""The search filters an intake sets, and the results that may not fit the person."""

from __future__ import annotations

from dataclasses import replace

from console.directory.search import SearchQuery, SearchResult
from console.intake.fit import FitCheck, IntakeFilters, fit_checks, intake_filters, misfits


def result(service_id: str) -> SearchResult:
    return SearchResult(service_id=service_id, service_name=service_id, organization_name="Org",
                        phone=None, address=None, confidential=False, city="Austin",
                        state="TX", postal_code="78701", distance_miles=None,
                        serves_caller_area=False, open_now=False, open_24h=False,
                        hours_today="Closed")


def test_needs_minor_and_language_set_the_filters() -> None:
    assert intake_filters({}) == IntakeFilters()
    answers = {"referral_needs": ["emergency-shelter", "legal"], "minors_involved": "yes",
               "language": "es"}
    assert intake_filters(answers) == IntakeFilters("emergency-shelter", "minors", "es")
    assert intake_filters({"language": "en", "minors_involved": "no"}) == IntakeFilters()
    assert intake_filters({"referral_needs": "not a list"}) == IntakeFilters()


def test_a_minor_and_a_recorded_gender_are_checked() -> None:
    assert fit_checks({}) == ()
    checks = fit_checks({"minors_involved": "yes", "person_gender": "male"})
    assert checks == (FitCheck("minors", "may not serve minors"),
                      FitCheck("male", "may not serve men and boys"))


def test_results_the_population_filter_leaves_out_are_flagged() -> None:
    everyone, adults_only = result("everyone"), result("adults-only")
    asked: list[SearchQuery] = []

    def search(query: SearchQuery) -> list[SearchResult]:
        asked.append(query)
        return [everyone] if query.population == "minors" else [everyone, adults_only]

    query = SearchQuery(text="shelter")
    checks = (FitCheck("minors", "may not serve minors"),)
    assert misfits(search, query, [everyone, adults_only], checks) == {
        "adults-only": ("may not serve minors",)}
    assert asked == [replace(query, population="minors")]
    # Already filtered for minors: nothing to check, nothing searched.
    assert misfits(search, replace(query, population="minors"), [everyone], checks) == {}
    assert len(asked) == 1
