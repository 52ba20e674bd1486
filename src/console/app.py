"""The composition root: builds the workstation's services and hands them to whoever shows them.

Nothing here imports Qt. The desktop window, the benchmarks and the tests all start from
``open_workstation``; the connection to the central server (embedded on loopback by default)
is made separately by ``connect``, off the GUI thread, so the window never waits for a network.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from console import settings
from console.cases.audit import AuditLog
from console.cases.listing import CaseList
from console.cases.salvage import Salvage
from console.cases.store import CaseStore
from console.demo import DEMO_ROLES, DEMO_SPECIALIST, demo_password
from console.directory.query import SearchQuery, SearchResult, ServicePlace
from console.errors import UserError
from console.intake.desk import CallDesk
from console.protocol import Protocol, load_protocol
from console.security.credentials import CredentialStore
from console.security.keys import MODE_WORDS
from console.security.people import EMBEDDED, PeopleRegistry, Person, SignInRefused, person_folder
from console.sync.api import ServerApi, ServerRefused, ServerUnreachable, SignInNeeded
from console.sync.client import SyncClient

if TYPE_CHECKING:
    from console.directory.search import DirectorySearch
    from console.embedded import EmbeddedServer

log = logging.getLogger(__name__)
SERVER_PREFERENCE = "server_url"
USER_PREFERENCE = "user"


class DirectoryLookup:
    """Directory search that survives the directory file being replaced under it.

    A sync may swap in a whole new directory file (a snapshot); ``reopen`` drops the old
    connection and the next search opens the new file. One search at a time, any thread.
    """

    def __init__(self, open_engine: Callable[[], Engine]) -> None:
        self._open_engine = open_engine
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._search: DirectorySearch | None = None

    def search(self, query: SearchQuery) -> list[SearchResult]:
        with self._lock:
            return self._searcher().search(query)

    def places(self, service_ids: Sequence[str]) -> dict[str, ServicePlace]:
        with self._lock:
            return self._searcher().places(service_ids)

    def _searcher(self) -> DirectorySearch:
        """The open search (opened now, the first time); call it holding the lock."""
        if self._search is None:
            # The search engine loads here, on the search lane, with the first search.
            from console.directory.search import DirectorySearch

            self._engine = self._open_engine()
            self._search = DirectorySearch(self._engine)
        return self._search

    def reopen(self) -> None:
        with self._lock:
            if self._search is not None:
                self._search.close()
            if self._engine is not None:
                self._engine.dispose()
            self._search = self._engine = None

    close = reopen


_directory_seeding = threading.Lock()


def _open_local_directory() -> Engine:
    """The local directory, seeded with the demo directory on a first start: by the first search
    or the first sync, whichever comes first (both after the window is shown; the importer is
    not needed before), never both at once."""
    from console.directory.store import open_local_directory

    with _directory_seeding:
        return open_local_directory()


@dataclass
class Workstation:
    """Everything the console needs that works without a network."""

    protocol: Protocol
    cases: CaseStore
    desk: CallDesk
    listing: CaseList
    audit: AuditLog
    lookup: DirectoryLookup
    server_url: str | None  # None: the embedded server on this machine
    user: str
    role: str  # what the server lets this user do: "specialist" or "supervisor"
    credentials: CredentialStore
    person: Person  # who is signed in: their folder, and the key their case store is open with
    people: PeopleRegistry
    home: Path = field(default_factory=settings.data_home)
    salvage: Salvage | None = None  # the store would not open: what was put aside, recovered

    @property
    def embedded(self) -> bool:
        return self.server_url is None

    def close(self) -> None:
        self.lookup.close()
        self.cases.engine.dispose()


def configured_server(override: str | None = None) -> str | None:
    """The central server's address: ``--server``, else the one remembered, else embedded."""
    return override or settings.read_preference(SERVER_PREFERENCE) or None


class UnknownDemoUser(UserError, ValueError):
    """The built-in server has only its demo accounts."""


def demo_person(people: PeopleRegistry, demo_user: str | None = None) -> Person:
    """A demo account of the built-in server, signed in with its stored password (the server
    on this workstation's loopback address is where that password is checked, once it runs)."""
    user = demo_user or DEMO_SPECIALIST
    if user not in DEMO_ROLES:
        raise UnknownDemoUser(f"the built-in server knows only {', '.join(DEMO_ROLES)}")
    return people.signed_in_online(EMBEDDED, user, DEMO_ROLES[user],
                                   demo_password(people.home, user))


def demo_hint(workstation: Workstation) -> str:
    """With the built-in server, its demo accounts and passwords, for the sign-in and lock
    screens; nothing with a real server."""
    if not workstation.embedded:
        return ""
    accounts = "; ".join(f"{user}, password {demo_password(workstation.home, user)}"
                         for user in DEMO_ROLES)
    return ("Demo: this console runs its built-in demonstration server, never for real calls. "
            f"Its demo accounts: {accounts}.")


