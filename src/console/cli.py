"""The ``hotline`` command.

``hotline`` alone opens the console; the subcommands serve administrators, support and scripts.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from console import __version__
from console.errors import UserError
from console.security.files import private_umask
from console.tasks import Cancelled

# Each subcommand lives with what it serves and adds itself with ``add_commands(commands)``;
# those modules import only what parsing needs, the rest when their subcommand runs.
COMMAND_MODULES = ("console.directory.cli", "console.server.cli", "console.sync.cli",
                   "console.printing.cli")


def _cmd_console(args: argparse.Namespace) -> int:
    """The desktop console (Qt is imported only here, so scripts and servers never load it)."""
    from console.ui.launch import run

    return run(args.server, demo_user=args.user, open_for_s=args.open_for)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description="Hotline Console.")
    parser.add_argument("--version", action="version", version=f"hotline {__version__}")
    parser.add_argument("--server", metavar="URL",
                        help="the central server for this run (default: the one chosen in the "
                             "console, else the built-in server on this workstation)")
    parser.add_argument("--user", metavar="NAME",
                        help="with the built-in server: the demo account to work as "
                             "(demo.specialist or demo.supervisor)")
    parser.add_argument("--open-for", type=float, metavar="SECONDS",
                        help="open the console, then close it after SECONDS (checks that an "
                             "installation starts)")
    commands = parser.add_subparsers(dest="command")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    private_umask()  # whatever this run writes (stores, PDFs, exports, logs) is owner-only
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args.handler = _cmd_console
    try:
        return int(args.handler(args))
    except (UserError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (Cancelled, KeyboardInterrupt):
        print("stopped: nothing was changed", file=sys.stderr)
        return 130
