"""The fixed text of printed documents and of the case on screen, in each language the hotline
prints in (``resources/translations/print.json``).

Kept apart from the layout code so the screen can word a case without loading reportlab.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from console.printing import PrintError
from console.settings import resources_dir

LANGUAGES = ("en", "es")


def translations_path() -> Path:
    return resources_dir() / "translations" / "print.json"


def load_texts(path: Path) -> dict[str, dict[str, str]]:
    """Read and validate a translations file: every language of LANGUAGES present, flat objects of
    non-empty strings, the same keys in every language and the same {placeholders} in each text."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise PrintError(f"{path.name}: cannot be read: {error}") from error
    if not isinstance(data, dict):
        raise PrintError(f"{path.name}: expected an object of languages")
    for language in LANGUAGES:
        _check_language(path.name, language, data.get(language))
    reference = data[LANGUAGES[0]]
    for language in LANGUAGES[1:]:
        _check_same_keys(path.name, LANGUAGES[0], reference, language, data[language])
    return {language: dict(data[language]) for language in LANGUAGES}


def _check_language(file_name: str, language: str, table: Any) -> None:
    if not isinstance(table, dict):
        raise PrintError(f"{file_name}: language {language!r} is missing or not an object")
    for key, text in table.items():
        if not isinstance(text, str) or not text.strip():
            raise PrintError(f"{file_name}: {language}.{key} must be non-empty text")


def _check_same_keys(file_name: str, base_language: str, base: dict[str, str], language: str,
                     table: dict[str, str]) -> None:
    for key in sorted(base.keys() - table.keys()):
        raise PrintError(f"{file_name}: key {key!r} is missing in {language!r}")
    for key in sorted(table.keys() - base.keys()):
        raise PrintError(f"{file_name}: key {key!r} is missing in {base_language!r}")
    for key, text in base.items():
        if _placeholders(text) != _placeholders(table[key]):
            raise PrintError(f"{file_name}: {language}.{key} must use the same placeholders as "
                             f"{base_language}.{key}")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@cache
def _all_texts() -> dict[str, dict[str, str]]:
    return load_texts(translations_path())


def texts(language: str) -> Mapping[str, str]:
    """The fixed text of printed documents in ``language`` ("en" or "es"). An unknown language is
    a PrintError rather than a bare KeyError, so callers report it like any other bad option."""
    if language not in LANGUAGES:
        raise PrintError(f"unknown print language {language!r} (choose {', '.join(LANGUAGES)})")
    return MappingProxyType(_all_texts()[language])
