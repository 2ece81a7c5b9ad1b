"""Editor features for upstream Symbiont's dialect: outline entries for its items, hover on upstream
schedule keys, policy ids and item keywords, completion of upstream keys inside an upstream schedule,
and go-to-definition from `policy = "id"` to its `policy` block.

Upstream schedules and agents also reach the ordinary features through their derived blocks (field
hover, cron hover, agent go-to-definition); this module covers what only upstream has.
"""

from __future__ import annotations

import re

from lsprotocol import types

from symbi_lang.upstream.derive import SCHEDULE_KEYS, scalar_text
from symbi_lang.upstream.nodes import UpstreamEntry, UpstreamItem
from symbi_lsp.documents import ParsedDocument, WorkspaceAnalysis

_KIND = {
    "metadata": types.SymbolKind.Module,
    "agent": types.SymbolKind.Class,
    "schedule": types.SymbolKind.Event,
    "policy": types.SymbolKind.Interface,
    "type": types.SymbolKind.Struct,
    "function": types.SymbolKind.Function,
    "channel": types.SymbolKind.Object,
    "memory": types.SymbolKind.Object,
    "webhook": types.SymbolKind.Object,
    "with": types.SymbolKind.Namespace,
}

#: What each upstream schedule key means upstream and what symbi makes of it.
KEY_DOCS = {
    "cron": "Six or seven fields, seconds first: when the job fires. Exactly one of `cron` and `at`.",
    "at": "A one-shot time (ISO 8601). Upstream's runtime ignores it; symbi runs the job once then.",
    "timezone": "IANA time zone the schedule is read in. Default `UTC`.",
    "agent": "The agent to run (a string or a name). When absent, the schedule's own name is the agent.",
    "policy": "One policy id naming a top-level `policy NAME { … }`. Its rules are shown, **not enforced** "
    "by symbi's scheduler.",
    "one_shot": "`true`: run once. With `cron`: the first match after the job is loaded, then the job "
    "completes; with `at`: what `at` does anyway.",
    "deliver": "Where output goes: `slack://CHANNEL`, `webhook://URL`, `email://ADDRESS[,…]`, `stdout`, "
    "`log_file` (mapped onto symbi's delivery channels).",
    "audit": "`none`, `errors_only` or `all_operations`. symbi's audit log always records every "
    "scheduling decision (`all_operations`); the others are ignored with a warning.",
}

_ITEM_DOCS = {
    "metadata": "Upstream `metadata`: descriptive key/value pairs; symbi keeps them as written.",
    "agent": "Upstream agent: its `capabilities` count for `require_capabilities` and AgentPin checks; "
    "policies, functions and `with` blocks are kept as written.",
    "schedule": "Upstream schedule (`key = scalar` entries); `symbi fmt --migrate` rewrites it into our "
    "dialect.",
    "policy": "Upstream policy: `allow/deny/require/audit` rules, parsed and shown, **not enforced** by "
    "symbi's scheduler.",
    "type": "Upstream type definition, kept as written.",
    "function": "Upstream function, kept as written (symbi does not run it).",
    "channel": "Upstream channel definition, kept as written.",
    "memory": "Upstream memory definition, kept as written.",
    "webhook": "Upstream webhook definition, kept as written.",
    "with": "Upstream execution settings of an agent, kept as written.",
}

_KEY_AT_LINE_START = re.compile(r"^\s*[A-Za-z_]*$")


def upstream_symbols(doc: ParsedDocument) -> list[types.DocumentSymbol]:
    """Outline entries for upstream items that have no derived block (schedules and agents have one)."""
    return [_symbol(doc, u) for u in doc.module.upstream if u.kind not in ("schedule", "agent")]


def _symbol(doc: ParsedDocument, item: UpstreamItem) -> types.DocumentSymbol:
    children = [_symbol(doc, c) for c in item.children]
    children += [
        types.DocumentSymbol(
            name=e.key,
            kind=types.SymbolKind.Field,
            range=doc.lines.lsp_range(e.span),
            selection_range=doc.lines.lsp_range(e.key_span),
        )
        for e in item.entries
    ]
    children += [
        types.DocumentSymbol(
            name=r.action,
            detail=r.expr.text[:60],
            kind=types.SymbolKind.Property,
            range=doc.lines.lsp_range(r.span),
            selection_range=doc.lines.lsp_range(r.action_span),
        )
        for r in item.rules
    ]
    return types.DocumentSymbol(
        name=item.label or item.kind,
        detail=item.kind,
        kind=_KIND.get(item.kind, types.SymbolKind.Struct),
        range=doc.lines.lsp_range(item.span),
        selection_range=doc.lines.lsp_range(item.label_span or item.kind_span),
        children=children,
    )


