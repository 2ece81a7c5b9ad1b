"""The Lark-free parse of clean files (symbi_lang/fast_parse.py) gives exactly what Lark's gives.

`parse()` tries the fast driver first and falls back to the Lark engine; the engine alone is the
reference. Every repository `.symbi` file, the spec's examples, mutations of them and token soup must
parse to equal results (same AST, spans, comments and diagnostics) both ways; the generated tables
must match the grammar.
"""

from __future__ import annotations

import importlib.util
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbi_lang.parser import ParseResult, _clean_parser, _engine, parse

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(p for p in ROOT.glob("**/*.symbi") if ".git" not in p.parts and "node_modules" not in p.parts)
INSERTS = ["true", "false", "truex", " ", "\n", '"', '"""', "#", "//", "{", "}", "[", "]", ":", ",", "-1.5"]


def reference(text: str, path: str = "x.symbi") -> ParseResult:
    """What `parse` returned before the fast driver: the Lark engine's result."""
    return _engine().parse(text, path)


def test_tables_match_the_grammar() -> None:
    script = ROOT / "grammar" / "gen_parse_tables.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_tables_record_the_grammar_they_came_from() -> None:
    import hashlib

    from symbi_lang.parse_tables import GRAMMAR_SHA256

    text = (ROOT / "grammar" / "symbi.lark").read_text(encoding="utf-8")
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == GRAMMAR_SHA256


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_files_and_their_mutations_parse_as_lark_parses_them(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    rnd = random.Random(str(path.relative_to(ROOT)))
    variants = [text]
    for _ in range(20):
        i = rnd.randrange(len(text) + 1)
        variants.append(text[:i] + rnd.choice(INSERTS) + text[i:])
        variants.append(text[:i] + text[i + rnd.randrange(1, 4) :])
    for variant in variants:
        assert parse(variant, path="x.symbi") == reference(variant)


def test_clean_files_take_the_fast_path() -> None:
    """Otherwise the equality above would hold trivially (every parse falling back to Lark)."""
    valid = sorted((ROOT / "tests" / "lang" / "parser_cases" / "valid").glob("*.symbi"))
    assert valid
    for path in valid:
        text = path.read_text(encoding="utf-8")
        result = _clean_parser().parse(text, str(path))
        if result is not None:
            assert result == reference(text, str(path))
    taken = [p for p in valid if _clean_parser().parse(p.read_text(encoding="utf-8"), str(p)) is not None]
    assert len(taken) >= len(valid) // 2


def test_keywords_are_retyped_only_where_lark_retypes_them() -> None:
    text = 'schedule true { true: true, false: [false, "x"], name: truex }\n'
    fast = _clean_parser().parse(text, "x.symbi")
    assert fast is not None and fast == reference(text)
    block = fast.module.items[0]
    assert block.label == "true"
    assert [f.name for f in block.fields] == ["true", "false", "name"]


def test_positions_across_lines_comments_and_triple_strings() -> None:
    text = 'agent a {  # one\n  prompt: """\n    x\n  """ // two\n  n: -2.5,\r\n}\n'
    fast = _clean_parser().parse(text, "x.symbi")
    assert fast is not None and fast == reference(text)
    assert [c.text for c in fast.module.comments] == ["# one", "// two"]
    assert fast.module.comments[1].span.start.line == 4


def test_syntax_errors_fall_back_to_lark() -> None:
    text = "schedule a {\n  cron: \n}\n"
    assert _clean_parser().parse(text, "x.symbi") is None
    assert parse(text, path="x.symbi") == reference(text)
    assert not parse(text, path="x.symbi").ok


def test_the_fast_path_does_not_import_lark() -> None:
    code = (
        "import sys\nfrom symbi_lang.parser import parse\n"
        "r = parse('schedule a { cron: \"0 0 9 * * *\" }\\n')\n"
        "assert r.ok\nprint(sorted(m for m in sys.modules if m == 'lark' or m.startswith('lark.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


TOKENS = [
    "schedule", "agent", "policy", "name", "cron", "true", "false", "0", "-1", "2.5", "1.", "-",
    "{", "}", "[", "]", ":", ",", '"x"', '"\\n"', '"\\q"', '"', '"""', '"""\n  t\n  """', "# c\n",
    "// c\n", "\t", "\r\n", "\u00e9", "workflow", "tool",
]  # fmt: skip


@settings(max_examples=200, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(st.lists(st.tuples(st.sampled_from(TOKENS), st.sampled_from(["", " ", "\n"])), max_size=50))
def test_token_soup_parses_as_lark_parses_it(parts: list[tuple[str, str]]) -> None:
    text = "".join(t + s for t, s in parts)
    assert parse(text, path="x.symbi") == reference(text)


def test_generator_loads_as_a_module() -> None:
    """The generator stays importable (CI runs its --check through the test above)."""
    spec = importlib.util.spec_from_file_location("gen", ROOT / "grammar" / "gen_parse_tables.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render(module.build()) == (ROOT / "symbi_lang" / "parse_tables.py").read_text()
