"""Upstream-dialect schedules: which rule made them upstream, and what each upstream key means here.

Keys symbi maps (`cron`, `at`, `timezone`, `agent`, `deliver`) are checked further by the ordinary
checks through the derived block (`symbi_lang.upstream.derive`); this module reports what the mapping
cannot carry: unknown and duplicate keys, a `one_shot` that is not a boolean, an unmappable `deliver`, an
`audit` level symbi ignores, and `policy` ids (resolved across every checked file, and never enforced).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from symbi_lang import codes
from symbi_lang.ast import BoolValue, IdentValue, Module, StringValue, Value
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.support import suggest
from symbi_lang.diagnostics import Diagnostic, Related
from symbi_lang.schema import SCHEDULE_FIELDS
from symbi_lang.span import Span
from symbi_lang.upstream.derive import AUDIT_LEVELS, SCHEDULE_KEYS, map_deliver, scalar_text
from symbi_lang.upstream.dialect import DIALECT_RULE, dialect_reason
from symbi_lang.upstream.nodes import Opaque, UpstreamEntry, UpstreamItem


def upstream_schedules(module: Module) -> Iterator[UpstreamItem]:
    """The module's upstream schedules that parsed."""
    return (u for u in module.upstream if u.kind == "schedule" and not u.recovered)


def check_upstream_schedules(module: Module, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Per-schedule findings about upstream keys."""
    for item in upstream_schedules(module):
        yield codes.UPSTREAM_DIALECT.at(
            item.label_span or item.kind_span,
            name=item.label,
            reason=dialect_reason(item),
            help=f"{DIALECT_RULE}; `symbi fmt --migrate` rewrites it into our dialect",
        )
        yield from _entries(item)


def _entries(item: UpstreamItem) -> Iterator[Diagnostic]:
    seen: dict[str, Span] = {}
    for e in item.entries:
        if e.key in seen:
            yield codes.UPSTREAM_DUPLICATE_KEY.at(
                e.key_span, key=e.key, related=(Related(seen[e.key], "first given here"),)
            )
        seen.setdefault(e.key, e.key_span)
    last = {e.key: e for e in item.entries}
    for e in last.values():
        if e.key not in SCHEDULE_KEYS:
            yield _unknown(e)
        elif e.key in ("cron", "at", "timezone", "agent", "policy", "deliver", "audit"):
            if scalar_text(e.value) is None:
                yield codes.UPSTREAM_WRONG_TYPE.at(
                    e.value.span, key=e.key, expected="a string or a name", got=_describe(e.value)
                )
            elif e.key == "deliver":
                yield from _deliver(e)
            elif e.key == "audit":
                yield from _audit(e)
        elif e.key == "one_shot" and not isinstance(e.value, BoolValue):
            yield codes.UPSTREAM_WRONG_TYPE.at(
                e.value.span, key=e.key, expected="`true` or `false`", got=_describe(e.value)
            )


def _unknown(e: UpstreamEntry) -> Diagnostic:
    guess = suggest(e.key, SCHEDULE_KEYS)
    if guess:
        help_text = f"did you mean `{guess}`?"
    elif e.key in SCHEDULE_FIELDS:
        help_text = (
            f"`{e.key}` is a field of our dialect: run `symbi fmt --migrate` and add it to the "
            "rewritten `schedule { … }`"
        )
    elif e.key == "max_runtime":
        help_text = "write `policy { max_runtime: … }` in our dialect (`symbi fmt --migrate` first)"
    else:
        help_text = "upstream schedule keys: " + ", ".join(SCHEDULE_KEYS)
    return codes.UPSTREAM_UNKNOWN_KEY.at(e.key_span, key=e.key, help=help_text)


def _deliver(e: UpstreamEntry) -> Iterator[Diagnostic]:
    text = scalar_text(e.value) or ""
    if map_deliver(text) is None:
        yield codes.DELIVER_UNMAPPABLE.at(
            e.value.span,
            value=_show(e.value),
            help='write `"slack://CHANNEL"`, `"webhook://https://HOST/PATH"`, `"email://ADDRESS"`, '
            '`"stdout"` or `"log_file"`',
        )


def _audit(e: UpstreamEntry) -> Iterator[Diagnostic]:
    level = scalar_text(e.value) or ""
    if level not in AUDIT_LEVELS:
        guess = suggest(level, AUDIT_LEVELS)
        yield codes.BAD_AUDIT.at(
            e.value.span, value=_show(e.value), help=f"did you mean `{guess}`?" if guess else None
        )
    elif level != "all_operations":
        yield codes.AUDIT_IGNORED.at(
            e.value.span,
            value=_show(e.value),
            help="symbi records every run, denial and failure in its audit log (`symbi audit`) whatever "
            "this says; `all_operations` is what it does",
        )


def check_upstream_policy_refs(modules: Sequence[Module], ctx: CheckContext) -> Iterator[Diagnostic]:
    """`policy = "id"` in upstream schedules: the top-level `policy` block it names, across files."""
    policies: dict[str, Span] = {}
    for module in modules:
        for u in module.upstream:
            if u.kind == "policy" and u.label is not None and u.label_span is not None:
                policies.setdefault(u.label, u.label_span)
    for module in modules:
        for item in upstream_schedules(module):
            entry = item.last("policy")
            policy_id = None if entry is None else scalar_text(entry.value)
            if entry is None or policy_id is None:
                continue
            where = policies.get(policy_id)
            if where is not None:
                yield codes.POLICY_NOT_ENFORCED.at(
                    entry.value.span,
                    policy=policy_id,
                    schedule=item.label,
                    help="its allow/deny/require/audit rules are kept for reading only; gate runs with "
                    "our dialect's `policy { require_approval, max_runtime, require_capabilities, "
                    "allowed_hours, … }`",
                    related=(Related(where, f"policy `{policy_id}` is defined here"),),
                )
                continue
            guess = suggest(policy_id, policies)
            yield codes.POLICY_ID_UNKNOWN.at(
                entry.value.span,
                policy=policy_id,
                help=(f"did you mean `{guess}`? " if guess else "")
                + "the runtime may know this id; symbi does not enforce upstream policies either way",
            )


def _describe(value: Value | Opaque) -> str:
    if isinstance(value, Opaque):
        return f"`{value.text}`"
    if isinstance(value, BoolValue):
        return "`true`" if value.value else "`false`"
    from symbi_lang.checks.support import describe

    return describe(value)


def _show(value: Value | Opaque) -> str:
    if isinstance(value, StringValue):
        return value.raw
    if isinstance(value, IdentValue):
        return value.name
    return _describe(value)
