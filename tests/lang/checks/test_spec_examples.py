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


#: The examples must check without errors on any day CI may run: today, long after every date they
#: name, and before them. A one-shot whose time has passed is a warning (SYM209), never an error.
EXAMPLE_NOWS = [
    datetime(2026, 6, 1, tzinfo=UTC),
    datetime(2027, 3, 1, tzinfo=UTC),  # after examples/one-shot.symbi's `at`
    datetime(2100, 1, 1, tzinfo=UTC),
]


@pytest.mark.parametrize("now", EXAMPLE_NOWS, ids=lambda d: d.date().isoformat())
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_have_no_errors_on_any_day(path: Path, now: datetime) -> None:
    analysis = analyze([Source(path.name, path.read_text())], CheckContext(env=SPEC_ENV, now=now))
    assert [d for d in analysis.diagnostics if d.is_error] == []  # `symbi check` exits 0


def test_the_one_shot_example_warns_once_its_time_has_passed() -> None:
    path = Path(__file__).parents[3] / "examples" / "one-shot.symbi"
    later = CheckContext(env=SPEC_ENV, now=datetime(2100, 1, 1, tzinfo=UTC))
    analysis = analyze([Source(path.name, path.read_text())], later)
    passed = [d for d in analysis.diagnostics if d.code == "SYM209"]
    assert [d.severity.value for d in passed] == ["warning"]
    assert "has passed" in passed[0].message and "catch-up window" in (passed[0].help or "")
