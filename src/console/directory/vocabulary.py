"""The hotline's own taxonomies (service categories, populations, record flags) and languages.

They live in ``resources/taxonomy/hotline.json`` so the hotline can change them without a release.
Each term becomes an HSDS ``taxonomy_term`` with a stable UUID derived from its code, and records
carry them as HSDS ``attribute`` rows, so the facts round-trip through any HSDS 3.0 tool.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import langcodes

from console.settings import resources_dir

ID_NAMESPACE = uuid.UUID("5b0c6f3e-8a51-4c4e-9a55-3f1e1d7c0b11")
TAXONOMY_KINDS = ("category", "population", "flag")
OPEN_24H = "open-24h"
CONFIDENTIAL_ADDRESS = "confidential-address"


_NAMESPACE_BYTES = ID_NAMESPACE.bytes


def stable_uuid(*parts: str) -> str:
    """A UUID that is always the same for the same parts (ids for derived or legacy records).

    Exactly ``uuid.uuid5(ID_NAMESPACE, ":".join(parts))``, computed without building UUID
    objects: an import derives one for most of its rows.
    """
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + ":".join(parts).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def fold(text: str) -> str:
    """Lower case without accents: "Kreyòl" and "kreyol" are the same word to a specialist."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def whole_words(phrases: Any) -> re.Pattern[str] | None:
    """A pattern finding any of ``phrases`` as whole words (a plural "s"/"es" allowed), folded."""
    parts = sorted({re.escape(fold(p)) for p in phrases if p}, key=len, reverse=True)
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?:e?s)?(?!\w)")


@dataclass(frozen=True)
class Term:
    kind: str
    code: str
    name: str
    keywords: tuple[str, ...]
    # Words that rule the term out even where a keyword fits: "Animal Shelters" is no shelter.
    excludes: tuple[str, ...] = ()

    @cached_property
    def _keyword_patterns(self) -> list[tuple[int, re.Pattern[str]]]:
        return [(len(keyword), pattern) for keyword in (self.code, self.name, *self.keywords)
                if (pattern := whole_words([keyword])) is not None]

    @cached_property
    def _exclusion(self) -> re.Pattern[str] | None:
        return whole_words(self.excludes)

    def best_match(self, folded_text: str) -> int:
        """Length of the longest keyword found in ``folded_text`` as whole words (0: none)."""
        if self._exclusion is not None and self._exclusion.search(folded_text):
            return 0
        return max((length for length, pattern in self._keyword_patterns
                    if pattern.search(folded_text)), default=0)

    @property
    def id(self) -> str:
        return stable_uuid("hotline", self.kind, self.code)

    @property
    def taxonomy_id(self) -> str:
        return stable_uuid("hotline", self.kind)


