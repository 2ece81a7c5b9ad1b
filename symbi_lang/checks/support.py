"""Small helpers the checks share: spans inside string literals, "did you mean", value shapes."""

from __future__ import annotations

from collections.abc import Iterable

from symbi_lang.ast import (
    Block,
    BoolValue,
    ErrorValue,
    IdentValue,
    ListValue,
    MapValue,
    Module,
    NumberValue,
    StringValue,
    Value,
)
from symbi_lang.diagnostics import Fix, TextEdit
from symbi_lang.span import Position, Span, span_of


def inner_span(module: Module, value: StringValue, start: int, end: int) -> Span:
    """The source span of `value.value[start:end]`; the whole literal when the text was transformed."""
    if not value.verbatim:
        return value.span
    a, b = value.content_offset + start, value.content_offset + end
    s = value.span
    if not value.triple:
        col = s.start.column - s.start.offset
        return Span(s.path, Position(s.start.line, col + a, a), Position(s.start.line, col + b, b))
    if not module.text:
        return value.span
    return span_of(module.text, s.path, a, b)


def insertion_at(span: Span) -> Span:
    """An empty span at the end of `span` (where a Fix inserts text)."""
    return Span(span.path, span.end, span.end)


def suggest(word: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The closest of `choices` to `word`, if any is close enough to be a likely typo."""
    pool = list(choices)
    import difflib  # only when a name is unknown

    found = difflib.get_close_matches(word, pool, n=1, cutoff=cutoff)
    if not found:
        lowered = {c.lower(): c for c in pool}
        return lowered.get(word.lower())
    return found[0]


def replace_fix(span: Span, new_text: str, title: str) -> tuple[Fix, ...]:
    return (Fix(title, (TextEdit(span, new_text),)),)


def describe(node: Value | Block) -> str:
    """What a value is, in the words of a "got …" message."""
    if isinstance(node, Block):
        return "a block"
    if isinstance(node, StringValue):
        return "a string"
    if isinstance(node, NumberValue):
        return "an integer" if isinstance(node.value, int) else "a decimal number"
    if isinstance(node, BoolValue):
        return f"`{'true' if node.value else 'false'}`"
    if isinstance(node, IdentValue):
        return f"the bare word `{node.name}`"
    if isinstance(node, ListValue):
        return "a list"
    if isinstance(node, MapValue):
        return "a map"
    if isinstance(node, ErrorValue):
        return "nothing"
    return "a value"  # pragma: no cover


def indent_of(module: Module, span: Span) -> str:
    """The leading whitespace of the line `span` starts on ("" when the text is unknown)."""
    text = module.text
    if not text:
        return ""
    line_start = text.rfind("\n", 0, span.start.offset) + 1
    i = line_start
    while i < len(text) and text[i] in " \t":
        i += 1
    return text[line_start:i]
