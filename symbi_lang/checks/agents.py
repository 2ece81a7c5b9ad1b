"""Is each agent's executor binding usable: at most one of `handler`, `command`, `endpoint`, well formed?"""

from __future__ import annotations

import re
from collections.abc import Iterator

from symbi_lang import codes
from symbi_lang.ast import ListValue, Module, StringValue
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.walk import block_name
from symbi_lang.diagnostics import Diagnostic

BINDINGS = ("handler", "command", "endpoint")
_HANDLER = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z"
)


def check_agents(module: Module, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Binding count, handler reference syntax, non-empty command."""
    for item in module.items:
        if item.kind != "agent":
            continue
        present = [f for f in (item.field(b) for b in BINDINGS) if f is not None]
        if len(present) > 1:
            yield codes.SEVERAL_BINDINGS.at(
                present[1].name_span,
                agent=block_name(item) or "?",
                bindings=", ".join(f"`{f.name}`" for f in present),
                help="keep one: an in-process `handler`, a subprocess `command`, or an HTTP `endpoint`",
            )
        handler = item.field("handler")
        if handler is not None and isinstance(handler.value, StringValue):
            text = handler.value.value
            if "${" not in text and not _HANDLER.match(text):
                yield codes.BAD_HANDLER.at(
                    handler.value.span, value=text, help='for example `handler: "myapp.agents:report"`'
                )
        command = item.field("command")
        if command is not None and isinstance(command.value, ListValue) and not command.value.items:
            yield codes.EMPTY_COMMAND.at(
                command.value.span, help='for example `command: ["python", "-m", "myapp"]`'
            )
