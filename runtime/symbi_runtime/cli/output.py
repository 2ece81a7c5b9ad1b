"""Rendering records for people (rich tables) and for scripts (JSON, CSV).

`render(rows, columns, fmt)` takes plain dicts (already JSON-ready: strings, numbers, bools, None, lists,
dicts) and returns the text to print: `json` prints the dicts as they are (the stable, documented shape),
`csv` prints the listed columns with a header line, `table` a rich table of the listed columns.
Datetimes are turned into JSON-ready text by `iso()` before rendering.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from symbi_lang.diagnostics import Diagnostic

# Tables written to a pipe or a file are not squeezed to 80 columns.
PIPE_WIDTH = 200
# Beyond this many rows a table is laid out as plain text (rich's layout cost grows per cell).
RICH_MAX_ROWS = 500


class OutputFormat(StrEnum):
    """`--format` values of the listing commands."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class Column:
    """A column: the dict key it shows, its heading, and how a value is shown in a table."""

    key: str
    heading: str
    show: Callable[[Any], str] | None = None
    no_wrap: bool = False


def iso(t: datetime | None) -> str | None:
    """JSON form of a time: ISO 8601 in UTC with an explicit offset (`2026-03-02T12:00:00+00:00`)."""
    return None if t is None else t.astimezone(UTC).isoformat()


def short_time(value: Any) -> str:
    """Table form of an ISO time: `2026-03-02 12:00:00Z` (seconds precision), or `-`."""
    if not value:
        return "-"
    try:
        t = datetime.fromisoformat(str(value)).astimezone(UTC)
    except ValueError:
        return str(value)
    return t.strftime("%Y-%m-%d %H:%M:%SZ")


def plain(value: Any) -> str:
    """Table and CSV form of any JSON-ready value."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def one_line(value: Any, limit: int = 60) -> str:
    """A long text shown in one table cell: whitespace collapsed and cut with `…`."""
    if value is None or value == "":
        return "-"
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_json(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow(["" if row.get(c.key) is None else _csv_cell(row.get(c.key)) for c in columns])
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    title: str | None = None,
    empty: str = "nothing to show",
    color: bool | None = None,
) -> str:
    """A table of `columns`: a rich table on a colour terminal, plain aligned text otherwise.

    Both have the same layout (a heading line, columns separated by two spaces). Plain text is used for
    pipes, NO_COLOR and very long listings, where rich's per-cell layout costs ~1.5 ms a row.
    """
    if not rows:
        return empty + "\n"
    cells = [[(c.show or plain)(row.get(c.key)) for c in columns] for row in rows]
    if not _use_color(color) or len(rows) > RICH_MAX_ROWS:
        return _plain_table([c.heading for c in columns], cells, title)
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False, box=None)
    for c in columns:
        table.add_column(c.heading, no_wrap=c.no_wrap, overflow="fold")
    for row_cells in cells:
        table.add_row(*row_cells)
    return _console_text(table, color)


def _plain_table(headings: Sequence[str], cells: Sequence[Sequence[str]], title: str | None) -> str:
    from rich.cells import cell_len

    widths = [cell_len(h) for h in headings]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], cell_len(cell))

    def line(values: Sequence[str]) -> str:
        padded = (v + " " * (w - cell_len(v)) for v, w in zip(values, widths, strict=True))
        return "  ".join(padded).rstrip()

    out = [title] if title else []
    out.append(line(headings))
    out.extend(line(row) for row in cells)
    return "\n".join(out) + "\n"


def key_values(pairs: Sequence[tuple[str, str]], *, color: bool | None = None) -> str:
    """Aligned `key  value` lines (the `status` view)."""
    from rich.table import Table

    table = Table(show_header=False, show_edge=False, pad_edge=False, box=None)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for k, v in pairs:
        table.add_row(k, v)
    return _console_text(table, color)


def _use_color(color: bool | None) -> bool:
    if color is not None:
        return color
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _console_text(renderable: Any, color: bool | None) -> str:
    from rich.console import Console

    tty = sys.stdout.isatty()
    use_color = _use_color(color)
    console = Console(
        file=io.StringIO(),
        width=None if tty else PIPE_WIDTH,
        force_terminal=use_color,
        no_color=not use_color,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    with console.capture() as capture:
        console.print(renderable)
    return "\n".join(line.rstrip() for line in capture.get().splitlines()) + "\n"


def render(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: OutputFormat,
    *,
    title: str | None = None,
    empty: str = "nothing to show",
) -> str:
    """Rows in `fmt`: JSON (the whole dicts, as a list), CSV or a table of `columns`."""
    if fmt is OutputFormat.JSON:
        return to_json(list(rows))
    if fmt is OutputFormat.CSV:
        return to_csv(rows, columns)
    return to_table(rows, columns, title=title, empty=empty)


def render_diagnostics(diagnostics: Sequence[Diagnostic]) -> str:
    """Check diagnostics as rustc-like text (`symbi_lang.render`) for stderr, with the source lines."""
    from symbi_lang.render import render as render_lang

    sources: dict[str, str] = {}
    for d in diagnostics:
        if d.span.path not in sources:
            try:
                sources[d.span.path] = Path(d.span.path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
    color = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    return render_lang(list(diagnostics), "text", sources=sources, color=color).rstrip("\n")
