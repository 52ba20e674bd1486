"""One store per person on a shared workstation, and signing in online, offline and wrongly."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.app import open_workstation, sign_in
from console.cases.store import CASES_CURSOR, CaseStore
from console.cli import main
from console.models.database import WrongStoreKey, open_case_store
from console.security.credentials import CredentialStore
from console.security.keys import KeyKeeper
from console.security.people import (
    KEY_FILE,
    PeopleRegistry,
    Policy,
    SignInRefused,
    TryLater,
    load_policy,
    person_folder,
)
from console.server.auth import create_user
from tests.live_server import PASSWORD, LiveServer, live_server
from tests.security.helpers import MemoryKeyring


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def server(hotline_home: Path) -> Iterator[LiveServer]:
    with live_server() as live:
        for name in ("alice", "bob"):
            create_user(live.engine, name, "specialist", PASSWORD)
        yield live


def sync_as(monkeypatch: pytest.MonkeyPatch, url: str, user: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["sync", "--server", url, "--user", user]) == 0


def store_of(url: str, user: str) -> CaseStore:
    person = sign_in(PeopleRegistry(), url, CredentialStore.for_this_process(), user, PASSWORD)
    return CaseStore(person.open_store()[0], user)


def test_sync_as_alice_then_bob_shows_bob_none_of_alices_cases_and_uses_his_own_cursor(
        server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sync_as(monkeypatch, server.url, "alice")
    alice = store_of(server.url, "alice")
    hers = alice.create_case("crisis", "urgent", summary="Alice's caller")
    for_bob = alice.create_case("crisis", "urgent", summary="For Bob")
    alice.hand_off(for_bob["id"], "bob", "yours from tonight")
    alice.engine.dispose()
    sync_as(monkeypatch, server.url, "alice")

    sync_as(monkeypatch, server.url, "bob")

    bob = store_of(server.url, "bob")
    seen = {case["id"] for case in bob.list_cases()}
    assert hers["id"] not in seen, "Bob's store holds Alice's case"
    assert for_bob["id"] in seen, "the handed-off case reached Bob: his cursor started afresh"
    alice = store_of(server.url, "alice")
    assert bob.get_state(CASES_CURSOR) is not None
    assert {hers["id"], for_bob["id"]} <= {case["id"] for case in alice.list_cases()}
    assert alice.engine.url != bob.engine.url
    alice.engine.dispose()
    bob.engine.dispose()


def test_a_person_cannot_open_anothers_store(server: LiveServer) -> None:
    alice = sign_in(PeopleRegistry(), server.url, CredentialStore.for_this_process(), "alice",
                    PASSWORD)
    bob = sign_in(PeopleRegistry(), server.url, CredentialStore.for_this_process(), "bob",
                  PASSWORD)
    alice.open_store()[0].dispose()
    with pytest.raises(WrongStoreKey):
        open_case_store(alice.store_path, bob.key)


def test_offline_sign_in_is_accepted_for_the_policys_days_and_not_after(
        server: LiveServer) -> None:
    clock = Clock()
    people = PeopleRegistry(policy=Policy(offline_days=7), clock=clock)
    online = sign_in(people, server.url, CredentialStore.for_this_process(), "alice", PASSWORD)
    assert online.online

    clock.now += timedelta(days=6, hours=23)
    with pytest.raises(SignInRefused, match="Wrong"):
        people.sign_in_offline(online.server, "alice", "not her password")
    offline = people.sign_in_offline(online.server, "alice", PASSWORD)
    assert not offline.online and offline.key == online.key and offline.role == "specialist"

    clock.now += timedelta(hours=2)
    with pytest.raises(SignInRefused, match="older than 7 days"):
        people.sign_in_offline(online.server, "alice", PASSWORD)


def test_offline_sign_in_when_the_server_does_not_answer(hotline_home: Path) -> None:
    with live_server() as live:
        create_user(live.engine, "alice", "specialist", PASSWORD)
        url = live.url
        online = sign_in(PeopleRegistry(), url, CredentialStore.for_this_process(), "alice",
                         PASSWORD)
    offline = sign_in(PeopleRegistry(), url, CredentialStore.for_this_process(), "alice",
                      PASSWORD)  # the server is gone now
    assert online.online and not offline.online and offline.key == online.key
    with pytest.raises(SignInRefused, match="never signed in online"):
        sign_in(PeopleRegistry(), url, CredentialStore.for_this_process(), "bob", PASSWORD)


def test_wrong_passwords_back_off(server: LiveServer) -> None:
    clock = Clock()
    people = PeopleRegistry(clock=clock)
    person = sign_in(people, server.url, CredentialStore.for_this_process(), "alice", PASSWORD)
    for _ in range(3):
        with pytest.raises(SignInRefused, match="Wrong"):
            people.check_password(person.folder, "guess")
    with pytest.raises(TryLater):
        people.check_password(person.folder, PASSWORD)  # even the right one must wait
    clock.now += timedelta(seconds=1)
    with pytest.raises(SignInRefused, match="Wrong"):
        people.check_password(person.folder, "guess")
    clock.now += timedelta(seconds=1)
    with pytest.raises(TryLater) as wait:
        people.check_password(person.folder, PASSWORD)  # each failure doubles the wait
    assert 0 < wait.value.seconds <= 1
    clock.now += timedelta(seconds=1)
    people.check_password(person.folder, PASSWORD)  # after the wait; the count starts again
    people.check_password(person.folder, PASSWORD)


def test_wrong_passwords_at_the_server_count_too(server: LiveServer) -> None:
    people = PeopleRegistry()
    sign_in(people, server.url, CredentialStore.for_this_process(), "alice", PASSWORD)
    for _ in range(3):
        with pytest.raises(SignInRefused, match="Wrong"):
            sign_in(people, server.url, CredentialStore.for_this_process(), "alice", "guess")
    with pytest.raises(TryLater):  # the server does not get to hear the next guess at once
        sign_in(people, server.url, CredentialStore.for_this_process(), "alice", PASSWORD)
    with pytest.raises(TryLater):  # and the lock screen waits alike
        people.check_password(person_folder(people.home, server.url, "alice"), PASSWORD)


def test_drafts_of_an_open_call_belong_to_who_took_it(hotline_home: Path) -> None:
    alice = open_workstation(None, CredentialStore.for_this_process())  # demo.specialist
    call = alice.desk.start("crisis")
    call.answers["caller_name"] = "Draft Person"
    alice.desk.save(call)
    alice.close()

    bob = open_workstation(None, CredentialStore.for_this_process(), demo_user="demo.supervisor")
    assert bob.desk.resume() is None
    assert bob.cases.get(call.case_id) is None
    bob.close()

    again = open_workstation(None, CredentialStore.for_this_process())
    resumed = again.desk.resume()
    assert resumed is not None and resumed.answers["caller_name"] == "Draft Person"
    again.close()


def test_the_hotline_sets_the_lock_time_and_offline_age_in_its_resources(
        tmp_path: Path) -> None:
    assert load_policy() == Policy(lock_after_minutes=5, offline_days=7)  # as shipped
    policy = tmp_path / "security.json"
    policy.write_text('{"lock_after_minutes": 2, "offline_days": 3}')
    assert load_policy(policy) == Policy(lock_after_minutes=2, offline_days=3)
    policy.write_text('{"lock_after_minutes": -1, "offline_days": "soon"}')
    assert load_policy(policy) == Policy()  # nonsense falls back to the defaults


def test_with_a_keyring_offline_sign_in_and_unlock_use_the_verifier(tmp_path: Path) -> None:
    keyring = MemoryKeyring()
    people = PeopleRegistry(tmp_path, KeyKeeper(keyring))
    online = people.signed_in_online("http://hotline.example", "alice", "specialist", PASSWORD)
    assert not (online.folder / KEY_FILE).exists() and len(keyring.secrets) == 1
    people.check_password(online.folder, PASSWORD)
    with pytest.raises(SignInRefused, match="Wrong"):
        people.check_password(online.folder, "guess")
    offline = people.sign_in_offline("http://hotline.example", "alice", PASSWORD)
    assert offline.key == online.key
