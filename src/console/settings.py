"""Where Hotline Console keeps its files.

All local data lives under one folder: ``HOTLINE_HOME`` when set (tests and support use it),
otherwise the per-user data folder that ``platformdirs`` chooses for this operating system.
"""

from __future__ import annotations

import importlib.resources
import json
import os
from pathlib import Path

import platformdirs

APP_NAME = "HotlineConsole"
APP_AUTHOR = "Hotline"
HOME_ENV = "HOTLINE_HOME"
RESOURCES_ENV = "HOTLINE_RESOURCES"


def data_home() -> Path:
    """The folder that holds every local store, created on first use."""
    override = os.environ.get(HOME_ENV)
    home = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    home.mkdir(parents=True, exist_ok=True)
    return home


def directory_db_path() -> Path:
    """The local copy of the referral directory (public data, rebuilt by import or sync)."""
    return data_home() / "directory.sqlite"


def case_db_path() -> Path:
    """The workstation's cases and their unsent changes: confidential, so kept in a file of its
    own, apart from the public directory cache (which may be deleted and rebuilt at any time)."""
    return data_home() / "cases.sqlite"


def resources_dir() -> Path:
    """Data a hotline may change without a release: protocols, taxonomy, demo data, schemas.

    Every reader of resources goes through here. They are the package ``console.resources``
    (``resources/`` at the top of the repository, mapped into the wheel and the frozen build).
    """
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    root = importlib.resources.files("console.resources")
    if not isinstance(root, Path):  # a zip import: fonts and the style sheet need real files
        raise RuntimeError(f"the console's resources are not in a folder: {root}")
    return root


def _preferences_path() -> Path:
    return data_home() / "preferences.json"


def read_preference(key: str) -> str | None:
    """A workstation preference (not a secret), e.g. the central server's address."""
    try:
        value = json.loads(_preferences_path().read_text("utf-8")).get(key)
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def write_preference(key: str, value: str) -> None:
    path = _preferences_path()
    try:
        preferences = json.loads(path.read_text("utf-8"))
        if not isinstance(preferences, dict):
            preferences = {}
    except (OSError, ValueError):
        preferences = {}
    preferences[key] = value
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(preferences, indent=2), "utf-8")
    os.replace(partial, path)  # never a half-written file
