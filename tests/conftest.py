"""Shared test setup: every test gets its own HOTLINE_HOME, so nothing touches a real profile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from console import settings
from console.models.database import open_case_store
from console.security import keys

REPO = Path(__file__).resolve().parents[1]
HSDS_EXAMPLES = REPO / "tests" / "data" / "hsds3"
SCHEMA_DIR = REPO / "resources" / "hsds" / "schema"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/reliability kills and restarts real processes: slow by nature."""
    reliability = REPO / "tests" / "reliability"
    for item in items:
        if reliability in Path(item.fspath).parents:
            item.add_marker(pytest.mark.slow)


# Store keys are wrapped with argon2id at 64 MiB in production; tests wrap hundreds of them, so
# they use a cheaper argon2id (the same code path, a lower cost), as tests/server do for hashing.
TEST_KDF = keys.KdfParams(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_key_wrapping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "DEFAULT_KDF", TEST_KDF)


@pytest.fixture(autouse=True)
def no_system_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never put keys into the keyring of the person running them: keys are wrapped by
    passwords, as on a machine without a keyring (tests that need a keyring pass one)."""
    monkeypatch.setattr(keys, "default_backend", lambda: None)


@pytest.fixture(autouse=True)
def hotline_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("HOTLINE_HOME", str(home))
    yield home


@pytest.fixture
def engine(hotline_home: Path) -> Iterator[Engine]:
    """The workstation's case store in the test's own data folder."""
    engine = open_case_store(settings.case_db_path())
    yield engine
    engine.dispose()
