"""Rendering records for people (tables) and for scripts (JSON, CSV).

`render(rows, columns, fmt)` takes plain dicts (already JSON-ready: strings, numbers, bools, None, lists,
dicts) and returns the text to print: `json` prints the dicts as they are (the stable, documented shape),
`csv` prints the listed columns with a header line, `table` the listed columns fitted to the terminal
(`symbi_runtime.cli.table`).
Datetimes are turned into JSON-ready text by `iso()` before rendering.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from symbi_runtime.cli.table import Column, Fit, key_value_lines, table_lines
from symbi_runtime.cli.table import width as terminal_width

__all__ = [
    "Column",
    "Fit",
    "OutputFormat",
    "iso",
    "key_values",
    "one_line",
    "plain",
    "render",
    "render_diagnostics",
    "short_time",
    "to_csv",
    "to_json",
    "to_table",
]

if TYPE_CHECKING:
    from symbi_lang.diagnostics import Diagnostic


class OutputFormat(StrEnum):
    """`--format` values of the listing commands."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def iso(t: datetime | None) -> str | None:
    """JSON form of a time: ISO 8601 in UTC with an explicit offset (`2026-03-02T12:00:00+00:00`)."""
    return None if t is None else _utc_iso(t)


@functools.lru_cache(maxsize=4096)
def _utc_iso(t: datetime) -> str:
    # Remembered: a listing repeats the same instants row after row (jobs loaded together share their
    # times, a herd its next fire). Equal datetimes are the same instant, so they read the same in UTC.
    return t.astimezone(UTC).isoformat()


def short_time(value: Any) -> str:
    """Table form of an ISO time: `2026-03-02 12:00:00Z` (seconds precision), or `-`."""
    if not value:
        return "-"
    return _short_time(str(value))


@functools.lru_cache(maxsize=4096)
def _short_time(text: str) -> str:
    try:
        t = datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return text
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
    wide: bool = False,
) -> str:
    """A table of `columns` fitted to the terminal (`symbi_runtime.cli.table`); `wide`: every column
    in full. Headings are bold on a colour terminal; the layout is the same either way."""
    if not rows:
        return empty + "\n"
    cells = [[(c.show or plain)(row.get(c.key)) for c in columns] for row in rows]
    limit = None if wide else terminal_width()
    lines = table_lines(columns, cells, limit, color=_use_color(color))
    return "\n".join([title, *lines] if title else lines) + "\n"


def key_values(pairs: Sequence[tuple[str, str]], *, color: bool | None = None, wide: bool = False) -> str:
    """Aligned `key  value` lines (the `status` view); long values wrap under themselves."""
    limit = None if wide else terminal_width()
    return "\n".join(key_value_lines(pairs, limit, color=_use_color(color))) + "\n"


def _use_color(color: bool | None) -> bool:
    if color is not None:
        return color
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def render(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: OutputFormat,
    *,
    title: str | None = None,
    empty: str = "nothing to show",
    wide: bool = False,
) -> str:
    """Rows in `fmt`: JSON (the whole dicts, as a list), CSV or a table of `columns` (`wide`: unfitted)."""
    if fmt is OutputFormat.JSON:
        return to_json(list(rows))
    if fmt is OutputFormat.CSV:
        return to_csv(rows, columns)
    return to_table(rows, columns, title=title, empty=empty, wide=wide)


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
