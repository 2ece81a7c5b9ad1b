"""`migrate_text(text) -> MigrateResult`: upstream schedule blocks rewritten into our dialect, proven.

Each `schedule NAME { key = scalar … }` becomes `schedule { name: "NAME" … }` with the fields its derived
block holds (`agent`, `cron`, `at`, `timezone`, `one_shot`, `delivery` and the channel setting); what symbi
does not act on (`policy` ids, `audit`, a `one_shot` beside `at` or `false`, unknown keys) stays as a comment
saying so. Everything else in
the file is left byte for byte. The rewrite is kept only when the file had no errors before, has none
after, and lowers to the same Job IR (compared without source positions); otherwise it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from symbi_lang.ast import BoolValue, Field, ListValue, Module, StringValue, Value
from symbi_lang.upstream.derive import derived_schedule
from symbi_lang.upstream.nodes import UpstreamItem


@dataclass(frozen=True, slots=True)
class MigrateResult:
    """`output` is the migrated text when `ok`, else the input; `reason` says why it was refused."""

    ok: bool
    output: str
    changed: bool
    reason: str | None = None


def migrate_text(text: str, *, path: str = "<stdin>") -> MigrateResult:
    """Rewrite the upstream schedules of `text` into our dialect, or refuse with a reason."""
    from symbi_lang.api import Source, analyze

    before = analyze([Source(path, text)])
    if not before.ok:
        first = next(d for d in before.diagnostics if d.is_error)
        where = f"{first.span.start.line}:{first.span.start.column}"
        return MigrateResult(
            False, text, False, f"{before.error_count} error(s) (first at {where}: {first.message})"
        )
    module = before.modules[0]
    schedules = [u for u in module.upstream if u.kind == "schedule"]
    if not schedules:
        return MigrateResult(True, text, False)
    out = text
    for item in sorted(schedules, key=lambda u: u.span.start.offset, reverse=True):
        start, end = item.span.start.offset, item.span.end.offset
        out = out[:start] + schedule_text(item, module) + out[end:]
    after = analyze([Source(path, out)])
    if not after.ok:
        first = next(d for d in after.diagnostics if d.is_error)
        return MigrateResult(False, text, False, f"migration bug: the result has errors ({first.message})")
    if after.modules[0].upstream and any(u.kind == "schedule" for u in after.modules[0].upstream):
        return MigrateResult(False, text, False, "migration bug: the result still has upstream schedules")
    if _ir(before.jobset().to_dict()) != _ir(after.jobset().to_dict()):
        return MigrateResult(False, text, False, "migration bug: the Job IR would change")
    return MigrateResult(True, out, out != text)


def schedule_text(item: UpstreamItem, module: Module) -> str:
    """Our dialect's text for one upstream schedule."""
    lines = ["schedule {"]
    lines += ["    " + c.text.rstrip() for c in item.comments]
    lines.append(f"    name: {_quote(item.label or '')}")
    derived = derived_schedule(item)
    for f in derived.fields:
        lines.append(f"    {f.name}: {_value(f, module)}")
    last = {e.key: e for e in item.entries}
    for key, entry in last.items():
        written = module.text[entry.span.start.offset : entry.span.end.offset]
        if key == "policy":
            lines.append(f"    # upstream `{written}`: its rules are shown, not enforced by symbi")
        elif key == "audit":
            lines.append(f"    # upstream `{written}`: symbi's audit log records every scheduling decision")
        elif key == "one_shot" and not any(f.name == "one_shot" for f in derived.fields):
            meaning = "an `at` schedule runs once" if "true" in written else "repeating is the default"
            lines.append(f"    # upstream `{written}`: {meaning}")
        elif key not in ("cron", "at", "timezone", "agent", "deliver", "one_shot"):
            lines.append(f"    # upstream `{written}`: ignored by upstream and by symbi")
    lines.append("}")
    return "\n".join(lines)


def _value(f: Field, module: Module) -> str:
    value: Value = f.value
    if isinstance(value, ListValue):
        return "[" + ", ".join(_scalar(v, module) for v in value.items) + "]"
    return _scalar(value, module)


def _scalar(value: Value, module: Module) -> str:
    if isinstance(value, StringValue) and value.verbatim and "\n" not in value.raw:
        written = module.text[value.span.start.offset : value.span.end.offset]
        if written == value.raw:
            return value.raw
    if isinstance(value, StringValue):
        return _quote(value.value)
    if isinstance(value, BoolValue):
        return "true" if value.value else "false"
    raise ValueError("only strings are migrated")  # the upstream checks reject the rest first


def _quote(text: str) -> str:
    from symbi_lang.fmt import quote

    return quote(text)


def _ir(data: Any) -> Any:
    """The IR without source positions (the rewrite moves later lines)."""
    if isinstance(data, dict):
        return {k: _ir(v) for k, v in data.items() if k != "source"}
    if isinstance(data, list):
        return [_ir(v) for v in data]
    return data
