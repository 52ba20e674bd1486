"""Two stores migrated at once from two threads each end at their own newest schema."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import inspect

from console.models.database import open_case_store, open_directory
from console.server.db import server_engine


def test_stores_opened_together_from_threads_get_their_own_tables(tmp_path: Path) -> None:
    openers = {
        "cases": lambda n: open_case_store(tmp_path / f"cases-{n}.sqlite"),
        "directory": lambda n: open_directory(tmp_path / f"directory-{n}.sqlite"),
        "server": lambda n: server_engine(f"sqlite:///{tmp_path / f'server-{n}.sqlite'}"),
    }
    marks = {"cases": "case_conflict", "directory": "service", "server": "app_user"}
    jobs = [(kind, n) for n in range(4) for kind in openers]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        engines = list(pool.map(lambda job: (job[0], openers[job[0]](job[1])), jobs))
    for kind, engine in engines:
        assert marks[kind] in inspect(engine).get_table_names(), kind
        engine.dispose()