@dataclass(frozen=True)
class Vocabulary:
    version: str
    taxonomies: dict[str, dict[str, str]]
    terms: dict[str, dict[str, Term]]  # kind -> code -> term
    languages: dict[str, str]  # ISO 639 code -> English name
    # Names specialists and exports use that the language registry does not ("Creole").
    language_aliases: dict[str, str] = field(default_factory=dict)

    @property
    def categories(self) -> dict[str, Term]:
        return self.terms["category"]

    @property
    def populations(self) -> dict[str, Term]:
        return self.terms["population"]

    @property
    def flags(self) -> dict[str, Term]:
        return self.terms["flag"]

    @cached_property
    def terms_by_id(self) -> dict[str, Term]:
        return {term.id: term for kind in self.terms.values() for term in kind.values()}

    @cached_property
    def term_ids(self) -> frozenset[str]:
        """Ids of the hotline's own taxonomies and terms: the same in every source."""
        return frozenset({*self.terms_by_id, *(stable_uuid("hotline", kind)
                                               for kind in self.taxonomies)})

    def classify(self, kind: str, text: str) -> str | None:
        """The code of the ``kind`` term a foreign taxonomy label or code best matches, if any.

        Legacy exports use their own taxonomies (e.g. AIRS/211 codes and names); a term whose
        code, name or keyword occurs in the label as whole words is read as that hotline term,
        unless one of the term's exclusions occurs too ("men" is not in "Mental"; "Animal
        Shelters" are no shelter). Longer keywords win, so "immigration legal" is not mistaken
        for plain "legal".
        """
        key = (kind, text)
        if key not in self._answers:
            self._answers[key] = _classify(self, kind, fold(text))
        return self._answers[key]

    def language_code(self, name_or_code: str) -> str | None:
        """ISO code for a language given by code, English name, own name or a common alias,
        in any case and with or without accents ("Creole", "Kreyòl", "Español", "es")."""
        key = ("language", name_or_code)
        if key not in self._answers:
            self._answers[key] = _language_code(self, name_or_code)
        return self._answers[key]

    @cached_property
    def _answers(self) -> dict[tuple[str, str], str | None]:
        """Answers already given: an import asks about the same few labels again and again."""
        return {}

    def language_name(self, code: str) -> str:
        """The English name of a language code, for codes the hotline list lacks too."""
        if code in self.languages:
            return self.languages[code]
        try:
            return str(langcodes.Language.get(code).display_name())
        except (ValueError, LookupError):
            return code

    def taxonomy_rows(self) -> dict[str, list[dict[str, Any]]]:
        """HSDS ``taxonomy`` and ``taxonomy_term`` rows for the hotline's own taxonomies."""
        taxonomies = [
            {"id": stable_uuid("hotline", kind), "name": info["name"],
             "description": info["description"], "version": self.version}
            for kind, info in self.taxonomies.items()
        ]
        terms = [
            {"id": term.id, "code": term.code, "name": term.name,
             "description": term.name + (": " + ", ".join(term.keywords) if term.keywords else ""),
             "taxonomy": self.taxonomies[kind]["name"], "taxonomy_id": term.taxonomy_id}
            for kind, by_code in self.terms.items()
            for term in by_code.values()
        ]
        return {"taxonomy": taxonomies, "taxonomy_term": terms}


def _classify(vocab: Vocabulary, kind: str, folded: str) -> str | None:
    best = max(((term.best_match(folded), term.code) for term in vocab.terms[kind].values()),
               default=(0, ""))
    return best[1] if best[0] else None


MAX_LANGUAGE_NAME = 60


def _language_code(vocab: Vocabulary, name_or_code: str) -> str | None:
    wanted = " ".join(fold(name_or_code).replace("-", " ").split())
    if not wanted:
        return None
    if wanted in vocab.language_aliases:
        return vocab.language_aliases[wanted]
    for code, name in vocab.languages.items():
        if wanted in (code, fold(name)):
            return code
    name = name_or_code.strip()
    # The registry's name index is a C trie that fails on control characters and the like:
    # only a plausible language name ("Kreyòl ayisyen", "Tiếng Việt") is looked up there.
    if len(name) <= MAX_LANGUAGE_NAME and all(ch.isalpha() or ch in " -'()" for ch in name):
        try:
            return str(langcodes.find(name).language)
        except LookupError:
            pass
    if 2 <= len(wanted) <= 3 and wanted.isalpha():
        try:
            tag = langcodes.Language.get(wanted)
        except ValueError:
            return None
        return str(tag.language) if tag.is_valid() else None
    return None


def load_vocabulary(path: Path) -> Vocabulary:
    data = json.loads(path.read_text(encoding="utf-8"))
    terms = {
        kind: {
            item["code"]: Term(kind, item["code"], item["name"], tuple(item.get("keywords", ())),
                               tuple(item.get("exclude", ())))
            for item in data[kind]
        }
        for kind in TAXONOMY_KINDS
    }
    return Vocabulary(data["version"], data["taxonomies"], terms, data["languages"],
                      {fold(alias): code for alias, code in data.get("language_aliases",
                                                                     {}).items()})


@cache
def vocabulary() -> Vocabulary:
    """The vocabulary shipped in ``resources/taxonomy/hotline.json``."""
    return load_vocabulary(resources_dir() / "taxonomy" / "hotline.json")
