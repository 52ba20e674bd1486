"""The notice of a newer console release: what counts as newer, and its words."""

import pytest

from console.sync.release import newer_release


@pytest.mark.parametrize(("announced", "running", "newer"), [
    ("0.2.0", "0.1.0", True),
    ("0.10.0", "0.9.0", True),  # numbers, not text
    ("0.1.0", "0.1.0", False),
    ("0.1.0", "0.2.0", False),  # a server behind this workstation: nothing to do
    ("1.0.0rc1", "0.9.0", True),
    ("0.2.0", "0.2.0rc1", True),
])
def test_only_a_later_version_is_announced(announced: str, running: str, newer: bool) -> None:
    notice = newer_release({"current": announced}, running)
    assert (notice is not None) is newer


@pytest.mark.parametrize("reply", [{}, {"current": None}, {"current": 2}, {"current": "soon"}])
def test_no_release_or_a_garbled_one_is_no_notice(reply: dict[str, object]) -> None:
    assert newer_release(reply, "0.1.0") is None


def test_the_notice_says_which_and_where() -> None:
    notice = newer_release({"current": "0.2.0", "download_url": "https://it.example.org/hc"},
                           "0.1.0")
    assert notice is not None
    assert notice.words() == "Update 0.2.0 available"
    assert "This console is 0.1.0" in notice.details()
    assert notice.details().endswith("\nhttps://it.example.org/hc")
