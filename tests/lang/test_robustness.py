"""Bad input never becomes a traceback: parse + checks (`analyze`) and `format_text` on arbitrary text,
on token soup built from the language, and on single-character mutations of valid files. Generated valid
files must format (the formatter refuses only syntax errors) and round-trip.

Example counts are bounded so that the module runs in a few seconds, and derandomized so that every run
(and CI) sees the same examples; to hunt wider, raise `max_examples` and drop `derandomize` locally.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbi_lang.api import Source, analyze
from symbi_lang.fmt import format_text, structure
from symbi_lang.parser import parse

CASES = Path(__file__).parent / "parser_cases"
SPEC = CASES / "spec" / "SPEC-scheduling-guide.md"
VALID_TEXTS: list[str] = [
    *(p.read_text(encoding="utf-8") for p in sorted((CASES / "valid").glob("*.symbi"))),
    *re.findall(r"^```symbiont\n(.*?)^```", SPEC.read_text(encoding="utf-8"), re.S | re.M),
]

FAST = settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples every run: CI stays reproducible
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def survives(text: str) -> None:
    """The property: no exception, and anything the formatter accepts re-parses cleanly."""
    analysis = analyze([Source("x.symbi", text)])
    assert len(analysis.modules) == 1
    assert all(d.span.path == "x.symbi" for d in analysis.diagnostics)
    result = format_text(text, path="x.symbi")
    if result.ok:
        assert parse(result.output, path="x.symbi").ok
        assert format_text(result.output).output == result.output
    else:
        assert result.output == text and result.reason
        # The formatter refuses only files with syntax errors.
        assert not parse(text).ok, result.reason


# --- arbitrary text ---------------------------------------------------------------------------------


@FAST
@given(st.text(max_size=300))
def test_arbitrary_unicode_text(text: str) -> None:
    survives(text)


# --- token soup -------------------------------------------------------------------------------------

TOKENS = [
    "schedule", "agent", "policy", "heartbeat", "name", "cron", "at", "delivery", "webhook_headers",
    "daily_report", "true", "false", "0", "-1", "2.5", "1.", "-", "{", "}", "[", "]", ":", ",",
    '"x"', '"0 0 9 * * *"', '"${VAR}"', '"${VAR:-d}"', '"$${X}"', '"\\n"', '"\\q"', '"\\u12"', '"',
    '"""', '"""\n  text\n  """', '""""""', "# c\n", "// c\n", "#", "//", "/", "@", "%", "\\", "\t",
    "\r\n", "\u00e9", "\ufeff", "\x00",
]  # fmt: skip
SEPARATORS = ["", " ", "\n", "  ", "\n\n"]


@st.composite
def token_soup(draw: st.DrawFn) -> str:
    tokens = draw(st.lists(st.sampled_from(TOKENS), max_size=60))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(tokens), max_size=len(tokens)))
    return "".join(t + s for t, s in zip(tokens, seps, strict=True))


@FAST
@given(token_soup())
def test_token_soup(text: str) -> None:
    survives(text)


# --- mutations of valid files -----------------------------------------------------------------------

MUTATION_CHARS = st.one_of(st.sampled_from('{}[]:,"#/\\\n $@'), st.characters())


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(VALID_TEXTS))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()) and at < len(text):
            text = text[:at] + text[at + 1 :]  # delete one character
        else:
            text = text[:at] + draw(MUTATION_CHARS) + text[at:]  # insert one character
    return text


@FAST
@given(mutated())
def test_single_character_mutations_of_valid_files(text: str) -> None:
    survives(text)


# --- generated valid files always format --------------------------------------------------------------

# Names are drawn from a fixed list (generating them from a regex made this test slow); not `schedule` or
# `agent`: a nested block of a top-level kind at column 1 reads as an unclosed block.
IDENT = st.sampled_from(
    ["name", "cron", "delivery", "policy", "heartbeat", "x", "_y2", "session_mode", "t", "True", "nulls"]
)
STRING_BODY = st.text(st.characters(exclude_characters='"\\\n\r', codec="utf-8"), max_size=12)
COMMENT = st.builds(
    lambda mark, body: mark + body,
    st.sampled_from(["#", "//"]),
    st.text(st.characters(exclude_characters="\n\r", codec="utf-8"), max_size=15),
)
SCALAR: st.SearchStrategy[str] = st.one_of(
    STRING_BODY.map(lambda s: f'"{s}"'),
    st.sampled_from(['"a\\"b"', '"\\u00e9\\t"', '"${X:-y}"', '"$${Z}"']),
    st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["true", "false"]),
    IDENT,
    st.builds(
        lambda indent, lines: '"""\n' + "".join(f"{indent}{line}\n" for line in lines) + indent + '"""',
        st.sampled_from(["", "  ", "\t"]),
        st.lists(STRING_BODY.filter(lambda s: '"' not in s), max_size=4),
    ),
)


# Strategies are built once: building them inside the draws made generation the bulk of the test's time.
WHITESPACE = st.sampled_from([" ", "\n", "\n\n", "  \n    "])
DIE = st.integers(0, 5)
KEY = st.one_of(IDENT, STRING_BODY.map(lambda s: f'"{s}"'))
VALUE_KIND = st.sampled_from(["scalar"] * 4 + ["list", "map"])
COUNT = st.integers(0, 4)


