"""Users, roles, passwords and tokens.

Passwords are kept as argon2 hashes. Signing in returns a short-lived access token (a signed JWT
naming the user and role, checked without a database read) and a long-lived refresh token (random,
stored only as its SHA-256 digest, replaced on every use so a stolen one works at most once).
The signing key lives in the database, so every server instance behind a load balancer agrees.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, insert, select, update

from console.server.db import write_transaction
from console.server.models import RefreshToken, ServerSetting, User

ROLES = ("specialist", "supervisor", "admin")
ACCESS_LIFETIME = timedelta(minutes=15)
REFRESH_LIFETIME = timedelta(days=14)
_ALGORITHM = "HS256"
_hasher = PasswordHasher()


class AuthError(Exception):
    """Sign-in refused or a token not valid; the message is safe to show."""


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


def create_user(engine: Engine, name: str, role: str, password: str) -> None:
    """Add a user, or set the role and password of an existing one."""
    name = validate_user_name(name)
    if role not in ROLES:
        raise ValueError(f"role must be one of: {', '.join(ROLES)}")
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    values = {"role": role, "password_hash": _hasher.hash(password), "disabled": False}
    with write_transaction(engine) as connection:
        exists = connection.execute(select(User.name).where(User.name == name)).first()
        if exists:
            connection.execute(update(User).where(User.name == name).values(**values))
        else:
            connection.execute(insert(User).values(name=name, created_at=_now(), **values))


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

    def sign_in(self, name: str, password: str) -> TokenPair:
        with self._engine.connect() as connection:
            user = connection.execute(select(User).where(User.name == name.strip())).first()
        # Unknown names cost a hash check too, so timing does not tell which names exist.
        stored = user.password_hash if user is not None else _decoy_hash()
        if not _verify(stored, password) or user is None or user.disabled:
            raise AuthError("wrong user name or password")
        with write_transaction(self._engine) as connection:
            return self._issue(connection, user.name, user.role)

    def refresh(self, refresh_token: str) -> TokenPair:
        digest = _digest(refresh_token)
        with write_transaction(self._engine) as connection:
            row = connection.execute(
                select(RefreshToken.user_name, RefreshToken.expires_at, RefreshToken.revoked,
                       User.role, User.disabled)
                .join(User, User.name == RefreshToken.user_name)
                .where(RefreshToken.digest == digest)).first()
            if row is None or row.revoked or row.disabled or _aware(row.expires_at) < _now():
                raise AuthError("this sign-in has expired; sign in again")
            connection.execute(update(RefreshToken).where(RefreshToken.digest == digest)
                               .values(revoked=True))
            return self._issue(connection, row.user_name, row.role)

    def sign_out(self, refresh_token: str) -> None:
        with write_transaction(self._engine) as connection:
            connection.execute(update(RefreshToken)
                               .where(RefreshToken.digest == _digest(refresh_token))
                               .values(revoked=True))

    def principal(self, access_token: str) -> Principal:
        try:
            claims = jwt.decode(access_token, self._key, algorithms=[_ALGORITHM],
                                options={"require": ["exp", "sub", "role"]})
        except jwt.ExpiredSignatureError:
            raise AuthError("access token expired") from None
        except jwt.PyJWTError:
            raise AuthError("not a valid access token") from None
        if claims.get("typ") != "access" or claims["role"] not in ROLES:
            raise AuthError("not a valid access token")
        return Principal(claims["sub"], claims["role"])

    def _issue(self, connection: Connection, name: str, role: str) -> TokenPair:
        now = _now()
        access = jwt.encode({"sub": name, "role": role, "typ": "access", "iat": now,
                             "exp": now + self._access_lifetime}, self._key,
                            algorithm=_ALGORITHM)
        refresh = secrets.token_urlsafe(32)
        connection.execute(insert(RefreshToken).values(
            digest=_digest(refresh), user_name=name, expires_at=now + self._refresh_lifetime,
            revoked=False))
        return TokenPair(access, refresh, name, role,
                         int(self._access_lifetime.total_seconds()))


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
