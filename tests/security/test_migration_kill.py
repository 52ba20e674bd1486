"""A kill -9 while a plain store is being encrypted leaves the old store whole and usable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.cases.store import CaseStore
from console.models.database import is_plain_sqlite, open_case_store
from console.security.keys import new_key

REPO = Path(__file__).resolve().parents[2]
ENCRYPT = ("import sys; from pathlib import Path; "
           "from console.models.database import encrypt_in_place; "
           "encrypt_in_place(Path(sys.argv[1]), bytes.fromhex(sys.argv[2]))")


def snapshot(store: CaseStore) -> tuple[object, ...]:
    return store.list_cases(), store.pending_changes(100_000), store.counts()


@pytest.mark.slow
def test_kill_9_during_encryption_leaves_the_old_store_usable(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite"
    plain = CaseStore(open_case_store(path), "pat")
    for number in range(1500):
        plain.create_case("crisis", "urgent", summary=f"case {number} " + "words " * 2000)
    before = snapshot(plain)
    plain.engine.dispose()
    key = new_key()

    process = subprocess.Popen([sys.executable, "-c", ENCRYPT, str(path), key.hex()],
                               cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    partial = path.with_name(path.name + ".encrypting")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if partial.exists() and partial.stat().st_size > 1_000_000:
            break
        time.sleep(0.005)
    assert process.poll() is None, "the encryption ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    assert is_plain_sqlite(path), "the old store must still be the plain one"
    old = CaseStore(open_case_store(path), "pat")
    assert snapshot(old) == before
    old.engine.dispose()

    encrypted = CaseStore(open_case_store(path, key), "pat")  # the next start finishes the job
    assert snapshot(encrypted) == before
    encrypted.engine.dispose()
    assert not is_plain_sqlite(path) and not partial.exists()
