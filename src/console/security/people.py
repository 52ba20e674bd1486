"""People on a shared workstation: who may open which case store, and how they prove it.

Each person who signs in on this workstation gets a folder of their own under the data folder,
``people/<name>-<hash>/``, with their encrypted case store (and so their own sync cursors) and a
small sign-in record. Nobody's store is ever opened with anyone else's key, so switching person
closes one store and opens another; a case reaches another person only through the server.

Signing in: online against the server whenever it answers. A successful online sign-in leaves
proof of the password on the workstation (the store key wrapped by it or, with a keyring, an
argon2id verifier), so during an outage the person can still start a shift offline — for at
most ``offline_days`` after that last online sign-in (the hotline's policy,
``resources/security.json``). Each wrong password makes the next try wait longer.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine

from console import settings
from console.cases.salvage import Salvage, open_or_salvage
from console.models.database import (
    WrongStoreKey,
    encrypt_in_place,
    is_plain_sqlite,
    open_case_store,
)
from console.security import keys
from console.security.files import private_folder, write_private
from console.security.keys import KeyKeeper, WrongPassword

PEOPLE_FOLDER = "people"
RECORD_FILE = "person.json"
KEY_FILE = "store-key.json"
STORE_FILE = "cases.sqlite"
EMBEDDED = "embedded"  # what the built-in server is called in people's records
# Wrong passwords allowed before the waits start; the wait doubles with each further one.
FREE_FAILURES, MAX_WAIT_SECONDS = 3, 300

Clock = Callable[[], datetime]
T = TypeVar("T")


class SignInRefused(ValueError):
    """Wrong user or password, or an offline sign-in that is not allowed; words for the person."""


class TryLater(SignInRefused):
    """Too many wrong passwords: the next try is allowed in ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"Too many wrong passwords: try again in {max(1, round(seconds))} s.")
        self.seconds = seconds


@dataclass(frozen=True)
class Policy:
    """What the hotline decides: idle minutes before the window locks, and how many days an
    offline sign-in is accepted after the last online one."""

    lock_after_minutes: float = 5.0
    offline_days: float = 7.0


def load_policy(path: Path | None = None) -> Policy:
    """The hotline's policy from ``resources/security.json``; defaults for what it lacks."""
    path = path or settings.resources_dir() / "security.json"
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return Policy()
    values = {name: float(data[name]) for name in ("lock_after_minutes", "offline_days")
              if isinstance(data, dict) and isinstance(data.get(name), int | float)
              and data[name] > 0}
    return Policy(**values)


def _hasher() -> PasswordHasher:
    cost = keys.DEFAULT_KDF  # read at each use: tests make it cheaper
    return PasswordHasher(time_cost=cost.time_cost, memory_cost=cost.memory_cost,
                          parallelism=cost.parallelism)


def person_folder(home: Path, server: str, user: str) -> Path:
    """The folder of ``user`` of ``server`` (a readable name, and a hash that keeps two names
    that read alike, or one name on two servers, apart)."""
    readable = re.sub(r"[^a-z0-9._-]+", "_", user.lower())[:40] or "_"
    digest = hashlib.sha256(f"{server}\n{user}".encode()).hexdigest()[:10]
    return home / PEOPLE_FOLDER / f"{readable}-{digest}"


@dataclass
class Person:
    """Someone signed in: their name and role, their folder and the key to their store."""

    user: str
    role: str
    server: str
    folder: Path
    key: bytes
    online: bool  # signed in against the server (False: with the offline verifier)

    @property
    def store_path(self) -> Path:
        return self.folder / STORE_FILE

    def open_store(self) -> tuple[Engine, Salvage | None]:
        """This person's encrypted case store, adopting the workstation's old plain store the
        first time anyone signs in after the upgrade (see ``_adopt_legacy_store``); a store
        that no longer opens is put aside for a fresh one (``Salvage`` says what was done)."""
        _adopt_legacy_store(self)
        return open_or_salvage(self.store_path, self.key)


