"""Users, roles, passwords and tokens.

Passwords are kept as argon2 hashes. Signing in returns a short-lived access token (a signed JWT
naming the user, role and the user's token version) and a long-lived refresh token (random,
stored only as its SHA-256 digest, replaced on every use so a stolen one works at most once).
The signing key lives in the database, so every server instance behind a load balancer agrees.

Every request checks its token against the user as stored (one read by key, at most ``RECHECK``
old; changes made in this process are seen at once): a user who is gone or disabled, or whose
token version has moved on — a disable, a password reset, a role change — is refused, and that
same change revokes every refresh token of theirs. A
rotated refresh token used a second time means someone copied it: every token renewed from that
sign-in is revoked. Administrators' changes to users are audit events (who, whom, when).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, Row, bindparam, insert, select, update

from console.server.db import write_transaction
from console.server.models import AuditEvent, RefreshToken, ServerSetting, User
from console.server.roles import ROLES

ACCESS_LIFETIME = timedelta(minutes=15)
RECHECK = timedelta(seconds=1)  # how stale a request's view of its user may be, at most
REFRESH_LIFETIME = timedelta(days=14)
_ALGORITHM = "HS256"
_hasher = PasswordHasher()


class AuthError(Exception):
    """Sign-in refused or a token not valid; the message is safe to show."""


class UserExists(ValueError):
    """A user of that name is already there (creating one never resets an existing one)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user named by a valid access token, and their role."""

    name: str
    role: str


def _now() -> datetime:
    return datetime.now(UTC)


def validate_user_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or any(ch.isspace() or not ch.isprintable() for ch in name):
        raise ValueError("a user name is 1–200 printable characters without spaces")
    return name


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of: {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")


def _audit(connection: Connection, actor: str, action: str, whom: str, detail: str = "") -> None:
    connection.execute(insert(AuditEvent).values(
        at=_now(), received_at=_now(), user_name=actor, action=action, subject=whom,
        detail=detail))


def create_user(engine: Engine, name: str, role: str, password: str,
                actor: str | None = None) -> None:
    """Add a user; ``UserExists`` if the name is taken. ``actor``: the administrator, audited."""
    name = validate_user_name(name)
    _check_role(role)
    _check_password(password)
    password_hash = _hasher.hash(password)
    with write_transaction(engine) as connection:
        if connection.execute(select(User.name).where(User.name == name)).first():
            raise UserExists(f"a user named {name} already exists")
        connection.execute(insert(User).values(name=name, role=role, disabled=False,
                                               password_hash=password_hash, created_at=_now()))
        if actor is not None:
            _audit(connection, actor, "admin.create_user", name, f"role {role}")


def ensure_user(engine: Engine, name: str, role: str, password: str) -> None:
    """The user as given, enabled: created, or its role and password set (for the built-in
    server's own demo accounts, never for a request)."""
    try:
        create_user(engine, name, role, password)
    except UserExists:
        reset_password(engine, name, password)
        set_role(engine, name, role)
        set_disabled(engine, name, False)


def _change_user(engine: Engine, name: str, values: dict[str, object], actor: str | None,
                 action: str, detail: str = "") -> None:
    """Change a user and revoke every token of theirs (their next request must sign in)."""
    with write_transaction(engine) as connection:
        changed = connection.execute(
            update(User).where(User.name == name)
            .values(token_version=User.token_version + 1, **values)).rowcount
        if not changed:
            raise LookupError(f"no user named {name}")
        connection.execute(update(RefreshToken).where(RefreshToken.user_name == name)
                           .values(revoked=True))
        if actor is not None:
            _audit(connection, actor, action, name, detail)
    _user_changes[0] += 1


def set_disabled(engine: Engine, name: str, disabled: bool, actor: str | None = None) -> None:
    _change_user(engine, name, {"disabled": disabled}, actor,
                 "admin.disable_user" if disabled else "admin.enable_user")


def reset_password(engine: Engine, name: str, password: str, actor: str | None = None) -> None:
    _check_password(password)
    _change_user(engine, name, {"password_hash": _hasher.hash(password)}, actor,
                 "admin.reset_password")


def set_role(engine: Engine, name: str, role: str, actor: str | None = None) -> None:
    _check_role(role)
    _change_user(engine, name, {"role": role}, actor, "admin.set_role", f"role {role}")


def list_users(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        rows = connection.execute(select(User.name, User.role, User.disabled).order_by(User.name))
        return [{"name": n, "role": r, "disabled": d} for n, r, d in rows]


def signing_key(engine: Engine) -> str:
    """The token signing key every instance shares; made on first use."""
    with write_transaction(engine) as connection:
        key = connection.execute(
            select(ServerSetting.value).where(ServerSetting.key == "token_key")).scalar()
        if key is None:
            key = secrets.token_urlsafe(48)
            connection.execute(insert(ServerSetting).values(key="token_key", value=key))
        return key


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    user: str
    role: str
    expires_in: int

    def as_dict(self) -> dict[str, object]:
        return {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "token_type": "bearer", "user": self.user, "role": self.role,
                "expires_in": self.expires_in}


class Authenticator:
    """Signs users in, renews tokens, and reads access tokens back into a ``Principal``."""

    def __init__(self, engine: Engine, key: str | None = None,
                 access_lifetime: timedelta = ACCESS_LIFETIME,
                 refresh_lifetime: timedelta = REFRESH_LIFETIME) -> None:
        """``key``: the signing key from the configuration; None uses the database's."""
        self._engine = engine
        self._key = key or signing_key(engine)
        self._access_lifetime, self._refresh_lifetime = access_lifetime, refresh_lifetime
        # name -> (when read, _user_changes then, the row): one entry per user who signed in
        # (tokens name only real users: they are signed with the server's key).
        self._recent_users: dict[str, tuple[float, int, Row[Any] | None]] = {}

    def sign_in(self, name: str, password: str) -> TokenPair:
        with self._engine.connect() as connection:
            user = connection.execute(select(User).where(User.name == name.strip())).first()
        # Unknown names cost a hash check too, so timing does not tell which names exist.
        stored = user.password_hash if user is not None else _decoy_hash()
        if not _verify(stored, password) or user is None or user.disabled:
            raise AuthError("wrong user name or password")
        with write_transaction(self._engine) as connection:
            return self._issue(connection, user.name, user.role, user.token_version,
                               secrets.token_hex(16))

    def refresh(self, refresh_token: str) -> TokenPair:
        digest = _digest(refresh_token)
        with write_transaction(self._engine) as connection:
            row = connection.execute(
                select(RefreshToken.user_name, RefreshToken.expires_at, RefreshToken.revoked,
                       RefreshToken.family, User.role, User.disabled, User.token_version)
                .join(User, User.name == RefreshToken.user_name)
                .where(RefreshToken.digest == digest)).first()
            usable = row is not None and not row.revoked and not row.disabled \
                and _aware(row.expires_at) >= _now()
            if usable:
                connection.execute(update(RefreshToken).where(RefreshToken.digest == digest)
                                   .values(revoked=True))
                return self._issue(connection, row.user_name, row.role, row.token_version,
                                   row.family or secrets.token_hex(16))
            if row is not None and row.revoked and row.family is not None:
                # Used before: whoever holds its successor may be a thief, or the thief is here.
                # The whole chain goes, and the access tokens issued from it (other sign-ins of
                # this user renew theirs without a word).
                connection.execute(update(RefreshToken)
                                   .where(RefreshToken.family == row.family)
                                   .values(revoked=True))
                connection.execute(update(User).where(User.name == row.user_name)
                                   .values(token_version=User.token_version + 1))
        _user_changes[0] += 1
        raise AuthError("this sign-in has expired; sign in again")

    def sign_out(self, refresh_token: str) -> None:
        with write_transaction(self._engine) as connection:
            connection.execute(update(RefreshToken)
                               .where(RefreshToken.digest == _digest(refresh_token))
                               .values(revoked=True))

    def principal(self, access_token: str) -> Principal:
        try:
            claims = jwt.decode(access_token, self._key, algorithms=[_ALGORITHM],
                                options={"require": ["exp", "sub", "role", "ver"]})
        except jwt.ExpiredSignatureError:
            raise AuthError("access token expired") from None
        except jwt.PyJWTError:
            raise AuthError("not a valid access token") from None
        if claims.get("typ") != "access" or claims["role"] not in ROLES:
            raise AuthError("not a valid access token")
        user = self._current_user(claims["sub"])
        if user is None or user.disabled or user.token_version != claims["ver"] \
                or user.role != claims["role"]:
            raise AuthError("this sign-in was revoked; sign in again")
        return Principal(claims["sub"], claims["role"])

    def _current_user(self, name: str) -> Row[Any] | None:
        """The user's role, state and token version, read at most ``RECHECK`` ago.

        Read on every request, this doubled the database round trips of the busiest calls. A
        change made through this process forgets what was read at once; one made through
        another instance (or the command line) is seen here within ``RECHECK``.
        """
        now, changes = time.monotonic(), _user_changes[0]
        known = self._recent_users.get(name)
        if known is not None and known[1] == changes and now - known[0] < RECHECK.total_seconds():
            return known[2]
        with self._engine.connect() as connection:
            user = connection.execute(_CURRENT_USER, {"name": name}).first()
        self._recent_users[name] = (now, changes, user)
        return user

    def _issue(self, connection: Connection, name: str, role: str, version: int,
               family: str) -> TokenPair:
        now = _now()
        access = jwt.encode({"sub": name, "role": role, "ver": version, "typ": "access",
                             "iat": now, "exp": now + self._access_lifetime}, self._key,
                            algorithm=_ALGORITHM)
        refresh = secrets.token_urlsafe(32)
        connection.execute(insert(RefreshToken).values(
            digest=_digest(refresh), user_name=name, expires_at=now + self._refresh_lifetime,
            revoked=False, family=family))
        return TokenPair(access, refresh, name, role,
                         int(self._access_lifetime.total_seconds()))


_CURRENT_USER = select(User.role, User.disabled, User.token_version).where(
    User.name == bindparam("name"))
# Raised by every change to a user made in this process: what any ``Authenticator`` here read
# before is then read again.
_user_changes = [0]


@cache
def _decoy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
