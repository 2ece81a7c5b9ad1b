"""Are `${VAR}` references well formed, only in fields that interpolate, and set at check time?"""

from __future__ import annotations

from collections.abc import Iterator

from symbi_lang import codes
from symbi_lang.ast import Block, ListValue, MapValue, Module, StringValue
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.support import inner_span
from symbi_lang.checks.walk import entries, known_entries_in
from symbi_lang.diagnostics import Diagnostic, Severity
from symbi_lang.interpolation import InterpolationError, scan
from symbi_lang.schema import FieldSpec


def check_interpolation(module: Module, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Syntax of every `${…}`, `${…}` in structural fields, unset variables (error when strict)."""
    text = module.text
    for item in module.items:
        # Most blocks hold no `${`: one bounded search skips them without walking their fields.
        if text and text.find("$", item.span.start.offset, item.span.end.offset) < 0:
            continue
        yield from _check_item(module, item, ctx)


def _check_item(module: Module, item: Block, ctx: CheckContext) -> Iterator[Diagnostic]:
    for _path, e, fs in known_entries_in(item):
        node = e.node
        if isinstance(node, StringValue):
            yield from _check_string(module, node, fs, ctx)
        elif isinstance(node, ListValue):
            for element in node.items:
                if isinstance(element, StringValue):
                    yield from _check_string(module, element, fs, ctx)
        elif isinstance(node, (MapValue, Block)) and fs.block is None:
            for entry in entries(node):
                if isinstance(entry.node, StringValue):
                    yield from _check_string(module, entry.node, fs, ctx)


def _check_string(
    module: Module, value: StringValue, fs: FieldSpec, ctx: CheckContext
) -> Iterator[Diagnostic]:
    text = value.value
    if "${" not in text:
        return
    for ref in scan(text):
        span = inner_span(module, value, ref.start, ref.end)
        if isinstance(ref, InterpolationError):
            yield codes.BAD_INTERPOLATION.at(
                span,
                message=ref.message,
                help="write `${NAME}` or `${NAME:-default}`; `$${` is a literal `${`",
            )
        elif not fs.interpolation:
            yield codes.INTERPOLATION_NOT_ALLOWED.at(
                span,
                name=fs.name,
                help=f"`{fs.name}` is fixed when the file is checked; write the value itself "
                "(use `$${` for a literal `${`)",
            )
        elif ref.default is None and ref.name not in ctx.env:
            yield codes.UNSET_VARIABLE.at(
                span,
                name=ref.name,
                severity=Severity.ERROR if ctx.strict else None,
                help=f"set {ref.name} where the job runs (and for `symbi check`, or pass --env-file), "
                f"or give a default: `${{{ref.name}:-…}}`",
            )