class PeopleRegistry:
    """Sign-in records and store keys of everyone who used this workstation."""

    def __init__(self, home: Path | None = None, keys: KeyKeeper | None = None,
                 policy: Policy | None = None, clock: Clock | None = None) -> None:
        self.home = home or settings.data_home()
        self.keys = keys or KeyKeeper()
        self.policy = policy or load_policy()
        self._clock = clock or (lambda: datetime.now(UTC))

    def signed_in_online(self, server: str, user: str, role: str, password: str) -> Person:
        """The server accepted ``password``: refresh the offline verifier and open the key."""
        folder = private_folder(person_folder(self.home, server, user))
        record = self._record(folder)
        key = self._key(folder, password)
        record.update(user=user, role=role, server=server,
                      online_at=self._clock().isoformat(), failures=0, failed_at=None)
        if self.keys.mode == keys.PASSWORD:
            record.pop("verifier", None)  # the wrapped key is the verifier (see ``_proof``)
        elif not _verifies(record.get("verifier"), password):
            record["verifier"] = _hasher().hash(password)
        self._save(folder, record)
        return Person(user, role, server, folder, key, online=True)

    def sign_in_offline(self, server: str, user: str, password: str) -> Person:
        """Sign in without the server, with the verifier from the last online sign-in."""
        folder = person_folder(self.home, server, user)
        record = self._record(folder)
        if not record.get("online_at"):
            raise SignInRefused(f"{user} has never signed in online on this workstation: "
                                "an offline sign-in needs one online sign-in first.")
        age = self._clock() - _parse_time(record.get("online_at"))
        if age > timedelta(days=self.policy.offline_days):
            raise SignInRefused(
                f"The last online sign-in of {user} here is older than "
                f"{self.policy.offline_days:g} days: sign in online (the server must answer).")
        key = self._guarded(folder, lambda: self._proof(folder, password))
        return Person(user, str(record.get("role") or "specialist"), server, folder, key,
                      online=False)

    def check_password(self, folder: Path, password: str) -> None:
        """Accept ``password`` against the person's verifier, or count a failure and refuse;
        refuses at once while a wait from earlier failures runs."""
        self._guarded(folder, lambda: self._proof(folder, password))

    def _proof(self, folder: Path, password: str) -> bytes | None:
        """The person's store key if ``password`` is theirs, else None; one argon2 derivation
        either way: without a keyring, unwrapping the key proves the password; with one, the
        argon2id verifier of the last online sign-in does, and the key comes from the keyring.
        """
        if self.keys.mode == keys.PASSWORD:
            return self._unwrapped(folder, password) if (folder / KEY_FILE).exists() else None
        if not _verifies(self._record(folder).get("verifier"), password):
            return None
        return self._unwrapped(folder, password)

    def _guarded(self, folder: Path, attempt: Callable[[], T | None]) -> T:
        """``attempt()`` (None: a wrong password) under the waits that wrong passwords earn."""
        self.refuse_while_waiting(folder)
        result = attempt()
        if result is None:
            self.count_failure(folder)
            raise SignInRefused("Wrong user name or password.")
        record = self._record(folder)
        if record.get("failures"):
            record.update(failures=0, failed_at=None)
            self._save(folder, record)
        return result

    def refuse_while_waiting(self, folder: Path) -> None:
        """Raise ``TryLater`` while the wait earned by earlier wrong passwords runs."""
        record = self._record(folder)
        failures = int(record.get("failures") or 0)
        if failures >= FREE_FAILURES and record.get("failed_at"):
            wait = min(2.0 ** (failures - FREE_FAILURES), MAX_WAIT_SECONDS)
            left = wait - (self._clock() - _parse_time(record["failed_at"])).total_seconds()
            if left > 0:
                raise TryLater(left)

    def _unwrapped(self, folder: Path, password: str) -> bytes | None:
        try:
            return self.keys.key(f"case store {folder}", folder / KEY_FILE, password)
        except WrongPassword:
            return None

    def count_failure(self, folder: Path) -> None:
        """One more wrong password for the person of ``folder`` (online refusals count too)."""
        if not folder.exists():
            return  # nobody by that name has signed in here: nothing to protect or record
        record = self._record(folder)
        record.update(failures=int(record.get("failures") or 0) + 1,
                      failed_at=self._clock().isoformat())
        self._save(folder, record)

    def _key(self, folder: Path, password: str) -> bytes:
        key = self._unwrapped(folder, password)  # the folder names data folder, server, user
        if key is None:
            raise SignInRefused(
                "Your case store here is locked with your previous password. Sign in with "
                "the password you used last on this workstation, or ask IT.")
        return key

    def _record(self, folder: Path) -> dict[str, Any]:
        try:
            record = json.loads((folder / RECORD_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def _save(self, folder: Path, record: dict[str, Any]) -> None:
        write_private(folder / RECORD_FILE, json.dumps(record, indent=2))


def _verifies(verifier: Any, password: str) -> bool:
    if not isinstance(verifier, str):
        return False
    try:
        return _hasher().verify(verifier, password)
    except (VerificationError, InvalidHashError):
        return False


def _parse_time(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _adopt_legacy_store(person: Person) -> None:
    """Move the workstation's single store of an older version into ``person``'s folder.

    The first person to sign in after the upgrade takes it (before the upgrade the workstation
    had one store for whoever used it). It is encrypted where it lies, atomically (a kill leaves
    the old plain store usable and the next start tries again), then renamed into the folder.
    An encrypted one found there is the remains of such a move stopped before the rename: it is
    taken only by the person whose key opens it.
    """
    legacy = settings.case_db_path()
    if legacy.parent != person.folder.parent.parent:
        return  # a data folder other than this process's: nothing of an older version there
    if person.store_path.exists() or not legacy.exists():
        return
    if is_plain_sqlite(legacy):
        encrypt_in_place(legacy, person.key)
    try:
        open_case_store(legacy, person.key).dispose()
    except WrongStoreKey:  # someone else's key: theirs to take at their next sign-in
        return
    legacy.replace(person.store_path)
