"""Parsing a file that mixes both dialects.

Upstream items are found (`dialect.segments`), read by `syntax.ItemReader`, and blanked out (spaces,
newlines kept, so every offset stays valid) in the text our parser then reads. The module holds our
blocks plus the blocks derived from upstream schedules and agents in file order, and every upstream item.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from symbi_lang.ast import Block, Module
from symbi_lang.diagnostics import Diagnostic
from symbi_lang.span import line_start_offsets
from symbi_lang.upstream.derive import derived_agent, derived_schedule
from symbi_lang.upstream.dialect import segments
from symbi_lang.upstream.lexer import tokenize
from symbi_lang.upstream.nodes import UpstreamItem
from symbi_lang.upstream.syntax import ItemReader

_NOT_NEWLINE = re.compile(r"[^\r\n]")

SeedParse = Callable[[str], tuple[Module, list[Diagnostic]]]


def parse_mixed(text: str, path: str, seed_parse: SeedParse) -> tuple[Module, list[Diagnostic]] | None:
    """The module and syntax diagnostics, or None when the file holds no upstream item."""
    tokens, comments = tokenize(text)
    segs = [s for s in segments(tokens, text) if s.upstream]
    if not segs:
        return None
    line_starts = line_start_offsets(text)
    pieces: list[str] = []
    cursor = 0
    upstream: list[UpstreamItem] = []
    derived: list[Block] = []
    diagnostics: list[Diagnostic] = []
    c = 0
    for seg in segs:
        start, end = tokens[seg.first].start, tokens[seg.stop - 1].end
        pieces.append(text[cursor:start])
        pieces.append(_NOT_NEWLINE.sub(" ", text[start:end]))
        cursor = end
        while c < len(comments) and comments[c].start < start:
            c += 1
        inside = []
        while c < len(comments) and comments[c].start < end:
            inside.append(comments[c])
            c += 1
        reader = ItemReader(text, path, tokens[seg.first : seg.stop], line_starts)
        item = reader.read(inside)
        diagnostics.extend(reader.diagnostics)
        if not item.kind.isidentifier():
            continue  # a stray `/* … */`: reported, not an item
        upstream.append(item)
        if item.kind == "schedule" and not item.recovered:
            derived.append(derived_schedule(item))
        elif item.kind == "agent" and item.label is not None:
            derived.append(derived_agent(item))
    pieces.append(text[cursor:])
    seed_module, seed_diagnostics = seed_parse("".join(pieces))
    items = sorted((*seed_module.items, *derived), key=lambda b: b.span.start.offset)
    module = replace(seed_module, items=tuple(items), text=text, upstream=tuple(upstream))
    return module, [*seed_diagnostics, *diagnostics]
