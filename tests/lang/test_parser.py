"""The parser over a corpus: every `symbiont` block of the spec and the valid case files parse clean (AST
dumps are snapshotted); each invalid case file gives exactly the expected diagnostics at exact positions.

Regenerate snapshots after an intended change with `pytest tests/lang/test_parser.py --snapshot-update`
and review the diff of `__snapshots__/test_parser.ambr`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from symbi_lang.ast import (
    Block,
    BoolValue,
    ErrorValue,
    Field,
    IdentValue,
    ListValue,
    MapValue,
    Module,
    NumberValue,
    StringValue,
    Value,
)
from symbi_lang.diagnostics import Diagnostic, sort_diagnostics
from symbi_lang.parser import parse
from symbi_lang.span import Span

CASES = Path(__file__).parent / "parser_cases"
VALID = sorted((CASES / "valid").glob("*.symbi"))
INVALID = sorted((CASES / "invalid").glob("*.symbi"))
# A verbatim copy of the user's spec (shared/SPEC-scheduling-guide.md), so that CI on a fresh clone has it.
SPEC = CASES / "spec" / "SPEC-scheduling-guide.md"
EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.symbi"))


def spec_blocks() -> list[str]:
    """Every ```symbiont code block of the spec, verbatim, in order."""
    return re.findall(r"^```symbiont\n(.*?)^```", SPEC.read_text(encoding="utf-8"), re.S | re.M)


def as_file(block: str) -> str:
    """A spec block as a file: a fragment of bare fields (the cron examples) is wrapped in `schedule {}`."""
    if re.search(r"^[A-Za-z_]\w*(?: [A-Za-z_]\w*)? *\{", block, re.M):
        return block
    return "schedule {\n" + block + "}\n"


SPEC_BLOCKS = spec_blocks()


# --- a compact AST dump -----------------------------------------------------------------------------


def at(span: Span) -> str:
    return f"{span.start.line}:{span.start.column}-{span.end.line}:{span.end.column}"


def dump(module: Module) -> str:
    """One line per node: kind, label/name, value, and its span as line:col-line:col."""
    lines: list[str] = []
    for block in module.items:
        _dump_block(block, 0, lines)
    for comment in module.comments:
        lines.append(f"comment {comment.text!r} {at(comment.span)}")
    return "\n".join(lines)


def _dump_block(block: Block, depth: int, lines: list[str]) -> None:
    label = f" {block.label} (label {at(block.label_span)})" if block.label_span is not None else ""
    recovered = " recovered" if block.recovered else ""
    lines.append(f"{'  ' * depth}block {block.kind}{label} {at(block.span)}{recovered}")
    for entry in block.body:
        if isinstance(entry, Block):
            _dump_block(entry, depth + 1, lines)
        else:
            _dump_field(entry, depth + 1, lines)


def _dump_field(field: Field, depth: int, lines: list[str]) -> None:
    lines.append(f"{'  ' * depth}field {field.name} {at(field.span)}")
    _dump_value(field.value, depth + 1, lines)


def _dump_value(value: Value, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    if isinstance(value, StringValue):
        kind = "triple" if value.triple else "string"
        lines.append(f"{pad}{kind} {value.value!r} {at(value.span)}")
    elif isinstance(value, NumberValue):
        lines.append(f"{pad}number {value.value!r} (raw {value.raw}) {at(value.span)}")
    elif isinstance(value, BoolValue):
        lines.append(f"{pad}bool {'true' if value.value else 'false'} {at(value.span)}")
    elif isinstance(value, IdentValue):
        lines.append(f"{pad}ident {value.name} {at(value.span)}")
    elif isinstance(value, ListValue):
        lines.append(f"{pad}list [{len(value.items)}] {at(value.span)}")
        for item in value.items:
            _dump_value(item, depth + 1, lines)
    elif isinstance(value, MapValue):
        lines.append(f"{pad}map {{{len(value.entries)}}} {at(value.span)}")
        for entry in value.entries:
            key = f'"{entry.key}"' if entry.quoted else entry.key
            lines.append(f"{pad}  key {key} {at(entry.key_span)}")
            _dump_value(entry.value, depth + 2, lines)
    else:
        assert isinstance(value, ErrorValue)
        lines.append(f"{pad}error {at(value.span)}")


def dump_diagnostics(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(
        f"{d.code} {d.severity} {at(d.span)} {d.message}" + (f"\n  help: {d.help}" if d.help else "")
        for d in sort_diagnostics(diagnostics)
    )


def diagnostics_text(d: list[Diagnostic]) -> str:
    return "; ".join(f"{x.code} {at(x.span)} {x.message}" for x in d)


# --- valid corpus -----------------------------------------------------------------------------------


def test_spec_copy_holds_thirteen_blocks_one_of_them_a_fragment() -> None:
    assert len(SPEC_BLOCKS) == 13
    fragments = [b for b in SPEC_BLOCKS if as_file(b) != b]
    assert len(fragments) == 1
    assert fragments[0].startswith("# Every day at 9 AM\ncron:")


@pytest.mark.parametrize("index", range(len(SPEC_BLOCKS)), ids=lambda i: f"spec-{i + 1:02d}")
def test_spec_block_parses_clean(index: int, snapshot: SnapshotAssertion) -> None:
    result = parse(as_file(SPEC_BLOCKS[index]), path=f"spec-{index + 1:02d}.symbi")
    assert result.diagnostics == [], diagnostics_text(result.diagnostics)
    assert result.module.items
    assert dump(result.module) == snapshot


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_case_parses_clean(path: Path, snapshot: SnapshotAssertion) -> None:
    result = parse(path.read_text(encoding="utf-8"), path=path.name)
    assert result.diagnostics == [], diagnostics_text(result.diagnostics)
    assert dump(result.module) == snapshot


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_parse_clean(path: Path) -> None:
    result = parse(path.read_text(encoding="utf-8"), path=path.name)
    assert result.diagnostics == [], diagnostics_text(result.diagnostics)


def _case(name: str) -> Module:
    result = parse((CASES / "valid" / f"{name}.symbi").read_text(encoding="utf-8"), path=name)
    assert result.ok
    return result.module


def _field(block: Block, name: str) -> Value:
    field = block.field(name)
    assert field is not None, name
    return field.value


def test_labelled_schedule_keeps_its_label_and_span() -> None:
    schedule, agent = _case("labelled_schedule").items
    assert (schedule.kind, schedule.label) == ("schedule", "daily_report")
    assert schedule.label_span is not None and at(schedule.label_span) == "1:10-1:22"
    assert (agent.kind, agent.label) == ("agent", "reporter_agent")
    assert schedule.field("name") is None  # the label is not turned into a field by the parser


def test_triple_strings_are_dedented_and_otherwise_literal() -> None:
    (agent,) = _case("triple_strings").items
    values = {f.name: f.value for f in agent.fields}
    assert all(isinstance(v, StringValue) and v.triple for v in values.values())

    def text(name: str) -> str:
        v = values[name]
        assert isinstance(v, StringValue)
        return v.value

    assert text("system_prompt") == (
        "You are a writer.\n  Keep this relative indent.\n\n"
        "Blank lines stay; the last line is dropped when blank."
    )
    assert text("one_line") == "kept exactly as written"
    assert text("leading_text") == "first line\n      second line"  # the first line sets a zero margin
    assert text("quotes_and_vars") == (
        'She said "hi" to ${USER:-nobody}; $${LITERAL} stays.\nBackslashes \\n are not escapes here.'
    )
    assert text("empty") == ""
    assert text("only_newline") == ""


def test_crlf_file_parses_like_the_lf_file() -> None:
    for path in VALID:
        text = path.read_text(encoding="utf-8")
        lf = parse(text, path="x")
        crlf = parse(text.replace("\n", "\r\n"), path="x")
        assert crlf.diagnostics == []
        assert _values(crlf.module) == _values(lf.module), path.name


def _values(module: Module) -> list[object]:
    out: list[object] = []
    for block in module.items:
        out.append((block.kind, block.label, [(e.name, _plain(e.value)) for e in block.fields]))
    return out


def _plain(value: Value) -> object:
    if isinstance(value, StringValue):
        return value.value
    if isinstance(value, (NumberValue, BoolValue)):
        return value.value
    if isinstance(value, IdentValue):
        return value.name
    if isinstance(value, ListValue):
        return [_plain(v) for v in value.items]
    if isinstance(value, MapValue):
        return {e.key: _plain(e.value) for e in value.entries}
    return None


def test_lists_accept_trailing_commas_and_nest() -> None:
    (schedule,) = _case("lists").items
    assert _plain(_field(schedule, "delivery")) == ["stdout", "log_file"]
    assert _plain(_field(schedule, "email_recipients")) == ["ops@example.com", "security@example.com"]
    assert _plain(_field(schedule, "empty")) == []
    assert _plain(_field(schedule, "nested")) == [[1, 2], [], ["a"]]
    assert _plain(_field(schedule, "mixed")) == [1, -2.5, True, False, "ident", "text", {"key": "v"}]


def test_maps_keep_bare_and_quoted_keys() -> None:
    (schedule,) = _case("maps").items
    headers = _field(schedule, "webhook_headers")
    assert isinstance(headers, MapValue)
    assert [(e.key, e.quoted) for e in headers.entries] == [
        ("Authorization", True),
        ("Content-Type", True),
        ("bare_key", False),
        ('esc"aped', True),
    ]
    assert _plain(_field(schedule, "heartbeat")) == {
        "enabled": True,
        "context_mode": "ephemeral_with_summary",
        "max_iterations": 100,
    }
    assert _plain(_field(schedule, "nested")) == {"outer": {"inner": [1, 2]}}


def test_nested_blocks_and_optional_commas() -> None:
    (schedule, agent) = _case("nested_blocks").items
    policy = schedule.block("policy")
    assert policy is not None
    inner = policy.block("inner")
    assert inner is not None
    deeper = inner.block("deeper")
    assert deeper is not None and deeper.label == "labelled"
    assert _plain(_field(deeper, "value")) == 1
    assert agent.body == ()
    first, second = _case("optional_commas").items
    assert [e.name if isinstance(e, Field) else e.kind for e in first.body] == [
        "name",
        "agent",
        "cron",
        "policy",
        "max_retries",
    ]
    assert [f.name for f in second.fields] == ["name", "agent", "cron"]


def test_scalars_and_escapes() -> None:
    (schedule,) = _case("scalars").items
    assert _plain(_field(schedule, "negative")) == -12
    assert _plain(_field(schedule, "decimal")) == 0.25
    number = _field(schedule, "negative_decimal")
    assert isinstance(number, NumberValue) and number.raw == "-1.50"
    assert isinstance(_field(schedule, "session_mode"), IdentValue)
    assert _plain(_field(schedule, "escapes")) == 'tab\there "quoted" back\\slash slash/ unicodeé newline\n'
    assert _plain(_field(schedule, "vars")) == "${HOME} ${MISSING:-fallback} $${NOT_A_VAR}"


def test_comments_are_collected_in_order_with_positions() -> None:
    module = _case("comments")
    texts = [c.text for c in module.comments]
    assert len(texts) == 17
    assert texts[0] == "# A file header in hash style"
    assert texts[-1] == "# at the end of the file"
    # `#` and `//` inside strings belong to the strings.
    (schedule,) = module.items
    assert _plain(_field(schedule, "webhook_url")) == "https://example.com/#fragment"
    cron = next(c for c in module.comments if "inside a string" in c.text)
    assert cron.text == '# a "#" inside a string is not a comment: "a # b"'
    assert at(cron.span) == "18:24-18:73"
    assert texts.count('// nor is this: "http://x"') == 1


