"""Finding and reading the CSV files of a tabular HSDS package (3.0, or legacy 1.1).

Real packages are messy: datapackage.json may be absent, list files that are not there, or the
files may sit in a sub-folder (a zip with a top folder, an "export/" folder). Files are found by
name anywhere under the package folder, preferring the one datapackage.json names.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
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


def decode_lines(data: bytes, name: str, report: ImportReport) -> list[str]:
    """The file's lines as text: UTF-8 (with or without BOM); a line that is not UTF-8 is read as
    Windows-1252, as Excel writes it, and named in the report. Only that line: one stray byte
    never turns a whole file's good accented text into mojibake."""
    lines: list[str] = []
    fallback: list[int] = []
    for number, line in enumerate(data.removeprefix(codecs.BOM_UTF8).splitlines(keepends=True)):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", errors="replace"))
            fallback.append(number + 1)
    if fallback:
        shown = ", ".join(map(str, fallback[:10])) + (" …" if len(fallback) > 10 else "")
        report.note(f"{name}: {len(fallback):,} line(s) not UTF-8, read as Windows-1252 "
                    f"(line {shown})")
    return lines


class _Lines:
    """An iterator over lines from a given one on, telling how many the csv module has taken."""

    def __init__(self, lines: list[str], start: int) -> None:
        self.lines = lines
        self.next = start

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.next >= len(self.lines):
            raise StopIteration
        self.next += 1
        return self.lines[self.next - 1]


def _records(lines: list[str], width: int, kind: str,
             report: ImportReport) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of each CSV record after the header.

    A quote left open swallows the lines after it into one cell. A record that spans several
    lines yet does not have the header's number of cells is such a case: its first line is
    skipped and reported, and reading starts again on the next line, so no good row is lost.
    """
    position = 1
    while position < len(lines):
        source = _Lines(lines, position)
        reader = csv.reader(source)
        while True:
            start = source.next
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                report.skip(kind, f"unreadable CSV line ({error})", f"line {start + 1}")
                position = start + 1
                break
            if source.next - start > 1 and len(cells) != width:
                report.skip(kind, "a quote is left open (the line is cut short)",
                            f"line {start + 1}")
                position = start + 1
                break
            yield start + 1, cells


def read_csv(path: Path, kind: str, batch: DirectoryBatch, state: TaskState,
             used: Iterable[str] | None = None) -> Iterator[tuple[int, CsvRow]]:
    """(line number, row) for each row of a CSV file, with lower-case column names.

    Empty cells are None. A line the csv module cannot parse is skipped and counted as ``kind``.
    Columns not in ``used`` (when given) are counted in the report as not kept.
    """
    report = batch.report
    try:
        lines = decode_lines(path.read_bytes(), path.name, report)
    except OSError as error:
        report.note(f"{path.name} could not be read ({error.strerror or error})")
        return
    if not lines:
        return
    try:
        header = [name.strip().lower() for name in next(csv.reader(lines[:1]), [])]
    except csv.Error as error:
        report.note(f"{path.name} has no readable header line ({error})")
        return
    unused = [i for i, name in enumerate(header) if name and used is not None and name not in used]
    stage = f"reading {path.name}"
    total = len(lines)
    width = len(header)
    for rows, (line, cells) in enumerate(_records(lines, width, kind, report), start=1):
        if rows % PROGRESS_EVERY == 0:
            state.progress(stage, line, total)
            check_cancelled(state)
        row: CsvRow = {name: cell or None for name, cell in zip(header, cells, strict=False)}
        if len(cells) > width:
            report.drop(f"{path.name}: cells beyond the header's columns", len(cells) - width)
        for index in unused:
            if index < len(cells) and cells[index].strip():
                report.drop(f"{path.name}: column {header[index]}")
        # Spreadsheets leave lines of bare commas below the data; they hold nothing to report.
        if any(value is not None for value in row.values()):
            yield line, row
    state.progress(stage, total, total)


def report_unread_files(folder: Path, read: set[Path], report: ImportReport) -> None:
    """Count the rows of every CSV file of the package that no reader took."""
    for path in csv_files(folder).values():
        if path not in read:
            try:
                rows = max(0, len(path.read_bytes().splitlines()) - 1)
            except OSError:
                rows = 0
            report.drop(f"{path.name} (a file the directory does not read)", rows)


def pick(raw: CsvRow, columns: Sequence[str]) -> Row:
    """The cells of ``columns`` (None where the file has no such column)."""
    return {column: raw.get(column) for column in columns}

