"""Table, JSON and CSV rendering of CLI records."""

from __future__ import annotations

import csv
import json
import re
from typing import Any

from symbi_runtime.cli.output import (
    Column,
    OutputFormat,
    one_line,
    plain,
    render,
    short_time,
    to_table,
)

COLUMNS = (Column("name", "NAME"), Column("when", "WHEN (UTC)", short_time), Column("n", "COUNT"))
ROWS: list[dict[str, Any]] = [
    {"name": "daily-report", "when": "2026-03-02T09:00:00+00:00", "n": 3},
    {"name": "sync", "when": None, "n": 0.5},
]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_plain_and_rich_tables_have_the_same_layout() -> None:
    plain_text = to_table(ROWS, COLUMNS, color=False)
    assert plain_text.splitlines() == [
        "NAME          WHEN (UTC)            COUNT",
        "daily-report  2026-03-02 09:00:00Z  3",
        "sync          -                     0.5",
    ]
    rich_text = to_table(ROWS, COLUMNS, color=True)
    assert "\x1b[" in rich_text  # styled
    assert [line.rstrip() for line in ANSI.sub("", rich_text).splitlines()] == plain_text.splitlines()


def test_empty_tables_say_so() -> None:
    assert render([], COLUMNS, OutputFormat.TABLE, empty="no jobs") == "no jobs\n"
    assert render([], COLUMNS, OutputFormat.JSON) == "[]\n"
    assert render([], COLUMNS, OutputFormat.CSV) == "name,when,n\n"


def test_json_keeps_whole_rows_and_csv_the_columns() -> None:
    rows = [{**ROWS[0], "extra": {"k": [1]}}]
    assert json.loads(render(rows, COLUMNS, OutputFormat.JSON)) == rows
    text = render([{"name": 'a,"b"', "when": None, "n": True}], COLUMNS, OutputFormat.CSV)
    assert list(csv.reader(text.splitlines())) == [["name", "when", "n"], ['a,"b"', "", "true"]]


def test_cell_helpers() -> None:
    assert plain(None) == "-" and plain(True) == "yes" and plain(2.0) == "2" and plain([1]) == "[1]"
    assert one_line("a\n  b", 10) == "a b"
    assert one_line("x" * 100, 10) == "x" * 9 + "…"
    assert short_time("not a time") == "not a time"
