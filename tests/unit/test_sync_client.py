"""The sync client's own rules: backoff, status text, and how it reads a page of changes."""

from __future__ import annotations

import random
from typing import Any

import pytest

from console.sync.api import BadReply
from console.sync.client import Backoff, SyncStatus, _directory_page

SERVICE = {"id": "s1", "organization_id": "o1", "name": "Safe Harbor", "status": "active"}


def page(changes: list[dict[str, Any]], cursor: int, more: bool = False) -> dict[str, Any]:
    return {"changes": changes, "cursor": cursor, "more": more}


def test_backoff_doubles_up_to_the_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(base=2, cap=60, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [2, 4, 8, 16, 32, 60, 60, 60]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    backoff.reset()
    assert 1 <= backoff.next_delay() <= 2


def test_status_summary_says_offline_and_what_waits() -> None:
    status = SyncStatus(online=False, pending=3, conflicts=1,
                        last_error="cannot reach http://server: ConnectError")
    text = status.summary()
    assert "offline" in text and "3 change(s) waiting" in text
    assert "1 conflict(s)" in text and "ConnectError" in text
    assert SyncStatus().summary().startswith("not synced yet")


def test_a_page_becomes_upserts_and_deletes() -> None:
    upserts, deletes, cursor, more = _directory_page(page([
        {"kind": "service", "id": "s1", "seq": 5, "deleted": False, "data": SERVICE},
        {"kind": "phone", "id": "p1", "seq": 7, "deleted": True, "data": None},
    ], cursor=7, more=True), after=4)
    assert upserts["service"]["s1"]["name"] == "Safe Harbor"
    assert upserts["service"]["s1"]["description"] is None  # every column, missing as None
    assert deletes == {"phone": ["p1"]}
    assert (cursor, more) == (7, True)


@pytest.mark.parametrize("bad", [
    {"changes": "nope", "cursor": 1, "more": False},
    page([], cursor=2, more="yes"),  # type: ignore[arg-type]
    page([], cursor=3),  # behind the cursor asked for
    page([{"kind": "secrets", "id": "x", "seq": 9, "deleted": False, "data": {"id": "x"}}], 9),
    page([{"kind": "service", "id": "s1", "seq": 9, "deleted": False, "data": None}], 9),
    page([{"kind": "service", "id": "s1", "seq": 9, "deleted": False,
           "data": {**SERVICE, "id": "other"}}], 9),
    page([{"kind": "service", "id": "s1", "seq": 9, "deleted": False, "data": SERVICE},
          {"kind": "service", "id": "s2", "seq": 8, "deleted": True, "data": None}], 9),
    page([{"kind": "service", "id": "s1", "seq": 9, "deleted": False, "data": SERVICE}], 12),
])
def test_a_page_the_console_cannot_trust_is_refused_whole(bad: dict[str, Any]) -> None:
    with pytest.raises(BadReply):
        _directory_page(bad, after=4)
