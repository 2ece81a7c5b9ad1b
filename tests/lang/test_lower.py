"""Lowering to the Job IR: the spec's examples, the JSON Schema, round trips, determinism, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from syrupy.assertion import SnapshotAssertion

from symbi_lang.ast import Module
from symbi_lang.ir import Catchup, JobSet, SessionMode, json_schema
from symbi_lang.lower import lower_modules
from symbi_lang.parser import parse

SPEC_DIR = Path(__file__).parent / "checks" / "spec"
SPEC_FILES = sorted(SPEC_DIR.glob("*.symbi"))
EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.symbi"))
VALIDATOR = jsonschema.Draft202012Validator(json_schema())


def _module(text: str, path: str = "t.symbi") -> Module:
    return parse(text, path=path).module


def _spec_modules() -> list[Module]:
    return [_module(p.read_text(), p.name) for p in SPEC_FILES]


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())


@pytest.mark.parametrize("path", SPEC_FILES + EXAMPLES, ids=lambda p: p.name)
def test_spec_examples_and_examples_lower_and_validate(path: Path) -> None:
    result = parse(path.read_text(), path=path.name)
    assert result.ok
    jobset = lower_modules([result.module])
    schedules = len(result.module.schedules)
    assert len(jobset.jobs) == schedules
    assert len(jobset.agents) == len(result.module.agents)
    VALIDATOR.validate(jobset.to_dict())
    for job in jobset.jobs:
        assert job.source.file == path.name
        assert job.source.line >= 1


def test_spec_ir_snapshot(snapshot: SnapshotAssertion) -> None:
    assert lower_modules(_spec_modules()).to_json() == snapshot


def test_round_trip_through_json() -> None:
    jobset = lower_modules(_spec_modules())
    again = JobSet.from_dict(json.loads(jobset.to_json()))
    assert again == jobset
    assert again.to_json() == jobset.to_json()


def test_lowering_is_deterministic() -> None:
    first = lower_modules(_spec_modules()).to_json()
    second = lower_modules(_spec_modules()).to_json()
    assert first == second
    names = [j.name for j in lower_modules(_spec_modules()).jobs]
    assert names[:3] == ["daily-report", "deployment-check", "system-monitor"]


def test_fields_lowered() -> None:
    text = """
agent deployer {
  model: "m-${MODEL_SUFFIX}"
  capabilities: ["deployment"]
  command: ["sh", "-c", "cat"]
}

