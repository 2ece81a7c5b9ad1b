"""Hover: field and block documentation from the schema; on a `cron` or `at` value, what it means and
when it fires next (in the schedule's time zone); on an agent reference, where the agent is defined."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from lsprotocol import types

from symbi_lang.ast import StringValue
from symbi_lang.interpolation import Reference, references
from symbi_lang.schema import block_spec, field_spec
from symbi_lsp.documents import ParsedDocument, WorkspaceAnalysis
from symbi_lsp.locate import Cursor, block_head_at, locate
from symbi_lsp.timing import Timing, at_timing, cron_timing, format_time, relative, schedule_timezone

#: How many coming fire times a cron hover lists.
HOVER_FIRES = 5


def hover(
    doc: ParsedDocument,
    analysis: WorkspaceAnalysis,
    offset: int,
    now: datetime,
    env: Mapping[str, str] | None = None,
) -> types.Hover | None:
    """The hover at `offset` of `doc`, or None where there is nothing to say. `env` is the environment
    `${VAR}` references are looked up in (only whether a name is set is shown, never its value)."""
    cursor = locate(doc.module, offset)
    entry = cursor.entry
    if isinstance(cursor.value, StringValue) and cursor.value.verbatim:
        reference = _reference_at(cursor.value, offset)
        if reference is not None:
            start, end = (
                cursor.value.content_offset + reference.start,
                cursor.value.content_offset + reference.end,
            )
            return _markdown(
                _reference_markdown(reference, env or {}), doc.lines.lsp_range_of_offsets(start, end)
            )
    if entry is not None and cursor.on_name:
        spec = field_spec(entry.container, entry.name)
        if spec is None:
            return None
        return _markdown(spec.markdown, doc.lines.lsp_range(entry.name_span))
    if entry is not None and isinstance(cursor.value, StringValue) and cursor.block_path == ("schedule",):
        text = _value_hover(entry.name, cursor, analysis, now)
        if text is not None:
            return _markdown(text, doc.lines.lsp_range(cursor.value.span))
    head = block_head_at(doc.module, offset)
    if head is not None:
        path, block = head
        bspec = block_spec(path)
        if bspec is not None:
            return _markdown(f"**`{bspec.kind}`** block\n\n{bspec.doc}", doc.lines.lsp_range(block.kind_span))
    return None


def _value_hover(name: str, cursor: Cursor, analysis: WorkspaceAnalysis, now: datetime) -> str | None:
    assert isinstance(cursor.value, StringValue)
    schedule = cursor.top_block
    tz = schedule_timezone(schedule) if schedule is not None else "UTC"
    if name == "cron":
        return timing_markdown(cron_timing(cursor.value.value, tz, now, HOVER_FIRES), now)
    if name == "at":
        return timing_markdown(at_timing(cursor.value.value, tz, now), now)
    if name == "agent":
        found = analysis.find_agent(cursor.value.value)
        if found is None:
            return None
        doc, block = found
        description = block.field("description")
        lines = [f"**agent `{block.label}`** — {doc.path}:{block.span.start.line}"]
        if description is not None and isinstance(description.value, StringValue):
            lines += ["", description.value.value]
        return "\n".join(lines)
    return None


def _reference_at(value: StringValue, offset: int) -> Reference | None:
    inside = offset - value.content_offset
    return next((r for r in references(value.value) if r.start <= inside <= r.end), None)


def _reference_markdown(reference: Reference, env: Mapping[str, str]) -> str:
    lines = [f"`${{{reference.name}}}`: environment variable, resolved when the job runs", ""]
    if reference.name in env:
        lines.append("Set in the language server's environment.")
    elif reference.default is not None:
        lines.append(
            f"Not set in the language server's environment: the default `{reference.default}` applies."
        )
    else:
        lines.append("**Not set** in the language server's environment.")
    return "\n".join(lines)


def timing_markdown(timing: Timing, now: datetime) -> str:
    """Markdown for a cron or `at` value: reading, zone and the coming fires, or the problem."""
    head = f"`{timing.expression}`"
    if timing.error is not None:
        return f"{head}\n\n{timing.error}"
    lines = [f"{head}: **{timing.reading}** ({timing.timezone})", ""]
    if timing.kind == "cron":
        if timing.fires:
            lines.append(f"Next {len(timing.fires)} fire time{'s' if len(timing.fires) != 1 else ''}:")
            lines += [f"- {format_time(t)} ({relative(t, now)})" for t in timing.fires]
        else:
            lines.append("Never fires again.")
    elif timing.fires:
        lines.append(f"Fires {relative(timing.fires[0], now)}.")
    else:
        lines.append(
            "This time is in the past: a store that never ran it runs it once late within the "
            "catch-up window, else records it `missed`."
        )
    return "\n".join(lines)


def _markdown(text: str, range_: types.Range) -> types.Hover:
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
        range=range_,
    )
