"""Case data at rest: SQLCipher 4 stores, keys per person, and no answer in clear in any file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from console.app import connect, open_workstation
from console.cases.listing import CaseQuery
from console.cases.store import CaseStore
from console.models.database import (
    WrongStoreKey,
    is_plain_sqlite,
    open_case_store,
    sqlcipher,
)
from console.security.credentials import CredentialStore
from console.security.keys import (
    KEYRING,
    PASSWORD,
    KeyKeeper,
    WrongPassword,
    new_key,
    sqlcipher_key,
    unwrap,
    wrap,
)
from tests.security.helpers import SECRETS, MemoryKeyring, leaks, take_crisis_call


def test_a_crisis_calls_answers_are_in_no_file_under_the_data_folder(
        hotline_home: Path) -> None:
    workstation = open_workstation(None, CredentialStore.for_this_process())
    connection = connect(workstation)
    try:
        take_crisis_call(workstation)
        connection.client.sync_once()  # the built-in server's database holds the case too
        take_crisis_call(workstation)  # and one only in the local store and its outbox
        found = workstation.listing.list(CaseQuery(view="all", text="Quillfeather"),
                                         workstation.user)
        assert len(found) == 2, "the encrypted search table finds the caller by name"
        assert leaks(hotline_home) == []  # stores open: WAL and shared memory files included
    finally:
        connection.close()
        workstation.close()
    assert leaks(hotline_home) == []


def test_the_same_call_in_a_plain_store_would_be_found(tmp_path: Path) -> None:
    """The search above can fail: in a plain SQLite store the answers are there to read."""
    plain = CaseStore(open_case_store(tmp_path / "cases.sqlite"), "pat")
    case = plain.create_case("crisis", "urgent", answers=SECRETS)
    plain.engine.dispose()
    assert case["id"] and leaks(tmp_path)


def test_a_store_is_sqlcipher_and_opens_only_with_its_key(tmp_path: Path) -> None:
    key = new_key()
    store = CaseStore(open_case_store(tmp_path / "cases.sqlite", key), "pat")
    store.create_case("crisis", "urgent", summary="x")
    store.engine.dispose()
    path = tmp_path / "cases.sqlite"
    assert not is_plain_sqlite(path)
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT * FROM sqlite_master").fetchall()
    with pytest.raises(WrongStoreKey):
        open_case_store(path, new_key())
    raw = sqlcipher().connect(str(path))
    raw.execute(f'PRAGMA key = "{sqlcipher_key(key)}"')
    assert raw.execute("PRAGMA cipher_version").fetchone()[0].startswith("4.")
    assert raw.execute("SELECT count(*) FROM local_case").fetchone()[0] == 1
    raw.close()


def test_a_plain_store_is_encrypted_in_place_without_losing_a_row_or_an_outbox_entry(
        tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite"
    plain = CaseStore(open_case_store(path), "pat")
    for number in range(30):
        case = plain.create_case("crisis", "urgent", summary=f"case {number} Quillfeather")
        plain.add_note(case["id"], "a note")
    before = (plain.list_cases(), plain.pending_changes(1000), plain.counts())
    plain.engine.dispose()

    key = new_key()
    encrypted = CaseStore(open_case_store(path, key), "pat")
    assert (encrypted.list_cases(), encrypted.pending_changes(1000), encrypted.counts()) == before
    assert not is_plain_sqlite(path)
    assert sorted(p.name for p in tmp_path.iterdir() if "encrypting" in p.name) == []
    encrypted.engine.dispose()
    assert leaks(tmp_path) == [] and b"Quillfeather" not in path.read_bytes()


def test_without_a_keyring_the_key_is_wrapped_by_the_password(tmp_path: Path) -> None:
    keeper = KeyKeeper()
    assert keeper.mode == PASSWORD
    key = keeper.key("case store", tmp_path / "store-key.json", "right password")
    assert key not in (tmp_path / "store-key.json").read_bytes()
    assert keeper.key("case store", tmp_path / "store-key.json", "right password") == key
    with pytest.raises(WrongPassword):
        keeper.key("case store", tmp_path / "store-key.json", "wrong password")
    record = wrap(key, "pw")
    assert record["kdf"] == "argon2id" and {"time_cost", "memory_cost", "salt"} <= record.keys()
    assert unwrap(record, "pw") == key


def test_with_a_keyring_the_key_lives_there_and_nothing_beside_the_store(
        tmp_path: Path) -> None:
    backend = MemoryKeyring()
    keeper = KeyKeeper(backend)
    assert keeper.mode == KEYRING
    key = keeper.key("case store a", tmp_path / "store-key.json", "any")
    assert keeper.key("case store a", tmp_path / "store-key.json", "other") == key
    assert not (tmp_path / "store-key.json").exists()
    assert list(backend.secrets.values()) == [key.hex()]


def test_the_servers_signing_key_sits_only_in_its_encrypted_database(hotline_home: Path) -> None:
    workstation = open_workstation(None, CredentialStore.for_this_process())
    connect(workstation).close()
    workstation.close()
    server_db = hotline_home / "server.sqlite"
    assert not is_plain_sqlite(server_db)
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(server_db).execute("SELECT * FROM server_setting").fetchall()


def test_the_single_plain_store_of_an_older_version_becomes_the_first_persons(
        hotline_home: Path) -> None:
    legacy = hotline_home / "cases.sqlite"
    old = CaseStore(open_case_store(legacy), "demo.specialist")
    case = old.create_case("crisis", "urgent", answers=SECRETS)
    before = (old.list_cases(), old.pending_changes(100))
    old.engine.dispose()

    workstation = open_workstation(None, CredentialStore.for_this_process())
    assert (workstation.cases.list_cases(), workstation.cases.pending_changes(100)) == before
    workstation.close()
    assert not legacy.exists() and not is_plain_sqlite(workstation.person.store_path)
    assert case["id"] and leaks(hotline_home) == []


def test_an_encrypted_left_over_store_goes_only_to_the_person_whose_key_opens_it(
        hotline_home: Path) -> None:
    legacy = hotline_home / "cases.sqlite"
    someone_elses = CaseStore(open_case_store(legacy, new_key()), "x")
    someone_elses.create_case("crisis", "urgent", summary="not yours")
    someone_elses.engine.dispose()

    workstation = open_workstation(None, CredentialStore.for_this_process())
    assert workstation.cases.list_cases() == []
    workstation.close()
    assert legacy.exists()
