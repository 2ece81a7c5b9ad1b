"""A uniform view of block bodies: a nested block (`policy { … }`) and a map value (`heartbeat: { … }`)
hold the same kind of entries, so checks and lowering treat both alike."""

from __future__ import annotations

from dataclasses import dataclass

from symbi_lang.ast import Block, Field, MapValue, StringValue, Value
from symbi_lang.span import Span

Container = Block | MapValue


@dataclass(frozen=True, slots=True)
class Entry:
    """One `name: value` or `name { … }` inside a container."""

    name: str
    name_span: Span
    span: Span
    node: Value | Block


def entries(container: Container) -> list[Entry]:
    """The entries of a block body or a map, in source order."""
    if isinstance(container, Block):
        return [
            Entry(e.name, e.name_span, e.span, e.value)
            if isinstance(e, Field)
            else Entry(e.kind, e.kind_span, e.span, e)
            for e in container.body
        ]
    return [Entry(e.key, e.key_span, e.span, e.value) for e in container.entries]


def index(container: Container) -> dict[str, Entry]:
    """The first entry of each name (later duplicates are reported by the checks, not used)."""
    out: dict[str, Entry] = {}
    for e in entries(container):
        out.setdefault(e.name, e)
    return out


def is_container(node: Value | Block) -> bool:
    return isinstance(node, (Block, MapValue))


def string_of(node: Value | Block | None) -> str | None:
    """The text of a string literal, else None."""
    return node.value if isinstance(node, StringValue) else None