def sign_in(people: PeopleRegistry, server_url: str | None, credentials: CredentialStore,
            user: str, password: str) -> Person:
    """Sign ``user`` in: against the server when it answers, else offline with the verifier of
    the last online sign-in (see ``console.security.people``). Raises ``SignInRefused``.

    Slow (a network call and a key derivation): call it off the GUI thread.
    """
    user = user.strip()
    if not user or not password:
        raise SignInRefused("Type your user name and password.")
    if server_url is None:
        if user not in DEMO_ROLES:
            raise SignInRefused(f"The built-in demo server knows only {', '.join(DEMO_ROLES)}.")
        folder = person_folder(people.home, EMBEDDED, user)
        if password != demo_password(people.home, user):
            people.count_failure(folder)
            raise SignInRefused("Wrong user name or password.")
        return demo_person(people, user)
    api = ServerApi(server_url, credentials)
    folder = person_folder(people.home, api.server_url, user)
    try:
        people.refuse_while_waiting(folder)  # the same waits online: no guessing at the server
        tokens = api.sign_in(user, password)
    except ServerUnreachable:
        return people.sign_in_offline(api.server_url, user, password)
    except ServerRefused as refusal:
        if refusal.status in (401, 403):
            people.count_failure(folder)
            raise SignInRefused("Wrong user name or password.") from None
        raise SignInRefused(str(refusal)) from None
    finally:
        api.close()
    return people.signed_in_online(api.server_url, tokens.user, tokens.role, password)


def open_workstation(server_url: str | None = None, credentials: CredentialStore | None = None,
                     demo_user: str | None = None, person: Person | None = None,
                     people: PeopleRegistry | None = None) -> Workstation:
    """Local stores, protocol and services; fast enough to run before the window shows.

    ``person`` is who signed in (``sign_in``); with the built-in server and no ``person``, the
    demo account ``demo_user`` (the specialist's by default) is signed in. Their own encrypted
    case store is opened; nobody else's.
    """
    if person is None and server_url is not None:
        raise SignInNeeded(f"sign in to {server_url} first")
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="protocol") as pool:
        # Read and checked while the keyring is looked for and the demo account's store key is
        # derived (argon2 leaves the interpreter free): side by side on two cores.
        protocol_loaded = pool.submit(load_protocol)
        credentials = credentials or CredentialStore()
        people = people or PeopleRegistry()
        if person is None:
            person = demo_person(people, demo_user)
        protocol = protocol_loaded.result()
    engine, salvage = person.open_store()
    cases = CaseStore(engine, person.user)
    log.info("case store opened: %s", MODE_WORDS[people.keys.mode])
    lookup = DirectoryLookup(_open_local_directory)
    return Workstation(protocol, cases, CallDesk(cases, protocol), CaseList(cases.engine),
                       AuditLog(cases.engine, person.user), lookup, server_url, person.user,
                       person.role, credentials, person, people, salvage=salvage)


@dataclass
class Connection:
    """A signed-in sync client, and the embedded server when this workstation runs one."""

    client: SyncClient
    embedded: EmbeddedServer | None = None  # the built-in server, when this workstation runs it

    def close(self) -> None:
        self.client.close()
        if self.embedded is not None:
            self.embedded.stop()


def connect(workstation: Workstation) -> Connection:
    """Start the embedded server (or reach the configured one) and make a sync client.

    Slow (seconds on a first start): call it off the GUI thread. Raises ``SignInNeeded`` when a
    configured server has no valid sign-in for this workstation.
    """
    # Loaded here, on the sync thread: the server's parts are not needed to show the window.
    from console.embedded import EmbeddedServer, sign_in_demo

    embedded = None
    url = workstation.server_url
    if url is None:
        embedded = EmbeddedServer(workstation.home)
        url = embedded.start()
    api = ServerApi(url, workstation.credentials)
    try:
        if embedded is not None:
            sign_in_demo(api, workstation.user, workstation.home)
        else:
            tokens = workstation.credentials.load(url)
            if tokens is not None and tokens.user != workstation.user:
                # Someone else's sign-in, left by the person before: never sync under it.
                workstation.credentials.clear(url)
                tokens = None
            if tokens is None:
                raise SignInNeeded(f"sign in to {url} to sync")
    except BaseException:
        api.close()
        if embedded is not None:
            embedded.stop()
        raise
    _open_local_directory().dispose()  # a first start's demo directory, before any feed
    client = SyncClient(api, settings.directory_db_path(), workstation.cases)
    client.directory_replaced.append(workstation.lookup.reopen)
    client.open_call = workstation.desk.call_in_progress
    return Connection(client, embedded)