# --- invalid corpus ---------------------------------------------------------------------------------

#: Every invalid case: the exact diagnostics (code and span), in reading order.
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "bad_character": [("SYM007", "3:3-3:4")],
    "bad_escape": [("SYM010", "2:15-2:17")],
    "single_quotes": [("SYM012", "2:10-2:18"), ("SYM012", "4:14-4:22")],
    "extra_value": [("SYM001", "2:13-2:16")],
    "four_mistakes": [
        ("SYM002", "2:8-2:15"),
        ("SYM003", "9:8-9:9"),
        ("SYM008", "15:23-15:33"),
        ("SYM007", "20:14-20:15"),
    ],
    "four_mistakes_one_block": [
        ("SYM002", "2:8-2:17"),
        ("SYM003", "3:8-3:9"),
        ("SYM008", "4:23-4:33"),
        ("SYM007", "5:23-5:24"),
    ],
    "missing_block_body": [("SYM011", "2:7-2:8")],
    "missing_colon": [("SYM002", "2:8-2:22")],
    "missing_comma_list": [("SYM008", "3:23-3:33")],
    "missing_value": [("SYM003", "3:8-3:9")],
    "stray_brace": [("SYM005", "4:1-4:2")],
    "unclosed_block": [("SYM004", "1:10-1:11")],
    "unclosed_block_eof": [("SYM004", "1:10-1:11")],
    "unclosed_bracket": [("SYM009", "3:13-3:14")],
    "unclosed_bracket_eof": [("SYM009", "3:13-3:14")],
    "unclosed_list_before_field": [("SYM009", "3:13-3:14")],
    "unterminated_string": [("SYM006", "2:9-2:22")],
    "unterminated_triple_string": [("SYM006", "3:18-3:21")],
}


