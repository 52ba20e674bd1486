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

from console.security.files import private_folder, private_umask, tighten

APP_NAME = "HotlineConsole"
APP_AUTHOR = "Hotline"
HOME_ENV = "HOTLINE_HOME"
RESOURCES_ENV = "HOTLINE_RESOURCES"


def data_home() -> Path:
    """The folder that holds every local store, created on first use, owner-only (0700, its
    files 0600); what an older version left readable to others is tightened on first use."""
    override = os.environ.get(HOME_ENV)
    home = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    private_umask()  # whatever is made in it from here on is owner-only, whoever called
    if home not in _TIGHTENED:
        private_folder(home)
        tighten(home)
        _TIGHTENED.add(home)
    return home


_TIGHTENED: set[Path] = set()  # homes already walked by this process: once per start is enough


def directory_db_path() -> Path:
    """The local copy of the referral directory (public data, rebuilt by import or sync)."""
    return data_home() / "directory.sqlite"


def case_db_path() -> Path:
    """Where versions before one store per person kept the workstation's cases: the first person
    to sign in takes that store over, encrypted (``console.security.people``); each person's own
    store lives in their folder under ``people/``, apart from the public directory cache."""
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
    partial.unlink(missing_ok=True)  # a left-over could carry wider rights
    partial.write_text(json.dumps(preferences, indent=2), "utf-8")
    os.replace(partial, path)  # never a half-written file
