"""Fitting a CLI table to the terminal's width without cutting what people read exactly.

Every table the CLI prints (`cron list`, `cron history`, `cron status`, `audit`) is laid out here. Times,
statuses, id prefixes and counts are `Fit.WHOLE`: never cut. Names and free text are `Fit.ELLIPSIS`:
shortened with `…` down to their `min_width`. When that is not enough, whole columns are dropped, lowest
priority first (each column's `drop` number: 1 goes first; `None` is never dropped), and a last line
names the hidden columns. `--wide` (`width=None`) prints every column in full.

The width is `$COLUMNS` when set, else the terminal's width, else (a pipe or a file) `PIPE_WIDTH`.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["GAP", "PIPE_WIDTH", "Column", "Fit", "Layout", "fit", "key_value_lines", "table_lines", "width"]

#: Tables written to a pipe or a file are not squeezed to 80 columns.
PIPE_WIDTH = 200
#: Spaces between two columns.
GAP = 2
_ELLIPSIS = "…"
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"


class Fit(StrEnum):
    """How a column's cells may be shortened to fit."""

    WHOLE = "whole"  # times, statuses, ids, counts: shown in full or not at all
    ELLIPSIS = "ellipsis"  # names and free text: `heartbeat-mo…`


@dataclass(frozen=True, slots=True)
class Column:
    """A column: the dict key it shows, its heading, how a value is shown, and how it gives way.

    `drop`: the order in which whole columns are hidden on a narrow terminal (1 first; None: never).
    `min_width`: how far an `ELLIPSIS` column may be shortened before columns are dropped instead.
    """

    key: str
    heading: str
    show: Callable[[Any], str] | None = None
    no_wrap: bool = False  # kept for callers written before `fit`; cells never wrap
    fit: Fit = Fit.WHOLE
    drop: int | None = None
    min_width: int = 12


@dataclass(frozen=True, slots=True)
class Layout:
    """Which columns are shown (indexes into the table's columns), how wide, and which were hidden."""

    shown: tuple[int, ...]
    widths: tuple[int, ...]  # per shown column
    hidden: tuple[str, ...]  # headings, in drop order


def width() -> int:
    """The width to fit tables to: `$COLUMNS`, the terminal's, or `PIPE_WIDTH` for pipes and files."""
    raw = os.environ.get("COLUMNS", "")
    if raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    if sys.stdout.isatty():
        return shutil.get_terminal_size((PIPE_WIDTH, 24)).columns
    return PIPE_WIDTH


def cell_len(text: str) -> int:
    """Terminal cells `text` takes (rich's count). Printable ASCII, almost every cell of a table, is one
    cell a character: counted without importing rich."""
    if text.isascii() and text.isprintable():
        return len(text)
    from rich.cells import cell_len as rich_cell_len

    return rich_cell_len(text)


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` terminal cells, ending in `…` when cut."""
    if cell_len(text) <= limit:
        return text
    out = ""
    for ch in text:
        if cell_len(out + ch) > limit - 1:
            break
        out += ch
    return out + _ELLIPSIS


def fit(columns: Sequence[Column], cells: Sequence[Sequence[str]], limit: int | None) -> Layout:
    """The layout of `cells` (rows of shown text) in at most `limit` cells (None: unlimited)."""
    natural = [cell_len(c.heading) for c in columns]
    for row in cells:
        for i, text in enumerate(row):
            natural[i] = max(natural[i], cell_len(text))
    if limit is None:
        return Layout(tuple(range(len(columns))), tuple(natural), ())
    least = [
        min(natural[i], max(c.min_width, cell_len(c.heading))) if c.fit is Fit.ELLIPSIS else natural[i]
        for i, c in enumerate(columns)
    ]
    shown = list(range(len(columns)))
    droppable = sorted((c.drop, i) for i, c in enumerate(columns) if c.drop is not None)
    hidden: list[str] = []

    def needed(indexes: Sequence[int]) -> int:
        return sum(least[i] for i in indexes) + GAP * (len(indexes) - 1)

    while needed(shown) > limit and droppable:
        _, i = droppable.pop(0)
        shown.remove(i)
        hidden.append(columns[i].heading)
    widths = {i: least[i] for i in shown}
    spare = limit - needed(shown)
    growing = [i for i in shown if widths[i] < natural[i]]
    while spare > 0 and growing:  # hand the room left back to shortened columns, one cell each in turn
        for i in list(growing):
            if spare == 0:
                break
            widths[i] += 1
            spare -= 1
            if widths[i] == natural[i]:
                growing.remove(i)
    return Layout(tuple(shown), tuple(widths[i] for i in shown), tuple(hidden))


def table_lines(
    columns: Sequence[Column],
    cells: Sequence[Sequence[str]],
    limit: int | None,
    *,
    color: bool = False,
) -> list[str]:
    """The heading line, one line per row, and a note naming hidden columns (if any)."""
    layout = fit(columns, cells, limit)

    def line(values: Sequence[str], bold: bool = False) -> str:
        parts = []
        for index, w in zip(layout.shown, layout.widths, strict=True):
            text = values[index]
            if columns[index].fit is Fit.ELLIPSIS:
                text = shorten(text, w)
            padded = text + " " * max(0, w - cell_len(text))
            parts.append(f"{_BOLD}{padded}{_RESET}" if bold else padded)
        return (" " * GAP).join(parts).rstrip()

    out = [line([c.heading for c in columns], bold=color)]
    out.extend(line(row) for row in cells)
    if layout.hidden and limit is not None:
        note = f"(hidden to fit {limit} columns: {', '.join(layout.hidden)}; --wide shows them)"
        out.extend(textwrap.wrap(note, max(limit, 20), break_on_hyphens=False))
    return out


def key_value_lines(pairs: Sequence[tuple[str, str]], limit: int | None, *, color: bool = False) -> list[str]:
    """`key  value` lines; a long value wraps at spaces under itself, never cut."""
    key_width = max((cell_len(k) for k, _ in pairs), default=0)
    room = None if limit is None else max(20, limit - key_width - GAP)
    out = []
    for key, value in pairs:
        head = key + " " * (key_width - cell_len(key))
        if color:
            head = f"{_BOLD}{head}{_RESET}"
        chunks = [value] if room is None else textwrap.wrap(value, room, break_long_words=False) or [""]
        out.append((head + " " * GAP + chunks[0]).rstrip())
        out.extend((" " * (key_width + GAP) + chunk).rstrip() for chunk in chunks[1:])
    return out
