"""What is at an offset of a parsed module: the enclosing blocks, the entry and the value under it."""

from __future__ import annotations

from dataclasses import dataclass

from symbi_lang.ast import Block, Field, ListValue, MapValue, Module, Value
from symbi_lang.schema import Shape, field_spec
from symbi_lang.span import Span


@dataclass(frozen=True, slots=True)
class Entry:
    """A `name: value` pair: a block field, or a key of a map written where a block may stand
    (`heartbeat: { enabled: true }`). `container` is the block path the name belongs to."""

    name: str
    name_span: Span
    value: Value
    container: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Cursor:
    """The syntax around an offset: enclosing blocks (outermost first), entry and innermost value."""

    offset: int
    blocks: tuple[Block, ...]
    entry: Entry | None
    value: Value | None

    @property
    def block_path(self) -> tuple[str, ...]:
        """The block path of the innermost enclosing block (or of the map standing for one)."""
        if self.entry is not None and not self.on_name and _is_block_map(self.entry):
            return (*self.entry.container, self.entry.name)
        if self.entry is not None:
            return self.entry.container
        return tuple(b.kind for b in self.blocks)

    @property
    def on_name(self) -> bool:
        return self.entry is not None and _inside(self.entry.name_span, self.offset)

    @property
    def top_block(self) -> Block | None:
        return self.blocks[0] if self.blocks else None


def _inside(span: Span, offset: int) -> bool:
    return span.start.offset <= offset <= span.end.offset


def _is_block_map(entry: Entry) -> bool:
    spec = field_spec(entry.container, entry.name)
    return isinstance(entry.value, MapValue) and spec is not None and Shape.BLOCK in spec.shapes


def _body_contains(block: Block, offset: int) -> bool:
    head_end = (block.label_span or block.kind_span).end.offset
    return head_end < offset and (
        offset < block.span.end.offset or offset == block.span.end.offset == head_end
    )


def locate(module: Module, offset: int) -> Cursor:
    """The cursor context at `offset` (a 0-based code-point offset) in `module`."""
    blocks: list[Block] = []
    entry: Entry | None = None
    value: Value | None = None
    body: tuple[Field | Block, ...] = module.items
    while True:
        descended = False
        for item in body:
            if isinstance(item, Block):
                if _inside(item.span, offset) and _body_contains(item, offset):
                    blocks.append(item)
                    body = item.body
                    descended = True
                    break
            elif _inside(item.span, offset):
                container = tuple(b.kind for b in blocks)
                entry = Entry(item.name, item.name_span, item.value, container)
                entry, value = _descend_value(entry, offset)
                break
        if not descended:
            break
    return Cursor(offset, tuple(blocks), entry, value)


def _descend_value(entry: Entry, offset: int) -> tuple[Entry, Value | None]:
    """The innermost entry (map keys standing for block fields) and scalar value at `offset`."""
    value: Value | None = entry.value if _inside(entry.value.span, offset) else None
    while value is not None:
        if isinstance(value, MapValue):
            inner = next((e for e in value.entries if _inside(e.span, offset)), None)
            if inner is None:
                return entry, value
            if value is entry.value and _is_block_map(entry):
                entry = Entry(inner.key, inner.key_span, inner.value, (*entry.container, entry.name))
            value = inner.value if _inside(inner.value.span, offset) else None
        elif isinstance(value, ListValue):
            item = next((v for v in value.items if _inside(v.span, offset)), None)
            if item is None:
                return entry, value
            value = item
        else:
            return entry, value
    return entry, None


def block_head_at(module: Module, offset: int) -> tuple[tuple[str, ...], Block] | None:
    """The block whose kind word (`schedule`, `policy`, …) is at `offset`, with its block path."""
    path: tuple[str, ...] = ()
    body: tuple[Field | Block, ...] = module.items
    while True:
        inner = next((b for b in body if isinstance(b, Block) and _inside(b.span, offset)), None)
        if inner is None:
            return None
        path = (*path, inner.kind)
        if _inside(inner.kind_span, offset):
            return path, inner
        body = inner.body


def map_offset(old: str, new: str, offset: int) -> int:
    """Where `offset` of `new` was in `old`, assuming one edited region between them: unchanged text
    before and after the region maps exactly; an offset inside it maps to the region's start."""
    limit = min(len(old), len(new))
    lo, hi = 0, limit  # longest common prefix, by bisection on slice equality (C-speed comparisons)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[:mid] == new[:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    if offset <= prefix:
        return offset
    lo, hi = 0, limit - prefix
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[len(old) - mid :] == new[len(new) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    suffix_start = len(new) - lo
    if offset >= suffix_start:
        return offset - (len(new) - len(old))
    return prefix


def locate_while_typing(module: Module, offset: int, clean: Module | None, clean_offset: int) -> Cursor:
    """`locate`, but when the current text lost structure to a syntax error (a block the parser had
    to drop), the deeper block context of the last clean version at the mapped offset wins."""
    cursor = locate(module, offset)
    if clean is None:
        return cursor
    earlier = locate(clean, clean_offset)
    if len(earlier.blocks) > len(cursor.blocks) and cursor.entry is None:
        return Cursor(offset, earlier.blocks, None, None)
    return cursor
