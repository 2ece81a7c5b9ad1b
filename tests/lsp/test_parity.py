"""The server reports exactly what `symbi check` reports: same codes, severities and positions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from symbi_lsp.documents import Workspace
from symbi_lsp.features.diagnostics import lsp_diagnostics

from symbi_lang.api import CheckContext, analyze_paths

ROOT = Path(__file__).parents[2]
ENV = {"HOME": "/home/x"}
# Both sides judge time at the same pinned instant: messages such as SYM209's name "now".
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "folder",
    [ROOT / "examples", ROOT / "tests/lang/parser_cases/invalid", ROOT / "tests/lang/checks/cases"],
    ids=lambda p: p.name,
)
def test_workspace_diagnostics_match_symbi_check(folder: Path) -> None:
    expected = {
        (
            Path(d.span.path).resolve(),
            d.code,
            d.severity.value,
            d.span.start.line,
            d.span.start.column,
            d.message,
        )
        for d in analyze_paths([folder], CheckContext(env=ENV, now=NOW)).diagnostics
    }
    workspace = Workspace(env=ENV, now=lambda: NOW)
    workspace.set_folders([folder.as_uri()])
    analysis = workspace.analysis()
    assert len(analysis.documents) == len(list(folder.rglob("*.symbi")))
    got = set()
    for path, doc in analysis.documents.items():
        for ours, lsp in zip(analysis.diagnostics_for(path), lsp_diagnostics(doc, analysis), strict=True):
            # the LSP range is the same place, 0-based (these files are ASCII or BMP-only)
            assert lsp.range.start.line == ours.span.start.line - 1
            got.add(
                (
                    Path(path).resolve(),
                    ours.code,
                    ours.severity.value,
                    ours.span.start.line,
                    ours.span.start.column,
                    ours.message,
                )
            )
    assert got == expected
    assert expected  # the folders are not empty of findings (examples: at least env warnings)
