from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.directory.search import DirectorySearch, SearchError, SearchQuery
from tests.unit.builder import WEEKDAYS, DirectoryBuilder

# Monday 23 November 2026, 15:00 UTC = 9 AM in Houston (CST), 10 AM in New York.
MONDAY_9AM_HOUSTON = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SATURDAY_NOON_UTC = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def search(tmp_path: Path) -> DirectorySearch:
    b = DirectoryBuilder()
    b.service("Immigration Legal Services", organization="Houston Legal Aid",
              categories=("immigration-legal",), populations=("foreign-nationals", "adults"),
              languages=("en", "es"), minimum_age=18,
              description="T-visa and continued presence applications for survivors.")
    b.service("Youth Shelter", organization="Safe Harbor Youth", categories=("emergency-shelter",
              "youth"), populations=("minors",), maximum_age=17, confidential=True,
              hours=(("MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59"),), flags=("open-24h",),
              latitude=29.70, longitude=-95.40)
    b.service("Trauma Counseling", organization="Dallas Wellness", zip_code="75201",
              city="Dallas", categories=("mental-health",), languages=("en", "vi"),
              hours=((WEEKDAYS, "13:00", "21:00"),))
    b.service("Texas Anti-Trafficking Coalition", organization="Texas Coalition",
              zip_code="78701", city="Austin", categories=("coalition",), areas=("TX",))
    b.service("National Legal Hotline", organization="National Survivor Law", zip_code="20001",
              city="Washington", state="DC", categories=("legal",), areas=("United States",),
              hours=(("SA,SU", "10:00", "14:00"),))
    b.service("Closed Program", organization="Gone Org", status="defunct",
              categories=("legal",))
    b.service("Brooklyn Medical Clinic", organization="Kings Health", zip_code="11201",
              city="Brooklyn", state="NY", categories=("medical",), languages=("en", "zh"))
    engine, _ = b.build(tmp_path / "directory.sqlite")
    return DirectorySearch(engine)


def names(search: DirectorySearch, **query: object) -> list[str]:
    now = query.pop("now", MONDAY_9AM_HOUSTON)
    results = search.search(SearchQuery(**query), now=now)  # type: ignore[arg-type]
    return [r.service_name for r in results]


def test_text_finds_and_ranks_by_name(search: DirectorySearch) -> None:
    assert set(names(search, text="legal")[:2]) == {"Immigration Legal Services",
                                                    "National Legal Hotline"}
    assert names(search, text="houston legal") == ["Immigration Legal Services"]


def test_prefix_as_the_specialist_types(search: DirectorySearch) -> None:
    assert names(search, text="immig") == ["Immigration Legal Services"]
    assert names(search, text="coun") == ["Trauma Counseling"]


def test_typo_tolerance(search: DirectorySearch) -> None:
    assert names(search, text="imigration") == ["Immigration Legal Services"]
    assert names(search, text="shleter ") == ["Youth Shelter"]
    assert names(search, text="counselling") == ["Trauma Counseling"]


def test_phrase_and_keywords(search: DirectorySearch) -> None:
    assert names(search, text="t-visa") == ["Immigration Legal Services"]
    assert "Youth Shelter" in names(search, text="shelters")


def test_unknown_words_find_nothing(search: DirectorySearch) -> None:
    assert names(search, text="xylophone") == []


def test_defunct_services_are_not_offered(search: DirectorySearch) -> None:
    assert "Closed Program" not in names(search, text="program")


def test_category_population_language_filters(search: DirectorySearch) -> None:
    assert names(search, category="mental-health") == ["Trauma Counseling"]
    assert names(search, category="Mental health") == ["Trauma Counseling"]
    minors = names(search, population="minors")
    assert "Youth Shelter" in minors  # names minors
    assert "Trauma Counseling" in minors  # names no population: serves everyone
    assert "Immigration Legal Services" not in minors  # names adults only
    assert names(search, language="vi") == ["Trauma Counseling"]
    assert names(search, language="Chinese") == ["Brooklyn Medical Clinic"]
    assert names(search, text="legal", language="es") == ["Immigration Legal Services"]


def test_state_includes_statewide_and_national_services(search: DirectorySearch) -> None:
    found = names(search, state="tx")
    assert "Texas Anti-Trafficking Coalition" in found
    assert "National Legal Hotline" in found  # serves the whole country
    assert "Brooklyn Medical Clinic" not in found
    assert names(search, state="New York", category="medical") == ["Brooklyn Medical Clinic"]


