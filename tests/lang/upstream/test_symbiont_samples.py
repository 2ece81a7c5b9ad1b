"""Upstream Symbiont's own files (issue 11's measurement): its agents, its parser's `valid_*`/`invalid_*`
samples, its formatter fixtures and the DSL blocks of its guide, as `symbi check` reads them.

The files and their origin are in `symbiont/README.md`. Every `valid_*` sample, agent and fixture checks
with no errors; every `invalid_*` sample gets an error where the problem is; each guide block either
checks clean or gets the errors pinned below, each for a construct upstream's grammar rejects too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from symbi_lang.api import Source, analyze
from symbi_lang.diagnostics import Diagnostic
from symbi_lang.fmt import format_text

HERE = Path(__file__).parent / "symbiont"
AGENTS = sorted((HERE / "agents").glob("*.symbi"))
SAMPLES = HERE / "samples"
VALID = sorted(p for p in SAMPLES.iterdir() if p.name.startswith("valid_"))
FMT = sorted((HERE / "fmt").glob("*/*.symbi"))


def _errors(path: Path | str, text: str) -> list[Diagnostic]:
    return [d for d in analyze([Source(str(path), text)]).diagnostics if d.is_error]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_corpus_is_all_there() -> None:
    # what the search store held (see the README): a lost file must fail here, not shrink the measurement
    assert len(AGENTS) == 15 and len(VALID) == 7 and len(FMT) == 7
    assert len(list(SAMPLES.glob("invalid_*"))) == 3


@pytest.mark.parametrize("path", AGENTS + VALID + FMT, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_upstream_files_check_without_errors(path: Path) -> None:
    text = _read(path)
    assert _errors(path.name, text) == []
    analysis = analyze([Source(path.name, text)])
    # read as upstream items (not silently skipped): every top-level item of the file is one
    kinds = [u.kind for u in analysis.modules[0].upstream]
    assert kinds and analysis.modules[0].items == tuple(
        b for b in analysis.modules[0].items if b.origin is not None
    )


@pytest.mark.parametrize("path", AGENTS + VALID + FMT, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fmt_keeps_upstream_files_as_written(path: Path) -> None:
    text = _read(path)
    result = format_text(text, path=path.name)
    assert result.ok, result.reason
    assert result.output.rstrip("\n") == text.rstrip("\n")


@pytest.mark.parametrize(
    ("name", "code", "line", "column", "words"),
    [
        # `version:` with its value left out: at the key, not at the next line read as its value
        ("invalid_malformed_metadata.dsl", "SYM020", 2, 5, "`version` has no value"),
        # the `{` that is never closed
        ("invalid_missing_brace.dsl", "SYM004", 1, 10, "unclosed `metadata` block"),
        # a block kind neither dialect has
        ("invalid_unknown_keywords.dsl", "SYM101", 1, 1, "unknown block kind `unknown_block`"),
    ],
)
def test_invalid_samples_get_an_error_where_the_problem_is(
    name: str, code: str, line: int, column: int, words: str
) -> None:
    errors = _errors(name, _read(SAMPLES / name))
    first = errors[0]
    assert (first.code, first.span.start.line, first.span.start.column) == (code, line, column)
    assert words in first.message


def test_every_error_of_the_unknown_keywords_sample_is_at_an_unknown_keyword() -> None:
    errors = _errors("s.dsl", _read(SAMPLES / "invalid_unknown_keywords.dsl"))
    assert [(d.code, d.span.start.line) for d in errors if d.code in ("SYM101", "SYM102")] == [
        ("SYM101", 1),
        ("SYM102", 6),  # unknown_capability
        ("SYM102", 8),  # invalid_policy
    ]


def _guide_blocks() -> list[tuple[str, str]]:
    text = _read(HERE / "dsl-guide.md")
    blocks: list[tuple[str, str]] = []
    heading = ""
    for m in re.finditer(r"^(#+ [^\n]*)$|^```symbiont\n(.*?)^```$", text, re.M | re.S):
        if m.group(1) is not None:
            heading = m.group(1).lstrip("# ")
        else:
            blocks.append((heading, m.group(2)))
    return blocks


#: Guide blocks with errors, and why upstream's grammar (UPSTREAM.md §1) rejects them too.
GUIDE_REJECTED = {
    "Basic Structure": ({"SYM007", "SYM011"}, "`import` is not an item upstream"),
    "Comments": ({"SYM023"}, "`/* */` is not a comment upstream"),
    "Basic Agent Structure": ({"SYM020"}, "`with configuration_options {`: a `with` attribute is `k = v`"),
    "Policy Structure": ({"SYM024"}, "`conditions:` is not a policy rule"),
    "Data Classification Policies": ({"SYM024"}, "`conditions:` is not a policy rule"),
    "Primitive Types": ({"SYM007", "SYM011"}, "top-level `let`"),
    "Collection Types": ({"SYM007", "SYM011"}, "top-level `let`"),
    "Security-Aware Types": ({"SYM007", "SYM011"}, "top-level `let`"),
    "Custom Types": ({"SYM001", "SYM007", "SYM020", "SYM101"}, "`struct`, `enum`; `type … ;`"),
    "Data Processing": ({"SYM007", "SYM011"}, "top-level `if` and `let`"),
    "Cryptographic Operations": ({"SYM007", "SYM011"}, "top-level `let`"),
    "Audit and Logging": ({"SYM007", "SYM011"}, "top-level calls"),
    "Try-Catch Blocks": ({"SYM020"}, "`try` directly in an agent (not in `with` or a function)"),
    "Error Recovery": ({"SYM020"}, "`let` directly in an agent"),
    "Conditional Compilation": ({"SYM005", "SYM020"}, "`#if` is a comment: a call directly in an agent"),
    "Macros and Code Generation": ({"SYM001", "SYM007", "SYM011", "SYM020", "SYM101"}, "`macro`"),
    "Healthcare Data Processor": ({"SYM024"}, "`conditions:` is not a policy rule"),
    "Next Steps": ({"SYM001", "SYM007", "SYM020", "SYM101"}, "`allow agent … to perform …;` is no rule"),
}


def test_guide_blocks_check_clean_unless_upstream_rejects_them_too() -> None:
    blocks = _guide_blocks()
    assert len(blocks) == 31
    assert set(GUIDE_REJECTED) <= {h for h, _ in blocks}
    clean = []
    for heading, code in blocks:
        found = {d.code for d in _errors(f"{heading}.symbi", code)}
        expected = GUIDE_REJECTED.get(heading, (set(), ""))[0]
        assert found == expected, heading
        if not found:
            clean.append(heading)
    assert len(clean) == 13  # metadata, agents with `with`, policies, the two worked examples' monitor
