"""The formatter: equivalence and idempotency over the whole corpus, comment preservation, the canonical
layout of messy inputs (hand-written expectations), refusal of bad input, and `symbi fmt` end to end.

Regenerate snapshots after an intended style change with `pytest tests/lang/test_fmt.py --snapshot-update`.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from symbi_lang import fmt
from symbi_lang.ast import Module
from symbi_lang.fmt import LINE_WIDTH, FormatResult, format_module, format_text, structure
from symbi_lang.parser import parse

CASES = Path(__file__).parent / "parser_cases"
SPEC = CASES / "spec" / "SPEC-scheduling-guide.md"
EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.symbi"))


def _spec_files() -> list[tuple[str, str]]:
    blocks = re.findall(r"^```symbiont\n(.*?)^```", SPEC.read_text(encoding="utf-8"), re.S | re.M)
    out = []
    for i, block in enumerate(blocks, 1):
        if not re.search(r"^[A-Za-z_]\w*(?: [A-Za-z_]\w*)? *\{", block, re.M):
            block = "schedule {\n" + block + "}\n"  # the spec's fragment of bare `cron:` lines
        out.append((f"spec-{i:02d}", block))
    return out


CORPUS: list[tuple[str, str]] = [
    *_spec_files(),
    *((p.stem, p.read_text(encoding="utf-8")) for p in sorted((CASES / "valid").glob("*.symbi"))),
    *((f"examples/{p.name}", p.read_text(encoding="utf-8")) for p in EXAMPLES),
]
CORPUS_IDS = [name for name, _ in CORPUS]


def _module(text: str) -> Module:
    result = parse(text, path="t.symbi")
    assert result.ok, result.diagnostics
    return result.module


def _formatted(text: str) -> str:
    result = format_text(text, path="t.symbi")
    assert result.ok, result.reason
    return result.output


# --- the whole corpus -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "text"), CORPUS, ids=CORPUS_IDS)
def test_output_is_equivalent_and_idempotent(name: str, text: str) -> None:
    result = format_text(text, path=name)
    assert result.ok, result.reason
    assert result.changed == (result.output != text)
    before, after = _module(text), _module(result.output)
    assert structure(after) == structure(before)
    again = format_text(result.output, path=name)
    assert again.ok and not again.changed and again.output == result.output


@pytest.mark.parametrize(("name", "text"), CORPUS, ids=CORPUS_IDS)
def test_every_comment_is_kept_in_order(name: str, text: str) -> None:
    output = _formatted(text)
    assert [c.text.rstrip() for c in _module(output).comments] == [
        c.text.rstrip() for c in _module(text).comments
    ]


@pytest.mark.parametrize(("name", "text"), CORPUS, ids=CORPUS_IDS)
def test_layout_rules_hold(name: str, text: str) -> None:
    output = _formatted(text)
    module = _module(output)
    triple_lines = {
        line for value_span in _triple_spans(module) for line in range(value_span[0] + 1, value_span[1] + 1)
    }
    lines = output.split("\n")
    assert lines[-1] == "" and (len(lines) == 1 or lines[-2] != "")  # exactly one final newline
    for number, line in enumerate(lines[:-1], 1):
        if number in triple_lines:
            continue  # content of a triple-quoted string
        assert line == line.rstrip(), f"trailing whitespace on line {number}"
        indent = len(line) - len(line.lstrip(" "))
        assert indent % 4 == 0 and "\t" not in line[:indent]
    assert "\n\n\n" not in output
    for block in module.items:
        assert block.span.start.column == 1


def _triple_spans(module: Module) -> list[tuple[int, int]]:
    from symbi_lang.ast import Block, Field, StringValue
    from symbi_lang.parser import iter_values

    spans: list[tuple[int, int]] = []

    def walk(block: Block) -> None:
        for entry in block.body:
            if isinstance(entry, Field):
                for v in iter_values(entry.value):
                    if isinstance(v, StringValue) and v.triple:
                        spans.append((v.span.start.line, v.span.end.line))
            else:
                walk(entry)

    for item in module.items:
        walk(item)
    return spans


# The examples belong to their authors and change; only our own corpus is pinned by snapshots.
OWN_CORPUS = [(name, text) for name, text in CORPUS if not name.startswith("examples/")]


@pytest.mark.parametrize(("name", "text"), OWN_CORPUS, ids=[name for name, _ in OWN_CORPUS])
def test_corpus_layout_snapshot(name: str, text: str, snapshot: SnapshotAssertion) -> None:
    assert _formatted(text) == snapshot


@pytest.mark.parametrize(("name", "text"), CORPUS, ids=CORPUS_IDS)
def test_module_without_its_text_still_formats_equivalently(name: str, text: str) -> None:
    module = dataclasses.replace(_module(text), text="")
    output = format_module(module)
    reparsed = _module(output)
    assert structure(reparsed) == structure(module)
    lines = output.split("\n")
    for comment in reparsed.comments:  # without the source, every comment gets its own line
        assert not lines[comment.span.start.line - 1][: comment.span.start.column - 1].strip()


def test_crlf_input_gives_the_same_lf_output() -> None:
    for name, text in CORPUS:
        assert _formatted(text.replace("\n", "\r\n")) == _formatted(text), name


# --- messy inputs, hand-written expectations --------------------------------------------------------


def test_messy_one_liner() -> None:
    text = 'schedule daily_report{name:"x",agent:reporter , cron : "0 0 9 * * *",delivery:[ "stdout" ,],}\n'
    assert _formatted(text) == (
        "schedule daily_report {\n"
        '    name: "x"\n'
        "    agent: reporter\n"
        '    cron: "0 0 9 * * *"\n'
        '    delivery: ["stdout"]\n'
        "}\n"
    )


def test_messy_nesting_maps_lists_and_blank_lines() -> None:
    text = (
        "\n\n"
        "schedule {\n"
        '   name: "nested",\n'
        "\n\n\n"
        '      webhook_headers: {"Authorization": "Bearer ${TOKEN}", "Content-Type": "application/json",}\n'
        "  heartbeat: {enabled: true}\n"
        "  empty: { }\n"
        "  no_items: [ ]\n"
        '  policy{max_runtime:"5m" allowed_hours:{start:"00:00",end:"04:00"}}\n'
        "\n"
        "}\n"
        "agent a {}\n"
        'agent b { model: "m" },\n'
    )
    assert _formatted(text) == (
        "schedule {\n"
        '    name: "nested"\n'
        "\n"
        "    webhook_headers: {\n"
        '        "Authorization": "Bearer ${TOKEN}"\n'
        '        "Content-Type": "application/json"\n'
        "    }\n"
        "    heartbeat: { enabled: true }\n"
        "    empty: {}\n"
        "    no_items: []\n"
        "    policy {\n"
        '        max_runtime: "5m"\n'
        "        allowed_hours: {\n"
        '            start: "00:00"\n'
        '            end: "04:00"\n'
        "        }\n"
        "    }\n"
        "}\n"
        "\n"
        "agent a {}\n"
        "\n"
        "agent b {\n"
        '    model: "m"\n'
        "}\n"
    )


def test_messy_comments_everywhere() -> None:
    text = (
        "// header\n"
        "\n"
        "\n"
        "schedule { # opening\n"
        '  name: "c" // trailing\n'
        "      # indented oddly\n"
        '  delivery: [ "stdout", # first\n'
        '  "log_file" ]\n'
        "  # before close\n"
        "} # closing\n"
        "# tail\n"
    )
    assert _formatted(text) == (
        "// header\n"
        "\n"
        "schedule {  # opening\n"
        '    name: "c"  // trailing\n'
        "    # indented oddly\n"
        "    delivery: [\n"
        '        "stdout",  # first\n'
        '        "log_file",\n'
        "    ]\n"
        "    # before close\n"
        "}  # closing\n"
        "\n"
        "# tail\n"
    )


def test_messy_triple_string_is_reindented_without_changing_its_value() -> None:
    text = (
        "agent writer {\n"
        '        system_prompt: """\n'
        "              First.\n"
        "                Indented.\n"
        "\n"
        "              Last.\n"
        '   """\n'
        '  short: """as is"""\n'
        '  blank: """\n'
        '  """\n'
        "}\n"
    )
    output = _formatted(text)
    assert output == (
        "agent writer {\n"
        '    system_prompt: """\n'
        "    First.\n"
        "      Indented.\n"
        "\n"
        "    Last.\n"
        '    """\n'
        '    short: """as is"""\n'
        '    blank: """"""\n'
        "}\n"
    )
    prompt = _module(output).items[0].field("system_prompt")
    assert prompt is not None and getattr(prompt.value, "value", None) == "First.\n  Indented.\n\nLast."


