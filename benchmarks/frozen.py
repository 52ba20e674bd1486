"""The frozen console (installer/build.py frozen): its size, and how soon its window shows.

    python installer/build.py frozen deb        # once
    python benchmarks/frozen.py --starts 5

``bundle_mb`` is the installed folder (``dist/hotline-console``), ``deb_mb`` the package.
``frozen_start_ms`` is the median of ``--starts`` starts of the frozen ``hotline --open-for 0``
on the demo directory, offscreen, from just before the process starts until it prints that its
window is shown; ``source_start_ms`` is the same for the ``hotline`` of this checkout's
environment, timed in the same run. ``frozen_cold_start_ms`` is one start right after the
system dropped its file cache (as root, where the system allows it; else null).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, report, say

WINDOW_SHOWN = "hotline: the console window is shown"
FROZEN = ROOT / "dist" / "hotline-console"


def start_ms(program: Path, home: Path) -> float:
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(home), "HOTLINE_HOME": str(home),
                   "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8"}
    started = time.perf_counter()
    process = subprocess.Popen([str(program), "--open-for", "0"], env=environment, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    for line in process.stderr:
        if WINDOW_SHOWN in line:
            elapsed = (time.perf_counter() - started) * 1000
            process.communicate(timeout=60)
            return elapsed
    process.wait(60)
    raise SystemExit(f"{program} did not show its window (exit {process.returncode})")


def drop_file_cache() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    program = FROZEN / "hotline"
    if not program.exists():
        raise SystemExit("build it first: python installer/build.py frozen")
    source = Path(sys.executable).parent / "hotline"
    figures: dict[str, object] = {"bundle_mb": round(folder_bytes(FROZEN) / 1e6, 1)}
    debs = sorted((ROOT / "dist").glob("hotline-console_*.deb"))
    figures["deb_mb"] = round(debs[-1].stat().st_size / 1e6, 1) if debs else None
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        say("first start (makes the data folder, loads the demo directory) ...")
        start_ms(program, home)
        figures["frozen_cold_start_ms"] = (round(start_ms(program, home))
                                           if drop_file_cache() else None)
        frozen, from_source = [], []
        for number in range(args.starts):
            say(f"start {number + 1} of {args.starts} ...")
            frozen.append(start_ms(program, home))
            from_source.append(start_ms(source, home))
    figures["frozen_start_ms"] = round(statistics.median(frozen))
    figures["source_start_ms"] = round(statistics.median(from_source))
    report(figures)


if __name__ == "__main__":
    main()
