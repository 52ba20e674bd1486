"""Directory readers: recognise an input's format and read it into a ``DirectoryBatch``."""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from console.directory.batch import DirectoryBatch, ImportFailed
from console.directory.formats.hsds3_csv import read_hsds3_csv
from console.directory.formats.hsds3_json import NDJSON_SUFFIXES, read_hsds3_json
from console.directory.formats.hsds11_csv import MARKERS, read_hsds11_csv
from console.directory.formats.tabular import DATAPACKAGE, csv_files, files_under
from console.tasks import TaskState

Reader = Callable[[Path, TaskState], DirectoryBatch]

# What each accepted format looks like, for help texts and error messages.
FORMATS: dict[str, str] = {
    "hsds3-json": "HSDS 3.0 JSON (.json): a list of services or organizations with their "
                  'records nested, a single one, or an API page {"contents": [...]}',
    "hsds3-ndjson": "HSDS 3.0 NDJSON (.ndjson or .jsonl): one service or organization per line",
    "hsds3-csv": "HSDS 3.0 tabular data package: a folder of CSV files (organizations.csv, "
                 "services.csv, locations.csv, ...) or its datapackage.json",
    "hsds11-csv": "HSDS 1.1 CSV export, as 211 systems produce: a folder with services.csv, "
                  "physical_addresses.csv, regular_schedules.csv, services_taxonomy.csv, ...",
    "zip": "any of these in a .zip file",
}

READERS: dict[str, Reader] = {
    "hsds3-json": read_hsds3_json,
    "hsds3-ndjson": read_hsds3_json,
    "hsds3-csv": read_hsds3_csv,
    "hsds11-csv": read_hsds11_csv,
}
_JSON_SUFFIXES = (".json", *NDJSON_SUFFIXES)


def read_directory(path: Path, state: TaskState) -> DirectoryBatch:
    """Rows from a directory export in any format of ``FORMATS``; ImportFailed if none fits."""
    if path.is_file() and (path.suffix.lower() == ".zip" or _sniff(path) == "zip"):
        return _read_zip(path, state)
    format_name, target = detect(path)
    return READERS[format_name](target, state)


def detect(path: Path) -> tuple[str, Path]:
    """The format of ``path`` (a key of ``READERS``) and the file or folder to read."""
    if path.is_dir():
        return _detect_folder(path)
    if not path.is_file():
        raise ImportFailed(f"{path} does not exist.")
    if path.name.lower() == DATAPACKAGE:
        return _detect_folder(path.parent)
    kind = _sniff(path)
    if kind == "zip":
        raise ImportFailed(f"{path.name} is a zip file; give it a name ending in .zip.")
    if kind == "json":
        return ("hsds3-ndjson" if path.suffix.lower() in NDJSON_SUFFIXES else "hsds3-json"), path
    if kind == "csv":
        raise ImportFailed(f"{path.name} is a single CSV file; an HSDS export is a folder (or "
                           ".zip) of them. Choose the folder that holds it instead."
                           + _accepted())
    raise ImportFailed(f"{path.name} is not a directory export the console can read."
                       + _accepted())


def _sniff(path: Path) -> str | None:
    """What a file holds, judged by its first bytes, whatever its name says."""
    try:
        with path.open("rb") as stream:
            head = stream.read(4096)
    except OSError as error:
        raise ImportFailed(f"Cannot read {path}: {error.strerror or error}.") from None
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text[:1] in (b"{", b"["):
        return "json"
    first_line = text.split(b"\n", 1)[0]
    if b"," in first_line and b"\x00" not in head:
        return "csv"
    return None


def _detect_folder(folder: Path) -> tuple[str, Path]:
    names = csv_files(folder).keys()
    if names & set(MARKERS):
        return "hsds11-csv", folder
    if names or (folder / DATAPACKAGE).is_file():
        return "hsds3-csv", folder
    json_files = [path for path in files_under(folder)
                  if path.suffix.lower() in _JSON_SUFFIXES and path.name.lower() != DATAPACKAGE]
    if len(json_files) == 1:
        return detect(json_files[0])
    # No folder name here: for a zip it would be the temporary folder's.
    found = "several JSON files" if json_files else "no CSV or JSON files"
    raise ImportFailed(f"The folder holds {found}, so it is not a directory export the "
                       "console can read." + _accepted())


def _read_zip(path: Path, state: TaskState) -> DirectoryBatch:
    with tempfile.TemporaryDirectory(prefix="directory-import-") as folder:
        try:
            with zipfile.ZipFile(path) as archive:
                # extractall drops absolute paths and ".." parts, so nothing lands outside.
                archive.extractall(folder)
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as error:
            raise ImportFailed(f"{path.name} could not be unpacked ({error}).") from None
        format_name, target = _detect_folder(Path(folder))
        return READERS[format_name](target, state)


def _accepted() -> str:
    return " It reads:\n" + "\n".join(f"- {description}" for description in FORMATS.values())
