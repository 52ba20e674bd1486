"""The hotline's own taxonomies (service categories, populations, record flags) and languages.

They live in ``resources/taxonomy/hotline.json`` so the hotline can change them without a release.
Each term becomes an HSDS ``taxonomy_term`` with a stable UUID derived from its code, and records
carry them as HSDS ``attribute`` rows, so the facts round-trip through any HSDS 3.0 tool.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from console.settings import resources_dir

ID_NAMESPACE = uuid.UUID("5b0c6f3e-8a51-4c4e-9a55-3f1e1d7c0b11")
TAXONOMY_KINDS = ("category", "population", "flag")
OPEN_24H = "open-24h"
CONFIDENTIAL_ADDRESS = "confidential-address"


def stable_uuid(*parts: str) -> str:
    """A UUID that is always the same for the same parts (ids for derived or legacy records)."""
    return str(uuid.uuid5(ID_NAMESPACE, ":".join(parts)))


@dataclass(frozen=True)
class Term:
    kind: str
    code: str
    name: str
    keywords: tuple[str, ...]

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
        code or name contains one of a hotline term's keywords is read as that hotline term.
        Longer keywords win, so "immigration legal" is not mistaken for plain "legal".
        """
        lowered = text.casefold()
        best: tuple[int, str] | None = None
        for term in self.terms[kind].values():
            for keyword in (term.code, term.name, *term.keywords):
                if keyword.casefold() in lowered and (best is None or len(keyword) > best[0]):
                    best = (len(keyword), term.code)
        return best[1] if best else None

    def language_code(self, name_or_code: str) -> str | None:
        """ISO code for a language given by code or English name (case-insensitive)."""
        wanted = name_or_code.strip().casefold()
        for code, name in self.languages.items():
            if wanted in (code, name.casefold()):
                return code
        return wanted if 2 <= len(wanted) <= 3 and wanted.isalpha() else None

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


def load_vocabulary(path: Path) -> Vocabulary:
    data = json.loads(path.read_text(encoding="utf-8"))
    terms = {
        kind: {
            item["code"]: Term(kind, item["code"], item["name"], tuple(item.get("keywords", ())))
            for item in data[kind]
        }
        for kind in TAXONOMY_KINDS
    }
    return Vocabulary(data["version"], data["taxonomies"], terms, data["languages"])


@cache
def vocabulary() -> Vocabulary:
    """The vocabulary shipped in ``resources/taxonomy/hotline.json``."""
    return load_vocabulary(resources_dir() / "taxonomy" / "hotline.json")
