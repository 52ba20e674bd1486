"""The workstation's copy of the directory: where it lives, first-run demo data, whole imports."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from console import settings
from console.directory.batch import ImportReport
from console.directory.formats import read_directory
from console.directory.index import get_meta
from console.directory.loader import import_batch, refuse_unusable, source_name
from console.models.database import open_directory
from console.tasks import QuietState, TaskState

DEMO_SOURCE = "demo"


def demo_directory_path() -> Path:
    return settings.resources_dir() / "demo" / "directory.json"


def open_local_directory(seed_demo: bool = True) -> Engine:
    """The local directory store; on a machine that has never imported one, the demo directory."""
    engine = open_directory(settings.directory_db_path())
    if seed_demo:
        with engine.connect() as connection:
            never_filled = get_meta(connection, "source") is None
        if never_filled:
            import_path(engine, demo_directory_path(), QuietState(), source=DEMO_SOURCE)
    return engine


def import_path(engine: Engine, path: Path, state: TaskState, replace: bool = False,
                source: str | None = None, strict: bool = False) -> ImportReport:
    """Read ``path`` in any supported format and import it in one transaction.

    ``source`` names the import (default: the file or folder name); see ``import_batch``. The
    demo directory is removed by the first real import, so demo records never mix with a
    hotline's own.
    """
    source = source_name(path, source)
    batch = read_directory(path, state)
    refuse_unusable(batch, replace, path.name)
    with engine.connect() as connection:
        demo_present = source != DEMO_SOURCE and connection.exec_driver_sql(
            "SELECT 1 FROM directory_record_source WHERE source = ? LIMIT 1",
            (DEMO_SOURCE,)).first() is not None
    # Only a source with services takes the demo's place: never an empty directory instead.
    takes_over = demo_present and batch.count("service") > 0
    return import_batch(engine, batch, state, replace=replace, source=source, strict=strict,
                        drop_sources=(DEMO_SOURCE,) if takes_over else ())
