"""Shared set-up for benchmarks: a generated directory at a given scale, made once and reused."""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import Engine

from console.directory.generate import generate_directory
from console.directory.store import import_path
from console.models.database import open_directory
from console.tasks import QuietState

DATA = Path(__file__).resolve().parent / ".data"


def generated_json(services: int, seed: int = 7) -> Path:
    """An HSDS 3.0 JSON directory of ``services`` services (generated on first use)."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"directory-{services}-{seed}.json"
    if not path.exists():
        partial = path.with_suffix(".partial")
        generate_directory(services, partial, QuietState(), seed=seed)
        partial.rename(path)
    return path


def generated_store(services: int, seed: int = 7) -> Engine:
    """A directory store holding the generated directory (imported on first use)."""
    path = DATA / f"directory-{services}-{seed}.sqlite"
    ready = path.with_suffix(".ready")
    if not ready.exists():
        for stale in DATA.glob(path.name + "*"):
            stale.unlink()
        engine = open_directory(path)
        import_path(engine, generated_json(services, seed), QuietState(), replace=True)
        ready.touch()
        return engine
    return open_directory(path)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed_ms(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def report(figures: dict[str, object]) -> None:
    """Benchmarks end with one JSON line: the figures."""
    sys.stdout.flush()
    print(json.dumps(figures))


__all__ = ["generated_json", "generated_store", "percentile", "report", "statistics",
           "timed_ms"]
