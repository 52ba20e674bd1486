"""The central server's configuration: environment variables, or a TOML file, nothing else.

Every setting has an environment variable, ``HOTLINE_`` and its name in capitals
(``HOTLINE_PORT``); ``HOTLINE_SERVER_CONFIG`` may name a TOML file holding the same names in a
``[server]`` table. A variable wins over the file, a command-line option over both. Secrets are
never values: the signing key, and the database URL when it carries a password, come from files
(a container secret, or a file readable only by the service account).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from console.errors import UserError

CONFIG_FILE_ENV = "HOTLINE_SERVER_CONFIG"
DATABASE_URL_ENV = "HOTLINE_DATABASE_URL"
DOCS_ENV = "HOTLINE_SERVER_DOCS"  # "off": no /docs or /openapi.json (see ``server.app``)
ENV_PREFIX = "HOTLINE_"
MIN_SIGNING_KEY_CHARS = 32


class ConfigError(UserError):
    """A setting that cannot be used; the message names it and where it came from."""


@dataclass(frozen=True)
class ServerConfig:
    """The settings of one server process (every worker reads the same ones)."""

    database_url: str | None = None
    database_url_file: Path | None = None  # a file holding the URL, when it has a password
    host: str = "127.0.0.1"
    port: int = 8750
    workers: int = 1
    log_level: str = "info"
    tls_certificate: Path | None = None  # PEM chain; with tls_private_key the server speaks https
    tls_private_key: Path | None = None
    signing_key_file: Path | None = None  # shared by every instance; else one kept in the database
    access_token_minutes: int = 15  # sign-in policy: how long an access token is good for
    refresh_token_days: int = 14  # ... and how long a person stays signed in without a password
    console_release: str | None = None  # the current console release, announced to workstations
    console_download_url: str | None = None  # where IT publishes it (shown beside the notice)

    def database(self) -> str | None:
        """The database URL: the value, else the first line of the URL file; None: embedded."""
        if self.database_url:
            return self.database_url
        if self.database_url_file is not None:
            return _read_secret(self.database_url_file, "database_url_file")
        return None

    def signing_key(self) -> str | None:
        """The token signing key from its file, or None to use the one kept in the database."""
        if self.signing_key_file is None:
            return None
        key = _read_secret(self.signing_key_file, "signing_key_file")
        if len(key) < MIN_SIGNING_KEY_CHARS:
            raise ConfigError(f"signing_key_file {self.signing_key_file}: the key needs at least "
                              f"{MIN_SIGNING_KEY_CHARS} characters (e.g. openssl rand -base64 48)")
        return key

    def tls(self) -> tuple[Path, Path] | None:
        """(certificate, private key) when the server itself speaks https, else None."""
        if self.tls_certificate is None and self.tls_private_key is None:
            return None
        if self.tls_certificate is None or self.tls_private_key is None:
            raise ConfigError("tls_certificate and tls_private_key go together: set both or "
                              "neither (behind a TLS-terminating proxy, neither)")
        for name, path in (("tls_certificate", self.tls_certificate),
                           ("tls_private_key", self.tls_private_key)):
            if not path.is_file():
                raise ConfigError(f"{name}: no such file: {path}")
        return self.tls_certificate, self.tls_private_key

    def access_lifetime(self) -> timedelta:
        return timedelta(minutes=self.access_token_minutes)

    def refresh_lifetime(self) -> timedelta:
        return timedelta(days=self.refresh_token_days)


def _read_secret(path: Path, name: str) -> str:
    try:
        lines = path.read_text("utf-8").strip().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{name}: cannot read {path}: {error}") from None
    if not lines or not lines[0].strip():
        raise ConfigError(f"{name}: {path} is empty")
    return lines[0].strip()


_POSITIVE = {"port", "workers", "access_token_minutes", "refresh_token_days"}


def _convert(name: str, raw: Any, kind: str, source: str) -> Any:
    if "Path" in kind:
        if not isinstance(raw, str) or not raw:
            raise ConfigError(f"{name} ({source}): a file path, got {raw!r}")
        return Path(raw)
    if kind == "int":
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} ({source}): a whole number, got {raw!r}") from None
        if name in _POSITIVE and not 0 < value <= (65_535 if name == "port" else 100_000):
            raise ConfigError(f"{name} ({source}): out of range: {value}")
        return value
    if not isinstance(raw, str):
        raise ConfigError(f"{name} ({source}): text, got {raw!r}")
    return raw


def _from_file(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text("utf-8"))
    except OSError as error:
        raise ConfigError(f"{CONFIG_FILE_ENV}: cannot read {path}: {error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    table = document.get("server", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [server] must be a table")
    known = {field.name for field in fields(ServerConfig)}
    unknown = sorted(set(table) - known)
    if unknown:  # a misspelt setting would otherwise be silently ignored
        raise ConfigError(f"{path}: unknown settings in [server]: {', '.join(unknown)}")
    return table


def load_config(environ: dict[str, str] | None = None) -> ServerConfig:
    """The configuration from the environment (``os.environ`` unless given) and its file."""
    environ = dict(os.environ if environ is None else environ)
    config_file = environ.get(CONFIG_FILE_ENV)
    from_file = _from_file(Path(config_file)) if config_file else {}
    values: dict[str, Any] = {}
    for field in fields(ServerConfig):
        variable = ENV_PREFIX + field.name.upper()
        if environ.get(variable):
            values[field.name] = _convert(field.name, environ[variable], str(field.type),
                                          variable)
        elif field.name in from_file:
            values[field.name] = _convert(field.name, from_file[field.name], str(field.type),
                                          config_file or "")
    return ServerConfig(**values)
