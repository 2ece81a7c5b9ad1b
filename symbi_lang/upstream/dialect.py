"""Which top-level items of a file are written in upstream Symbiont's dialect.

The rule (also in the README and in the SYM021 help):

- `metadata`, `type`, `function`, `channel`, `memory`, `webhook` exist only upstream, and so does a
  named `policy NAME {` whose body is empty or starts with a rule (`allow:`, `deny:`, `require:`,
  `audit:`) or `conditions:`; another top-level `policy` stays our unknown block (SYM101).
- `agent NAME` is upstream when its header has parameters or a return type (`agent a(x: T) -> R {`) or
  its body has `with`, `function`, such a `policy NAME {`, `capabilities =` or capabilities written as
  bare names (`capabilities: [read, write]`).
- `schedule NAME {` is upstream when it uses `=`, an upstream-only key (`deliver`, `audit`, a scalar
  `policy`) or, in a block with nothing only ours has (no `name:`, list, map or nested block), a bare
  identifier as the value of `agent`, `cron`, `at` or `timezone` (`agent: reporter`). `one_shot` is a
  key of both dialects: it marks the block upstream only when the block has no `agent` (upstream then
  runs the agent named like the schedule; ours requires `agent`), no key that only our dialect knows
  (`description`, `input`, …) and nothing else only ours has. Otherwise our rules apply unchanged.

Items are found on upstream tokens by bracket matching; a top-level keyword at column 1 inside an open
item ends it (the item was never closed), as our parser does.
"""

from __future__ import annotations

from dataclasses import dataclass

from symbi_lang.ast import IdentValue
from symbi_lang.upstream.hints import (
    _BARE_WORD_KEYS,
    _OURS_ONLY_KEYS,
    _RULE_STARTS,
    HINT_FIELDS,
    HINT_KINDS,
    RULE_ACTIONS,
    UPSTREAM_ONLY_KINDS,
    UPSTREAM_SCHEDULE_KEYS,
    needs_upstream,
    upstream_field_hint,
)
from symbi_lang.upstream.lexer import Token
from symbi_lang.upstream.nodes import UpstreamItem

__all__ = [
    "DIALECT_RULE",
    "HINT_FIELDS",
    "HINT_KINDS",
    "RULE_ACTIONS",
    "TOP_LEVEL_WORDS",
    "UPSTREAM_ONLY_KINDS",
    "UPSTREAM_SCHEDULE_KEYS",
    "Segment",
    "dialect_reason",
    "needs_upstream",
    "segments",
    "upstream_field_hint",
]

#: Every top-level keyword of either dialect (a column-1 one inside an open item closes that item).
TOP_LEVEL_WORDS = frozenset({"schedule", "agent", "policy", *UPSTREAM_ONLY_KINDS})
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = frozenset(_OPEN.values())

DIALECT_RULE = (
    "a `schedule NAME {` is read in upstream Symbiont's dialect when it uses `=`, an upstream-only key "
    "(`deliver`, `audit`, a scalar `policy`) or, when nothing in it is ours only (`name:`, "
    "a list, a map, a nested block), a bare identifier as the value of `agent`, `cron`, `at` or "
    "`timezone`, or `one_shot` in a block without `agent` and without keys only ours knows "
    "(`description`, `input`, …); otherwise our rules apply"
)


@dataclass(frozen=True, slots=True)
class Segment:
    """Top-level item tokens `tokens[first:stop]`; `upstream` says which parser reads it."""

    first: int
    stop: int
    upstream: bool
    #: why an upstream schedule is upstream (for SYM021), e.g. "it uses `=`"
    reason: str = ""


def _token_rules(tokens: list[Token], brace: int, stop: int) -> bool:
    """`{` at `brace` opens an empty body or one that starts with a rule."""
    if brace + 1 >= stop or not tokens[brace].is_op("{"):
        return False
    first = tokens[brace + 1]
    if first.is_op("}"):
        return True
    return (
        first.type == "IDENT"
        and first.text in _RULE_STARTS
        and brace + 2 < stop
        and tokens[brace + 2].is_op(":")
    )


def segments(tokens: list[Token], text: str) -> list[Segment]:
    """Split the file's tokens into top-level items and decide the dialect of each."""
    out: list[Segment] = []
    i, n = 0, len(tokens)
    while i < n:
        stop = _item_end(tokens, text, i)
        upstream, reason = _classify(tokens, i, stop)
        out.append(Segment(i, stop, upstream, reason))
        i = stop
    return out


def _at_column_one(tok: Token, text: str) -> bool:
    return tok.start == 0 or text[tok.start - 1] == "\n"


def _item_end(tokens: list[Token], text: str, first: int) -> int:
    """The index after the item starting at `first`: its outermost `{…}` closed, or the next top-level
    keyword at column 1."""
    depth = 0
    opened = False
    j = first
    n = len(tokens)
    if tokens[first].type == "BLOCKCOMMENT":
        return first + 1
    while j < n:
        tok = tokens[j]
        if j > first and tok.type == "IDENT" and tok.text in TOP_LEVEL_WORDS and _at_column_one(tok, text):
            nxt = tokens[j + 1] if j + 1 < n else None
            if nxt is not None and (nxt.type == "IDENT" or nxt.is_op("{")):
                return j
        if tok.type == "OP":
            if tok.text in _OPEN:
                depth += 1
                opened = opened or tok.text == "{"
            elif tok.text in _CLOSE:
                depth -= 1
                if depth <= 0 and opened and tok.text == "}":
                    # a `,` after a block belongs to it (both dialects allow one)
                    return j + 2 if j + 1 < n and tokens[j + 1].is_op(",") else j + 1
                depth = max(depth, 0)
        j += 1
    return n


