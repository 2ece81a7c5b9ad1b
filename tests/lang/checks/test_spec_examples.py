"""The spec's `symbiont` blocks check clean, except where the spec really is inconsistent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from symbi_lang.api import Source, analyze
from symbi_lang.checks import CheckContext

SPEC_DIR = Path(__file__).parent / "spec"
SPEC_FILES = sorted(SPEC_DIR.glob("*.symbi"))
EXAMPLES = sorted((Path(__file__).parents[3] / "examples").glob("*.symbi"))
# The spec was written before its one-shot example's time (2026-02-15) passed.
SPEC_NOW = datetime(2026, 1, 1, tzinfo=UTC)
SPEC_ENV = {"METRICS_API_KEY": "k", "AGENT_PIN_JWT": "j"}

#: Real inconsistencies in the spec's examples, by file: the codes they must report.
INCONSISTENT = {
    # `require_agent_pin: true` without `agent_pin_jwt`: the pin could never be verified.
    "10-policy-conditions.symbi": ["SYM401"],
}


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.name)
def test_spec_block_checks_clean(path: Path) -> None:
    analysis = analyze([Source(path.name, path.read_text())], CheckContext(env=SPEC_ENV, now=SPEC_NOW))
    # Agents the examples use are defined elsewhere (registered in-process): info only.
    reported = [d.code for d in analysis.diagnostics if d.code != "SYM703"]
    assert reported == INCONSISTENT.get(path.name, [])
    assert all(d.severity.value == "info" for d in analysis.diagnostics if d.code == "SYM703")


def test_spec_blocks_checked_together_have_unique_names() -> None:
    sources = [Source(p.name, p.read_text()) for p in SPEC_FILES]
    analysis = analyze(sources, CheckContext(env=SPEC_ENV, now=SPEC_NOW))
    assert sorted(d.code for d in analysis.diagnostics if d.code not in ("SYM703",)) == ["SYM401"]


def test_spec_one_shot_example_is_in_the_past_today() -> None:
    path = SPEC_DIR / "03-one-shot.symbi"
    analysis = analyze(
        [Source(path.name, path.read_text())], CheckContext(now=datetime(2026, 11, 25, tzinfo=UTC))
    )
    assert [d.code for d in analysis.diagnostics if d.code != "SYM703"] == ["SYM209"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_have_no_errors(path: Path) -> None:
    analysis = analyze([Source(path.name, path.read_text())], CheckContext(env=SPEC_ENV))
    assert [d for d in analysis.diagnostics if d.is_error] == []  # `symbi check` exits 0
