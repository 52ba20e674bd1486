"""Typo tolerance for directory search: the nearest indexed words to a word nobody indexed.

"imigration" is not in the index, "immigration" is one edit away. Distances are optimal string
alignment (a swapped pair of letters is one edit), computed by rapidfuzz.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict

from rapidfuzz import process
from rapidfuzz.distance import OSA

MIN_LENGTH = 4
MAX_SUGGESTIONS = 3


def allowed_edits(word: str) -> int:
    return 1 if len(word) < 9 else 2


class Spelling:
    """The words of the search index, for exact, prefix and near-miss lookups."""

    def __init__(self, words: list[str]) -> None:
        self._words = sorted(set(words))
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word in self._words:
            self._by_length[len(word)].append(word)
        self._prefixes: dict[int, list[str]] = {}

    def __len__(self) -> int:
        return len(self._words)

    def is_word(self, word: str) -> bool:
        at = bisect_left(self._words, word)
        return at < len(self._words) and self._words[at] == word

    def is_prefix(self, prefix: str) -> bool:
        at = bisect_left(self._words, prefix)
        return at < len(self._words) and self._words[at].startswith(prefix)

    def corrections(self, word: str, as_prefix: bool) -> list[str]:
        """Indexed words (or word beginnings, when ``as_prefix``) within a few edits of ``word``."""
        if len(word) < MIN_LENGTH:
            return []
        edits = allowed_edits(word)
        candidates: list[str] = []
        for length in range(len(word) - edits, len(word) + edits + 1):
            candidates.extend(self._prefixes_of(length) if as_prefix
                              else self._by_length.get(length, ()))
        found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=edits,
                                limit=MAX_SUGGESTIONS)
        return [match for match, _distance, _index in found]

    def _prefixes_of(self, length: int) -> list[str]:
        if length not in self._prefixes:
            self._prefixes[length] = sorted({w[:length] for w in self._words if len(w) >= length})
        return self._prefixes[length]
