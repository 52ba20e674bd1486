"""The referral search a call calls for, and which results may not fit the person it is for.

What the intake already knows sets the search's filters (the services needed, a minor, the
caller's language), so a specialist does not type it twice. A result that may not serve the
person (a women-only or adults-only shelter for a 16-year-old boy) is flagged rather than hidden:
the specialist decides. A service that may not fit is one the directory's own population filter
leaves out; one the directory lists for everyone always fits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from console.directory.query import SearchQuery, SearchResult
from console.directory.vocabulary import vocabulary
from console.protocol import Answers

NEEDS_FIELD, LANGUAGE_FIELD = "referral_needs", "language"
MINORS_FIELD, GENDER_FIELD = "minors_involved", "person_gender"
MINORS = "minors"
# English is every service's language here; filtering on it would only hide services.
LANGUAGE_EVERYONE_SPEAKS = "en"

Search = Callable[[SearchQuery], list[SearchResult]]


@dataclass(frozen=True)
class IntakeFilters:
    """The search filters the intake's answers set (None: the intake says nothing)."""

    category: str | None = None
    population: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class FitCheck:
    """Results the directory's population filter leaves out are flagged with ``reason``."""

    population: str
    reason: str


def intake_filters(answers: Answers) -> IntakeFilters:
    """Needs to category (the first need the directory has a category for), a minor to the
    minors population, the caller's language to the language filter."""
    vocab = vocabulary()
    needs = answers.get(NEEDS_FIELD)
    category = next((need for need in needs if need in vocab.categories), None) \
        if isinstance(needs, list) else None
    language = answers.get(LANGUAGE_FIELD)
    return IntakeFilters(
        category=category,
        population=MINORS if _is_minor(answers) else None,
        language=language if language in vocab.languages
        and language != LANGUAGE_EVERYONE_SPEAKS else None)


def fit_checks(answers: Answers) -> tuple[FitCheck, ...]:
    """What a service must serve to fit the person: a minor, their gender when recorded."""
    populations = vocabulary().populations
    checks = []
    if _is_minor(answers):
        checks.append(FitCheck(MINORS, "may not serve minors"))
    gender = answers.get(GENDER_FIELD)
    if isinstance(gender, str) and gender in populations:
        checks.append(FitCheck(gender, f"may not serve {populations[gender].name.lower()}"))
    return tuple(checks)


def misfits(search: Search, query: SearchQuery, results: list[SearchResult],
            checks: tuple[FitCheck, ...]) -> dict[str, tuple[str, ...]]:
    """Service id -> why it may not fit, for each of ``results`` the person may not fit.

    Each check searches again with the population filter added: ranking is the same, so a
    fitting result among the first N unfiltered is among the first N filtered."""
    flags: dict[str, list[str]] = {}
    for check in checks:
        if query.population == check.population:
            continue  # already filtered out
        fitting = {result.service_id
                   for result in search(replace(query, population=check.population))}
        for result in results:
            if result.service_id not in fitting:
                flags.setdefault(result.service_id, []).append(check.reason)
    return {service_id: tuple(reasons) for service_id, reasons in flags.items()}


def _is_minor(answers: dict[str, Any]) -> bool:
    return answers.get(MINORS_FIELD) == "yes"