schedule nightly {
  agent: "deployer"
  cron: "0 0 2 * * *"
  timezone: "Europe/Berlin"
  session_mode: shared_persistent
  catchup: "all"
  jitter: "1m30s"
  max_concurrent: 3
  max_retries: 0
  delivery: ["webhook", "email"]
  webhook_url: "${HOOK_URL}"
  webhook_headers: { "Authorization": "Bearer ${TOKEN}", x_trace: "1" }
  email_recipients: ["a@example.com"]
  agent_pin_jwt: "${AGENT_PIN_JWT}"
  policy {
    require_approval: true
    approver: "ops"
    max_runtime: "1h30m"
    require_capabilities: ["deployment"]
    allowed_hours: { start: "0:00", end: 24 }
    allowed_environments: ["prod"]
    require_agent_pin: true
  }
  heartbeat { context_mode: "fully_ephemeral", max_iterations: 7 }
}
"""
    jobset = lower_modules([_module(text)])
    (job,) = jobset.jobs
    assert job.name == "nightly"
    assert job.source.line == 8 and job.source.column == 1
    assert job.session_mode is SessionMode.SHARED_PERSISTENT
    assert job.catchup is Catchup.ALL
    assert job.jitter == 90
    assert (job.max_concurrent, job.max_retries) == (3, 0)
    assert job.webhook_url == "${HOOK_URL}"
    assert job.webhook_headers == (("Authorization", "Bearer ${TOKEN}"), ("x_trace", "1"))
    assert job.agent_pin_jwt == "${AGENT_PIN_JWT}"
    assert job.policy.max_runtime == "1h30m" and job.policy.max_runtime_seconds == 5400.0
    assert job.policy.allowed_hours is not None
    assert (job.policy.allowed_hours.start, job.policy.allowed_hours.end) == ("00:00", "24:00")
    assert job.policy.require_capabilities == ("deployment",)
    assert job.heartbeat is not None and job.heartbeat.enabled
    assert job.heartbeat.context_mode is SessionMode.FULLY_EPHEMERAL and job.heartbeat.max_iterations == 7
    assert job.agent is not None and job.agent.model == "m-${MODEL_SUFFIX}"
    assert job.agent.command == ("sh", "-c", "cat")
    VALIDATOR.validate(jobset.to_dict())


def test_integer_max_runtime_is_seconds() -> None:
    (job,) = lower_modules(
        [_module('schedule a { agent: "x" cron: "* * * * * *" policy { max_runtime: 90 } }')]
    ).jobs
    assert job.policy.max_runtime == "1m30s" and job.policy.max_runtime_seconds == 90.0


def test_order_follows_modules_then_file_and_first_duplicate_wins() -> None:
    a = _module(
        'schedule b { agent: "x" cron: "* * * * * *" }\nschedule a { agent: "x" at: "2030-01-01T00:00:00Z" }',
        "a",
    )
    b = _module(
        'schedule a { agent: "y" cron: "* * * * * *" }\nschedule c { agent: "x" cron: "* * * * * *" }', "b"
    )
    jobs = lower_modules([a, b]).jobs
    assert [(j.name, j.source.file) for j in jobs] == [("b", "a"), ("a", "a"), ("c", "b")]
    assert jobs[1].at == "2030-01-01T00:00:00Z" and jobs[1].cron_expr is None


@pytest.mark.parametrize(
    "text",
    [
        'schedule { agent: "x" cron: "* * * * * *" }',  # no name
        'schedule a { cron: "* * * * * *" }',  # no agent
        'schedule a { agent: "x" }',  # no time
        'schedule a { agent: "x" cron: "* * * * * *" at: "2030-01-01T00:00:00Z" }',  # both
        'schedule a { agent: 3 cron: ["x"] }',  # wrong types
        "agent { model: 1 }",
    ],
)
def test_what_cannot_be_lowered_is_skipped(text: str) -> None:
    jobset = lower_modules([_module(text)])
    assert jobset.jobs == ()
    VALIDATOR.validate(jobset.to_dict())


@pytest.mark.parametrize(
    "text",
    [
        'schedule a { agent: "x" cron: "* * * * * *" '
        'policy { max_runtime: "soon" allowed_hours: { start: 25 } }',
        'schedule a { agent "x" cron: "* * * * * *" heartbeat: [1] max_concurrent: -2 session_mode: "nope" }',
        'schedule a { agent: "x", cron: "* * * * * *", policy: 3, heartbeat { max_iterations: 0 } jitter: -1',
        "schedule a { agent: ",
        '}}} schedule { name: "" agent: "" cron: "" }',
    ],
)
def test_modules_with_errors_lower_without_raising(text: str) -> None:
    jobset = lower_modules([_module(text)])
    VALIDATOR.validate(jobset.to_dict())
    assert JobSet.from_dict(jobset.to_dict()) == jobset


def test_block_forms_lower_like_maps() -> None:
    text = (
        'schedule a { agent: "x" cron: "* * * * * *"\n'
        '  webhook_headers { Authorization: "Bearer ${T}" Authorization: "dup" }\n'
        "  heartbeat { enabled: false }\n"
        '  policy: { allowed_hours: { start: 22, end: "6:30" } }\n}'
    )
    (job,) = lower_modules([_module(text)]).jobs
    assert job.webhook_headers == (("Authorization", "Bearer ${T}"),)
    assert job.heartbeat is not None and not job.heartbeat.enabled
    assert job.policy.allowed_hours is not None
    assert (job.policy.allowed_hours.start, job.policy.allowed_hours.end) == ("22:00", "06:30")


def _valid_job() -> dict[str, object]:
    text = (
        'schedule a { agent: "x" cron: "0 0 9 * * *" heartbeat { }\n'
        "  policy { allowed_hours: { start: 1, end: 2 } } }"
    )
    job: dict[str, object] = lower_modules([_module(text)]).jobs[0].to_dict()
    return job


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"at": "2030-01-01T00:00:00Z"}, "both cron_expr and at"),
        ({"cron_expr": None}, "neither cron_expr nor at"),
        ({"session_mode": "forever"}, "unknown session mode"),
        ({"catchup": "sometimes"}, "unknown catchup"),
        ({"max_concurrent": 0}, "max_concurrent below 1"),
        ({"jitter": -1}, "negative jitter"),
        ({"webhook_headers": {"A": 1}}, "non-string header"),
        ({"surprise": True}, "unknown key"),
        (
            {"heartbeat": {"enabled": True, "context_mode": "fully_ephemeral", "max_iterations": 0}},
            "0 iterations",
        ),
    ],
)
def test_schema_rejects_invalid_jobs(change: dict[str, object], why: str) -> None:
    job = _valid_job()
    VALIDATOR.validate({"ir_version": "1", "jobs": [job], "agents": []})
    job.update(change)
    assert not VALIDATOR.is_valid({"ir_version": "1", "jobs": [job], "agents": []}), why


def test_schema_rejects_bad_windows_versions_and_missing_keys() -> None:
    job = _valid_job()
    policy = dict(job["policy"])  # type: ignore[call-overload]
    policy["allowed_hours"] = {"start": "24:00", "end": "04:00"}
    assert not VALIDATOR.is_valid({"ir_version": "1", "jobs": [{**job, "policy": policy}], "agents": []})
    assert not VALIDATOR.is_valid({"ir_version": "2", "jobs": [], "agents": []})
    del job["source"]
    assert not VALIDATOR.is_valid({"ir_version": "1", "jobs": [job], "agents": []})


def test_every_field_ir_snapshot(snapshot: SnapshotAssertion) -> None:
    path = Path(__file__).parent / "checks" / "cases" / "clean.symbi"
    jobset = lower_modules([_module(path.read_text(), "clean.symbi")])
    VALIDATOR.validate(jobset.to_dict())
    assert [j.name for j in jobset.jobs] == ["release", "release_watch", "one-shot-cleanup"]
    assert jobset.to_json() == snapshot
