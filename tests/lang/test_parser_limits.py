"""Inputs at the edges of the syntax: numbers too large to mean anything, runs of unclosed brackets,
and a hyphenated label. Each gives one clear diagnostic and never an exception."""

from __future__ import annotations

import pytest

from symbi_lang.api import CheckContext, Source, analyze
from symbi_lang.ast import ErrorValue, NumberValue
from symbi_lang.diagnostics import Diagnostic
from symbi_lang.parser import parse


def _field_value(text: str, name: str) -> object:
    result = parse(text)
    block = result.module.items[0]
    entry = block.field(name)
    assert entry is not None
    return entry.value


@pytest.mark.parametrize(
    "literal",
    ["9" * 4301, "1" + "0" * 20, "-" + "9" * 5000, "9223372036854775808", "1" + "0" * 400 + ".5"],
    ids=["4301-digits", "1e20", "negative-5000-digits", "2**63", "float-inf"],
)
def test_number_too_large_is_one_diagnostic_not_an_exception(literal: str) -> None:
    text = (
        f'schedule s {{\n  max_retries: {literal}\n  agent: "a"\n  cron: "0 0 * * * *"\n}}\n'
        'agent a { command: ["true"] }\n'
    )
    result = parse(text)
    assert [d.code for d in result.diagnostics] == ["SYM013"]
    d = result.diagnostics[0]
    assert (d.span.start.line, d.span.start.column) == (2, 16)
    assert d.span.end.offset - d.span.start.offset == len(literal)
    assert "number too large" in d.message and len(d.message) < 100  # long literals are shortened
    assert isinstance(_field_value(text, "max_retries"), ErrorValue)
    # The rest of the block is intact and checks run without raising.
    analysis = analyze([Source("a.symbi", text)], CheckContext())
    assert [x.code for x in analysis.diagnostics if x.is_error] == ["SYM013"]


@pytest.mark.parametrize("literal", ["9223372036854775807", "-9223372036854775808", "0007", "12.5"])
def test_numbers_within_64_bits_are_kept(literal: str) -> None:
    value = _field_value(f"agent a {{\n  n: {literal}\n}}\n", "n")
    assert isinstance(value, NumberValue) and value.value == (
        float(literal) if "." in literal else int(literal)
    )


def _unclosed(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code == "SYM009"]


@pytest.mark.parametrize("n", [2, 50, 3000])
def test_a_run_of_unclosed_brackets_is_one_error_naming_where_it_opened(n: int) -> None:
    result = parse("agent a {\n  x: " + "[" * n + "\n}\n")
    assert [d.code for d in result.diagnostics] == ["SYM009"]
    d = result.diagnostics[0]
    assert (d.span.start.line, d.span.start.column) == (2, 6)  # the first `[` of the run
    assert d.help is not None and f"{n} `[`" in d.help and f"line 2, column {5 + n}" in d.help
    assert "before the `}` on line 3" in d.help


def test_a_run_of_unclosed_brackets_before_the_next_field_is_one_error() -> None:
    result = parse("agent a {\n  x: [1, [2, [3\n  y: 1\n}\n")
    assert [d.code for d in result.diagnostics] == ["SYM009"]
    assert result.diagnostics[0].help is not None and "3 `[`" in result.diagnostics[0].help
    block = result.module.items[0]
    assert block.field("y") is not None  # the next field is kept


def test_two_separate_unclosed_runs_are_two_errors() -> None:
    result = parse("agent a {\n  x: [1, {a: [[3\n}\n}\n")
    assert [(d.code, d.span.start.line, d.span.start.column) for d in result.diagnostics] == [
        ("SYM009", 2, 14),
        ("SYM009", 2, 6),
    ]


def test_hyphenated_label_is_one_error_suggesting_a_name_field() -> None:
    text = (
        'schedule disk-heartbeat {\n  agent: "a"\n  cron: "0 0 * * * *"\n}\nagent a { command: ["true"] }\n'
    )
    result = parse(text)
    assert [d.code for d in result.diagnostics] == ["SYM014"]
    d = result.diagnostics[0]
    assert (d.span.start.column, d.span.end.column) == (10, 24)
    assert "`disk-heartbeat`" in d.message
    assert d.help is not None and 'name: "disk-heartbeat"' in d.help
    assert result.module.items[0].label == "disk-heartbeat" and result.module.items[0].field("cron")
    # The fix moves the name into a field; the fixed text is clean.
    (edit,) = d.fixes[0].edits
    fixed = text[: edit.span.start.offset] + edit.new_text + text[edit.span.end.offset :]
    analysis = analyze([Source("f.symbi", fixed)], CheckContext())
    assert [x.code for x in analysis.diagnostics if x.is_error] == []
    assert 'name: "disk-heartbeat"' in fixed


def test_a_minus_elsewhere_is_still_a_bad_character() -> None:
    result = parse("agent a {\n  x: a-b\n}\n")
    assert "SYM014" not in [d.code for d in result.diagnostics]
