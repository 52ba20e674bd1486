"""A workstation in a process of its own, so a test can kill it (``kill -9``) at any moment.

    python -m tests.reliability.workstation pull --server URL --user NAME [--page-size N]
    python -m tests.reliability.workstation push --server URL --user NAME [--create N] [--no-sync]

The stores are the ones under ``$HOTLINE_HOME``; the password comes from ``--password`` or the
``HOTLINE_TEST_PASSWORD`` variable. Sign-in tokens stay in this process's memory (never in a
keyring of the machine running the tests). ``pull`` syncs the directory only; ``push`` first
creates ``--create`` cases, each with one note, then syncs everything (push, then pulls).
The line ``syncing`` on standard output marks the start of the sync; the last line is the report
as JSON. With ``--wait`` it starts up and signs in, prints ``ready``, and syncs only once a line
arrives on standard input, so a test can have the next workstation ready while one runs.
Exit status: 0 done, 2 the sync failed (the reason on standard error).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict

from console import settings
from console.cases.store import CaseStore
from console.directory.geo import timezone_for
from console.models.database import open_case_store
from console.security.credentials import CredentialStore
from console.sync.api import ServerApi, SyncError
from console.sync.client import SyncClient

PASSWORD_ENV = "HOTLINE_TEST_PASSWORD"
# The case store is encrypted as the console keeps it (SQLCipher), under a key the tests share
# so they can open it between kills.
STORE_KEY = bytes.fromhex("5e" * 32)




def create_cases(store: CaseStore, count: int) -> list[str]:
    """``count`` new cases, each with one note; returns their ids."""
    ids = []
    for number in range(count):
        case = store.create_case("crisis", "urgent", summary=f"reliability case {number}")
        store.add_note(case["id"], f"first note of case {number}")
        ids.append(case["id"])
    return ids


def _sync(args: argparse.Namespace, cases: CaseStore | None) -> int:
    password = args.password or os.environ.get(PASSWORD_ENV, "")
    api = ServerApi(args.server, CredentialStore.for_this_process())
    client = SyncClient(api, settings.directory_db_path(), cases, page_size=args.page_size)
    try:
        api.sign_in(args.user, password)
        if args.wait:
            print("ready", flush=True)
            sys.stdin.readline()
        print("syncing", flush=True)
        report = client.sync_once()
    except SyncError as error:
        print(f"sync failed: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 2
    finally:
        client.close()
    print(json.dumps(asdict(report), default=sorted), flush=True)  # sets: ids, sorted
    return 0


def _cmd_pull(args: argparse.Namespace) -> int:
    # A running console has loaded the ZIP and time-zone tables long before a sync; loading them
    # here, before "syncing", keeps a kill's random moment inside the sync itself.
    timezone_for("10001", "NY")
    return _sync(args, None)


def _cmd_push(args: argparse.Namespace) -> int:
    cases = CaseStore(open_case_store(settings.case_db_path(), STORE_KEY), args.user)
    if args.create:
        create_cases(cases, args.create)
        print(f"created {args.create}", flush=True)
    if args.no_sync:
        return 0
    return _sync(args, cases)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="workstation", description=__doc__)
    commands = parser.add_subparsers(required=True)
    for name, handler in (("pull", _cmd_pull), ("push", _cmd_push)):
        command = commands.add_parser(name)
        command.add_argument("--server", required=True)
        command.add_argument("--user", required=True)
        command.add_argument("--password", default=None)
        command.add_argument("--page-size", type=int, default=5_000)
        command.add_argument("--wait", action="store_true",
                             help='once signed in, print "ready" and wait for a line on stdin')
        command.set_defaults(handler=handler)
        if name == "push":
            command.add_argument("--create", type=int, default=0,
                                 help="first create this many cases, each with a note")
            command.add_argument("--no-sync", action="store_true",
                                 help="only create the cases; send nothing")
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
