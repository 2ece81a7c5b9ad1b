"""Do strings hold what their field means: durations, times of day, URLs, email addresses?"""

from __future__ import annotations

import re
from collections.abc import Iterator

from symbi_lang import codes
from symbi_lang.ast import Block, ListValue, MapValue, Module, NumberValue, StringValue
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.support import inner_span
from symbi_lang.checks.walk import Container, Entry, pairs, time_of_day
from symbi_lang.diagnostics import Diagnostic
from symbi_lang.durations import DurationError, parse_duration
from symbi_lang.schema import BLOCKS, BlockSpec, FieldSpec, Format
from symbi_lang.span import Span

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_TIME_EXPECTED = {
    "start": '"HH:MM" from "00:00" to "23:59" or an hour 0-23',
    "end": '"HH:MM" from "00:00" to "24:00" or an hour 0-24',
}


#: Per top-level kind, a tree of the fields this check reads: name → FieldSpec, or name → subtree.
_Tree = dict[str, "FieldSpec | _Tree"]
_FORMATS = frozenset({Format.DURATION, Format.TIME_OF_DAY, Format.URL, Format.EMAIL})


def _tree(spec: BlockSpec) -> _Tree:
    out: _Tree = {}
    for fs in spec.fields.values():
        if fs.format in _FORMATS:
            out[fs.name] = fs
        elif fs.block is not None:
            sub = _tree(BLOCKS[fs.block])
            if sub:
                out[fs.name] = sub
    return out


_TARGETS: dict[str, _Tree] = {kind: _tree(spec) for kind, spec in BLOCKS.items() if spec.top_level}


def check_values(module: Module, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Durations, `allowed_hours` bounds, URLs and email addresses, field by field."""
    for item in module.items:
        tree = _TARGETS.get(item.kind)
        if tree:
            yield from _walk(module, item, tree)


def _walk(module: Module, container: Container, tree: _Tree) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for name, name_span, node in pairs(container):
        target = tree.get(name)
        if target is None or name in seen:
            continue
        seen.add(name)
        if isinstance(target, FieldSpec):
            span = (
                node.span if isinstance(node, Block) else Span(name_span.path, name_span.start, node.span.end)
            )
            yield from _check(module, Entry(name, name_span, span, node), target)
        elif isinstance(node, (Block, MapValue)):
            yield from _walk(module, node, target)


def _check(module: Module, e: Entry, fs: FieldSpec) -> Iterator[Diagnostic]:
    fmt = fs.format
    if fmt is Format.DURATION:
        yield from _duration(module, e, fs)
    elif fmt is Format.TIME_OF_DAY:
        yield from _time_of_day(e)
    elif fmt is Format.URL:
        yield from _url(e)
    elif fmt is Format.EMAIL and isinstance(e.node, ListValue):
        for item in e.node.items:
            if isinstance(item, StringValue) and "${" not in item.value and not _EMAIL.match(item.value):
                yield codes.BAD_EMAIL.at(
                    item.span, value=item.value, help="check the address, or use a `${VAR}` reference"
                )


def _duration(module: Module, e: Entry, fs: FieldSpec) -> Iterator[Diagnostic]:
    node = e.node
    if not isinstance(node, StringValue) or "${" in node.value:
        return
    try:
        seconds = parse_duration(node.value)
    except DurationError as err:
        span = node.span if err.start == err.end else inner_span(module, node, err.start, err.end)
        yield codes.BAD_DURATION.at(span, message=err.message, help=err.help)
        return
    if seconds == 0 and fs.minimum is not None and fs.minimum > 0:
        yield codes.ZERO_DURATION.at(node.span, name=fs.name, help='for example "30m"')


def _time_of_day(e: Entry) -> Iterator[Diagnostic]:
    node = e.node
    if not isinstance(node, (StringValue, NumberValue)):
        return  # wrong type: reported by the fields check
    if isinstance(node, NumberValue) and not isinstance(node.value, int):
        return
    if time_of_day(node, end=e.name == "end") is None:
        shown = node.value if isinstance(node, StringValue) else node.raw
        yield codes.BAD_TIME_OF_DAY.at(
            node.span,
            name=e.name,
            expected=_TIME_EXPECTED[e.name],
            value=shown,
            help='for example `start: "09:00"`, `end: "17:30"` or `end: 24`',
        )


def _url(e: Entry) -> Iterator[Diagnostic]:
    node = e.node
    if not isinstance(node, StringValue) or node.value.startswith("${"):
        return
    text = node.value
    scheme, sep, rest = text.partition("://")
    if sep and scheme.lower() in ("http", "https") and rest and not rest.startswith("/"):
        return
    yield codes.BAD_URL.at(
        node.span, name=e.name, value=text, help='for example "https://ops.example.com/hooks/deploy"'
    )
