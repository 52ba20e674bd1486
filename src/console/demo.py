"""The demo accounts of the server built into a workstation that has no central server."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from console.security.files import write_private

DEMO_SPECIALIST = "demo.specialist"
DEMO_SUPERVISOR = "demo.supervisor"
DEMO_ROLES = {DEMO_SPECIALIST: "specialist", DEMO_SUPERVISOR: "supervisor"}

# The demo accounts' passwords: random, made once per workstation, in an owner-only file of the
# data folder. They protect nothing real — the built-in server is a demonstration on loopback —
# but they also open the demo people's case stores, so the file is private like every other.
USERS_FILE = "embedded-users.json"


def stored_demo_passwords(home: Path) -> dict[str, str] | None:
    """The demo users' passwords from the users file; None when it is missing or damaged."""
    try:
        stored = json.loads((home / USERS_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict):
        return None
    if not all(isinstance(stored.get(name), str) and len(stored[name]) >= 8
               for name in DEMO_ROLES):
        return None
    return {name: stored[name] for name in DEMO_ROLES}


def demo_password(home: Path, user: str) -> str:
    """The password of demo account ``user``, made (for both accounts) when there is none; the
    built-in server gives its accounts these passwords when it starts."""
    passwords = stored_demo_passwords(home)
    if passwords is None:
        passwords = {name: secrets.token_urlsafe(24) for name in DEMO_ROLES}
        write_private(home / USERS_FILE, json.dumps(passwords, indent=2))
    return passwords[user]
