"""What encryption at rest costs: case writes and case search, plain against encrypted, and the
time to unlock.

    python benchmarks/crypto.py --cases 50000

Both stores hold the same synthetic cases (``benchmarks/cases.py`` fills and caches them); each
round times the same work on the plain store and on the SQLCipher one, alternating, so a busy
machine weighs on both sides alike.
- writes: a case written and committed in its own transaction, as each save of a call is;
- search: what specialists type into the case list (numbers, phones, names, places, words);
- unlock: an offline sign-in at the production argon2id cost (the password checked against its
  verifier, the store's key unwrapped), then the encrypted store opened and its first list read.
Bars: write and search ratios ≤ 1.5, unlock ≤ 1 s.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import BENCHMARK_KEY, NOW, filled_store, sample, search_texts
from common import report, say, timed_ms
from console.cases.listing import CaseList, CaseQuery
from console.cases.store import CaseStore
from console.models.database import open_case_store
from console.security.people import PeopleRegistry

PASSWORD = "a long shift pass phrase"


def docs(engine: Engine, count: int, seed: int) -> list[dict[str, object]]:
    with engine.connect() as connection:
        ids = sorted(connection.exec_driver_sql("SELECT id FROM local_case").scalars())
        chosen = random.Random(seed).sample(ids, count)
        return [json.loads(connection.exec_driver_sql(
            "SELECT doc FROM local_case WHERE id = ?", (case_id,)).scalar_one())
            for case_id in chosen]


def timed_write(store: CaseStore, case: dict[str, object]) -> float:
    def write() -> None:
        with store.transaction() as connection:
            CaseStore._write_case(connection, case, case["version"])  # same doc: no change
    return timed_ms(write)


def timed_unlock(path: Path) -> float:
    """An offline sign-in at the production cost, then the encrypted store's first list."""
    with tempfile.TemporaryDirectory() as folder:
        people = PeopleRegistry(Path(folder))
        people.signed_in_online("http://hotline.example", "pat", "specialist", PASSWORD)
        start = time.perf_counter()
        people.sign_in_offline("http://hotline.example", "pat", PASSWORD)
        engine = open_case_store(path, BENCHMARK_KEY)
        CaseList(engine).list(CaseQuery(view="all_open"), "pat", NOW)
        elapsed = (time.perf_counter() - start) * 1000
        engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--writes", type=int, default=300)
    args = parser.parse_args()
    say(f"plain and encrypted case stores of {args.cases:,} cases")
    plain, _ = filled_store(args.cases, args.seed, None)
    encrypted, _ = filled_store(args.cases, args.seed, BENCHMARK_KEY)
    stores = {"plain": CaseStore(plain, "benchmark"), "encrypted": CaseStore(encrypted,
                                                                             "benchmark")}
    listings = {side: CaseList(store.engine) for side, store in stores.items()}
    rng = random.Random(17)
    facts = sample(plain, rng)
    typed = [(words, rng.choice(("all", "all_open", "mine")), rng.choice(facts.users))
             for words_of_kind in search_texts(facts, rng).values() for words in words_of_kind]
    for listing in listings.values():  # warm caches as a running console has them
        for words, view, user in typed[:20]:
            listing.list(CaseQuery(view=view, text=words), user, NOW)
    say("timing writes and searches, alternating plain and encrypted")
    writes: dict[str, list[float]] = {"plain": [], "encrypted": []}
    for case in docs(plain, args.writes, args.seed):
        for side, store in stores.items():
            writes[side].append(timed_write(store, case))
    searches: dict[str, list[float]] = {"plain": [], "encrypted": []}
    for words, view, user in typed:
        query = CaseQuery(view=view, text=words)
        for side, listing in listings.items():
            searches[side].append(timed_ms(lambda lst=listing, q=query, u=user: lst.list(q, u,
                                                                                          NOW)))
    encrypted_path = Path(str(encrypted.url.database))
    for store in stores.values():
        store.engine.dispose()
    say("timing unlock")
    unlock = statistics.median(timed_unlock(encrypted_path) for _ in range(5))
    write_ms = {side: statistics.mean(times) for side, times in writes.items()}
    search_ms = {side: statistics.mean(times) for side, times in searches.items()}
    report({
        "cases": args.cases,
        "plain_write_ms": round(write_ms["plain"], 3),
        "encrypted_write_ms": round(write_ms["encrypted"], 3),
        "write_ratio": round(write_ms["encrypted"] / write_ms["plain"], 2),
        "plain_search_ms": round(search_ms["plain"], 3),
        "encrypted_search_ms": round(search_ms["encrypted"], 3),
        "search_ratio": round(search_ms["encrypted"] / search_ms["plain"], 2),
        "unlock_ms": round(unlock, 1),
    })


if __name__ == "__main__":
    main()
