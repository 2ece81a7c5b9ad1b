"""Are `${VAR}` references well formed, only in fields that interpolate, and set at check time?"""

from __future__ import annotations

import re
from collections.abc import Iterator

from symbi_lang import codes
from symbi_lang.ast import Block, ListValue, MapValue, Module, StringValue
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.support import inner_span
from symbi_lang.checks.walk import entries, known_entries_in
from symbi_lang.diagnostics import Diagnostic, Fix, Severity, TextEdit
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


# Fields whose value is data, not a shell script or prose: a `$NAME` there is almost surely a `${NAME}`
# that was meant (commands, prompts and inputs may hold `$` legitimately).
SHELL_STYLE_FIELDS = frozenset(
    {
        "webhook_url",
        "webhook_headers",
        "slack_channel",
        "email_recipients",
        "agent_pin_jwt",
        "endpoint",
        "model",
        "api_key_env",
        "approver",
    }
)
_SHELL_VAR = re.compile(r"(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)")


def _shell_style(module: Module, value: StringValue) -> Iterator[Diagnostic]:
    for m in _SHELL_VAR.finditer(value.value):
        span = inner_span(module, value, m.start(), m.end())
        name = m.group(1)
        fix = Fix(f"Write `${{{name}}}`", (TextEdit(span, f"${{{name}}}"),)) if value.verbatim else None
        yield codes.SHELL_STYLE_VARIABLE.at(
            span,
            name=name,
            help=f"symbi resolves `${{{name}}}` when the job runs; `${name}` would be sent literally",
            fixes=[fix] if fix else (),
        )


def _check_string(
    module: Module, value: StringValue, fs: FieldSpec, ctx: CheckContext
) -> Iterator[Diagnostic]:
    text = value.value
    if fs.name in SHELL_STYLE_FIELDS and "$" in text:
        yield from _shell_style(module, value)
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
