"""A uniform view of block bodies: a nested block (`policy { … }`) and a map value (`heartbeat: { … }`)
hold the same kind of entries, so checks and lowering treat both alike."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from symbi_lang.ast import Block, Field, MapValue, Module, NumberValue, StringValue, Value
from symbi_lang.schema import BLOCKS, BlockSpec, FieldSpec
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


def node_of(entry: Entry | None) -> Value | Block | None:
    return None if entry is None else entry.node


def first_nodes(container: Container) -> dict[str, Value | Block]:
    """Name → node of the first entry of each name (`index` without spans, for lowering)."""
    out: dict[str, Value | Block] = {}
    if isinstance(container, Block):
        for e in container.body:
            if isinstance(e, Field):
                out.setdefault(e.name, e.value)
            else:
                out.setdefault(e.kind, e)
    else:
        for m in container.entries:
            out.setdefault(m.key, m.value)
    return out


def index(container: Container) -> dict[str, Entry]:
    """The first entry of each name (later duplicates are reported by the checks, not used)."""
    out: dict[str, Entry] = {}
    for e in entries(container):
        out.setdefault(e.name, e)
    return out


def pairs(container: Container) -> Iterator[tuple[str, Span, Value | Block]]:
    """(name, name span, node) of each entry: `entries` without building `Entry` objects."""
    if isinstance(container, Block):
        for e in container.body:
            if isinstance(e, Field):
                yield e.name, e.name_span, e.value
            else:
                yield e.kind, e.kind_span, e
    else:
        for m in container.entries:
            yield m.key, m.key_span, m.value


def known_entries(module: Module) -> Iterator[tuple[tuple[str, ...], Entry, FieldSpec]]:
    """Every entry the field table knows, with its block path, recursing into nested blocks and
    block-like maps (first occurrence of each name only; duplicates are the fields check's business)."""
    for item in module.items:
        yield from known_entries_in(item)


def known_entries_in(item: Block) -> Iterator[tuple[tuple[str, ...], Entry, FieldSpec]]:
    """`known_entries` of one top-level block."""
    spec = BLOCKS.get(item.kind)
    if spec is not None and spec.top_level:
        yield from _known(item, (item.kind,), spec)


def _known(
    container: Container, path: tuple[str, ...], spec: BlockSpec
) -> Iterator[tuple[tuple[str, ...], Entry, FieldSpec]]:
    seen: set[str] = set()
    for e in entries(container):
        if e.name in seen:
            continue
        seen.add(e.name)
        fs = spec.fields.get(e.name)
        if fs is None:
            continue
        yield path, e, fs
        if fs.block is not None and isinstance(e.node, (Block, MapValue)):
            yield from _known(e.node, (*path, e.name), BLOCKS[fs.block])


def block_name(block: Block) -> str | None:
    """A top-level block's name: its label or its `name:` string."""
    if block.label is not None:
        return block.label
    f = block.field("name")
    return f.value.value if f is not None and isinstance(f.value, StringValue) else None


def time_of_day(node: Value | Block | None, *, end: bool) -> str | None:
    """`"HH:MM"` from `"H:MM"`/`"HH:MM"` or an integer hour; None when malformed or out of range.

    Start: 00:00–23:59. End (exclusive): 00:00–24:00, so `end: 24` means "until midnight".
    """
    hour: int
    minute = 0
    if isinstance(node, NumberValue) and isinstance(node.value, int):
        hour = node.value
    elif isinstance(node, StringValue):
        text = node.value
        hh, sep, mm = text.partition(":")
        digits = (hh + mm).isascii() and hh.isdigit() and mm.isdigit()
        if not sep or not (1 <= len(hh) <= 2) or len(mm) != 2 or not digits:
            return None
        hour, minute = int(hh), int(mm)
    else:
        return None
    if minute > 59 or hour < 0:
        return None
    if hour > 23 and not (end and hour == 24 and minute == 0):
        return None
    return f"{hour:02d}:{minute:02d}"