def test_zip_sorts_by_distance_and_adds_services_covering_the_area(
        search: DirectorySearch) -> None:
    results = search.search(SearchQuery(zip_code="77002", radius_miles=25),
                            now=MONDAY_9AM_HOUSTON)
    local = {r.service_name: r.distance_miles for r in results if r.distance_miles is not None}
    assert local == {"Immigration Legal Services": 0.0, "Youth Shelter": 0.0}
    # The shelter's exact point (29.70, -95.40) would be 4 miles off; a confidential address is
    # placed at its ZIP's centroid instead, so distance never gives the address away.
    covering = {r.service_name for r in results if r.serves_caller_area}
    assert covering == {"Texas Anti-Trafficking Coalition", "National Legal Hotline"}
    far = names(search, zip_code="77002", radius_miles=300, text="counseling")
    assert far == ["Trauma Counseling"]
    wide = search.search(SearchQuery(zip_code="77002", radius_miles=300), now=MONDAY_9AM_HOUSTON)
    distances = [r.distance_miles for r in wide if r.distance_miles is not None]
    assert distances == sorted(distances) and len(distances) == 4  # Houston, Dallas, Austin


def test_age_eligibility(search: DirectorySearch) -> None:
    assert "Youth Shelter" not in names(search, age=30)
    assert "Immigration Legal Services" not in names(search, age=15)
    assert "Youth Shelter" in names(search, age=15)


def test_open_now_in_each_services_own_time_zone(search: DirectorySearch) -> None:
    found = names(search, open_now=True)  # 9 AM Houston, 9 AM Dallas, 10 AM New York
    assert "Immigration Legal Services" in found  # opens 9 AM Central
    assert "Youth Shelter" in found  # 24/7
    assert "Trauma Counseling" not in found  # opens 1 PM
    assert "Brooklyn Medical Clinic" in found
    weekend = names(search, open_now=True, now=SATURDAY_NOON_UTC)  # 7 AM Saturday Eastern
    assert "National Legal Hotline" not in weekend and "Youth Shelter" in weekend


def test_open_at_instant_and_wall_clock(search: DirectorySearch) -> None:
    evening = datetime(2026, 11, 24, 20, 0)  # 8 PM at each service
    assert names(search, open_at=evening) == ["Trauma Counseling", "Youth Shelter"]
    instant = datetime(2026, 11, 29, 15, 30, tzinfo=UTC)  # Sunday 10:30 AM Eastern
    assert "National Legal Hotline" in names(search, open_at=instant)


def test_24h_filter(search: DirectorySearch) -> None:
    assert names(search, only_24h=True) == ["Youth Shelter"]


def test_result_carries_what_a_specialist_reads_out(search: DirectorySearch) -> None:
    result = search.search(SearchQuery(text="shelter"), now=MONDAY_9AM_HOUSTON)[0]
    assert result.confidential and result.address is None
    assert result.address_text == "confidential"
    assert result.to_dict()["address"] == "confidential"
    assert result.phone == "(713) 555-0100"
    assert result.hours_today == "Open 24 hours" and result.open_now
    legal = search.search(SearchQuery(text="immigration"), now=MONDAY_9AM_HOUSTON)[0]
    assert legal.address == "100 Main St, Houston, TX 77002"
    assert legal.languages == ["English", "Spanish"]
    assert legal.hours_today == "9 AM – 5 PM"
    assert legal.organization_name == "Houston Legal Aid"


def test_limit(search: DirectorySearch) -> None:
    assert len(names(search, limit=2)) == 2


def test_bad_filters_say_why(search: DirectorySearch) -> None:
    with pytest.raises(SearchError, match="ZIP"):
        search.search(SearchQuery(zip_code="00000"))
    with pytest.raises(SearchError, match="category"):
        search.search(SearchQuery(category="astrology"))
    with pytest.raises(SearchError, match="state"):
        search.search(SearchQuery(state="Atlantis"))


@pytest.fixture(scope="module")
def small_search(tmp_path_factory: pytest.TempPathFactory) -> DirectorySearch:
    b = DirectoryBuilder()
    b.service("Immigration Legal Services", categories=("immigration-legal",))
    b.service("Youth Shelter", categories=("emergency-shelter",), flags=("open-24h",))
    engine, _ = b.build(tmp_path_factory.mktemp("typed") / "directory.sqlite")
    return DirectorySearch(engine)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_whatever_is_typed_gives_results_or_nothing(small_search: DirectorySearch,
                                                    typed: str) -> None:
    """Quotes, stars, NEAR(, AND/OR, emoji, half a word: never an FTS syntax error."""
    results = small_search.search(SearchQuery(text=typed, open_now=True),
                                  now=MONDAY_9AM_HOUSTON)
    assert all(r.service_name for r in results)
