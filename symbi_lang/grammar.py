"""Locating and loading `symbi.lark`, the one grammar of the language.

The wheel ships the grammar inside the package (`symbi_lang/grammar/symbi.lark`); an editable
install reads the repository's `grammar/symbi.lark`.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent
_CANDIDATES = (_HERE / "grammar" / "symbi.lark", _HERE.parent / "grammar" / "symbi.lark")


def grammar_path() -> Path:
    """The path of the grammar file this installation uses."""
    for candidate in _CANDIDATES:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("symbi.lark not found next to symbi_lang (broken installation)")


def grammar_text() -> str:
    """The grammar source."""
    return grammar_path().read_text(encoding="utf-8")
