"""Sign-in throttling: failed attempts counted per account and per client address, and a cap on
password hashes computed at once.

Counting uses the ``limits`` library's moving windows. The tiers grow: a few failures cost a
minute's wait, more cost a quarter of an hour, more still an hour — so guessing a password is
slow, while a specialist who mistypes twice is never held up. A sign-in that works clears its
account's count. The counts live in this process (``memory://``); several server instances
share them through any storage ``limits`` knows (``HOTLINE_RATE_LIMIT_STORAGE=redis://…``).

An argon2 hash takes tens of MB for a fraction of a second, on purpose. A burst of sign-ins
would otherwise take that memory and every core at once; here at most ``HASH_SLOTS`` run
together, the rest wait a few seconds for a turn and are then told to come back (503). Hashes
run in threads of their own at a lower CPU priority (argon2's worker threads inherit it), so
that the server keeps answering everything else promptly while it checks passwords.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

STORAGE_ENV = "HOTLINE_RATE_LIMIT_STORAGE"
HASH_SLOTS_ENV = "HOTLINE_SIGN_IN_HASHES"
# Failed sign-ins allowed per window before the next attempt must wait.
ACCOUNT_LIMITS = parse_many("5/minute; 15/15 minutes; 30/hour")
# Per client address: a whole office behind one address signs in at a shift change.
ADDRESS_LIMITS = parse_many("30/minute; 120/hour")
HASH_SLOTS = 1
HASH_WAIT_SECONDS = 5.0
HASH_NICENESS = 10
Result = TypeVar("Result")


class TryLater(Exception):
    """Sign-in refused for now: too many failures (429) or the server too busy hashing (503);
    ``retry_after`` says in how many seconds to try again."""

    def __init__(self, status: int, retry_after: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class SignInThrottle:
    def __init__(self, storage_uri: str | None = None, hash_slots: int | None = None) -> None:
        uri = storage_uri or os.environ.get(STORAGE_ENV) or "memory://"
        self._limiter = MovingWindowRateLimiter(storage_from_string(uri))
        self._slots = hash_slots or int(os.environ.get(HASH_SLOTS_ENV) or HASH_SLOTS)
        self._hashing: asyncio.Semaphore | None = None
        self._pool = ThreadPoolExecutor(self._slots, thread_name_prefix="password-hash",
                                        initializer=_lower_priority)

    def check(self, account: str, address: str) -> None:
        """Raise ``TryLater`` if this account or address must wait before trying."""
        wait = max(self._wait(ADDRESS_LIMITS, "address", address),
                   self._wait(ACCOUNT_LIMITS, "account", _account_key(account)))
        if wait:
            minutes = f"{math.ceil(wait / 60)} minute(s)" if wait > 90 else f"{wait} seconds"
            raise TryLater(429, wait, f"too many failed sign-ins; try again in {minutes}")

    def failed(self, account: str, address: str) -> None:
        for item in ADDRESS_LIMITS:
            self._limiter.hit(item, "address", address)
        for item in ACCOUNT_LIMITS:
            self._limiter.hit(item, "account", _account_key(account))

    def succeeded(self, account: str) -> None:
        for item in ACCOUNT_LIMITS:
            self._limiter.clear(item, "account", _account_key(account))

    @asynccontextmanager
    async def hashing_slot(self) -> AsyncIterator[None]:
        """A turn to compute a password hash; ``TryLater`` if none frees up soon."""
        if self._hashing is None:
            self._hashing = asyncio.Semaphore(self._slots)
        try:
            await asyncio.wait_for(self._hashing.acquire(), HASH_WAIT_SECONDS)
        except TimeoutError:
            raise TryLater(503, 2, "the server is busy signing people in; try again in a "
                                     "moment") from None
        try:
            yield
        finally:
            self._hashing.release()

    async def run(self, work: Callable[..., Result], *args: object) -> Result:
        """``work(*args)`` in a low-priority hashing thread (inside ``hashing_slot``)."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)

    def _wait(self, items: list[RateLimitItem], scope: str, key: str) -> int:
        now = time.time()
        wait = 0.0
        for item in items:
            if not self._limiter.test(item, scope, key):
                reset = self._limiter.get_window_stats(item, scope, key).reset_time
                wait = max(wait, reset - now)
        return math.ceil(wait) if wait > 0 else 0


def _lower_priority() -> None:
    # Linux: a thread's own niceness, inherited by the threads it starts. Elsewhere hashes run
    # at normal priority; the cap on them still holds.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)


def _account_key(name: str) -> str:
    return name.strip().casefold()
