"""Where the console keeps the tokens it receives when a specialist signs in to a server.

Tokens go into the operating system's keyring (Windows Credential Manager, the macOS Keychain,
or a Secret Service keyring such as GNOME Keyring or KWallet on Linux) under the service name
"Hotline Console", one entry per server URL. The secret is the JSON form of :class:`Tokens`.

Fallback policy: when the machine has no usable keyring (none installed, only the "fail" or
"null" backend, a backend that only writes a plain file, or a keyring that is locked or breaks
while in use) the tokens are kept in this process's memory and nowhere else. The specialist then
has to sign in again the next time the program starts, and :attr:`CredentialStore.warning` says
so in words they can act on. Memory-only is the safe choice: hotline workstations are often
shared, and a plain file, or an "obfuscated" one whose key must sit on the same disk, would leave
a token there that anyone using the machine later could copy and use to read case data.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

import keyring
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.backends.fail import Keyring as FailKeyring
from keyring.errors import KeyringError, PasswordDeleteError

SERVICE_NAME = "Hotline Console"

NO_KEYRING_WARNING = (
    "No system keyring is available, so your sign-in is kept only until this program closes "
    "and you will be asked for your password next time. On Linux, install and unlock a Secret "
    "Service keyring (GNOME Keyring or KWallet) to stay signed in."
)

# Backends from the keyrings.alt package store secrets in files (some in plain text) and are
# never used for tokens, whatever their priority.
_FILE_BACKEND_PACKAGE = "keyrings.alt"


@dataclass(frozen=True)
class Tokens:
    """What a server hands back at sign-in: who the user is and the tokens to call it with."""

    user: str
    role: str
    access_token: str
    refresh_token: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Tokens | None:
        """The tokens in ``text``, or None when it is not a complete, well-formed record."""
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        values = {f.name: data.get(f.name) for f in fields(cls)}
        if not all(isinstance(value, str) for value in values.values()):
            return None
        return cls(**values)


def normalize_server_url(server_url: str) -> str:
    """The key a server's tokens are stored under: the URL trimmed, without a trailing slash."""
    key = server_url.strip().rstrip("/")
    if not key:
        raise ValueError("A server URL is required to store sign-in tokens.")
    return key


def _priority(backend: KeyringBackend) -> float:
    """The backend's priority; backends report that they cannot run by raising from it."""
    try:
        return float(backend.priority)
    except Exception:
        return 0.0


def is_usable_backend(backend: KeyringBackend) -> bool:
    """Whether ``backend`` can keep tokens safely beyond this process."""
    if isinstance(backend, FailKeyring):
        return False
    if isinstance(backend, ChainerBackend):
        chained = list(backend.backends)
        return bool(chained) and is_usable_backend(chained[0])
    if type(backend).__module__.startswith(_FILE_BACKEND_PACKAGE):
        return False
    return _priority(backend) > 0


def default_backend() -> KeyringBackend | None:
    try:
        return keyring.get_keyring()
    except KeyringError:
        return None


class CredentialStore:
    """Sign-in tokens per server, in the system keyring or, failing that, in memory only."""

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        chosen = backend if backend is not None else default_backend()
        usable = chosen is not None and is_usable_backend(chosen)
        self._backend: KeyringBackend | None = chosen if usable else None
        self._memory: dict[str, Tokens] = {}
        self._warning: str | None = None if usable else NO_KEYRING_WARNING

    @classmethod
    def for_this_process(cls) -> CredentialStore:
        """Tokens in memory only, on purpose: for scripts, benchmarks and tests that must never
        write to the keyring of the person running them."""
        store = cls.__new__(cls)
        store._backend = None
        store._memory = {}
        store._warning = None
        return store

    @property
    def persistent(self) -> bool:
        """True when saved tokens survive this process (they are in the system keyring)."""
        return self._backend is not None

    @property
    def warning(self) -> str | None:
        """A sentence for the user when sign-ins cannot be kept between runs, else None."""
        return self._warning

    def load(self, server_url: str) -> Tokens | None:
        """The tokens saved for ``server_url``, or None when there are none or they are damaged."""
        key = normalize_server_url(server_url)
        if self._backend is None:
            return self._memory.get(key)
        try:
            secret = self._backend.get_password(SERVICE_NAME, key)
        except KeyringError:
            self._fall_back()
            return None
        if secret is None:
            return None
        tokens = Tokens.from_json(secret)
        if tokens is None:
            self.clear(key)
        return tokens

    def save(self, server_url: str, tokens: Tokens) -> None:
        """Keep ``tokens`` for ``server_url``, replacing any saved before. Never raises for a
        keyring failure: the tokens are then kept in memory and :attr:`warning` is set."""
        key = normalize_server_url(server_url)
        if self._backend is not None:
            try:
                self._backend.set_password(SERVICE_NAME, key, tokens.to_json())
                return
            except KeyringError:
                self._fall_back()
        self._memory[key] = tokens

    def clear(self, server_url: str) -> None:
        """Forget the tokens for ``server_url`` (sign out). Nothing saved is not an error."""
        key = normalize_server_url(server_url)
        self._memory.pop(key, None)
        if self._backend is None:
            return
        try:
            self._backend.delete_password(SERVICE_NAME, key)
        except PasswordDeleteError:
            pass
        except KeyringError:
            self._fall_back()

    def _fall_back(self) -> None:
        """Stop using the keyring for the rest of this process and tell the user why."""
        self._backend = None
        self._warning = NO_KEYRING_WARNING
