"""The directory store's migrations: an older store gains the new tables and keeps its records,
listed under the source it was last imported from; the migrated schema is what the models say."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from console.directory.search import DirectorySearch, SearchQuery
from console.directory.store import import_path
from console.models.database import MIGRATIONS, open_directory, sqlite_engine
from console.models.directory import DirectoryBase
from console.tasks import QuietState
from tests.conftest import REPO


def test_an_older_store_keeps_its_records_under_their_source(tmp_path: Path) -> None:
    path = tmp_path / "directory.sqlite"
    old = sqlite_engine(path)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS / "directory"))
    with old.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.exec_driver_sql("INSERT INTO organization (id, name) VALUES ('o1', 'Old Org')")
        connection.exec_driver_sql(
            "INSERT INTO directory_meta (key, value) VALUES ('source', 'state-211.zip')")
    old.dispose()
    engine = open_directory(path)
    with engine.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT kind, id, source FROM directory_record_source").all() == [
            ("organization", "o1", "state-211.zip")]
        assert connection.exec_driver_sql("SELECT count(*) FROM cost_option").scalar() == 0
    # And the store takes a new source beside the old one.
    import_path(engine, REPO / "tests" / "data" / "ohana", QuietState())
    assert DirectorySearch(engine).search(SearchQuery(text="food pantry"))


def test_the_migrated_schema_is_the_models_schema(tmp_path: Path) -> None:
    engine = open_directory(tmp_path / "directory.sqlite")
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection),
                                       DirectoryBase.metadata)
    # FTS5 keeps its shadow tables beside the virtual one; the models cannot describe them.
    real = [d for d in differences
            if not (d[0] == "remove_table" and d[1].name.startswith("search_"))]
    assert real == []
