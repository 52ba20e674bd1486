"""The ``hotline`` command loads only what its subcommand needs: ``hotline --version`` or a
server command never loads the desktop app, the directory search or the sync client, and
building the parser of every subcommand loads none of the databases, keys or HTTP code."""

import subprocess
import sys

from console.errors import UserError


def test_importing_the_command_loads_neither_the_app_nor_the_directory() -> None:
    program = ("import sys, console.cli; console.cli.build_parser(); "
               "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
               "('console', 'PySide6', 'httpx', 'tqdm', 'reportlab', 'holidays', 'sqlalchemy', "
               "'argon2', 'jwt', 'keyring', 'uvicorn'))))")
    loaded = set(subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                                check=True).stdout.split())
    for heavy in ("console.app", "console.ui", "console.directory.search",
                  "console.directory.batch", "console.sync.client", "console.printing.base",
                  "console.server.auth", "console.server.db", "PySide6", "httpx", "tqdm",
                  "reportlab", "holidays", "sqlalchemy", "argon2", "jwt", "keyring", "uvicorn"):
        assert heavy not in loaded, heavy


def test_every_error_the_command_reports_in_one_line_is_a_user_error() -> None:
    from console.app import UnknownDemoUser
    from console.directory.batch import ImportFailed
    from console.directory.search import SearchError
    from console.printing import PrintError
    from console.server.config import ConfigError
    from console.server.db import BadDatabaseUrl
    from console.sync.api import SyncError

    for error in (UnknownDemoUser, ImportFailed, SearchError, PrintError, ConfigError,
                  BadDatabaseUrl, SyncError):
        assert issubclass(error, UserError), error
