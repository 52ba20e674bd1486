"""Search relevance on a messy 211-style package, over queries a hotline specialist types.

    python benchmarks/relevance.py [--show-misses]

Imports ``tests/data/relevance`` (an HSDS 1.1 package with the faults of real exports: missing
organizations and street lines, one id for all of a service's languages, AIRS taxonomy labels,
"counselling" and "counseling", animal shelters and credit counseling beside shelters and
counseling) into a fresh directory, runs every labelled query of its ``queries.json`` and
scores the first ten results: recall@10, precision@10 (of the results shown, up to ten) and
nDCG@10 with binary relevance, averaged over the queries.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import report
from console.directory.search import DirectorySearch, SearchQuery
from console.directory.store import import_path
from console.models.database import open_directory
from console.tasks import QuietState

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "data" / "relevance"
CUTOFF = 10


def scores(found: list[str], relevant: set[str]) -> tuple[float, float, float]:
    """(recall, precision, nDCG) of the first ``CUTOFF`` names found."""
    top = found[:CUTOFF]
    hits = [name in relevant for name in top]
    recall = sum(hits) / min(len(relevant), CUTOFF)
    precision = sum(hits) / len(top) if top else 0.0
    dcg = sum(1 / math.log2(rank + 2) for rank, hit in enumerate(hits) if hit)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(len(relevant), CUTOFF)))
    return recall, precision, dcg / ideal


def run(show_misses: bool) -> dict[str, Any]:
    labelled = json.loads((FIXTURE / "queries.json").read_text(encoding="utf-8"))["queries"]
    with tempfile.TemporaryDirectory(prefix="relevance-") as folder:
        engine = open_directory(Path(folder) / "directory.sqlite")
        import_path(engine, FIXTURE, QuietState(), source="relevance")
        search = DirectorySearch(engine)
        totals = [0.0, 0.0, 0.0]
        for query in labelled:
            results = search.search(SearchQuery(text=query["text"], limit=CUTOFF,
                                                **query["filters"]))
            found = [r.service_name for r in results]
            relevant = set(query["relevant"])
            for index, value in enumerate(scores(found, relevant)):
                totals[index] += value
            missed = relevant - set(found[:CUTOFF])
            extra = [name for name in found[:CUTOFF] if name not in relevant]
            if show_misses and (missed or extra):
                print(f"{query['text']!r} {query['filters']}: missed {sorted(missed)}, "
                      f"also {extra}", file=sys.stderr)
        search.close()
        engine.dispose()
    count = len(labelled)
    return {"queries": count, "recall_at_10": round(totals[0] / count, 3),
            "precision_at_10": round(totals[1] / count, 3),
            "ndcg_at_10": round(totals[2] / count, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show-misses", action="store_true",
                        help="list each query's missed and unwanted results on stderr")
    report(run(parser.parse_args().show_misses))


if __name__ == "__main__":
    main()
