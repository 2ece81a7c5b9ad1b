"""Names the user probably mistyped: an agent reference close to a defined agent is a warning with a fix
(an agent defined nowhere, to be registered in-process, is one note per agent name however many
schedules use it); a city alone as a time zone suggests its IANA name."""

from __future__ import annotations

from pathlib import Path

from symbi_lang.api import CheckContext, Source, analyze
from tests.lang.cli.conftest import run_symbi

AGENT = 'agent reporter {\n  command: ["true"]\n}\n'


def _schedule(name: str, agent: str) -> str:
    return f'schedule {name} {{\n  agent: "{agent}"\n  cron: "0 0 9 * * *"\n}}\n'


def test_a_typo_of_a_defined_agent_is_a_warning_with_the_fix() -> None:
    analysis = analyze([Source("a.symbi", _schedule("daily", "reportr") + AGENT)], CheckContext())
    (d,) = analysis.diagnostics
    assert (d.code, d.severity.value) == ("SYM704", "warning")
    assert d.message == "agent `reportr` is not defined; did you mean `reporter`?"
    assert d.fixes[0].edits[0].new_text == '"reporter"'


def test_a_merely_similar_name_stays_a_note() -> None:
    text = _schedule("beat", "heartbeat-agent") + AGENT.replace("reporter", "heartbeat_monitor")
    analysis = analyze([Source("a.symbi", text)], CheckContext())
    assert [(d.code, d.severity.value) for d in analysis.diagnostics] == [("SYM703", "info")]


def test_check_strict_fails_on_an_agent_typo(tmp_path: Path) -> None:
    (tmp_path / "a.symbi").write_text(_schedule("daily", "reportr") + AGENT)
    plain = run_symbi("check", "a.symbi", cwd=tmp_path)
    assert plain.code == 0 and "warning[SYM704]" in plain.out
    assert run_symbi("check", "a.symbi", "--strict", cwd=tmp_path).code == 1


def test_thousands_of_schedules_of_an_undefined_agent_give_one_note_with_the_count() -> None:
    text = "".join(_schedule(f"s{i}", "registered_elsewhere") for i in range(2000))
    text += _schedule("other", "another_one")
    analysis = analyze([Source("many.symbi", text)], CheckContext())
    notes = [d for d in analysis.diagnostics if d.code == "SYM703"]
    assert [d.message for d in notes] == [
        "agent `registered_elsewhere` is not defined in the checked files",
        "agent `another_one` is not defined in the checked files",
    ]
    assert notes[0].span.start.line == 2  # at the first use
    assert notes[0].help is not None and notes[0].help.startswith("2000 schedules use it (this is the first)")
    assert notes[1].help is not None and "schedules use it" not in notes[1].help


def test_a_city_alone_suggests_its_iana_zone() -> None:
    from symbi_lang.checks.timing import suggest_zone

    text = 'schedule s {\n  agent: "reporter"\n  cron: "0 0 9 * * *"\n  timezone: "berlin"\n}\n' + AGENT
    (d,) = analyze([Source("a.symbi", text)], CheckContext()).diagnostics
    assert d.code == "SYM210" and d.help == "did you mean `Europe/Berlin`?"
    assert d.fixes[0].edits[0].new_text == '"Europe/Berlin"'
    assert suggest_zone("new york") == "America/New_York"
    assert suggest_zone("Tokyo") == "Asia/Tokyo"
    assert suggest_zone("utc") == "UTC"
    assert suggest_zone("Europe/Pariss") == "Europe/Paris"
    assert suggest_zone("qwxz") is None
