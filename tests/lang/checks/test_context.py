"""What the CheckContext changes: strictness, the environment, the time; and the case runner itself."""

from __future__ import annotations

from datetime import UTC, datetime

from symbi_lang.api import Source, analyze
from symbi_lang.checks import CheckContext
from symbi_lang.diagnostics import Severity

from .expectations import compare, read_expectations

TEXT = """
schedule s {
  agent: "w"
  cron: "0 0 9 * * *"
  input: "for ${CUSTOMER} (${REGION:-eu})"
}
agent w { command: ["true"] }
"""


def _codes(text: str, ctx: CheckContext) -> list[tuple[str, Severity]]:
    return [(d.code, d.severity) for d in analyze([Source("c.symbi", text)], ctx).diagnostics]


def test_unset_variable_is_a_warning_an_error_when_strict_and_nothing_when_set() -> None:
    assert _codes(TEXT, CheckContext()) == [("SYM503", Severity.WARNING)]
    assert _codes(TEXT, CheckContext(strict=True)) == [("SYM503", Severity.ERROR)]
    assert _codes(TEXT, CheckContext(env={"CUSTOMER": ""})) == []


def test_at_is_compared_with_the_real_time_when_now_is_not_given() -> None:
    past = 'schedule s { agent: "w" at: "2001-01-01T00:00:00Z" }\nagent w { command: ["true"] }'
    future = past.replace("2001", "2999")
    assert _codes(past, CheckContext()) == [("SYM209", Severity.WARNING)]
    assert _codes(future, CheckContext()) == []
    later = CheckContext(now=datetime(3000, 1, 1, tzinfo=UTC))
    assert _codes(future, later) == [("SYM209", Severity.WARNING)]


def test_exhausted_cron_depends_on_now() -> None:
    text = 'schedule s { agent: "w" cron: "0 0 0 1 1 * 2030" }\nagent w { command: ["true"] }'
    assert _codes(text, CheckContext(now=datetime(2029, 6, 1, tzinfo=UTC))) == []
    assert _codes(text, CheckContext(now=datetime(2030, 6, 1, tzinfo=UTC))) == [("SYM203", Severity.ERROR)]


def test_runner_reports_missing_and_unexpected() -> None:
    text = 'schedule s {\n  agent: "w"\n  cron: "0 0 25 * * *"\n#           ^^ SYM201 hour\n}\n'
    analysis = analyze([Source("r.symbi", text)], CheckContext())
    diagnostics = [d for d in analysis.diagnostics if d.code == "SYM201"]
    expected = read_expectations("r.symbi", text)
    assert len(expected) == 1 and (expected[0].line, expected[0].column) == (3, 13)
    missing, unexpected = compare(expected, diagnostics)
    assert missing == [expected[0]]  # the caret is one column to the left of the hour field
    assert unexpected == diagnostics
    fixed = text.replace("#           ^^", "#            ^^")
    assert compare(read_expectations("r.symbi", fixed), diagnostics) == ([], [])
