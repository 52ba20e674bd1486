"""``hotline server``: run the central server, add users, import the directory, build snapshots."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from console.server.config import DATABASE_URL_ENV, DOCS_ENV, ServerConfig, load_config
from console.server.roles import ROLES
from console.terminal import add_import_source_options

if TYPE_CHECKING:  # the server's modules load when a subcommand runs, not to parse one
    from sqlalchemy import Engine


def _database_url(args: argparse.Namespace) -> str | None:
    """The database chosen; None for the default (encrypted) SQLite file in the data folder."""
    return args.database_url or load_config().database() or None


def _engine(args: argparse.Namespace) -> Engine:
    """The server's database, migrated to the current schema."""
    from console.server.db import server_engine

    return server_engine(_database_url(args))


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
    from sqlalchemy.engine import make_url

    from console.logs import LEVEL_ENV
    from console.server.db import default_database_url
    from console.server.observe import configure_server_logging

    config = load_config()
    # The one level for every worker: the option, else the setting (HOTLINE_LOG_LEVEL or file).
    os.environ[LEVEL_ENV] = args.log_level or config.log_level
    configure_server_logging()
    _keep_nodelay_with_workers()
    tls = config.tls()
    config.signing_key()  # a bad key file stops the start here, not in every worker
    url = _database_url(args)
    _engine(args).dispose()  # migrate once, before any worker starts
    if url is not None:
        os.environ[DATABASE_URL_ENV] = url
    if args.no_docs:
        os.environ[DOCS_ENV] = "off"
    if bool(args.certfile) != bool(args.keyfile):
        print("error: give both --certfile and --keyfile (or neither, behind a TLS proxy)",
              file=sys.stderr)
        return 2
    shown = make_url(url or default_database_url()).render_as_string(hide_password=True)
    # --certfile/--keyfile for this run, else the configured TLS files (or none: behind a proxy).
    tls = (args.certfile, args.keyfile) if args.certfile else tls
    host, port = args.host or config.host, args.port or config.port
    print(f"Hotline Console server on {'https' if tls else 'http'}://{host}:{port} — "
          f"database {shown}", file=sys.stderr)
    uvicorn.run("console.server.app:create_app_from_env", factory=True, host=host, port=port,
                workers=args.workers or config.workers,
                log_config=None,  # JSON lines, configured in each worker
                ssl_certfile=tls and tls[0], ssl_keyfile=tls and tls[1],
                timeout_graceful_shutdown=10)
    return 0


def _operator() -> str:
    """Who made a change from the server's command line, as the audit log names them."""
    try:
        return f"server-console:{getpass.getuser()}"
    except (KeyError, OSError):
        return "server-console"


def _cmd_create_user(args: argparse.Namespace) -> int:
    from console.server.auth import create_user

    password = _read_password(f"password for {args.name}: ")
    return _user_change(args, lambda engine: create_user(engine, args.name, args.role,
                                                         password, actor=_operator()),
                        f"user {args.name} ({args.role}) is ready")


def _cmd_user_change(args: argparse.Namespace) -> int:
    from console.server import auth

    name, actor = args.name, _operator()
    if args.server_action == "reset-password":
        password = _read_password(f"new password for {name}: ")
        return _user_change(args, lambda engine: auth.reset_password(engine, name, password,
                                                                     actor),
                            f"the password of {name} is reset; every sign-in of theirs ended")
    if args.server_action == "set-role":
        return _user_change(args, lambda engine: auth.set_role(engine, name, args.role, actor),
                            f"{name} is now {args.role}; every sign-in of theirs ended")
    disable = args.server_action == "disable-user"
    done = "disabled; every sign-in of theirs ended" if disable else "enabled"
    return _user_change(args, lambda engine: auth.set_disabled(engine, name, disable, actor),
                        f"{name} is {done}")


