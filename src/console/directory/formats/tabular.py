"""Finding and reading the CSV files of a tabular HSDS package (3.0, or legacy 1.1).

Real packages are messy: datapackage.json may be absent, list files that are not there, or the
files may sit in a sub-folder (a zip with a top folder, an "export/" folder). Files are found by
name anywhere under the package folder, preferring the one datapackage.json names.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from console.directory.batch import DirectoryBatch, ImportFailed, ImportReport, Row
from console.tasks import TaskState, check_cancelled

PROGRESS_EVERY = 5000
DATAPACKAGE = "datapackage.json"
MAX_FOLDER_DEPTH = 3

CsvRow = dict[str, str | None]


def package_folder(path: Path) -> Path:
    """The folder of a package given as the folder itself or its datapackage.json."""
    if path.is_dir():
        return path
    if path.is_file() and path.name.lower() == DATAPACKAGE:
        return path.parent
    raise ImportFailed(f"{path} is not a folder of HSDS CSV files or a {DATAPACKAGE}.")


def files_under(folder: Path) -> Iterator[Path]:
    """Files in ``folder`` and its sub-folders, shallowest first.

    Only a few levels down: a package's files sit in a zip's top folder or a "data/" folder,
    and a folder picked by mistake (a whole home folder) must not be crawled to the bottom.
    """
    level = [folder]
    for _ in range(MAX_FOLDER_DEPTH + 1):
        deeper: list[Path] = []
        for directory in level:
            try:
                entries = sorted(directory.iterdir())
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir():
                    deeper.append(entry)
                elif not entry.name.startswith("._") and entry.is_file():
                    yield entry  # "._name" files are the resource forks of macOS zips
        level = deeper


def csv_files(folder: Path) -> dict[str, Path]:
    """Every CSV file under ``folder`` by lower-case file name; the shallowest one wins."""
    found: dict[str, Path] = {}
    for path in files_under(folder):
        if path.suffix.lower() == ".csv":
            found.setdefault(path.name.lower(), path)
    return found


def locate(folder: Path, wanted: Mapping[str, Sequence[str]],
           report: ImportReport) -> dict[str, Path]:
    """The file for each wanted resource: ``wanted`` maps a resource name to its usual file names.

    A resource listed in datapackage.json (by its name, or a usual file name's stem) is looked
    for under the listed file's name first; a listed file that is missing is noted, and the
    usual names are tried instead.
    """
    files = csv_files(folder)
    listed = _listed_files(folder, report)
    located: dict[str, Path] = {}
    for resource, names in wanted.items():
        aliases = {resource, *(Path(name).stem for name in names)}
        for alias in sorted(aliases & listed.keys()):
            if listed[alias] in files:
                located[resource] = files[listed[alias]]
                break
            report.note(f"{DATAPACKAGE} lists {listed[alias]} for {alias}, "
                        "but the package has no such file")
        if resource not in located:
            path = next((files[name] for name in names if name in files), None)
            if path is not None:
                located[resource] = path
    return located


def _listed_files(folder: Path, report: ImportReport) -> dict[str, str]:
    """Resource name -> lower-case file name, from the package's datapackage.json if any."""
    path = next((found for found in files_under(folder) if found.name.lower() == DATAPACKAGE),
                None)
    if path is None:
        return {}
    try:
        resources = json.loads(path.read_bytes()).get("resources")
    except (OSError, ValueError, AttributeError, RecursionError) as error:
        report.note(f"{DATAPACKAGE} could not be read ({error}); looked for the usual file names")
        return {}
    listed: dict[str, str] = {}
    for resource in resources if isinstance(resources, list) else ():
        if not isinstance(resource, dict):
            continue
        name, file = resource.get("name"), resource.get("path")
        if isinstance(file, list) and file:  # Frictionless allows a list of parts
            file = file[0]
        if isinstance(name, str) and isinstance(file, str):
            # Only the file name counts: the files are found wherever they sit in the folder.
            listed[name.strip().lower()] = file.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return listed


def decode(data: bytes, name: str, report: ImportReport) -> str:
    """Text of a CSV file: UTF-8 (with or without BOM), else Windows-1252 as Excel writes it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.note(f"{name} is not UTF-8; read it as Windows-1252")
        return data.decode("cp1252", errors="replace")


def read_csv(path: Path, kind: str, batch: DirectoryBatch,
             state: TaskState) -> Iterator[tuple[int, CsvRow]]:
    """(line number, row) for each row of a CSV file, with lower-case column names.

    Empty cells are None. A line the csv module cannot parse is skipped and counted as ``kind``.
    """
    opened = _open(path, batch.report)
    if opened is None:
        return
    reader, total = opened
    stage = f"reading {path.name}"
    rows = 0
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            batch.report.skip(kind, f"unreadable CSV line ({error})", f"line {reader.line_num}")
            continue
        rows += 1
        if rows % PROGRESS_EVERY == 0:
            state.progress(stage, reader.line_num, total)
            check_cancelled(state)
        row = {key: value or None for key, value in raw.items()}
        # Spreadsheets leave lines of bare commas below the data; they hold nothing to report.
        if any(value is not None for key, value in row.items() if key is not None):
            yield reader.line_num, row
    state.progress(stage, total, total)


def _open(path: Path, report: ImportReport) -> tuple[csv.DictReader[str], int] | None:
    """A reader past the header line, and the file's line count; None if it is unreadable."""
    try:
        text = decode(path.read_bytes(), path.name, report)
    except OSError as error:
        report.note(f"{path.name} could not be read ({error.strerror or error})")
        return None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        report.note(f"{path.name} has no readable header line ({error})")
        return None
    reader.fieldnames = [name.strip().lower() for name in header]
    # Quoted line breaks make the line count an estimate of the rows; enough for progress.
    return reader, text.count("\n")


def pick(raw: CsvRow, columns: Sequence[str]) -> Row:
    """The cells of ``columns`` (None where the file has no such column)."""
    return {column: raw.get(column) for column in columns}

