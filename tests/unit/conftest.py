"""Fixtures the unit tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from console import settings
from console.models.database import open_case_store


@pytest.fixture
def engine(hotline_home: Path) -> Iterator[Engine]:
    """The workstation's case store in the test's own data folder."""
    engine = open_case_store(settings.case_db_path())
    yield engine
    engine.dispose()
