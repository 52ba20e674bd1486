"""Import speed: a generated HSDS 3.0 JSON directory into an empty store, search index included.

    python benchmarks/import.py --services 100000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import generated_json, report
from console.directory.store import import_path
from console.models.database import open_directory
from console.tasks import QuietState


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=100_000)
    args = parser.parse_args()
    source = generated_json(args.services)
    with tempfile.TemporaryDirectory() as folder:
        engine = open_directory(Path(folder) / "directory.sqlite")
        start = time.perf_counter()
        result = import_path(engine, source, QuietState())
        seconds = time.perf_counter() - start
    imported = result.imported["service"]
    report({"services": imported, "seconds": round(seconds, 2),
            "services_per_s": round(imported / seconds)})


if __name__ == "__main__":
    main()