def test_every_invalid_case_has_expectations() -> None:
    assert sorted(p.stem for p in INVALID) == sorted(EXPECTED)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_case_diagnostics(path: Path, snapshot: SnapshotAssertion) -> None:
    result = parse(path.read_text(encoding="utf-8"), path=path.name)
    got = [(d.code, at(d.span)) for d in sort_diagnostics(result.diagnostics)]
    assert got == EXPECTED[path.stem], diagnostics_text(result.diagnostics)
    assert not result.ok
    assert all(d.span.path == path.name and d.is_error for d in result.diagnostics)
    assert dump_diagnostics(result.diagnostics) == snapshot


def test_four_independent_mistakes_keep_four_schedules() -> None:
    result = parse((CASES / "invalid" / "four_mistakes.symbi").read_text(encoding="utf-8"), path="f")
    assert len(result.diagnostics) == 4
    names = [_plain(_field(b, "name")) for b in result.module.schedules]
    assert names == ["first", "second", "third", "fourth"]
    # The repaired entries keep their values; the missing one is an explicit error value.
    first, second, third, fourth = result.module.schedules
    assert _plain(_field(third, "delivery")) == ["stdout", "log_file"]
    assert isinstance(_field(second, "agent"), ErrorValue)
    assert _plain(_field(fourth, "cron")) == "0 0 9 * * *"
    assert first.recovered and second.recovered and third.recovered


