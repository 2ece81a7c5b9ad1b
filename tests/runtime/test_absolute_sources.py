"""`absolute_sources` (loading makes every job's and agent's source file absolute) copies the IR without
re-running its constructors: the copies must equal what `dataclasses.replace` gives, and the originals
stay as they were."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from symbi_runtime.loading import absolute_sources

from symbi_lang.ir import AgentDefinition, JobDefinition, JobSet, Policy, SourceRef


def test_sources_become_absolute_and_everything_else_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    agent = AgentDefinition(name="bot", command=("echo", "hi"), source=SourceRef("jobs/a.symbi", 2, 1))
    jobs = (
        JobDefinition(
            name="one",
            agent_id="bot",
            cron_expr="0 0 9 * * *",
            input="${X}",
            policy=Policy(max_runtime="5m", max_runtime_seconds=300.0),
            agent=agent,
            source=SourceRef("jobs/a.symbi", 9, 1),
        ),
        JobDefinition(name="api", agent_id="bot", cron_expr="0 * * * * *", source=SourceRef("", 0, 0)),
        JobDefinition(
            name="stdin", agent_id="bot", at="2027-01-01T00:00:00Z", source=SourceRef("<stdin>", 1, 1)
        ),
    )
    original = JobSet(jobs=jobs, agents=(agent,))
    fixed = absolute_sources(original)

    where = str((tmp_path / "jobs" / "a.symbi").resolve())
    expected_agent = dataclasses.replace(agent, source=SourceRef(where, 2, 1))
    assert fixed.agents == (expected_agent,)
    assert fixed.jobs[0] == dataclasses.replace(jobs[0], source=SourceRef(where, 9, 1), agent=expected_agent)
    assert fixed.jobs[0].policy is jobs[0].policy and fixed.jobs[0].input == "${X}"
    assert fixed.jobs[1] is jobs[1] and fixed.jobs[2] is jobs[2]  # nothing to resolve: the same objects
    assert original.jobs[0].source.file == "jobs/a.symbi" and agent.source.file == "jobs/a.symbi"
    with pytest.raises(dataclasses.FrozenInstanceError):
        fixed.jobs[0].name = "x"  # type: ignore[misc]
    assert absolute_sources(fixed) == fixed