def test_lists_break_exactly_past_the_line_width() -> None:
    prefix = '    tags: ["'
    fits_item = "x" * (LINE_WIDTH - len(prefix) - 2)  # `"]` closes the line at exactly LINE_WIDTH
    fits = _formatted(f'schedule {{ tags: ["{fits_item}"] }}\n').split("\n")[1]
    assert len(fits) == LINE_WIDTH and fits.endswith('"]')
    breaks = _formatted(f'schedule {{ tags: ["{fits_item}x"] }}\n')
    assert breaks == f'schedule {{\n    tags: [\n        "{fits_item}x",\n    ]\n}}\n'


def test_strings_numbers_and_keys_are_written_as_in_the_source() -> None:
    text = (
        'schedule { a: "t\\u00e9\\/\\"x\\" ${V:-d} $${L}", n: -01.50,\n'
        '  m: { "q\\"k": 1, bare: 2, "x y": 3 } }\n'
    )
    output = _formatted(text)
    assert '    a: "t\\u00e9\\/\\"x\\" ${V:-d} $${L}"\n' in output
    assert "    n: -01.50\n" in output
    assert '        "q\\"k": 1\n        bare: 2\n        "x y": 3\n' in output


# --- refusals and the safety net --------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((CASES / "invalid").glob("*.symbi")), ids=lambda p: p.stem)
def test_files_with_syntax_errors_are_not_formatted(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    result = format_text(text, path=path.name)
    errors = [d for d in parse(text, path=path.name).diagnostics if d.is_error]
    first = min(errors, key=lambda d: d.span.start.offset)
    assert result == FormatResult(False, text, False, result.reason)
    assert result.reason is not None
    assert result.reason.startswith(f"{len(errors)} syntax error")
    assert f"{first.span.start.line}:{first.span.start.column}" in result.reason


def test_refuses_output_that_parses_to_a_different_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fmt, "format_module", lambda module: 'schedule {\n    name: "other"\n}\n')
    result = format_text('schedule { name: "x" }\n')
    assert not result.ok and result.reason is not None and "different tree" in result.reason
    assert result.output == 'schedule { name: "x" }\n'


