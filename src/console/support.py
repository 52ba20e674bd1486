"""The support file: what IT needs to see why a workstation misbehaves, and nothing about a case.

One zip with versions, settings (secrets left out), sync status, the end of the console's log,
the screen and Qt facts the window passes in, and the sizes of the files in the data folder —
names and bytes, never their content. The log is safe to include because nothing personal is
ever written to it (``console.logs``).
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import sys
import zipfile
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from console import __version__, settings
from console.logs import console_log_path, last_lines

# Packages whose versions explain most "works here, not there" reports.
PACKAGES = ("PySide6-Essentials", "SQLAlchemy", "alembic", "httpx", "keyring", "reportlab",
            "pypdfium2", "fastapi", "uvicorn", "holidays", "zipcodes", "orjson")
# Words that mark a setting as a secret: its value is never written out.
SECRET_WORDS = ("token", "password", "secret", "key", "credential")
LOG_LINES = 500


def _is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def versions() -> dict[str, str]:
    found = {"Hotline Console": __version__, "Python": platform.python_version(),
             "SQLite": sqlite3.sqlite_version, "platform": platform.platform()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def safe_settings() -> dict[str, Any]:
    """Preferences and HOTLINE_* environment variables, with every secret's value withheld."""
    try:
        preferences = json.loads((settings.data_home() / "preferences.json").read_text("utf-8"))
    except (OSError, ValueError):
        preferences = {}
    if not isinstance(preferences, dict):
        preferences = {}
    environment = {name: value for name, value in os.environ.items()
                   if name.startswith("HOTLINE_") or name.startswith("QT_")}
    return {
        "data folder": str(settings.data_home()),
        "preferences": {k: "(withheld)" if _is_secret(k) else v for k, v in preferences.items()},
        "environment": {k: "(withheld)" if _is_secret(k) else v for k, v in environment.items()},
    }


def store_sizes() -> dict[str, int]:
    """Every file under the data folder by relative name and size in bytes."""
    home = settings.data_home()
    return {str(path.relative_to(home)): path.stat().st_size
            for path in sorted(home.rglob("*")) if path.is_file()}


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def write_support_file(out: Path, sync_status: Any = None,
                       window_facts: dict[str, Any] | None = None) -> Path:
    """Write the support zip to ``out`` (owner-only, never half-written); returns ``out``."""
    sections: dict[str, Any] = {
        "made": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        "settings": safe_settings(),
        "sync status": _plain(sync_status) if sync_status is not None else "not started",
        "files in the data folder (bytes)": store_sizes(),
        "window": _plain(window_facts or {}),
        "command line": sys.argv[:1],
    }
    partial = out.with_name(out.name + ".partial")
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as raw, zipfile.ZipFile(raw, "w",
                                                             zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("support.json", json.dumps(sections, indent=2, default=str))
        bundle.writestr("console-log-tail.txt",
                        "\n".join(last_lines(console_log_path(), LOG_LINES)) + "\n")
        bundle.writestr("README.txt", (
            "Hotline Console support file. It holds versions, settings without secrets, the "
            "sync status, the end of the console's log, screen facts and file sizes. It holds "
            "no case content.\n"))
    os.replace(partial, out)
    return out
