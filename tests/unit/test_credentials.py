"""The sign-in token store: system keyring when there is one, process memory when there is not."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.backends.fail import Keyring as FailKeyring
from keyring.errors import KeyringLocked, PasswordDeleteError

from console.security.credentials import (
    NO_KEYRING_WARNING,
    SERVICE_NAME,
    CredentialStore,
    Tokens,
)

SERVER = "https://hotline.example.org"
OTHER = "https://training.example.org"
ALICE = Tokens(user="alice", role="specialist", access_token="acc-1", refresh_token="ref-1")
BOB = Tokens(user="bob", role="supervisor", access_token="acc-2", refresh_token="ref-2")


class MemoryKeyring(KeyringBackend):
    """A working keyring that keeps entries in a dict, as a real one keeps them on the system."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("No such password")


class LockedKeyring(MemoryKeyring):
    """A keyring that is installed but stays locked: every call fails."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("The keyring is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("The keyring is locked")


class LockedOnSaveKeyring(MemoryKeyring):
    """A keyring that reads fine but refuses to store (e.g. the user cancels the unlock prompt)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("The keyring is locked")


# Keep these test backends out of keyring's own backend discovery, so nothing that asks keyring
# for the default backend during the test run ever picks one of them.
KeyringBackend._classes.difference_update({MemoryKeyring, LockedKeyring, LockedOnSaveKeyring})


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


@pytest.fixture
def backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def store(backend: MemoryKeyring) -> CredentialStore:
    return CredentialStore(backend)


def test_save_load_clear_round_trip(store: CredentialStore, backend: MemoryKeyring) -> None:
    assert store.persistent
    assert store.warning is None
    assert store.load(SERVER) is None

    store.save(SERVER, ALICE)
    assert store.load(SERVER) == ALICE
    assert json.loads(backend.entries[(SERVICE_NAME, SERVER)]) == {
        "user": "alice",
        "role": "specialist",
        "access_token": "acc-1",
        "refresh_token": "ref-1",
    }

    store.clear(SERVER)
    assert store.load(SERVER) is None
    assert backend.entries == {}


def test_tokens_outlive_the_store_that_saved_them(backend: MemoryKeyring) -> None:
    CredentialStore(backend).save(SERVER, ALICE)
    assert CredentialStore(backend).load(SERVER) == ALICE


def test_saving_again_replaces_the_tokens(store: CredentialStore) -> None:
    store.save(SERVER, ALICE)
    store.save(SERVER, BOB)
    assert store.load(SERVER) == BOB


@pytest.mark.parametrize("spelling", [SERVER + "/", SERVER + "//", f"  {SERVER}/ "])
def test_server_url_is_normalized(
    store: CredentialStore, backend: MemoryKeyring, spelling: str
) -> None:
    store.save(spelling, ALICE)
    assert list(backend.entries) == [(SERVICE_NAME, SERVER)]
    assert store.load(SERVER) == ALICE
    store.clear(SERVER + "/")
    assert store.load(spelling) is None


def test_two_servers_are_kept_apart(store: CredentialStore) -> None:
    store.save(SERVER, ALICE)
    store.save(OTHER, BOB)
    assert store.load(SERVER) == ALICE
    assert store.load(OTHER) == BOB

    store.clear(SERVER)
    assert store.load(SERVER) is None
    assert store.load(OTHER) == BOB


def test_clearing_when_nothing_is_saved_is_fine(store: CredentialStore) -> None:
    store.clear(SERVER)
    assert store.persistent
    assert store.warning is None


@pytest.mark.parametrize("server_url", ["", "   ", "/"])
def test_a_server_url_is_required(store: CredentialStore, server_url: str) -> None:
    with pytest.raises(ValueError):
        store.save(server_url, ALICE)


@pytest.mark.parametrize(
    "secret",
    [
        "not json at all",
        "",
        "[1, 2, 3]",
        '"a string"',
        json.dumps({"user": "alice", "role": "specialist", "access_token": "acc-1"}),
        json.dumps({"user": "alice", "role": None, "access_token": "a", "refresh_token": "r"}),
    ],
)
def test_corrupted_secret_loads_as_none_and_is_cleared(
    store: CredentialStore, backend: MemoryKeyring, secret: str
) -> None:
    backend.entries[(SERVICE_NAME, SERVER)] = secret
    assert store.load(SERVER) is None
    assert backend.entries == {}
    assert store.persistent


def test_fail_backend_falls_back_to_memory(hotline_home: Path, tmp_path: Path) -> None:
    store = CredentialStore(FailKeyring())
    assert not store.persistent
    assert store.warning == NO_KEYRING_WARNING

    store.save(SERVER, ALICE)
    assert store.load(SERVER) == ALICE
    store.clear(SERVER)
    assert store.load(SERVER) is None

    assert files_under(hotline_home) == []
    assert files_under(tmp_path) == []


def test_memory_fallback_forgets_tokens_in_the_next_process() -> None:
    CredentialStore(FailKeyring()).save(SERVER, ALICE)
    assert CredentialStore(FailKeyring()).load(SERVER) is None


def test_no_backend_given_uses_the_system_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "get_keyring", FailKeyring)
    store = CredentialStore()
    assert not store.persistent
    assert store.warning == NO_KEYRING_WARNING


def test_chainer_without_backends_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ChainerBackend, "backends", ())
    store = CredentialStore(ChainerBackend())
    assert not store.persistent
    assert store.warning == NO_KEYRING_WARNING


def test_chainer_with_a_working_backend_is_used(
    monkeypatch: pytest.MonkeyPatch, backend: MemoryKeyring
) -> None:
    monkeypatch.setattr(ChainerBackend, "backends", (backend,))
    store = CredentialStore(ChainerBackend())
    assert store.persistent
    store.save(SERVER, ALICE)
    assert (SERVICE_NAME, SERVER) in backend.entries


@pytest.mark.parametrize("priority", [0, -1])
def test_backend_without_positive_priority_is_not_used(
    monkeypatch: pytest.MonkeyPatch, backend: MemoryKeyring, priority: float
) -> None:
    monkeypatch.setattr(MemoryKeyring, "priority", priority)
    store = CredentialStore(backend)
    assert not store.persistent
    assert store.warning == NO_KEYRING_WARNING
    store.save(SERVER, ALICE)
    assert store.load(SERVER) == ALICE
    assert backend.entries == {}


def test_locked_keyring_on_save_falls_back_without_raising(
    hotline_home: Path, tmp_path: Path
) -> None:
    backend = LockedOnSaveKeyring()
    store = CredentialStore(backend)
    assert store.persistent
    assert store.warning is None

    store.save(SERVER, ALICE)
    assert not store.persistent
    assert store.warning == NO_KEYRING_WARNING
    assert store.load(SERVER) == ALICE
    assert backend.entries == {}
    assert files_under(hotline_home) == []
    assert files_under(tmp_path) == []


def test_locked_keyring_on_load_falls_back() -> None:
    store = CredentialStore(LockedKeyring())
    assert store.load(SERVER) is None
    assert not store.persistent
    assert store.warning == NO_KEYRING_WARNING
    store.save(SERVER, ALICE)
    assert store.load(SERVER) == ALICE


def test_warning_tells_the_user_what_happens_and_how_to_fix_it() -> None:
    warning = CredentialStore(FailKeyring()).warning
    assert warning is not None
    assert "until this program closes" in warning
    assert "password next time" in warning
    assert "Secret Service" in warning
