"""The central server's configuration: environment variables, a TOML file, secret files."""

from pathlib import Path

import pytest

from console.cli import main
from console.server.config import ConfigError, ServerConfig, load_config

KEY = "k" * 48


def test_defaults_need_no_configuration() -> None:
    config = load_config({})
    assert config == ServerConfig()
    assert config.database() is None and config.signing_key() is None and config.tls() is None


def test_every_setting_from_environment_variables(tmp_path: Path) -> None:
    key_file, cert, private = tmp_path / "key", tmp_path / "cert.pem", tmp_path / "key.pem"
    key_file.write_text(KEY + "\n")
    cert.write_text("certificate")
    private.write_text("private key")
    config = load_config({
        "HOTLINE_DATABASE_URL": "postgresql+psycopg://hotline@db/hotline",
        "HOTLINE_HOST": "0.0.0.0", "HOTLINE_PORT": "9443", "HOTLINE_WORKERS": "4",
        "HOTLINE_LOG_LEVEL": "info",
        "HOTLINE_TLS_CERTIFICATE": str(cert), "HOTLINE_TLS_PRIVATE_KEY": str(private),
        "HOTLINE_SIGNING_KEY_FILE": str(key_file),
        "HOTLINE_ACCESS_TOKEN_MINUTES": "5", "HOTLINE_REFRESH_TOKEN_DAYS": "1",
        "HOTLINE_CONSOLE_RELEASE": "0.3.0",
        "HOTLINE_CONSOLE_DOWNLOAD_URL": "https://it.example.org/hotline",
    })
    assert config.database() == "postgresql+psycopg://hotline@db/hotline"
    assert (config.host, config.port, config.workers, config.log_level) == (
        "0.0.0.0", 9443, 4, "info")
    assert config.tls() == (cert, private)
    assert config.signing_key() == KEY  # the file's line, without its newline
    assert config.access_lifetime().total_seconds() == 300
    assert config.refresh_lifetime().days == 1
    assert config.console_release == "0.3.0"


def test_a_variable_wins_over_the_file(tmp_path: Path) -> None:
    url_file = tmp_path / "database-url"
    url_file.write_text("postgresql+psycopg://hotline:secret@db/hotline\n")
    config_file = tmp_path / "server.toml"
    config_file.write_text(f'[server]\nport = 9000\nhost = "10.0.0.5"\n'
                           f'database_url_file = "{url_file}"\nconsole_release = "0.2.0"\n')
    config = load_config({"HOTLINE_SERVER_CONFIG": str(config_file), "HOTLINE_PORT": "9100"})
    assert (config.host, config.port, config.console_release) == ("10.0.0.5", 9100, "0.2.0")
    assert config.database() == "postgresql+psycopg://hotline:secret@db/hotline"


@pytest.mark.parametrize(("environ", "file_text", "words"), [
    ({"HOTLINE_PORT": "eighty"}, None, "HOTLINE_PORT"),
    ({"HOTLINE_PORT": "70000"}, None, "out of range"),
    ({"HOTLINE_WORKERS": "0"}, None, "out of range"),
    ({}, "[server]\nprot = 80\n", "unknown settings in [server]: prot"),
    ({}, "[server\nport = 80\n", "not valid TOML"),
    ({}, '[server]\nport = "many"\n', "a whole number"),
    ({}, "[server]\nhost = 5\n", "text"),
])
def test_a_bad_setting_is_named(tmp_path: Path, environ: dict[str, str], file_text: str | None,
                                words: str) -> None:
    if file_text is not None:
        (tmp_path / "server.toml").write_text(file_text)
        environ = {**environ, "HOTLINE_SERVER_CONFIG": str(tmp_path / "server.toml")}
    with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace("]", r"\]")):
        load_config(environ)


def test_secret_files_are_checked(tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_text("too-short")
    with pytest.raises(ConfigError, match="at least 32 characters"):
        ServerConfig(signing_key_file=short).signing_key()
    with pytest.raises(ConfigError, match="cannot read"):
        ServerConfig(signing_key_file=tmp_path / "missing").signing_key()
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(ConfigError, match="is empty"):
        ServerConfig(database_url_file=empty).database()


def test_tls_needs_both_files(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("certificate")
    with pytest.raises(ConfigError, match="go together"):
        ServerConfig(tls_certificate=cert).tls()
    with pytest.raises(ConfigError, match="no such file"):
        ServerConfig(tls_certificate=cert, tls_private_key=tmp_path / "nope.pem").tls()


def test_the_server_command_refuses_a_bad_configuration_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOTLINE_SIGNING_KEY_FILE", str(tmp_path / "missing-key"))
    # The command hands its log level to the server's workers through the environment: set
    # here first, so the level it leaves is taken back after this test.
    monkeypatch.setenv("HOTLINE_LOG_LEVEL", "info")
    assert main(["server"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: signing_key_file") and "Traceback" not in err