def _innermost(items: tuple[UpstreamItem, ...], offset: int) -> UpstreamItem | None:
    for item in items:
        if item.span.start.offset <= offset <= item.span.end.offset:
            return _innermost(item.children, offset) or item
    return None


def _entry_at(item: UpstreamItem, offset: int) -> UpstreamEntry | None:
    for e in item.entries:
        if e.span.start.offset <= offset <= e.span.end.offset:
            return e
    return None


def upstream_hover(doc: ParsedDocument, analysis: WorkspaceAnalysis, offset: int) -> types.Hover | None:
    """Hover on an upstream schedule key or policy id, an upstream policy rule, or an item keyword."""
    item = _innermost(doc.module.upstream, offset)
    if item is None:
        return None
    entry = _entry_at(item, offset) if item.kind == "schedule" else None
    if entry is not None and entry.key_span.start.offset <= offset <= entry.key_span.end.offset:
        doc_text = KEY_DOCS.get(
            entry.key, "Not an upstream schedule key: upstream ignores it, and so does symbi."
        )
        return _markdown(f"**`{entry.key}`** (upstream schedule)\n\n{doc_text}", doc, entry.key_span)
    if entry is not None and entry.key == "policy":
        policy = _find_policy(analysis, scalar_text(entry.value) or "")
        if policy is not None:
            rules = "\n".join(
                f"{r.action}: {r.expr.text}" + (f" if {r.condition.text}" if r.condition else "")
                for r in policy[1].rules
            )
            text = (
                f"**policy `{policy[1].label}`** (upstream): parsed and shown, **not enforced** by symbi's "
                f"scheduler\n\n```symbiont\n{rules}\n```"
            )
            return _markdown(text, doc, entry.value.span)
    for rule in item.rules:
        if rule.action_span.start.offset <= offset <= rule.action_span.end.offset:
            return _markdown(
                f"**`{rule.action}`** rule of upstream policy `{item.label}`: shown, not enforced by symbi",
                doc,
                rule.action_span,
            )
    if item.kind_span.start.offset <= offset <= item.kind_span.end.offset:
        return _markdown(_ITEM_DOCS.get(item.kind, "Upstream item."), doc, item.kind_span)
    return None


def upstream_completions(doc: ParsedDocument, offset: int) -> list[types.CompletionItem] | None:
    """Upstream schedule keys not yet given, when the cursor starts an entry inside an upstream schedule."""
    item = next(
        (
            u
            for u in doc.module.upstream
            if u.kind == "schedule" and u.span.start.offset < offset < u.span.end.offset
        ),
        None,
    )
    if item is None:
        return None
    line0 = doc.lines.lsp_position_of_offset(offset).line
    prefix = doc.text[doc.lines.line_start(line0) : offset]
    if not _KEY_AT_LINE_START.match(prefix):
        return None
    given = {e.key for e in item.entries}
    separator = "=" if any(e.separator == "=" for e in item.entries) else ":"
    return [
        types.CompletionItem(
            label=key,
            kind=types.CompletionItemKind.Field,
            detail="upstream schedule key",
            documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=KEY_DOCS[key]),
            insert_text=f"{key} {separator} " if separator == "=" else f"{key}: ",
        )
        for key in SCHEDULE_KEYS
        if key not in given
    ]


def _find_policy(analysis: WorkspaceAnalysis, name: str) -> tuple[ParsedDocument, UpstreamItem] | None:
    for doc in analysis.documents.values():
        for u in doc.module.upstream:
            if u.kind == "policy" and u.label == name:
                return doc, u
    return None


def policy_definition(doc: ParsedDocument, analysis: WorkspaceAnalysis, offset: int) -> types.Location | None:
    """From `policy = "id"` in an upstream schedule to the `policy id { … }` block."""
    item = _innermost(doc.module.upstream, offset)
    entry = None if item is None or item.kind != "schedule" else _entry_at(item, offset)
    if entry is None or entry.key != "policy":
        return None
    found = _find_policy(analysis, scalar_text(entry.value) or "")
    if found is None:
        return None
    target, policy = found
    return types.Location(uri=target.uri, range=target.lines.lsp_range(policy.label_span or policy.kind_span))


def _markdown(text: str, doc: ParsedDocument, span: object) -> types.Hover:
    from symbi_lang.span import Span

    assert isinstance(span, Span)
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
        range=doc.lines.lsp_range(span),
    )
