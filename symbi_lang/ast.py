"""The typed, frozen syntax tree of a `.symbi` file. Every node carries a `Span`.

The tree is generic over the language's shape (blocks of `name: value` fields and nested blocks);
which fields a `schedule` or `agent` may hold is the business of `symbi_lang.schema` and the checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from symbi_lang.span import Span

if TYPE_CHECKING:  # upstream nodes live in their own module: a file of our dialect never creates them
    from symbi_lang.upstream.nodes import UpstreamItem


@dataclass(frozen=True, slots=True)
class StringValue:
    """A string literal; `value` is unescaped (and dedented for triple-quoted strings).

    `${VAR}` references are kept verbatim in `value`: they are resolved at execution time.
    `content_offset` is the source offset of the first character inside the quotes, and
    `verbatim` says whether `value` maps one-to-one onto the source text from there (no escapes,
    no dedent), so that checks can point inside the string.
    """

    span: Span
    value: str
    raw: str
    triple: bool = False
    content_offset: int = 0
    verbatim: bool = True


@dataclass(frozen=True, slots=True)
class NumberValue:
    """An integer or decimal literal."""

    span: Span
    value: int | float
    raw: str


@dataclass(frozen=True, slots=True)
class BoolValue:
    """`true` or `false`."""

    span: Span
    value: bool


@dataclass(frozen=True, slots=True)
class IdentValue:
    """A bare identifier used as a value (e.g. `session_mode: ephemeral_with_summary`)."""

    span: Span
    name: str


@dataclass(frozen=True, slots=True)
class ListValue:
    """`[a, b, c]`."""

    span: Span
    items: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class MapEntry:
    """`key: value` inside a map; `quoted` tells whether the key was written as a string."""

    span: Span
    key: str
    key_span: Span
    quoted: bool
    value: Value


@dataclass(frozen=True, slots=True)
class MapValue:
    """`{ key: value, "Key": value }` used as a value (e.g. `heartbeat: { … }`)."""

    span: Span
    entries: tuple[MapEntry, ...]

    def get(self, key: str) -> MapEntry | None:
        for e in self.entries:
            if e.key == key:
                return e
        return None


@dataclass(frozen=True, slots=True)
class ErrorValue:
    """Stands where the parser recovered from a missing or broken value; checks ignore it."""

    span: Span


Value = StringValue | NumberValue | BoolValue | IdentValue | ListValue | MapValue | ErrorValue


@dataclass(frozen=True, slots=True)
class Field:
    """`name: value` in a block body."""

    span: Span
    name: str
    name_span: Span
    value: Value


@dataclass(frozen=True, slots=True)
class Block:
    """`kind [label] { body }`: a top-level item (`schedule`, `agent`) or a nested block (`policy`).

    `recovered` is true when the parser had to skip or repair something inside this block, so that
    checks such as "missing required field" do not pile onto a syntax error.
    """

    span: Span
    kind: str
    kind_span: Span
    label: str | None
    label_span: Span | None
    body: tuple[Field | Block, ...]
    recovered: bool = False
    #: For a block derived from an upstream-dialect item (see `UpstreamItem`): that item. The block is
    #: what checks and lowering see; the formatter and the editor show the item as written.
    origin: UpstreamItem | None = field(default=None, compare=False, repr=False)

    @property
    def fields(self) -> Iterator[Field]:
        return (e for e in self.body if isinstance(e, Field))

    @property
    def blocks(self) -> Iterator[Block]:
        return (e for e in self.body if isinstance(e, Block))

    def field(self, name: str) -> Field | None:
        """The first field called `name`, if any."""
        for e in self.body:
            if isinstance(e, Field) and e.name == name:
                return e
        return None

    def block(self, kind: str) -> Block | None:
        """The first nested block of `kind`, if any."""
        for e in self.body:
            if isinstance(e, Block) and e.kind == kind:
                return e
        return None

    def entry(self, name: str) -> Field | Block | None:
        """The first field or nested block called `name`."""
        for e in self.body:
            if (e.name if isinstance(e, Field) else e.kind) == name:
                return e
        return None


@dataclass(frozen=True, slots=True)
class Comment:
    """A `#` or `//` comment, kept for the formatter."""

    span: Span
    text: str


@dataclass(frozen=True, slots=True)
class Module:
    """A whole `.symbi` file."""

    path: str
    items: tuple[Block, ...]
    comments: tuple[Comment, ...] = field(default=())
    text: str = field(default="", repr=False, compare=False)
    #: Upstream-dialect items in file order (`metadata`, `function`, upstream `agent`/`schedule`, …).
    #: Upstream schedules and agents also appear in `items` as derived blocks (`Block.origin`).
    upstream: tuple[UpstreamItem, ...] = field(default=(), repr=False)

    @property
    def schedules(self) -> list[Block]:
        return [b for b in self.items if b.kind == "schedule"]

    @property
    def agents(self) -> list[Block]:
        return [b for b in self.items if b.kind == "agent"]


def value_text(value: Value) -> str | None:
    """The textual content of a string or identifier value, else None."""
    if isinstance(value, StringValue):
        return value.value
    if isinstance(value, IdentValue):
        return value.name
    return None
