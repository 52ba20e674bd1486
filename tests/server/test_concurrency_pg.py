"""The feed cursor never skips a change, with writers racing on PostgreSQL.

Readers page through the feeds with nothing but a cursor ("everything after N"). That is only
safe if no change can become visible with a number below a cursor a reader already holds — a
transaction that takes number 41, then commits after the one that took 42, would be skipped by
a reader that saw 42 in between. Here writers take their numbers and then dawdle inside their
transactions, while readers page continuously; at the end every reader's copy must equal the
server's, record for record and case for case.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import orjson
import pytest
from sqlalchemy import Connection, Engine, select

from console.server import cases, directory
from console.server.auth import Principal
from console.server.cases import cases_after, push_change
from console.server.db import server_engine, take_seqs
from console.server.directory import changes_after, retire_record, save_record
from console.server.models import CaseRecord, DirectoryRecord
from tests.live_server import postgres_url
from tests.server.conftest import case_create, note_change

WRITERS, READERS = 6, 3
OPERATIONS = 100  # per writer
WRITING_LIMIT = 40.0  # seconds; writers stop early rather than overrun the test's time
SUPERVISOR = Principal("sue", "supervisor")


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = server_engine(postgres_url())
    yield engine
    engine.dispose()


def dawdling(original: Callable[[Connection, int], int]) -> Callable[[Connection, int], int]:
    """``take_seqs`` that lingers before and after taking its numbers, inside the transaction."""

    def take(connection: Connection, count: int) -> int:
        time.sleep(random.uniform(0, 0.003))
        first = original(connection, count)
        time.sleep(random.uniform(0, 0.004))
        return first

    return take


@dataclass
class Reader:
    """A workstation's view: every record and case as last seen, and the cursors."""

    rng: random.Random
    records: dict[tuple[str, str], tuple[int, bool]] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)
    directory_cursor: int = 0
    cases_cursor: int = 0
    pages: int = 0
    problems: list[str] = field(default_factory=list)

    def pull(self, engine: Engine) -> bool:
        """One page of each feed; True when either brought something."""
        page = changes_after(engine, self.directory_cursor, self.rng.randint(1, 40))
        last = self.directory_cursor
        for change in page.changes:
            if change["seq"] <= last:
                self.problems.append(f"directory seq {change['seq']} after {last}")
            last = change["seq"]
            self.records[(change["kind"], change["id"])] = (change["seq"], change["deleted"])
        self.directory_cursor = page.cursor
        docs, cursor, _more = cases_after(engine, SUPERVISOR, self.cases_cursor,
                                          self.rng.randint(1, 15))
        for doc in orjson.loads(orjson.dumps(docs)):
            self.cases[doc["id"]] = doc["version"]
        if cursor < self.cases_cursor:
            self.problems.append(f"cases cursor went back from {self.cases_cursor} to {cursor}")
        self.cases_cursor = cursor
        self.pages += 1
        return bool(page.changes or docs)


def write(engine: Engine, seed: int, shared_cases: list[str], lock: threading.Lock,
          deadline: float, errors: list[BaseException]) -> None:
    rng = random.Random(seed)
    organizations: list[str] = []
    try:
        for step in range(OPERATIONS):
            if time.monotonic() > deadline:
                return
            roll = rng.random()
            if roll < 0.3 or not organizations:
                row = save_record(engine, "organization", {"name": f"Org {seed}-{step}"})
                organizations.append(row["id"])
            elif roll < 0.45:
                save_record(engine, "organization", {"description": f"edit {step}"},
                            rng.choice(organizations))
            elif roll < 0.5:
                retire_record(engine, "organization", organizations.pop())
            elif roll < 0.7 or not shared_cases:
                change = case_create(summary=f"case {seed}-{step}")
                assert push_change(engine, SUPERVISOR, change)["status"] == "applied"
                with lock:
                    shared_cases.append(change["case_id"])
            else:
                with lock:
                    case_id = rng.choice(shared_cases)
                answer = push_change(engine, SUPERVISOR, note_change(case_id, f"n {step}"))
                assert answer["status"] == "applied", answer
    except BaseException as error:  # reported by the test, not lost in the thread
        errors.append(error)


def read(engine: Engine, reader: Reader, writing: threading.Event,
         errors: list[BaseException]) -> None:
    try:
        while writing.is_set():
            reader.pull(engine)
            time.sleep(reader.rng.uniform(0, 0.005))
        while reader.pull(engine):  # catch up with what was committed last
            pass
    except BaseException as error:
        errors.append(error)


def server_state(engine: Engine) -> tuple[dict[tuple[str, str], tuple[int, bool]],
                                          dict[str, int]]:
    with engine.connect() as connection:
        records = {(kind, rid): (seq, deleted) for kind, rid, seq, deleted in connection.execute(
            select(DirectoryRecord.kind, DirectoryRecord.id, DirectoryRecord.seq,
                   DirectoryRecord.deleted))}
        versions = dict(connection.execute(select(CaseRecord.id, CaseRecord.version)).all())
    return records, versions


@pytest.mark.timeout(150)
def test_readers_never_skip_a_change(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(directory, "take_seqs", dawdling(take_seqs))
    monkeypatch.setattr(cases, "take_seqs", dawdling(take_seqs))
    errors: list[BaseException] = []
    shared_cases: list[str] = []
    lock = threading.Lock()
    writing = threading.Event()
    writing.set()
    readers = [Reader(random.Random(n)) for n in range(READERS)]
    deadline = time.monotonic() + WRITING_LIMIT
    writer_threads = [threading.Thread(target=write, args=(engine, n, shared_cases, lock,
                                                           deadline, errors))
                      for n in range(WRITERS)]
    reader_threads = [threading.Thread(target=read, args=(engine, reader, writing, errors))
                      for reader in readers]
    for thread in [*reader_threads, *writer_threads]:
        thread.start()
    for thread in writer_threads:
        thread.join(WRITING_LIMIT + 30)
    writing.clear()
    for thread in reader_threads:
        thread.join(30)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in [*writer_threads, *reader_threads])

    records, versions = server_state(engine)
    assert len(records) > WRITERS * 5 and len(versions) > WRITERS * 3  # the race took place
    for number, reader in enumerate(readers):
        assert not reader.problems, reader.problems
        assert reader.pages > 20, f"reader {number} hardly read while writers wrote"
        missing = {key: seq for key, seq in records.items() if reader.records.get(key) != seq}
        assert not missing, f"reader {number} missed or has stale records: {missing}"
        assert reader.records == records
        assert reader.cases == versions, f"reader {number} missed case changes"
