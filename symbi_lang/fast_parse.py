"""A clean file's parse without importing Lark: the same LALR(1) tables, lexer order and tree shape.

Importing Lark and loading its cached parser costs about 30 ms, a third of `symbi check`'s start-up
on a small file, and Lark's per-token loop dominates checking a big one. This driver reads the tables
Lark built for `grammar/symbi.lark` (generated into `symbi_lang/parse_tables.py`), lexes with the
same patterns in the same order, retypes keywords where Lark's contextual lexer would, and calls the
same builder callbacks with the same children. Anything it does not handle exactly as Lark would (an
unknown character, a token the state does not accept, the end of input in the wrong place) makes it
give up, and the caller parses with Lark: errors, recovery and upstream items stay Lark's business.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

from symbi_lang.parse_tables import ACTIONS, END_STATE, IGNORE, KEYWORDS, RULES, START_STATE, TERMINALS

_SCANNER = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in TERMINALS))
_IGNORED = frozenset(IGNORE)


class GiveUp(Enum):
    """Why `parse_clean` returned no value: whether Lark's parse of the same text is known to fail.

    A character no terminal matches, or a token no action accepts, is a syntax error for Lark too:
    its contextual lexer tries a subset of the same patterns in the same order, and the one overlap
    that subset could resolve differently (a map key `""` where `\"\"\"` starts) is itself followed
    by a `"` where only `:` may stand. The parser then need not run Lark's loop only to see it fail.
    """

    SYNTAX_ERROR = "syntax error"  # Lark raises UnexpectedInput on this text
    UNSURE = "unsure"  # ask Lark


class Token(str):
    """A token with the attributes of `lark.Token` that the AST builder reads."""

    type: str
    start_pos: int
    line: int
    column: int
    end_line: int
    end_column: int
    end_pos: int


def _token(kind: str, value: str, pos: int, line: int, column: int, end_line: int, end_column: int) -> Token:
    tok = Token(value)
    tok.type = kind
    tok.start_pos = pos
    tok.line = line
    tok.column = column
    tok.end_line = end_line
    tok.end_column = end_column
    tok.end_pos = pos + len(value)
    return tok


class _Inline(list[Any]):
    """The children of a rule whose name starts with `_`: spliced into the parent's children (Lark's
    tree builder inlines such rules)."""


def _rule_plan(
    callbacks: Mapping[str, Callable[[list[Any]], Any]],
) -> list[tuple[str, int, tuple[int, ...], Callable[[list[Any]], Any] | None]]:
    """Per rule: origin, length, positions holding inlined children, and the callback (None: inline)."""
    plan = []
    for origin, expansion in RULES:
        spliced = tuple(i for i, sym in enumerate(expansion) if sym.startswith("_") and not sym.isupper())
        callback = None if origin.startswith("_") else callbacks[origin]
        plan.append((origin, len(expansion), spliced, callback))
    return plan


def parse_clean(
    text: str,
    callbacks: Mapping[str, Callable[[list[Any]], Any]],
    comment: Callable[[Token], object],
) -> Any:
    """The start rule's value for `text`, built by `callbacks` (rule name → function of the children
    list), with every comment token passed to `comment`; a `GiveUp` when Lark's own parse is needed."""
    plan = _rule_plan(callbacks)
    actions = ACTIONS
    keywords = KEYWORDS
    ignored = _IGNORED
    match = _SCANNER.match
    states: list[int] = [START_STATE]
    values: list[Any] = []
    pos, end, line, line_start = 0, len(text), 1, 0
    while True:
        if pos < end:
            m = match(text, pos)
            if m is None:
                return GiveUp.SYNTAX_ERROR
            kind: str = m.lastgroup  # type: ignore[assignment]
            value = m.group()
            column = pos - line_start + 1
            start_line = line
            if "\n" in value:
                line += value.count("\n")
                line_start = pos + value.rindex("\n") + 1
            if kind in ignored:
                if kind == "COMMENT":
                    comment(
                        _token(kind, value, pos, start_line, column, line, pos + len(value) - line_start + 1)
                    )
                pos += len(value)
                continue
            token = _token(kind, value, pos, start_line, column, line, pos + len(value) - line_start + 1)
            pos += len(value)
            row = actions[states[-1]]
            if kind == "IDENT" and value in keywords and keywords[value] in row:
                kind = token.type = keywords[value]
            tok: Token | None = token
        else:
            kind, tok = "$END", None
        while True:  # reduce as far as this token allows, then shift it
            action = actions[states[-1]].get(kind)
            if action is None:
                return GiveUp.SYNTAX_ERROR
            shift, arg = action
            if shift:
                if tok is None:
                    return GiveUp.UNSURE  # Lark never shifts the end of input; it would fail an assertion
                states.append(arg)
                values.append(tok)
                break
            origin, size, spliced, callback = plan[arg]
            if size:
                children = values[-size:]
                del states[-size:]
                del values[-size:]
            else:
                children = []
            if spliced:
                # A left-recursive list (`items: items item`) grows the inlined list it starts with,
                # in place: copying it on every item would make long lists quadratic.
                flat: list[Any] = children[0] if spliced[0] == 0 else []
                for i in range(1 if spliced[0] == 0 else 0, len(children)):
                    if i in spliced:
                        flat.extend(children[i])
                    else:
                        flat.append(children[i])
                children = flat
            goto = actions[states[-1]][origin][1]
            states.append(goto)
            if callback is None:
                values.append(children if type(children) is _Inline else _Inline(children))
            else:
                values.append(callback(list(children) if type(children) is _Inline else children))
            if kind == "$END" and goto == END_STATE:
                return values[-1]
