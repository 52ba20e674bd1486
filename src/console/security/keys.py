"""The keys that encrypt a person's case store (and the built-in server's database) at rest.

Each store has its own random 256-bit key. Where the operating system has a usable keyring
(Windows Credential Manager, the macOS Keychain, a Secret Service keyring) the key is kept
there. Where it has none (a headless Linux box), the key is kept beside the store *wrapped*:
encrypted with AES-256-GCM under a key derived from the person's password with argon2id, whose
parameters are stored with it, so the store opens only for someone who knows the password.

argon2id at 64 MiB, 3 passes, 2 lanes (RFC 9106's second recommended setting with fewer lanes,
for two-core workstations) takes about 0.15 s here: far below the one second a specialist may
wait to unlock, and 64 MiB per guess makes a stolen disk expensive to attack.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError

from console.security.credentials import SERVICE_NAME, default_backend, is_usable_backend
from console.security.files import write_private

KEY_BYTES = 32
KEYRING, PASSWORD = "keyring", "password"
MODE_WORDS = {
    KEYRING: "Case data encrypted; its key is in the system keyring.",
    PASSWORD: "Case data encrypted; its key is protected by your password (no system keyring).",
}
MODE_BRIEF = {KEYRING: "Encrypted (keyring)", PASSWORD: "Encrypted (password)"}
_WRAP_CONTEXT = b"hotline-console store key v1"


class WrongPassword(ValueError):
    """The password does not open this key."""


class KeyUnavailable(RuntimeError):
    """The key cannot be read (damaged key file, keyring refused); the message says which."""


@dataclass(frozen=True)
class KdfParams:
    """argon2id cost: passes, memory in KiB, lanes."""

    time_cost: int = 3
    memory_cost: int = 65536
    parallelism: int = 2

    def derive(self, password: str, salt: bytes) -> bytes:
        return hash_secret_raw(password.encode("utf-8"), salt, self.time_cost, self.memory_cost,
                               self.parallelism, KEY_BYTES, Type.ID)


# The cost every new key is wrapped with; tests lower it the way they lower password hashing.
DEFAULT_KDF = KdfParams()


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def sqlcipher_key(key: bytes) -> str:
    """The key as SQLCipher's raw-key literal: used as is, with no second derivation."""
    return f"x'{key.hex()}'"


def wrap(key: bytes, password: str, params: KdfParams | None = None) -> dict[str, Any]:
    """``key`` encrypted under ``password``, with everything needed to unwrap it but that."""
    params = params or DEFAULT_KDF
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    sealed = AESGCM(params.derive(password, salt)).encrypt(nonce, key, _WRAP_CONTEXT)
    return {"kdf": "argon2id", **asdict(params), "salt": _b64(salt), "nonce": _b64(nonce),
            "wrapped": _b64(sealed)}


def unwrap(record: dict[str, Any], password: str) -> bytes:
    try:
        params = KdfParams(int(record["time_cost"]), int(record["memory_cost"]),
                           int(record["parallelism"]))
        salt, nonce = _unb64(record["salt"]), _unb64(record["nonce"])
        sealed = _unb64(record["wrapped"])
        if record.get("kdf") != "argon2id":
            raise ValueError("unknown key derivation")
    except (KeyError, TypeError, ValueError) as error:
        raise KeyUnavailable(f"the store's key file is damaged ({error})") from None
    try:
        return AESGCM(params.derive(password, salt)).decrypt(nonce, sealed, _WRAP_CONTEXT)
    except InvalidTag:
        raise WrongPassword("wrong password") from None


class KeyKeeper:
    """Store keys by name: in the system keyring when one is usable, else wrapped by a password
    in a 0600 file beside the store."""

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        chosen = backend if backend is not None else default_backend()
        self._backend = chosen if chosen is not None and is_usable_backend(chosen) else None

    @property
    def mode(self) -> str:
        return KEYRING if self._backend is not None else PASSWORD

    def key(self, name: str, key_file: Path, password: str) -> bytes:
        """The key called ``name``, made on first use. In password mode it is unwrapped from
        ``key_file`` with ``password`` (raises ``WrongPassword``)."""
        if self._backend is not None:
            return self._keyring_key(name)
        if key_file.exists():
            try:
                record = json.loads(key_file.read_text("utf-8"))
            except (OSError, ValueError) as error:
                raise KeyUnavailable(f"cannot read the store's key file: {error}") from None
            return unwrap(record if isinstance(record, dict) else {}, password)
        key = new_key()
        write_private(key_file, json.dumps(wrap(key, password), indent=2))
        return key

    def workstation_key(self, name: str, key_file: Path) -> bytes:
        """A key that belongs to no person (the built-in server's database): in the keyring,
        else in ``key_file``, which only this account may read (0600 in a 0700 folder)."""
        if self._backend is not None:
            return self._keyring_key(name)
        try:
            return bytes.fromhex(key_file.read_text("ascii").strip())
        except FileNotFoundError:
            key = new_key()
            write_private(key_file, key.hex())
            return key
        except (OSError, ValueError) as error:
            raise KeyUnavailable(f"cannot read {key_file.name}: {error}") from None

    def _keyring_key(self, name: str) -> bytes:
        assert self._backend is not None
        try:
            stored = self._backend.get_password(SERVICE_NAME, name)
            if stored is None:
                key = new_key()
                self._backend.set_password(SERVICE_NAME, name, key.hex())
                return key
            return bytes.fromhex(stored)
        except (KeyringError, ValueError) as error:
            raise KeyUnavailable(f"the system keyring did not give the store's key: {error}") \
                from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not text")
    return base64.b64decode(text, validate=True)


SERVER_KEY_FILE = "server-key"


def server_database_key(home: Path) -> bytes:
    """The key of the built-in server's database in the data folder ``home``."""
    return KeyKeeper().workstation_key(f"server database {home}", home / SERVER_KEY_FILE)