def test_refuses_output_that_loses_a_comment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fmt, "format_module", lambda module: 'schedule {\n    name: "x"\n}\n')
    result = format_text('schedule { name: "x" } # kept\n')
    assert not result.ok and result.reason is not None and "different tree" in result.reason


def test_refuses_output_that_does_not_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fmt, "format_module", lambda module: "schedule {\n")
    result = format_text('schedule { name: "x" }\n')
    assert not result.ok and result.reason is not None and "does not parse" in result.reason


def test_refuses_output_that_is_not_stable(monkeypatch: pytest.MonkeyPatch) -> None:
    real = format_module
    calls: list[int] = []

    def drifting(module: Module) -> str:
        calls.append(1)
        return real(module) + ("# drift\n" if len(calls) > 1 else "")

    monkeypatch.setattr(fmt, "format_module", drifting)
    result = format_text('schedule { name: "x" }\n')
    assert not result.ok and result.reason is not None and "changes it again" in result.reason


def test_deep_nesting_is_refused_not_raised() -> None:
    text = "schedule { a: " + "[" * 3000 + "]" * 3000 + " }\n"
    result = format_text(text)
    assert not result.ok and result.reason == "the file is nested too deeply to format"


def test_empty_and_blank_files() -> None:
    assert format_text("") == FormatResult(True, "", False, None)
    assert format_text("\n \n\t\n") == FormatResult(True, "", True, None)
    assert format_text("// only\n\n\n# comments   \n") == FormatResult(
        True, "// only\n\n# comments\n", True, None
    )


# --- `symbi fmt` end to end -------------------------------------------------------------------------


def _symbi(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "fmt", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_check_then_write_then_clean(tmp_path: Path) -> None:
    path = tmp_path / "a.symbi"
    messy = 'schedule{name:"a" agent:"b"}\n'
    path.write_text(messy, encoding="utf-8")
    checked = _symbi("--check", str(path))
    assert checked.returncode == 1 and "would reformat" in checked.stderr
    assert path.read_text(encoding="utf-8") == messy
    written = _symbi(str(path))
    assert written.returncode == 0, written.stderr
    assert path.read_text(encoding="utf-8") == _formatted(messy)
    assert _symbi("--check", str(path)).returncode == 0


def test_cli_leaves_a_file_with_syntax_errors_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bad.symbi"
    bad = 'schedule {\n  name "x"\n}\n'
    path.write_text(bad, encoding="utf-8")
    result = _symbi(str(path))
    assert result.returncode == 1
    assert "SYM002" in result.stderr and "not formatted" in result.stderr
    assert path.read_text(encoding="utf-8") == bad


def test_cli_formats_stdin_to_stdout() -> None:
    result = _symbi("-", stdin='agent a{model:"m"}')
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'agent a {\n    model: "m"\n}\n'
