"""What the security tests share: a crisis call with answers no file may show in clear."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from keyring.backend import KeyringBackend

from console.app import Workstation

# Distinctive answers: any of them in the bytes of a file means the file leaks case data.
SECRETS = {
    "caller_name": "Zephyrine Quillfeather",
    "caller_phone": "(555) 013-7788",
    "safe_callback_number": "555-019-4242",
    "code_word": "marmalade-heron",
    "location_description": "blue motel behind Quokkaville truck stop",
    "what_is_happening": "Kept in the Xanthoria back room since spring",
}
SEARCHED_BYTES = [value.encode() for value in SECRETS.values()] + [
    b"Zephyrine", b"Quillfeather", b"0137788", b"0194242", b"marmalade", b"Quokkaville",
    b"Xanthoria", *(value.encode("utf-16-le") for value in ("Zephyrine", "marmalade"))]


def take_crisis_call(workstation: Workstation, note: str = "Caller hid the Xanthoria key"
                     ) -> str:
    """A crisis call with the distinctive answers and a note, finished; returns its case id."""
    desk = workstation.desk
    call = desk.start("crisis")
    call.answers.update(SECRETS)
    desk.save(call)
    workstation.cases.add_note(call.case_id, note)
    desk.finish(call)
    return call.case_id


def every_file(root: Path) -> Iterator[Path]:
    for folder, _folders, files in os.walk(root):
        for name in files:
            yield Path(folder, name)


def leaks(root: Path) -> list[tuple[str, str]]:
    """(file, what) for every distinctive answer found in clear in a file under ``root``."""
    found = []
    for path in every_file(root):
        data = path.read_bytes()
        found += [(str(path.relative_to(root)), needle.decode("latin-1"))
                  for needle in SEARCHED_BYTES if needle in data]
    return found


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps secrets in this process: the system keyring's interface,
    for the tests of keyring mode, without touching the keyring of whoever runs them."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)
