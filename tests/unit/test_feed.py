"""Server changes applied to the local directory re-index exactly the services they touch."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from console.directory.feed import apply_changes, row_values
from console.directory.search import DirectorySearch, SearchQuery
from console.directory.vocabulary import CONFIDENTIAL_ADDRESS, vocabulary
from tests.unit.builder import DirectoryBuilder

FLAG_ID = "5b6c1f0e-8d1a-4c55-9d0e-3f2a7c9b1e01"


def _directory(tmp_path: Path) -> tuple[Engine, DirectorySearch]:
    b = DirectoryBuilder()
    b.service("Harbor Shelter", organization="Harbor House", categories=("emergency-shelter",))
    b.service("Legal Clinic", organization="Justice Center", categories=("legal",))
    engine, _ = b.build(tmp_path / "directory.sqlite")
    return engine, DirectorySearch(engine)


def _only(search: DirectorySearch, words: str) -> list[str]:
    return [r.service_name for r in search.search(SearchQuery(text=words))]


def test_a_confidential_flag_arriving_by_sync_hides_the_address(tmp_path: Path) -> None:
    engine, search = _directory(tmp_path)
    [before] = search.search(SearchQuery(text="harbor shelter"))
    assert not before.confidential and before.address is not None
    with engine.begin() as connection:
        address_id = connection.exec_driver_sql(
            "SELECT address.id FROM address JOIN service_at_location sal "
            "ON sal.location_id = address.location_id JOIN service ON service.id = sal.service_id "
            "WHERE service.name = 'Harbor Shelter'").scalar_one()
        flag = vocabulary().flags[CONFIDENTIAL_ADDRESS].id
        apply_changes(connection, {"attribute": {FLAG_ID: row_values("attribute", {
            "id": FLAG_ID, "link_id": address_id, "link_entity": "address",
            "taxonomy_term_id": flag})}}, {})
    [after] = search.search(SearchQuery(text="harbor shelter"))
    assert after.confidential and after.address is None
    search.close()


def test_a_tombstoned_service_leaves_search_and_the_others_stay(tmp_path: Path) -> None:
    engine, search = _directory(tmp_path)
    with engine.begin() as connection:
        service_id = connection.exec_driver_sql(
            "SELECT id FROM service WHERE name = 'Legal Clinic'").scalar_one()
        apply_changes(connection, {}, {"service": [service_id]})
    assert _only(search, "legal clinic") == []
    assert _only(search, "harbor shelter") == ["Harbor Shelter"]
    search.close()