def _user_change(args: argparse.Namespace, change: Callable[[Engine], None], done: str) -> int:
    try:
        change(_engine(args))
    except (ValueError, LookupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(done)
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from console.server.directory import import_directory
    from console.server.snapshot import build
    from console.terminal import TerminalProgress

    engine = _engine(args)
    progress = TerminalProgress()
    try:
        report = import_directory(engine, Path(args.path), progress, replace=args.replace,
                                  source=args.source)
        if not args.no_snapshot:
            info = build(engine, progress)
            report.note(f"snapshot for first syncs: {info.size / 1e6:,.1f} MB")
    finally:
        progress.close()
    for line in report.lines():
        print(line)
    return 0


def _cmd_snapshot(args: argparse.Namespace) -> int:
    from console.server.snapshot import build
    from console.terminal import TerminalProgress

    progress = TerminalProgress()
    try:
        info = build(_engine(args), progress)
    finally:
        progress.close()
    print(f"snapshot {info.id}: cursor {info.cursor}, {info.size / 1e6:,.1f} MB")
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from console.server.backup import backup

    counts = backup(_database_url(args), Path(args.out))
    print(f"backup written to {args.out}: " + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from console.server.backup import restore

    counts = restore(Path(args.backup), _database_url(args))
    print(f"restored from {args.backup}: " + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
    return 0


def _cmd_workstations(args: argparse.Namespace) -> int:
    from console.server.workstations import list_workstations

    rows = list_workstations(_engine(args), args.quiet_hours)
    if not rows:
        print("no workstations" + (f" quiet for {args.quiet_hours:g} hours"
                                    if args.quiet_hours is not None else " have synced yet"))
        return 0
    print(f"{'workstation':36}  {'user':20}  {'version':10}  last full sync")
    for row in rows:
        print(f"{row['workstation']:36}  {row['user'][:20]:20}  {row['version'][:10]:10}  "
              f"{row['last_sync'] or 'never'}")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database-url", default=argparse.SUPPRESS,
        help=f"postgresql+psycopg://user@host/db or sqlite:///file (default: ${DATABASE_URL_ENV}"
             ", else a SQLite file in the data folder)")
    server = commands.add_parser("server", parents=[database], help="the central server")
    server.set_defaults(handler=_cmd_run, database_url=None)
    # Unset options come from the configuration (console.server.config), else its defaults.
    defaults = ServerConfig()
    server.add_argument("--host", help=f"address to listen on (default {defaults.host})")
    server.add_argument("--port", type=int, help=f"default {defaults.port}")
    server.add_argument("--workers", type=int,
                        help="processes (production on PostgreSQL: about 2 per core)")
    server.add_argument("--log-level", help=f"default {defaults.log_level}")
    server.add_argument("--certfile", help="TLS certificate (PEM) to serve https:// directly")
    server.add_argument("--keyfile", help="the certificate's private key (PEM)")
    server.add_argument("--no-docs", action="store_true",
                        help=f"serve no /docs or /openapi.json (or set {DOCS_ENV}=off)")
    actions = server.add_subparsers(dest="server_action")

    user = actions.add_parser("create-user", parents=[database],
                              help="add a user (password from standard input); never resets one")
    user.add_argument("name")
    user.add_argument("--role", choices=ROLES, required=True)
    user.set_defaults(handler=_cmd_create_user)
    for action, what in (("disable-user", "stop a user signing in; ends every sign-in of theirs"),
                         ("enable-user", "let a disabled user sign in again"),
                         ("reset-password", "set a new password (from standard input); ends "
                                            "every sign-in of theirs"),
                         ("set-role", "change a user's role; ends every sign-in of theirs")):
        change = actions.add_parser(action, parents=[database], help=what)
        change.add_argument("name")
        if action == "set-role":
            change.add_argument("role", choices=ROLES)
        change.set_defaults(handler=_cmd_user_change)

    importer = actions.add_parser("import-directory", parents=[database],
                                  help="import an HSDS export into the server's directory")
    importer.add_argument("path")
    add_import_source_options(importer)
    importer.add_argument("--no-snapshot", action="store_true",
                          help="skip rebuilding the first-sync snapshot afterwards")
    importer.set_defaults(handler=_cmd_import)

    snapshot = actions.add_parser("build-snapshot", parents=[database],
                                  help="rebuild the compressed directory for first syncs")
    snapshot.set_defaults(handler=_cmd_snapshot)

    saver = actions.add_parser("backup", parents=[database],
                               help="copy the embedded SQLite database while it runs")
    saver.add_argument("out", help="the new backup file")
    saver.set_defaults(handler=_cmd_backup)

    restorer = actions.add_parser("restore", parents=[database],
                                  help="make the embedded SQLite database a copy of a backup")
    restorer.add_argument("backup", help="a file made by 'hotline server backup'")
    restorer.set_defaults(handler=_cmd_restore)

    quiet = actions.add_parser("workstations", parents=[database],
                               help="workstations and their last full sync, quietest first")
    quiet.add_argument("--quiet-hours", type=float, default=None,
                       help="only those without a full sync for this many hours")
    quiet.set_defaults(handler=_cmd_workstations)
