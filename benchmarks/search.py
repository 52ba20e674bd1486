"""Search latency on a generated national directory, against bare FTS5 on the same data.

    python benchmarks/search.py --services 100000

The query mix is what specialists type: whole words, words still being typed (prefixes), typos,
and filters (category, language, population, state, ZIP and radius, age, open now, 24 hours).
``raw_fts_p95_ms`` times ``SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rank
LIMIT 50`` for the same typed words on the same data, so ``ratio_p95`` says what the full
service costs on top of the index itself.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import generated_store, percentile, report, timed_ms
from console.directory.search import DirectorySearch, SearchQuery

WORDS = ["shelter", "legal", "immigration", "counseling", "medical", "housing", "youth",
         "labor", "coalition", "trafficking", "translation", "case management", "task force",
         "trauma", "visa", "clinic", "advocacy", "survivors", "emergency", "health",
         "mental health", "wage theft", "transitional housing", "interpretation", "food"]
ZIPS = ["77002", "10001", "60601", "90012", "33130", "30303", "98101", "85004", "80202",
        "02108", "19103", "48226", "70112", "96813", "00901", "20001", "73102", "89101"]
CATEGORIES = ["legal", "emergency-shelter", "medical", "mental-health", "case-management",
              "immigration-legal", "housing", "youth"]
LANGUAGES = ["es", "zh", "vi", "ko", "ar"]
STATES = ["TX", "CA", "NY", "FL", "IL", "GA", "WA", "OH", "PR", "DC"]


def typo(word: str, rng: random.Random) -> str:
    at = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "swap", "double"])
    if kind == "drop":
        return word[:at] + word[at + 1:]
    if kind == "swap":
        return word[:at] + word[at + 1] + word[at] + word[at + 2:]
    return word[:at] + word[at] + word[at:]


def typed_text(rng: random.Random) -> tuple[str, str]:
    """(what the specialist typed, the bare FTS expression for those same words)."""
    words = rng.choice(WORDS).split()
    style = rng.choice(["word", "word", "prefix", "typo"])
    if style == "prefix":
        words[-1] = words[-1][:rng.randint(3, max(3, len(words[-1]) - 1))]
    elif style == "typo" and len(words[-1]) >= 5:
        words[-1] = typo(words[-1], rng)
    bare = " AND ".join(f'"{w}"' for w in words)
    return " ".join(words), (bare + "*" if style == "prefix" else bare)


def make_queries(count: int, seed: int) -> list[tuple[SearchQuery, str | None]]:
    rng = random.Random(seed)
    queries: list[tuple[SearchQuery, str | None]] = []
    for _ in range(count):
        filters: dict[str, object] = {}
        text, bare = typed_text(rng) if rng.random() < 0.85 else ("", None)
        for name, chance, values in (("category", 0.2, CATEGORIES),
                                     ("language", 0.15, LANGUAGES),
                                     ("state", 0.15, STATES), ("zip_code", 0.3, ZIPS)):
            if rng.random() < chance:
                filters[name] = rng.choice(values)
        if "zip_code" in filters:
            filters["radius_miles"] = rng.choice([10, 25, 50, 100])
        if rng.random() < 0.15:
            filters["open_now"] = True
        if rng.random() < 0.1:
            filters["age"] = rng.choice([15, 17, 25, 40])
        if rng.random() < 0.05:
            filters["only_24h"] = True
        queries.append((SearchQuery(text=text, **filters), bare))  # type: ignore[arg-type]
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    engine = generated_store(args.services)
    search = DirectorySearch(engine)
    queries = make_queries(args.queries, args.seed)
    raw = engine.raw_connection()
    bare_sql = "SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rank LIMIT 50"
    for query, bare in queries[:20]:  # warm caches the way a running console has them
        search.search(query)
        if bare:
            raw.execute(bare_sql, (bare,)).fetchall()
    ours = [timed_ms(lambda q=query: search.search(q)) for query, _ in queries]
    bare_times = [timed_ms(lambda b=bare: raw.execute(bare_sql, (b,)).fetchall())
                  for _, bare in queries if bare]
    p95, raw_p95 = percentile(ours, 0.95), percentile(bare_times, 0.95)
    report({"services": args.services, "queries": len(ours),
            "p50_ms": round(percentile(ours, 0.5), 2), "p95_ms": round(p95, 2),
            "raw_fts_p95_ms": round(raw_p95, 2), "ratio_p95": round(p95 / raw_p95, 2)})


if __name__ == "__main__":
    main()