def _classify(tokens: list[Token], first: int, stop: int) -> tuple[bool, str]:
    head = tokens[first]
    if head.type == "BLOCKCOMMENT":
        return True, ""  # the upstream reader says what it is (SYM023) instead of our parser's many errors
    if head.type != "IDENT":
        return False, ""
    kind = head.text
    label = tokens[first + 1] if first + 1 < stop else None
    if kind in UPSTREAM_ONLY_KINDS:
        return True, ""
    if label is None or label.type != "IDENT":
        return False, ""
    after = tokens[first + 2] if first + 2 < stop else None
    if kind == "policy":
        return _token_rules(tokens, first + 2, stop), ""
    if kind == "agent":
        if after is not None and (after.is_op("(") or after.is_op("->")):
            return True, ""
        return _agent_body_signal(tokens, first + 2, stop), ""
    if kind == "schedule" and after is not None and after.is_op("{"):
        reason = _schedule_signal(tokens, first + 2, stop)
        return bool(reason), reason
    return False, ""


def _depth_one(tokens: list[Token], brace: int, stop: int) -> list[int]:
    """Indexes of the tokens directly inside the `{` at `brace`."""
    out: list[int] = []
    depth = 0
    for j in range(brace, stop):
        tok = tokens[j]
        if tok.type == "OP" and tok.text in _OPEN:
            depth += 1
            if depth == 2:
                out.append(j)
            continue
        if tok.type == "OP" and tok.text in _CLOSE:
            depth -= 1
            if depth <= 0:
                break
            continue
        if depth == 1:
            out.append(j)
    return out


def _agent_body_signal(tokens: list[Token], brace: int, stop: int) -> bool:
    if brace >= stop or not tokens[brace].is_op("{"):
        return False
    for j in _depth_one(tokens, brace, stop):
        tok = tokens[j]
        if tok.type != "IDENT" or j + 1 >= stop:
            continue
        nxt = tokens[j + 1]
        if tok.text in ("with", "function"):
            return True
        if tok.text == "policy" and nxt.type == "IDENT" and _token_rules(tokens, j + 2, stop):
            return True
        if tok.text == "capabilities" and nxt.is_op("="):
            return True
        if (
            tok.text == "capabilities"
            and nxt.is_op(":")
            and j + 3 < stop
            and tokens[j + 2].is_op("[")
            and tokens[j + 3].type == "IDENT"
        ):
            return True
    return False


def _schedule_signal(tokens: list[Token], brace: int, stop: int) -> str:
    """Why this schedule body is upstream dialect ("" when it is ours)."""
    inner = _depth_one(tokens, brace, stop)
    bare_word = one_shot = ""
    ours = seed_key = False
    for k, j in enumerate(inner):
        tok = tokens[j]
        if tok.type != "IDENT" or j + 2 >= stop:
            continue
        if k > 0 and tokens[inner[k - 1]].type == "OP" and tokens[inner[k - 1]].text in (":", "="):
            continue  # a value, not a key
        sep, value = tokens[j + 1], tokens[j + 2]
        if sep.is_op("{"):
            ours = True  # a nested block
            continue
        if sep.is_op("="):
            return f"it uses `=` (`{tok.text} =`)"
        if not sep.is_op(":"):
            continue
        if tok.text in UPSTREAM_SCHEDULE_KEYS:
            return f"it has the upstream-only key `{tok.text}`"
        if tok.text == "policy" and not value.is_op("{") and not value.is_op("["):
            return "it has a scalar `policy` (a policy id)"
        if value.type == "IDENT" and value.text not in ("true", "false") and tok.text in _BARE_WORD_KEYS:
            bare_word = bare_word or f"it has a bare identifier value (`{tok.text}: {value.text}`)"
        if tok.text == "one_shot":
            one_shot = _ONE_SHOT_REASON
        seed_key = seed_key or tok.text in _OURS_ONLY_KEYS or tok.text == "agent"
        if tok.text == "name" or value.is_op("{") or value.is_op("["):
            ours = True
    if ours:
        return ""
    return bare_word or ("" if seed_key else one_shot)


_ONE_SHOT_REASON = "it has `one_shot` and no `agent` (upstream runs the agent named like the schedule)"


def dialect_reason(item: UpstreamItem) -> str:
    """Why a parsed upstream schedule is upstream dialect, in words (for SYM022)."""
    for e in item.entries:
        if e.separator == "=":
            return f"it uses `=` (`{e.key} =`)"
    for e in item.entries:
        if e.key in UPSTREAM_SCHEDULE_KEYS:
            return f"it has the upstream-only key `{e.key}`"
        if e.key == "policy":
            return "it has a scalar `policy` (a policy id)"
    for e in item.entries:
        if isinstance(e.value, IdentValue) and e.key in _BARE_WORD_KEYS:
            return f"it has a bare identifier value (`{e.key}: {e.value.name}`)"
    if item.last("one_shot") is not None and item.last("agent") is None:
        return _ONE_SHOT_REASON
    return "it is written in upstream Symbiont's dialect"
