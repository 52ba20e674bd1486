"""Where Hotline Console keeps its files.

All local data lives under one folder: ``HOTLINE_HOME`` when set (tests and support use it),
otherwise the per-user data folder that ``platformdirs`` chooses for this operating system.
"""

from __future__ import annotations

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


def resources_dir() -> Path:
    """Data a hotline may change without a release: protocols, taxonomy, demo data, schemas."""
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    # Source checkout and editable install: ``resources/`` sits beside ``src/``.
    return Path(__file__).resolve().parents[2] / "resources"
