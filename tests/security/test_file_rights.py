"""Owner-only files: nothing the console or its built-in server writes is open to other accounts.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from console import settings
from console.app import connect, open_workstation
from console.cases.listing import CaseQuery
from console.cases.report import write_cases_csv
from console.printing.casefile import case_printout
from console.security.credentials import CredentialStore
from console.security.files import is_private
from tests.security.helpers import every_file, take_crisis_call

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Unix file rights")


def wide_paths(root: Path) -> list[str]:
    paths = [root, *(Path(folder, name) for folder, folders, files in os.walk(root)
                     for name in folders + files)]
    return [f"{path}: {stat.filemode(os.lstat(path).st_mode)}"
            for path in paths if not is_private(path)]


@pytest.fixture
def desktop_umask() -> Iterator[None]:
    """The usual desktop umask, 022: the console must not depend on a careful one."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.mark.usefixtures("desktop_umask")
def test_a_session_of_calls_prints_and_an_export_leaves_nothing_readable_by_others(
        hotline_home: Path) -> None:
    workstation = open_workstation(None, CredentialStore.for_this_process())
    connection = connect(workstation)  # the built-in server: its database, keys and passwords
    try:
        case_id = take_crisis_call(workstation)
        connection.client.sync_once()
        take_crisis_call(workstation)
        exports = settings.data_home() / "exports"
        exports.mkdir()
        case_printout(workstation.cases.get(case_id), workstation.protocol,
                      exports / "case.pdf")
        rows = workstation.listing.list(CaseQuery(view="all"), workstation.user)
        write_cases_csv(rows, exports / "cases.csv")
        assert wide_paths(hotline_home) == []  # with the stores open: WAL and SHM included
    finally:
        connection.close()
        workstation.close()
    assert wide_paths(hotline_home) == []
    assert {"cases.sqlite", "server.sqlite", "case.pdf", "cases.csv"} <= {
        path.name for path in every_file(hotline_home)}


def test_an_existing_install_with_wide_rights_is_tightened_at_start(hotline_home: Path) -> None:
    (hotline_home / "people" / "old").mkdir(parents=True)
    for path in (hotline_home / "cases.sqlite", hotline_home / "people" / "old" / "cases.sqlite",
                 hotline_home / "preferences.json"):
        path.write_bytes(b"x")
        path.chmod(0o644)
    for folder in (hotline_home, hotline_home / "people", hotline_home / "people" / "old"):
        folder.chmod(0o755)
    settings._TIGHTENED.discard(hotline_home)

    settings.data_home()

    assert wide_paths(hotline_home) == []
    assert stat.S_IMODE(hotline_home.stat().st_mode) == 0o700
    assert stat.S_IMODE((hotline_home / "cases.sqlite").stat().st_mode) == 0o600


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("runuser") is None,
                    reason="needs root to act as a second account (runuser -u nobody)")
def test_another_account_cannot_read_a_store_or_the_signing_key(
        monkeypatch: pytest.MonkeyPatch) -> None:
    outside = Path(tempfile.mkdtemp(prefix="hotline-rights-", dir="/tmp"))
    outside.chmod(0o755)  # the other account may reach the data folder's door, not further
    home = outside / "home"
    monkeypatch.setenv("HOTLINE_HOME", str(home))
    try:
        workstation = open_workstation(None, CredentialStore.for_this_process())
        connection = connect(workstation)
        take_crisis_call(workstation)
        connection.close()
        workstation.close()
        control = outside / "public.txt"
        control.write_text("anyone may read this")
        control.chmod(0o644)
        assert read_as_nobody(control).returncode == 0, "the second account cannot read at all"
        for target in (workstation.person.store_path, home / "server.sqlite",
                       home / "server-key", home / "embedded-users.json"):
            attempt = read_as_nobody(target)
            assert attempt.returncode != 0 and "Permission denied" in attempt.stderr, target
    finally:
        shutil.rmtree(outside)


def read_as_nobody(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", "nobody", "--", "head", "-c", "1", str(path)],
                          capture_output=True, text=True, check=False)
