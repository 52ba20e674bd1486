"""What the command-line tools show on a terminal while they work."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # tqdm loads only when a long task first reports progress
    from tqdm import tqdm


class TerminalProgress:
    """A progress bar per stage on standard error, for long imports and exports."""

    def __init__(self) -> None:
        self._bar: tqdm | None = None
        self._stage = ""

    def progress(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if stage != self._stage:
            self.close()
            self._stage = stage
            self._bar = tqdm(total=total, desc=stage, unit=" records", file=sys.stderr,
                             leave=False, disable=None)
        if self._bar is not None:
            self._bar.total = total
            self._bar.n = done
            self._bar.refresh()

    def cancelled(self) -> bool:
        return False

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def add_import_source_options(parser: argparse.ArgumentParser) -> None:
    """``--replace`` and ``--source``, which a workstation's and the server's directory imports
    both take and mean the same by."""
    parser.add_argument("--replace", action="store_true",
                        help="make this the whole of its source: records of the source that "
                             "the file no longer holds are removed (default: add and update)")
    parser.add_argument("--source", help="name of the source, which keeps its records apart "
                                         "from other sources' (default: the file's name)")
