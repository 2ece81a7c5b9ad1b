"""The syntax-tree nodes of upstream Symbiont's dialect (`Module.upstream`, `Block.origin`).

Apart from `symbi_lang.ast` so that checking a file of our dialect does not create these classes at
start-up (each dataclass costs a fraction of a millisecond to build, and `symbi check` is run often).
"""

from __future__ import annotations

from dataclasses import dataclass

from symbi_lang.ast import Comment, Value
from symbi_lang.span import Span

__all__ = ["Opaque", "Param", "PolicyRule", "UpstreamEntry", "UpstreamItem"]


@dataclass(frozen=True, slots=True)
class Opaque:
    """Upstream source kept exactly as written: an expression, a type, a statement body, a duration.

    The scheduler gives these no meaning, so they are checked for balance and kept byte for byte.
    """

    span: Span
    text: str


@dataclass(frozen=True, slots=True)
class UpstreamEntry:
    """`key = value`, `key: value` or (in `memory`/`webhook`) `key value`; `separator` is `=`, `:` or ``."""

    span: Span
    key: str
    key_span: Span
    separator: str
    value: Value | Opaque


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """`allow: expr [if cond]` (also `deny`, `require`, `audit`): shown, never enforced by symbi."""

    span: Span
    action: str
    action_span: Span
    expr: Opaque
    condition: Opaque | None = None


@dataclass(frozen=True, slots=True)
class Param:
    """`name: Type` in an upstream agent or function header."""

    span: Span
    name: str
    name_span: Span
    type: Opaque


@dataclass(frozen=True, slots=True)
class UpstreamItem:
    """An item of upstream Symbiont's dialect, top-level or nested (`policy`, `function`, `with`, …).

    `entries` hold key/value pairs (metadata, schedule, channel, memory, webhook, `capabilities`, `with`
    attributes, struct fields of a `type`); `rules` the rules of a `policy`; `children` nested items;
    `body` a statement block or a type kept as written. `recovered` is true when a syntax error was found.
    """

    span: Span
    kind: str
    kind_span: Span
    label: str | None
    label_span: Span | None
    params: tuple[Param, ...] = ()
    returns: Opaque | None = None
    entries: tuple[UpstreamEntry, ...] = ()
    rules: tuple[PolicyRule, ...] = ()
    children: tuple[UpstreamItem, ...] = ()
    body: Opaque | None = None
    comments: tuple[Comment, ...] = ()
    recovered: bool = False

    def last(self, key: str) -> UpstreamEntry | None:
        """The last entry called `key` (upstream lets the last duplicate win)."""
        found = None
        for e in self.entries:
            if e.key == key:
                found = e
        return found
