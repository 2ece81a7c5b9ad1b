"""Code lens above each schedule: `next run: Tue 2026-11-24 09:00 UTC (in 3h)`."""

from __future__ import annotations

from datetime import datetime

from lsprotocol import types

from symbi_lsp.documents import ParsedDocument
from symbi_lsp.timing import Timing, format_time, relative, schedule_timing

#: A lens that only shows text: clients display it without making it clickable.
NO_COMMAND = ""


def lens_title(timing: Timing, now: datetime) -> str:
    """The text of a schedule's lens."""
    if timing.error is not None:
        return f"next run: unknown ({timing.error})"
    if not timing.fires:
        return "next run: none (the time is in the past)" if timing.kind == "at" else "next run: never"
    first = timing.fires[0]
    return f"next run: {format_time(first)} ({relative(first, now)})"


def code_lenses(doc: ParsedDocument, now: datetime) -> list[types.CodeLens]:
    """One lens per schedule that has a `cron` or `at` value."""
    lenses: list[types.CodeLens] = []
    for block in doc.module.schedules:
        timing = schedule_timing(block, now, 1)
        if timing is None:
            continue
        lenses.append(
            types.CodeLens(
                range=doc.lines.lsp_range(block.kind_span),
                command=types.Command(title=lens_title(timing, now), command=NO_COMMAND),
            )
        )
    return lenses
