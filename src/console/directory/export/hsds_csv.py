"""The HSDS 3.0 CSV export: a tabular data package, one CSV per table and its datapackage.json."""

from __future__ import annotations

import csv
import json
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    select,
)

from console.directory.batch import COLUMNS
from console.directory.export.reading import (
    CHUNK,
    count_rows,
    read_rows,
    replacing,
    snapshot,
    table_named,
)
from console.settings import resources_dir
from console.tasks import TaskState, check_cancelled

# --- CSV data package ---------------------------------------------------------------------------

PACKAGE_FILE = "datapackage.json"


def _package_template() -> dict[str, Any]:
    """The official HSDS 3.0 datapackage.json, trimmed to the tables the directory keeps."""
    path = resources_dir() / "hsds" / PACKAGE_FILE
    return json.loads(path.read_text(encoding="utf-8"))


def _package(template: dict[str, Any]) -> dict[str, Any]:
    """The package description for the tables written, without dangling foreign keys.

    A foreign key to a table we do not write (``service.program_id``) would make package
    validators fail on every row, so it is left out.
    """
    resources = [dict(resource) for resource in template["resources"]
                 if resource["name"] in COLUMNS]
    names = {resource["name"] for resource in resources}
    for resource in resources:
        schema = dict(resource["schema"])
        keys = [key for key in schema.get("foreignKeys", ())
                if key["reference"]["resource"] in names]
        schema.pop("foreignKeys", None)
        if keys:
            schema["foreignKeys"] = keys
        resource["schema"] = schema
    return {**template, "resources": resources}


def _write_table(connection: Connection, resource: dict[str, Any], path: Path,
                 progress: _Progress) -> None:
    table = table_named(resource["name"])
    # The package's field order is the official column order of each CSV.
    fields = [field["name"] for field in resource["schema"]["fields"]]
    values = itemgetter(*fields)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(fields)
        # Store order, not ORDER BY id: walking the id index costs more than writing the rows,
        # and the order of a table's rows means nothing in a data package.
        for row in read_rows(connection, table, select(table)):
            writer.writerow(values(row))
            progress.step()


class _Progress:
    """Counts rows across all tables, reporting (and checking for cancel) every ``CHUNK``."""

    def __init__(self, state: TaskState, stage: str, total: int) -> None:
        self.state, self.stage, self.total, self.done = state, stage, total, 0
        state.progress(stage, 0, total)

    def step(self) -> None:
        self.done += 1
        if self.done % CHUNK == 0:
            check_cancelled(self.state)
            self.state.progress(self.stage, self.done, self.total)

    def finish(self) -> None:
        self.state.progress(self.stage, self.done, self.total)


def export_csv(engine: Engine, out: Path, state: TaskState) -> int:
    """Write an HSDS 3.0 tabular data package into the folder ``out``; returns the services.

    One CSV per table the directory keeps, named and ordered as in the official package, plus
    the ``datapackage.json`` describing them.
    """
    package = _package(_package_template())
    resources = package["resources"]
    out.mkdir(parents=True, exist_ok=True)
    targets = [out / resource["path"] for resource in resources] + [out / PACKAGE_FILE]
    with snapshot(engine) as connection, replacing(targets) as parts:
        total = sum(count_rows(connection, resource["name"]) for resource in resources)
        progress = _Progress(state, "Exporting tables", total)
        for resource, part in zip(resources, parts[:-1], strict=True):
            _write_table(connection, resource, part, progress)
        progress.finish()
        parts[-1].write_text(json.dumps(package, indent=4, ensure_ascii=False) + "\n",
                             encoding="utf-8")
        return count_rows(connection, "service")


