"""Tokens of upstream Symbiont's dialect (a superset of ours at the lexical level).

Upstream strings may span lines; numbers take `_` separators; durations (`30s`, `3months`,
`60.seconds`) are one token; comments are `//` and `#` to the end of the line. `/* … */` is one token so
that the parser can say, once, that it is not a comment here (upstream rejects it too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = "milliseconds|seconds|minutes|hours|days|weeks|months|years"
_PATTERN = re.compile(
    rf"""
    (?P<WS>[ \t\f\r\n]+)
    |(?P<COMMENT>(?://|\#)[^\n]*)
    |(?P<BLOCKCOMMENT>/\*[\s\S]*?(?:\*/|\Z))
    |(?P<TRIPLE>\"\"\"[\s\S]*?\"\"\")
    |(?P<STRING>"(?:[^"\\]|\\[\s\S])*")
    |(?P<UNTERMINATED>")
    |(?P<VAULT>vault://[^\s,;()\[\]{{}}]*)
    |(?P<DURATION>[0-9][0-9_]*\.(?:{_UNITS})\b|[0-9][0-9_]*(?:\.[0-9]+)?(?:months|ms|s|m|h|d|w|y)\b)
    |(?P<NUMBER>[0-9][0-9_]*(?:\.[0-9]+)?)
    |(?P<IDENT>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<OP>->|=>|==|!=|<=|>=|&&|\|\||\+=|-=|\*=|/=|::|[-+*/%<>!=.;,:()\[\]{{}}&|?@$^~])
    |(?P<BAD>[\s\S])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its type (`IDENT`, `STRING`, `OP`, …), text and source offsets (end exclusive)."""

    type: str
    text: str
    start: int
    end: int

    def is_op(self, text: str) -> bool:
        return self.type == "OP" and self.text == text


def tokenize(text: str, start: int = 0, end: int | None = None) -> tuple[list[Token], list[Token]]:
    """The significant tokens of `text[start:end]` and, separately, its comments."""
    stop = len(text) if end is None else end
    tokens: list[Token] = []
    comments: list[Token] = []
    for m in _PATTERN.finditer(text, start, stop):
        kind = m.lastgroup or "BAD"
        if kind == "WS":
            continue
        tok = Token(kind, m.group(), m.start(), m.end())
        if kind == "COMMENT":
            comments.append(tok)
        else:
            tokens.append(tok)
    return tokens, comments
