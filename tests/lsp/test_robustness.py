"""Every feature answers at every offset of broken, odd or empty documents, and never raises."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types
from symbi_lsp.documents import Workspace
from symbi_lsp.features.code_actions import quick_fixes
from symbi_lsp.features.code_lens import code_lenses
from symbi_lsp.features.completion import completions
from symbi_lsp.features.definition import definition
from symbi_lsp.features.diagnostics import lsp_diagnostics
from symbi_lsp.features.formatting import format_document
from symbi_lsp.features.hover import hover
from symbi_lsp.features.symbols import document_symbols

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)

ODD = [
    "",
    "\n\n",
    "schedule",
    "schedule {",
    'schedule s {\r\n  agent: "🕘"\r\n  cron: "0 0 9 * * *"\r\n}\r\n',
    'schedule s {\n  agent: "a\n  cron: 0 0 9\n',
    'schedule s {\n  heartbeat: { enabled: , context_mode: "x" \n'
    "  policy { allowed_hours { start: 9 } }\n}\n}\n}",
    'agent a { command: ["x", ] } schedule { name: "n" agent: a at: "2020-13-45" timezone: "Mars/Base" }',
    'schedule s {\n  input: """\n    ${HOME} ${\n  """\n  webhook_headers: { "A": "${B:-c}" }\n}\n',
    # issue 8: a number too large for 64 bits, a run of unclosed brackets, a hyphenated label
    'schedule s {\n  agent: "a"\n  max_retries: ' + "9" * 400 + '\n  cron: "0 0 9 * * *"\n}\n',
    "agent a {\n  command: " + "[" * 60 + "\n}\n",
    'schedule disk-heartbeat {\n  agent: "a"\n  cron: "0 0 * * * *"\n}\n',
]


def _exercise(text: str, tmp: Path) -> None:
    ws = Workspace(env={"HOME": "/h"}, now=lambda: NOW)
    doc = ws.open((tmp / "odd.symbi").as_uri(), text, 1)
    analysis = ws.analysis()
    lsp_diagnostics(doc, analysis)
    document_symbols(doc)
    code_lenses(doc, NOW)
    format_document(doc)
    everywhere = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=999, character=0)
    )
    quick_fixes(doc, analysis, everywhere)
    for offset in range(len(text) + 1):
        hover(doc, analysis, offset, NOW)
        completions(doc, analysis, offset, ws.env, snippets=offset % 2 == 0)
        definition(doc, analysis, offset)


@pytest.mark.parametrize("text", ODD)
def test_features_never_raise_on_odd_documents(text: str, tmp_path: Path) -> None:
    _exercise(text, tmp_path)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "schedule",
                "agent",
                "policy",
                " s ",
                "{",
                "}",
                "[",
                "]",
                ":",
                ",",
                '"',
                "cron",
                '"0 0 9 * * *"',
                "\n",
                " ",
                "${",
                "heartbeat",
                "#",
                "🕘",
                "at",
                '"2026-12-01T09:00:00Z"',
                "true",
                "1",
            ]
        ),
        max_size=25,
    ).map("".join)
)
def test_features_never_raise_on_grammar_shaped_noise(text: str) -> None:
    _exercise(text, Path("/tmp/symbi-lsp-fuzz"))