def _gap(draw: st.DrawFn) -> str:
    """Whitespace, maybe a comment, between tokens (a comment always ends its line)."""
    gap = draw(WHITESPACE)
    if draw(DIE) == 0:
        gap += draw(COMMENT) + "\n"
    return gap


def _colon(draw: st.DrawFn) -> str:
    """Usually `: `; sometimes with line breaks or comments on either side."""
    return ": " if draw(DIE) > 1 else _gap(draw) + ":" + _gap(draw)


def _comma(draw: st.DrawFn) -> str:
    """Nothing, `,`, or a comma after a line break or comment."""
    choice = draw(DIE)
    return "" if choice < 3 else "," if choice < 5 else _gap(draw) + ","


def _value(draw: st.DrawFn, depth: int) -> str:
    kind = draw(VALUE_KIND) if depth < 3 else "scalar"
    if kind == "scalar":
        return draw(SCALAR)
    if kind == "list":
        items = [_value(draw, depth + 1) for _ in range(draw(COUNT))]
        commas = [_comma(draw) or "," for _ in items[1:]] + [_comma(draw)]  # the trailing one is optional
        body = "".join(_gap(draw) + item + comma for item, comma in zip(items, commas, strict=False))
        return "[" + body + _gap(draw) + "]"
    entries = [
        _gap(draw) + draw(KEY) + _colon(draw) + _value(draw, depth + 1) + _comma(draw)
        for _ in range(draw(COUNT) % 4)
    ]
    return "{" + "".join(entries) + _gap(draw) + "}"


def _block(draw: st.DrawFn, depth: int) -> str:
    head = draw(IDENT) + (_gap(draw) + draw(IDENT) if draw(DIE) < 3 else "")
    body = []
    for _ in range(draw(COUNT)):
        if depth < 2 and draw(DIE) == 0:
            body.append(_gap(draw) + _block(draw, depth + 1))
        else:
            body.append(_gap(draw) + draw(IDENT) + _colon(draw) + _value(draw, 0) + _comma(draw))
    return head + _gap(draw) + "{" + "".join(body) + _gap(draw) + "}" + _comma(draw)


@st.composite
def valid_file(draw: st.DrawFn) -> str:
    """A well-formed file in any layout: blocks, nested blocks, lists, maps, comments, optional commas."""
    return "".join(_gap(draw) + _block(draw, 0) for _ in range(draw(COUNT) % 4)) + _gap(draw)


@FAST
@given(valid_file())
def test_generated_valid_files_format_and_round_trip(text: str) -> None:
    parsed = parse(text, path="g.symbi")
    assert parsed.ok, [d.message for d in parsed.diagnostics]
    result = format_text(text, path="g.symbi")
    assert result.ok, result.reason
    assert structure(parse(result.output, path="g.symbi").module) == structure(parsed.module)
    assert format_text(result.output).output == result.output
    analyze([Source("g.symbi", text)])  # checks never raise on odd but well-formed files either


# --- every entry point, on the inputs that used to raise or blow up ------------------------------------

HUGE = st.one_of(
    st.integers(19, 6000).map(lambda n: "9" * n),
    st.integers(1, 500).map(lambda n: "1" * n + "." + "5" * n),
    st.integers(310, 2000).map(lambda n: "-" + "1" * n + ".0"),
)
EDGE_TOKENS = [*TOKENS, "[" * 50, "{ k: " * 20, "disk-heartbeat", "schedule a-b {", "agent x-y {"]


@st.composite
def edge_text(draw: st.DrawFn) -> str:
    """Valid files with a huge number or a bracket run spliced in, or soup of edge tokens."""
    if draw(st.booleans()):
        text = draw(st.sampled_from(VALID_TEXTS))
        at = draw(st.integers(0, len(text)))
        piece = draw(st.one_of(HUGE, st.sampled_from(EDGE_TOKENS)))
        return text[:at] + piece + text[at:]
    tokens = draw(st.lists(st.one_of(st.sampled_from(EDGE_TOKENS), HUGE), max_size=40))
    return " ".join(tokens)


def every_stage(text: str) -> None:
    """parse → check → lower (when clean) → fmt → render, and the editor's features, never raise."""
    from datetime import UTC, datetime

    from symbi_lang.api import CheckContext
    from symbi_lang.render import render

    analysis = analyze([Source("x.symbi", text)], CheckContext(now=datetime(2026, 6, 1, tzinfo=UTC)))
    if analysis.ok:
        analysis.jobset().to_json()
    survives(text)
    for fmt in ("text", "json", "github", "sarif"):
        render(list(analysis.diagnostics), fmt, sources={"x.symbi": text}, files_checked=1)


@FAST
@given(edge_text())
def test_every_entry_point_survives_huge_numbers_bracket_runs_and_hyphenated_labels(text: str) -> None:
    every_stage(text)


def test_a_4301_digit_literal_through_the_cli_is_a_diagnostic_not_exit_70(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "big.symbi").write_text(
        'schedule s {\n  agent: "a"\n  cron: "0 0 9 * * *"\n  max_retries: ' + "9" * 4301 + "\n}\n"
        'agent a {\n  command: ["true"]\n}\n'
    )
    for command in (["check"], ["fmt", "--check"], ["compile"], ["next"]):
        proc = subprocess.run(
            [sys.executable, "-m", "symbi_lang.cli.main", *command, "big.symbi"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode in (1, 2), (command, proc.returncode, proc.stderr[-300:])
        assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
        assert "number too large" in proc.stdout + proc.stderr, command