def test_four_mistakes_in_one_block_keep_the_fields_around_them() -> None:
    path = CASES / "invalid" / "four_mistakes_one_block.symbi"
    (schedule,) = parse(path.read_text(encoding="utf-8"), path="f").module.items
    assert [f.name for f in schedule.fields] == ["name", "agent", "delivery", "cron", "max_retries"]
    assert _plain(_field(schedule, "name")) == "crowded"
    assert _plain(_field(schedule, "max_retries")) == 3
    assert schedule.recovered


def test_unclosed_block_names_where_it_opened() -> None:
    result = parse((CASES / "invalid" / "unclosed_block.symbi").read_text(encoding="utf-8"), path="u")
    (diag,) = result.diagnostics
    assert "`schedule` block" in diag.message
    assert diag.help is not None and "next top-level block" in diag.help
    assert [_plain(_field(b, "name")) for b in result.module.schedules] == ["first", "second"]


def test_nested_unclosed_block_names_the_innermost_and_its_parent() -> None:
    text = 'schedule {\n  policy {\n    a: 1\n\nschedule {\n  name: "x"\n}\n'
    (diag,) = parse(text, path="n").diagnostics
    assert diag.code == "SYM004" and at(diag.span) == "2:10-2:11"
    assert "`policy` block" in diag.message
    assert diag.help is not None and "`schedule` block opened on line 1" in diag.help


def test_unclosed_list_keeps_its_items_and_the_next_field() -> None:
    path = CASES / "invalid" / "unclosed_list_before_field.symbi"
    result = parse(path.read_text(encoding="utf-8"), path="l")
    (schedule,) = result.module.items
    assert _plain(_field(schedule, "delivery")) == ["stdout", "log_file"]
    assert _plain(_field(schedule, "agent")) == "reporter-agent"
    (diag,) = result.diagnostics
    assert diag.help == "add `]` after the last item, before line 4"


def test_missing_colon_offers_an_insertion_fix() -> None:
    result = parse((CASES / "invalid" / "missing_colon.symbi").read_text(encoding="utf-8"), path="m")
    (diag,) = result.diagnostics
    (fix,) = diag.fixes
    (edit,) = fix.edits
    assert edit.new_text == ":" and at(edit.span) == "2:7-2:7"
