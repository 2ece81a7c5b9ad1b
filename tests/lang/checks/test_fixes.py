"""Quick fixes: applying a diagnostic's edits removes that diagnostic and leaves a file that parses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from symbi_lang.api import Source, analyze
from symbi_lang.checks import CheckContext
from symbi_lang.diagnostics import Diagnostic

CTX = CheckContext(env={"WEBHOOK_URL": "u", "AGENT_PIN_JWT": "j"}, now=datetime(2026, 6, 1, tzinfo=UTC))


def _diagnostics(text: str) -> list[Diagnostic]:
    return list(analyze([Source("f.symbi", text)], CTX).diagnostics)


def _apply(text: str, d: Diagnostic) -> str:
    assert len(d.fixes) == 1, d
    edits = sorted(d.fixes[0].edits, key=lambda e: e.span.start.offset, reverse=True)
    for e in edits:
        text = text[: e.span.start.offset] + e.new_text + text[e.span.end.offset :]
    return text


AGENT = '\nagent worker { command: ["true"] }\n'

CASES = [
    (
        "SYM102",
        'schedule a {\n  agent: "worker"\n  cron: "0 0 9 * * *"\n  sesion_mode: "shared_persistent"\n}',
        'sesion_mode: "shared_persistent"',
        'session_mode: "shared_persistent"',
    ),
    (
        "SYM202",
        'schedule a {\n  agent: "worker"\n  cron: "0 9 * * *"\n}',
        'cron: "0 9 * * *"',
        'cron: "0 0 9 * * *"',
    ),
    (
        "SYM302",
        'schedule a {\n  agent: "worker"\n  cron: "0 0 9 * * *"\n  delivery: ["webhook"]\n}',
        'delivery: ["webhook"]\n}',
        'delivery: ["webhook"]\n  webhook_url: "${WEBHOOK_URL}"\n}',
    ),
    (
        "SYM401",
        'schedule a {\n  agent: "worker"\n  cron: "0 0 9 * * *"\n'
        "  policy {\n    require_agent_pin: true\n  }\n}",
        '"0 0 9 * * *"\n  policy {',
        '"0 0 9 * * *"\n  agent_pin_jwt: "${AGENT_PIN_JWT}"\n  policy {',
    ),
    (
        "SYM108",
        'schedule a {\n  agent: "worker"\n  cron: "0 0 9 * * *"\n  catchup: erliest\n}',
        "catchup: erliest",
        "catchup: earliest",
    ),
    (
        "SYM301",
        'schedule a {\n  agent: "worker"\n  cron: "0 0 9 * * *"\n  delivery: ["logfile"]\n}',
        'delivery: ["logfile"]',
        'delivery: ["log_file"]',
    ),
    (
        "SYM210",
        'schedule a {\n  agent: "worker"\n  cron: "0 0 9 * * *"\n  timezone: "Europe/Pariss"\n}',
        '"Europe/Pariss"',
        '"Europe/Paris"',
    ),
    (
        "SYM704",
        'schedule a {\n  agent: "wroker"\n  cron: "0 0 9 * * *"\n}',
        '"wroker"',
        '"worker"',
    ),
    ("SYM101", 'shedule a {\n  agent: "worker"\n  cron: "0 0 9 * * *"\n}', "shedule a", "schedule a"),
]


@pytest.mark.parametrize(("code", "text", "before", "after"), CASES, ids=[c[0] for c in CASES])
def test_fix_removes_the_diagnostic(code: str, text: str, before: str, after: str) -> None:
    text += AGENT
    (d,) = [d for d in _diagnostics(text) if d.code == code]
    fixed = _apply(text, d)
    assert fixed == text.replace(before, after)
    assert [x for x in _diagnostics(fixed) if x.severity.value != "info"] == []


def test_five_field_fix_in_a_string_with_escapes_replaces_the_literal() -> None:
    text = 'schedule a {\n  agent: "worker"\n  cron: "0 9 * * \\u002A"\n}' + AGENT
    (d,) = [d for d in _diagnostics(text) if d.code == "SYM202"]
    assert _apply(text, d) == text.replace('"0 9 * * \\u002A"', '"0 0 9 * * *"')
