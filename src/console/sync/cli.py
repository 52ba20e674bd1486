"""``hotline sync``: one sync with the central server from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys

from console import settings

SERVER_PREFERENCE = "server_url"


def _password(user: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(f"password for {user}: ")
    return sys.stdin.readline().rstrip("\r\n")


def _cmd_sync(args: argparse.Namespace) -> int:
    from console.app import sign_in
    from console.cases.store import CaseStore
    from console.security.credentials import CredentialStore, normalize_server_url
    from console.security.people import PeopleRegistry, SignInRefused
    from console.sync.api import ServerApi
    from console.sync.client import SyncClient
    from console.terminal import TerminalProgress

    server_url = args.server or settings.read_preference(SERVER_PREFERENCE)
    if not server_url:
        print("error: no server yet: give --server URL (it is remembered)", file=sys.stderr)
        return 1
    credentials = CredentialStore()
    if credentials.warning:
        print(f"note: {credentials.warning}", file=sys.stderr)
    tokens = credentials.load(server_url)
    user = args.user or (tokens.user if tokens else "")
    if not user and sys.stdin.isatty():
        user = input("user name: ").strip()
    if not user:
        print("error: not signed in: run hotline sync --user NAME", file=sys.stderr)
        return 1
    # The password opens this person's own encrypted case store as well as the server.
    try:
        person = sign_in(PeopleRegistry(), server_url, credentials, user, _password(user))
    except SignInRefused as refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 1
    settings.write_preference(SERVER_PREFERENCE, normalize_server_url(server_url))
    engine, salvage = person.open_store()
    if salvage is not None:
        print(f"warning: {salvage.in_words()}", file=sys.stderr)
    cases = CaseStore(engine, person.user)
    api = ServerApi(server_url, credentials)  # signed in: the tokens are in ``credentials``
    client = SyncClient(api, settings.directory_db_path(), cases)
    progress = TerminalProgress()
    try:
        report = client.sync_once(progress)
    finally:
        progress.close()
        client.close()
        print(client.status.summary(), file=sys.stderr)
    if report.used_snapshot:
        print("received the whole directory as a snapshot")
    print(f"sent {report.pushed} change(s) ({report.conflicts} conflict(s), "
          f"{report.rejected} refused); received {report.directory_changes:,} directory "
          f"change(s) and {report.cases_pulled} case(s)")
    for note in report.notes:
        print(f"note: {note}")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sync = commands.add_parser("sync", help="send waiting cases and fetch what changed")
    sync.add_argument("--server", help="the central server, e.g. http://hotline-server:8750")
    sync.add_argument("--user", help="sign in as this user (password from standard input)")
    sync.set_defaults(handler=_cmd_sync)
