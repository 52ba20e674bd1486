"""``hotline server``: run the central server, add users, import the directory, build snapshots."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from sqlalchemy.engine import make_url

from console.server.auth import ROLES
from console.server.db import DATABASE_URL_ENV, default_database_url, server_engine

DEFAULT_PORT = 8750


def _database_url(args: argparse.Namespace) -> str | None:
    """The database chosen; None for the default (encrypted) SQLite file in the data folder."""
    return args.database_url or os.environ.get(DATABASE_URL_ENV) or None


def _read_password(prompt: str) -> str:
    """From the terminal without echo, or the first line of standard input in scripts."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\r\n")


def _keep_nodelay_with_workers() -> None:
    """Make the listener uvicorn binds for ``--workers N`` say it is TCP.

    uvicorn creates that socket with protocol 0; accepted connections inherit it, and asyncio
    turns Nagle's algorithm off (TCP_NODELAY) only on sockets that say TCP. With Nagle on, the
    body of every keep-alive response waits for the client's delayed ACK: about 40 ms added to
    each request (uvicorn issue 3149). A single worker binds through asyncio and is unaffected.
    """
    import socket

    from uvicorn.config import Config

    bind = Config.bind_socket

    def bind_tcp(config: Config) -> socket.socket:
        sock = bind(config)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP,
                                 fileno=sock.detach())
        return sock

    Config.bind_socket = bind_tcp  # type: ignore[method-assign]


def _cmd_run(args: argparse.Namespace) -> int:
    import uvicorn

    _keep_nodelay_with_workers()
    url = _database_url(args)
    server_engine(url).dispose()  # migrate once, before any worker starts
    if url is not None:
        os.environ[DATABASE_URL_ENV] = url
    shown = make_url(url or default_database_url()).render_as_string(hide_password=True)
    print(f"Hotline Console server on http://{args.host}:{args.port} — database {shown}",
          file=sys.stderr)
    uvicorn.run("console.server.app:create_app_from_env", factory=True, host=args.host,
                port=args.port, workers=args.workers, log_level=args.log_level,
                timeout_graceful_shutdown=10)
    return 0


def _cmd_create_user(args: argparse.Namespace) -> int:
    from console.server.auth import create_user

    password = _read_password(f"password for {args.name}: ")
    try:
        create_user(server_engine(_database_url(args)), args.name, args.role, password)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"user {args.name} ({args.role}) is ready")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from console.cli import TerminalProgress
    from console.server.directory import import_directory
    from console.server.snapshot import build

    engine = server_engine(_database_url(args))
    progress = TerminalProgress()
    try:
        report = import_directory(engine, Path(args.path), progress, replace=args.replace)
        if not args.no_snapshot:
            info = build(engine, progress)
            report.note(f"snapshot for first syncs: {info.size / 1e6:,.1f} MB")
    finally:
        progress.close()
    for line in report.lines():
        print(line)
    return 0


def _cmd_snapshot(args: argparse.Namespace) -> int:
    from console.cli import TerminalProgress
    from console.server.snapshot import build

    progress = TerminalProgress()
    try:
        info = build(server_engine(_database_url(args)), progress)
    finally:
        progress.close()
    print(f"snapshot {info.id}: cursor {info.cursor}, {info.size / 1e6:,.1f} MB")
    return 0


def add_server_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database-url", default=argparse.SUPPRESS,
        help=f"postgresql+psycopg://user@host/db or sqlite:///file (default: ${DATABASE_URL_ENV}"
             ", else a SQLite file in the data folder)")
    server = commands.add_parser("server", parents=[database], help="the central server")
    server.set_defaults(handler=_cmd_run, database_url=None)
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=DEFAULT_PORT)
    server.add_argument("--workers", type=int, default=1,
                        help="processes (production on PostgreSQL: about 2 per core)")
    server.add_argument("--log-level", default="warning")
    actions = server.add_subparsers(dest="server_action")

    user = actions.add_parser("create-user", parents=[database],
                              help="add a user or reset one (password from standard input)")
    user.add_argument("name")
    user.add_argument("--role", choices=ROLES, required=True)
    user.set_defaults(handler=_cmd_create_user)

    importer = actions.add_parser("import-directory", parents=[database],
                                  help="import an HSDS export into the server's directory")
    importer.add_argument("path")
    importer.add_argument("--replace", action="store_true",
                          help="make this the whole directory (others are removed)")
    importer.add_argument("--no-snapshot", action="store_true",
                          help="skip rebuilding the first-sync snapshot afterwards")
    importer.set_defaults(handler=_cmd_import)

    snapshot = actions.add_parser("build-snapshot", parents=[database],
                                  help="rebuild the compressed directory for first syncs")
    snapshot.set_defaults(handler=_cmd_snapshot)
