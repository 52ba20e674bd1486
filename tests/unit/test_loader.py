from pathlib import Path

import pytest
from sqlalchemy import Engine

from console.directory.batch import DirectoryBatch
from console.directory.loader import import_batch
from console.directory.query import PLACEHOLDER_ORGANIZATION_NAME
from console.directory.search import DirectorySearch, SearchQuery
from console.tasks import Cancelled
from tests.unit.builder import DirectoryBuilder


def count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() or 0)


def snapshot(engine: Engine) -> dict[str, int]:
    tables = ("organization", "service", "location", "address", "phone", "schedule",
              "attribute", "search_service", "search_hours")
    return {table: count(engine, table) for table in tables}


def test_messy_references_are_reported_not_fatal(tmp_path: Path) -> None:
    b = DirectoryBuilder()
    b.service("Kept Service")
    batch = b.batch
    batch.add("service", {"id": "orphan", "organization_id": "nobody", "name": "Orphan"})
    batch.add("service", {"id": "nameless", "organization_id": "org-1"})
    batch.add("phone", {"id": "p-x", "service_id": "orphan", "number": "555"})
    batch.add("schedule", {"id": "s-x", "service_id": "svc-2", "opens_at": "9:00am",
                           "closes_at": "noon", "byday": "Monday"})
    batch.add("schedule", {"id": "s-bad", "service_id": "svc-2", "opens_at": "whenever"})
    batch.add("location", {"id": "l-x", "organization_id": "nobody", "latitude": "abc"})
    engine, report = b.build(tmp_path / "d.sqlite")
    # A service whose organization is missing is kept, under a placeholder organization.
    assert report.repaired[("service", "its organization is not in the source (kept under a "
                            "placeholder organization)")] == 1
    assert report.skipped[("service", "no name")] == 1
    assert report.skipped[("schedule", "unreadable opens at")] == 1
    assert report.repaired[("location", "dropped a link to a missing organization")] == 1
    assert report.imported["service"] == 2 and report.imported["location"] == 2
    assert report.imported["phone"] == 2  # the orphan's phone stays with it
    assert count(engine, "search_service") == 2
    assert any("skipped 1 service: no name" in line for line in report.lines())
    with engine.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT o.name FROM service s JOIN organization o ON o.id = s.organization_id "
            "WHERE s.name = 'Orphan'").scalar() == PLACEHOLDER_ORGANIZATION_NAME


def test_integer_ids_become_stable_uuids(tmp_path: Path) -> None:
    batch = DirectoryBatch()
    batch.add("organization", {"id": 12, "name": "Org"})
    batch.add("service", {"id": "7", "organization_id": "12", "name": "Svc", "status": ""})
    engine, _ = DirectoryBuilder().build(tmp_path / "d.sqlite")
    import_batch(engine, batch)
    import_batch(engine, batch)  # the same export twice: the same records, not duplicates
    with engine.connect() as connection:
        service_id, org_id, status = connection.exec_driver_sql(
            "SELECT id, organization_id, status FROM service").one()
        assert connection.exec_driver_sql("SELECT id FROM organization").scalar() == org_id
    assert len(service_id) == 36 and status == "active"
    assert count(engine, "service") == 1


def test_reimport_replaces_children_and_reindexes(tmp_path: Path) -> None:
    b = DirectoryBuilder()
    service_id = b.service("Legal Clinic", categories=("legal",))
    b.service("Other Service")
    engine, _ = b.build(tmp_path / "d.sqlite")
    update = DirectoryBatch()
    update.add("service", {"id": service_id, "organization_id": "org-1",
                           "name": "Renamed Clinic"})
    update.add("phone", {"id": "new-phone", "service_id": service_id, "number": "2125550199"})
    import_batch(engine, update)
    search = DirectorySearch(engine)
    results = search.search(SearchQuery(text="renamed"))
    assert [r.service_name for r in results] == ["Renamed Clinic"]
    assert results[0].phone == "(212) 555-0199"  # the old phone was replaced, not kept
    assert search.search(SearchQuery(text="legal clinic")) == []
    assert [r.service_name for r in search.search(SearchQuery(text="other"))] == ["Other Service"]
    assert count(engine, "search_service") == 2


def test_replace_makes_the_batch_the_whole_directory(tmp_path: Path) -> None:
    b = DirectoryBuilder()
    b.service("Old Service")
    engine, _ = b.build(tmp_path / "d.sqlite")
    fresh = DirectoryBuilder()
    fresh.service("New Service")
    import_batch(engine, fresh.batch, replace=True)
    names = [r.service_name for r in DirectorySearch(engine).search(SearchQuery())]
    assert names == ["New Service"]


class CancelDuring:
    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.seen = False

    def progress(self, stage: str, done: int, total: int) -> None:
        self.seen = self.seen or stage == self.stage

    def cancelled(self) -> bool:
        return self.seen


@pytest.mark.parametrize("stage", ["checking records", "writing records",
                                   "building the search index"])
def test_a_failed_import_changes_nothing(tmp_path: Path, stage: str) -> None:
    b = DirectoryBuilder()
    b.service("Existing Service")
    engine, _ = b.build(tmp_path / "d.sqlite")
    before = snapshot(engine)
    more = DirectoryBuilder()
    for number in range(12000 if stage == "building the search index" else 3):
        more.service(f"Service {number}")
    with pytest.raises(Cancelled):
        import_batch(engine, more.batch, CancelDuring(stage), replace=True)
    assert snapshot(engine) == before
    names = [r.service_name for r in DirectorySearch(engine).search(SearchQuery())]
    assert names == ["Existing Service"]
