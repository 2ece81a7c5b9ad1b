"""The Job IR's hand-written JSON writers against a generic walk of the dataclasses.

`symbi_lang.ir` spells every field out (storing 10,000 jobs serialises each one). These tests keep
that fast form honest: on every example and on random IRs it writes the same dict, key order included,
as a walk over `dataclasses.fields` — the writer it replaced — and reading it back gives the same IR.
A field added to a dataclass but not to its writer fails here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbi_lang.api import analyze_paths
from symbi_lang.ir import (
    AgentDefinition,
    AllowedHours,
    Catchup,
    Heartbeat,
    JobDefinition,
    JobSet,
    Policy,
    SessionMode,
    SourceRef,
    _any_job_from_dict,
    _plain,  # unchanged by the fast writers: the oracle may share it
)

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.symbi"))


# --- the oracle: the generic writer the hand-written one replaced ---------------------------------


def generic_agent(agent: AgentDefinition) -> dict[str, Any]:
    d = {f.name: _plain(getattr(agent, f.name)) for f in fields(agent)}
    d["source"] = asdict(agent.source)
    return d


def generic_job(job: JobDefinition) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for f in fields(job):
        v = getattr(job, f.name)
        if f.name == "webhook_headers":
            d[f.name] = {k: val for k, val in v}
        elif f.name == "policy":
            p = {pf.name: _plain(getattr(v, pf.name)) for pf in fields(v)}
            p["allowed_hours"] = asdict(v.allowed_hours) if v.allowed_hours else None
            d[f.name] = p
        elif f.name == "heartbeat":
            d[f.name] = None if v is None else {hf.name: _plain(getattr(v, hf.name)) for hf in fields(v)}
        elif f.name == "agent":
            d[f.name] = None if v is None else generic_agent(v)
        elif f.name == "source":
            d[f.name] = asdict(v)
        elif f.name == "one_shot":
            if v:
                d[f.name] = True
        else:
            d[f.name] = _plain(v)
    return d


def assert_same_as_generic(job: JobDefinition) -> None:
    fast, generic = job.to_dict(), generic_job(job)
    assert fast == generic
    # Equal dicts can still differ in key order, and the stored text is compared byte for byte.
    assert json.dumps(fast) == json.dumps(generic)
    assert JobDefinition.from_dict(json.loads(json.dumps(fast))) == job


# --- random IRs -----------------------------------------------------------------------------------

text = st.text(max_size=12)
opt_text = st.none() | text
words = st.lists(text, max_size=3).map(tuple)
sources = st.builds(SourceRef, file=text, line=st.integers(0, 10**6), column=st.integers(0, 10**4))
agents = st.builds(
    AgentDefinition,
    name=text,
    model=opt_text,
    system_prompt=opt_text,
    description=opt_text,
    capabilities=words,
    handler=opt_text,
    command=st.none() | words,
    endpoint=opt_text,
    api_key_env=opt_text,
    source=sources,
)
policies = st.builds(
    Policy,
    require_approval=st.booleans(),
    approver=opt_text,
    max_runtime=opt_text,
    max_runtime_seconds=st.none() | st.floats(0, 1e6),
    require_capabilities=words,
    allowed_hours=st.none() | st.builds(AllowedHours, start=text, end=text),
    allowed_environments=words,
    require_agent_pin=st.booleans(),
)
heartbeats = st.none() | st.builds(
    Heartbeat,
    enabled=st.booleans(),
    context_mode=st.sampled_from(SessionMode),
    max_iterations=st.integers(0, 10**6),
)


@st.composite
def job_definitions(draw: st.DrawFn) -> JobDefinition:
    cron = draw(st.booleans())
    return JobDefinition(
        name=draw(text),
        agent_id=draw(text),
        cron_expr=draw(text) if cron else None,
        at=None if cron else draw(text),
        one_shot=draw(st.booleans()) if cron else False,
        timezone=draw(text),
        description=draw(opt_text),
        input=draw(opt_text),
        session_mode=draw(st.sampled_from(SessionMode)),
        delivery=draw(words),
        webhook_url=draw(opt_text),
        webhook_headers=tuple(draw(st.dictionaries(text, text, max_size=3)).items()),
        slack_channel=draw(opt_text),
        email_recipients=draw(words),
        max_concurrent=draw(st.integers(1, 1000)),
        max_retries=draw(st.none() | st.integers(0, 100)),
        jitter=draw(st.none() | st.integers(0, 3600)),
        catchup=draw(st.sampled_from(Catchup)),
        agent_pin_jwt=draw(opt_text),
        policy=draw(policies),
        heartbeat=draw(heartbeats),
        agent=draw(st.none() | agents),
        source=draw(sources),
    )


@settings(max_examples=300, deadline=None)
@given(job_definitions())
def test_random_jobs_serialise_as_the_generic_walk(job: JobDefinition) -> None:
    assert_same_as_generic(job)


@settings(max_examples=100, deadline=None)
@given(st.lists(job_definitions(), max_size=3), st.lists(agents, max_size=3))
def test_random_jobsets_round_trip(jobs: list[JobDefinition], agent_list: list[AgentDefinition]) -> None:
    jobset = JobSet(jobs=tuple(jobs), agents=tuple(agent_list))
    data = jobset.to_dict()
    assert data["agents"] == [generic_agent(a) for a in agent_list]
    assert JobSet.from_dict(json.loads(jobset.to_json())) == jobset


def test_every_example_serialises_as_the_generic_walk() -> None:
    jobs = analyze_paths(EXAMPLES).jobset().jobs
    assert len(jobs) > 10
    assert any(j.agent is not None for j in jobs) and any(j.heartbeat is not None for j in jobs)
    for job in jobs:
        assert_same_as_generic(job)


def test_defaults_and_one_shot_keys() -> None:
    plain = JobDefinition(name="a", agent_id="b", cron_expr="* * * * * *")
    assert "one_shot" not in plain.to_dict()  # absent when false: older stored IR stays byte-identical
    assert plain.with_changes(one_shot=True).to_dict()["one_shot"] is True
    assert_same_as_generic(plain)
    assert_same_as_generic(plain.with_changes(one_shot=True))


def test_every_field_has_a_key() -> None:
    full = JobDefinition(
        name="n",
        agent_id="a",
        cron_expr="* * * * * *",
        one_shot=True,
        policy=Policy(allowed_hours=AllowedHours("09:00", "17:00")),
        heartbeat=Heartbeat(),
        agent=AgentDefinition(name="a", command=("x",)),
    )
    d = full.to_dict()
    assert list(d) == [f.name for f in fields(JobDefinition)]
    assert list(d["policy"]) == [f.name for f in fields(Policy)]
    assert list(d["heartbeat"]) == [f.name for f in fields(Heartbeat)]
    assert list(d["agent"]) == [f.name for f in fields(AgentDefinition)]
    assert list(d["source"]) == [f.name for f in fields(SourceRef)]


# --- the two readers: stored jobs (every key) and anything else ------------------------------------


def outcome(read: Any, data: dict[str, Any]) -> Any:
    try:
        return ("ok", read(data))
    except Exception as e:  # the error a damaged row would be shown with: type and text
        return ("error", type(e).__name__, str(e))


@settings(max_examples=200, deadline=None)
@given(job_definitions())
def test_the_stored_job_reader_reads_as_the_general_one(job: JobDefinition) -> None:
    data = json.loads(json.dumps(job.to_dict()))
    assert outcome(JobDefinition.from_dict, data) == outcome(_any_job_from_dict, data) == ("ok", job)


ODD_VALUES: list[tuple[str, Any]] = [
    ("session_mode", "bad"),
    ("session_mode", ["x"]),
    ("catchup", 3),
    ("catchup", "all"),
    ("one_shot", "yes"),
    ("one_shot", 1),
    ("one_shot", True),
    ("cron_expr", None),
    ("delivery", None),
    ("delivery", "ab"),
    ("webhook_headers", None),
    ("webhook_headers", [["a", "b"]]),
    ("webhook_headers", 5),
    ("email_recipients", None),
    ("policy", None),
    ("policy", {"approver": "x"}),
    ("policy", {"bogus": 1}),
    ("policy", 3),
    ("heartbeat", {"context_mode": "nope"}),
    ("heartbeat", {"enabled": False}),
    ("agent", {"name": "a", "bogus": 1}),
    ("agent", {"name": "a", "command": ["x"]}),
    ("source", None),
    ("source", {"file": "f"}),
    ("source", {"line": "x", "bogus": 1}),
    ("name", None),
    ("max_concurrent", "2"),
]


@pytest.mark.parametrize(("key", "value"), ODD_VALUES, ids=lambda v: repr(v)[:30])
def test_odd_stored_values_read_or_fail_as_with_the_general_reader(key: str, value: Any) -> None:
    base = JobDefinition(name="n", agent_id="a", cron_expr="* * * * * *").to_dict()
    for data in ({**base, key: value}, {k: v for k, v in {**base, key: value}.items() if k != "one_shot"}):
        assert outcome(JobDefinition.from_dict, data) == outcome(_any_job_from_dict, data)


def test_missing_and_unknown_keys_fail_as_before() -> None:
    base = JobDefinition(name="n", agent_id="a", cron_expr="* * * * * *").to_dict()
    missing = {k: v for k, v in base.items() if k != "timezone"}
    assert outcome(JobDefinition.from_dict, missing) == (
        "ok",
        JobDefinition(name="n", agent_id="a", cron_expr="* * * * * *"),
    )
    unknown = outcome(JobDefinition.from_dict, {**base, "bogus": 1})
    assert unknown == ("error", "ValueError", "unknown job key(s): bogus")
    no_name = outcome(JobDefinition.from_dict, {k: v for k, v in base.items() if k != "name"})
    assert no_name[:2] == ("error", "TypeError")
