"""The words of the search index: completions as a word is typed, and near-miss spelling.

"imigration" is not in the index, "immigration" is one edit away. Distances are optimal string
alignment (a swapped pair of letters is one edit), computed by rapidfuzz. Completions are whole
indexed words, most common first: FTS5 answers a few exact words far faster than a prefix query,
which must merge the lists of every word that shares the prefix.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict

from rapidfuzz import process
from rapidfuzz.distance import OSA

MIN_LENGTH = 4
MAX_SUGGESTIONS = 3
MAX_COMPLETIONS = 8


def allowed_edits(word: str) -> int:
    return 1 if len(word) < 9 else 2


class Spelling:
    """The indexed words with how many services use each."""

    def __init__(self, counts: dict[str, int]) -> None:
        self._counts = counts
        self._words = sorted(counts)
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word in self._words:
            self._by_length[len(word)].append(word)
        self._prefixes: dict[int, list[str]] = {}

    def is_word(self, word: str) -> bool:
        return word in self._counts

    def documents(self, word: str) -> int:
        """How many services use ``word`` (0 for a word the index does not have)."""
        return self._counts.get(word, 0)

    def completions(self, prefix: str, limit: int = MAX_COMPLETIONS) -> list[str]:
        """Indexed words that start with ``prefix``, the most used first."""
        start = bisect_left(self._words, prefix)
        found = []
        for word in self._words[start:]:
            if not word.startswith(prefix):
                break
            found.append(word)
        found.sort(key=lambda w: (-self._counts[w], w))
        return found[:limit]

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
                                limit=MAX_SUGGESTIONS * 3)
        # Nearest first; among equally near, the word more services use.
        ranked = sorted(found, key=lambda m: (m[1], -self._prefix_count(m[0], as_prefix)))
        return [match for match, _distance, _index in ranked[:MAX_SUGGESTIONS]]

    def _prefix_count(self, text: str, as_prefix: bool) -> int:
        if not as_prefix:
            return self._counts.get(text, 0)
        return sum(self._counts[w] for w in self.completions(text, limit=1))

    def _prefixes_of(self, length: int) -> list[str]:
        if length not in self._prefixes:
            self._prefixes[length] = sorted({w[:length] for w in self._words if len(w) >= length})
        return self._prefixes[length]
