"""Upstream Symbiont's dialect: which blocks are upstream, the Job IR of upstream schedules, the
formatter keeping upstream items as written, and `migrate_text` round trips.

The `.symbi` files beside this module are case files read by `tests/lang/checks/test_cases.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from symbi_lang.api import Source, analyze
from symbi_lang.fmt import format_text
from symbi_lang.parser import parse
from symbi_lang.upstream.derive import Delivery, map_deliver
from symbi_lang.upstream.migrate import migrate_text

HERE = Path(__file__).parent
CLEAN = ["items.symbi", "deliver.symbi", "one_shot.symbi"]


def _text(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def _ir_without_source(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _ir_without_source(v) for k, v in data.items() if k != "source"}
    if isinstance(data, list):
        return [_ir_without_source(v) for v in data]
    return data


@pytest.mark.parametrize(
    ("body", "upstream"),
    [
        ('cron = "0 0 9 * * *"', True),
        ('cron: "0 0 9 * * *"\n  one_shot: true', True),
        ('cron = "0 0 9 * * *"\n  agent = "a"\n  one_shot = true', True),
        # `one_shot` is ours too: with `agent`, or a key only ours knows, the block stays ours
        ('cron: "0 0 9 * * *"\n  agent: "a"\n  one_shot: true', False),
        ('cron: "0 0 9 * * *"\n  one_shot: true\n  description: "d"', False),
        ('cron: "0 0 9 * * *"\n  deliver: "stdout"', True),
        ('cron: "0 0 9 * * *"\n  audit: "none"', True),
        ('cron: "0 0 9 * * *"\n  policy: "p"', True),
        ('cron: "0 0 9 * * *"\n  agent: reporter', True),
        # bare words next to something only our dialect has stay ours (and our checks judge them)
        ('name: "r"\n  cron: "0 0 9 * * *"\n  agent: reporter', False),
        ('cron: "0 0 9 * * *"\n  agent: reporter\n  delivery: ["stdout"]', False),
        ('cron: "0 0 9 * * *"\n  agent: "reporter"', False),
        ('cron: "0 0 9 * * *"\n  agent: "a"\n  session_mode: fully_ephemeral', False),
        ('cron: "0 0 9 * * *"\n  agent: "a"\n  policy { max_runtime: "5m" }', False),
    ],
)
def test_the_dialect_rule(body: str, upstream: bool) -> None:
    text = f"schedule r {{\n  {body}\n}}\n"
    module = parse(text, path="t.symbi").module
    assert bool(module.upstream) is upstream
    assert [b.kind for b in module.items] == ["schedule"]
    assert (module.items[0].origin is not None) is upstream


def test_a_clean_file_of_our_dialect_never_reaches_the_upstream_reader() -> None:
    text = (
        'schedule {\n  name: "a"\n  agent: "x"\n  cron: "0 0 9 * * *"\n}\n'
        'agent x {\n  capabilities: ["c"]\n}\n'
    )
    module = parse(text, path="t.symbi").module
    assert module.upstream == ()
    assert all(b.origin is None for b in module.items)


@pytest.mark.parametrize("name", CLEAN)
def test_upstream_schedules_lower_to_a_snapshot(name: str, snapshot: SnapshotAssertion) -> None:
    analysis = analyze([Source(name, _text(name))])
    assert analysis.ok
    assert analysis.jobset().to_json() == snapshot


def test_upstream_schedule_fields_map_onto_the_job_ir() -> None:
    jobs = {j.name: j for j in analyze([Source("items.symbi", _text("items.symbi"))]).jobset().jobs}
    nightly = jobs["nightly_report"]
    assert (nightly.agent_id, nightly.cron_expr, nightly.timezone) == (
        "reporter",
        "0 30 2 * * *",
        "Europe/Berlin",
    )
    assert nightly.delivery == ("stdout",)
    assert nightly.agent is not None and nightly.agent.capabilities == ("read_reports", "summarise")
    archiver = jobs["archiver"]
    assert archiver.agent_id == "archiver"  # no `agent`: the schedule's name, as upstream does
    assert archiver.timezone == "UTC"
    assert archiver.agent is not None and archiver.agent.capabilities == ("archive", "read_reports")


@pytest.mark.parametrize(
    ("deliver", "expected"),
    [
        ("stdout", Delivery("stdout")),
        ("log_file", Delivery("log_file")),
        ("slack://compliance-alerts", Delivery("slack", "slack_channel", ("compliance-alerts",))),
        (
            "webhook://hooks.example.com/x",
            Delivery("webhook", "webhook_url", ("https://hooks.example.com/x",)),
        ),
        ("webhook://http://127.0.0.1:9/x", Delivery("webhook", "webhook_url", ("http://127.0.0.1:9/x",))),
        ("https://hooks.example.com/y", Delivery("webhook", "webhook_url", ("https://hooks.example.com/y",))),
        (
            "email://a@example.com, b@example.com",
            Delivery("email", "email_recipients", ("a@example.com", "b@example.com")),
        ),
        ("mailto:a@example.com", Delivery("email", "email_recipients", ("a@example.com",))),
        ("pager://ops", None),
        ("email://not-an-address", None),
        ("slack://", None),
        ("carrier pigeon", None),
    ],
)
def test_deliver_forms(deliver: str, expected: Delivery | None) -> None:
    assert map_deliver(deliver) == expected


@pytest.mark.parametrize("name", CLEAN)
def test_fmt_keeps_upstream_items_byte_for_byte_and_is_stable(name: str) -> None:
    text = _text(name)
    result = format_text(text, path=name)
    assert result.ok, result.reason
    module = parse(text, path=name).module
    for item in module.upstream:
        assert text[item.span.start.offset : item.span.end.offset] in result.output
    assert format_text(result.output, path=name).output == result.output


@pytest.mark.parametrize("name", CLEAN)
def test_migrate_round_trip_keeps_the_job_ir(name: str) -> None:
    text = _text(name)
    result = migrate_text(text, path=name)
    assert result.ok, result.reason
    before = analyze([Source(name, text)])
    after = analyze([Source(name, result.output)])
    assert after.ok
    assert not [u for u in after.modules[0].upstream if u.kind == "schedule"]
    assert _ir_without_source(after.jobset().to_dict()) == _ir_without_source(before.jobset().to_dict())
    # everything but the schedules is left as written
    for item in before.modules[0].upstream:
        if item.kind != "schedule":
            assert text[item.span.start.offset : item.span.end.offset] in result.output
    again = migrate_text(result.output, path=name)
    assert again.ok and not again.changed
    assert format_text(result.output, path=name).ok


def test_migrate_writes_our_dialect_with_notes_for_what_symbi_ignores() -> None:
    text = (
        "schedule nightly {\n"
        "    // kept\n"
        '    cron = "0 0 2 * * *"\n'
        "    agent = reporter\n"
        '    deliver = "slack://ops"\n'
        '    audit = "all_operations"\n'
        "}\n"
    )
    result = migrate_text(text, path="t.symbi")
    assert result.ok and result.changed
    assert result.output == (
        "schedule {\n"
        "    // kept\n"
        '    name: "nightly"\n'
        '    agent: "reporter"\n'
        '    cron: "0 0 2 * * *"\n'
        '    delivery: ["slack"]\n'
        '    slack_channel: "ops"\n'
        '    # upstream `audit = "all_operations"`: symbi\'s audit log records every scheduling decision\n'
        "}\n"
    )


def test_migrate_refuses_a_file_with_errors() -> None:
    text = _text("schedule_keys.symbi")
    result = migrate_text(text, path="schedule_keys.symbi")
    assert not result.ok and result.output == text
    assert result.reason is not None and "error" in result.reason


def test_one_shot_with_cron_lowers_to_the_ir_flag_and_validates() -> None:
    import jsonschema

    from symbi_lang.ir import JobSet, json_schema

    jobset = analyze([Source("one_shot.symbi", _text("one_shot.symbi"))]).jobset()
    jobs = {j.name: j for j in jobset.jobs}
    launch = jobs["launch_announcement"]
    assert (launch.one_shot, launch.cron_expr) == (True, "0 0 9 * * MON")
    assert jobs["launcher"].one_shot and jobs["launcher"].agent_id == "launcher"
    assert not jobs["weekly_digest"].one_shot
    data = jobset.to_dict()
    jsonschema.Draft202012Validator(json_schema()).validate(data)
    written = {j["name"]: j for j in data["jobs"]}
    assert written["launch_announcement"]["one_shot"] is True
    assert "one_shot" not in written["weekly_digest"]  # absent means false: older IR reads unchanged
    assert JobSet.from_dict(data) == jobset
    # the IR holds no instant for the fire: compiling at another "now" gives the same IR
    assert "2026" not in json.dumps(written["launch_announcement"])


def test_the_ir_schema_refuses_one_shot_beside_at() -> None:
    import jsonschema

    from symbi_lang.ir import JobDefinition, json_schema

    job = JobDefinition(name="x", agent_id="a", at="2030-01-01T00:00:00Z").to_dict()
    validator = jsonschema.Draft202012Validator(json_schema())
    doc = {"ir_version": "1", "jobs": [job], "agents": []}
    validator.validate(doc)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**doc, "jobs": [{**job, "one_shot": True}]})
    with pytest.raises(ValueError, match="one_shot needs cron_expr"):
        JobDefinition.from_dict({**job, "one_shot": True})
    with pytest.raises(ValueError, match="true or false"):
        JobDefinition.from_dict({**job, "cron_expr": "0 0 9 * * *", "at": None, "one_shot": "yes"})


def test_migrate_writes_one_shot_beside_cron_and_a_note_beside_at() -> None:
    text = (
        "schedule launch {\n"
        '    cron = "0 0 9 * * MON"\n'
        "    one_shot = true\n"
        "}\n"
        "schedule later {\n"
        '    at = "2030-01-01T09:00:00Z"\n'
        "    agent = launch\n"
        "    one_shot = true\n"
        "}\n"
    )
    result = migrate_text(text, path="t.symbi")
    assert result.ok and result.changed, result.reason
    assert result.output == (
        "schedule {\n"
        '    name: "launch"\n'
        '    agent: "launch"\n'
        '    cron: "0 0 9 * * MON"\n'
        "    one_shot: true\n"
        "}\n"
        "schedule {\n"
        '    name: "later"\n'
        '    agent: "launch"\n'
        '    at: "2030-01-01T09:00:00Z"\n'
        "    # upstream `one_shot = true`: an `at` schedule runs once\n"
        "}\n"
    )
    jobs = {j.name: j for j in analyze([Source("t.symbi", result.output)]).jobset().jobs}
    assert jobs["launch"].one_shot and not jobs["later"].one_shot
