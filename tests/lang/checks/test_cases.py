"""Run every case under `cases/`: the diagnostics must be exactly the inline expectations.

To see what a case reports while writing it: `python tests/lang/checks/expectations.py CASE`.
Message wording is pinned by the snapshot (`pytest --snapshot-update` after a deliberate change).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from symbi_lang import codes
from symbi_lang.api import Analysis, Source, analyze

from .expectations import (
    case_files,
    compare,
    read_context,
    read_expectations,
    render_line,
    source_name,
)

CASES_DIR = Path(__file__).parent / "cases"
#: The upstream-dialect corpus (issue 11) is read by the same runner; upstream's own files
#: (`upstream/symbiont/`, no inline expectations) have their own test.
UPSTREAM_DIR = Path(__file__).parent.parent / "upstream"
CASES = sorted(p for p in CASES_DIR.iterdir() if p.suffix == ".symbi" or p.is_dir()) + sorted(
    p for p in UPSTREAM_DIR.iterdir() if p.suffix == ".symbi" or (p.is_dir() and p.name != "symbiont")
)


def _analyze(case: Path) -> tuple[Analysis, list[str]]:
    files = case_files(case)
    texts = [p.read_text(encoding="utf-8") for p in files]
    sources = [Source(source_name(case, p), t) for p, t in zip(files, texts, strict=True)]
    return analyze(sources, read_context(texts)), texts


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_case_reports_exactly_its_expectations(case: Path) -> None:
    analysis, texts = _analyze(case)
    files = case_files(case)
    expected = [
        e for p, t in zip(files, texts, strict=True) for e in read_expectations(source_name(case, p), t)
    ]
    missing, unexpected = compare(expected, list(analysis.diagnostics))
    problems = [f"missing (line {e.written_at}): {e}" for e in missing]
    problems += [
        f"unexpected: {render_line(d)} (to {d.span.end.line}:{d.span.end.column})" for d in unexpected
    ]
    assert not problems, "\n".join(problems)


def test_cases_cover_every_semantic_code() -> None:
    written: set[str] = set()
    for case in CASES:
        for p in case_files(case):
            written.update(e.code for e in read_expectations(p.name, p.read_text(encoding="utf-8")))
    semantic = {c for c in codes.REGISTRY if "100" <= c[3:] < "800"}
    assert semantic - written == set()


def test_rendered_diagnostics_snapshot(snapshot: SnapshotAssertion) -> None:
    lines: list[str] = []
    for case in CASES:
        analysis, _ = _analyze(case)
        for d in analysis.diagnostics:
            lines.append(render_line(d))
            if d.help:
                lines.append(f"    = help: {d.help}")
    assert "\n".join(lines) + "\n" == snapshot
