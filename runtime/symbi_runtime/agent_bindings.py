"""Whether each schedule's agent resolves to something a runtime can execute, said at load time.

A run whose agent has no executor fails on every fire until the job is dead-lettered, so loading says
it first. Two cases: the agent is not declared anywhere the loader can see (a typo, a missing file) —
`symbi up` refuses it (nothing can register an agent in that process later), `cron add` warns loudly
(a program using the Runtime API may register it in-process); and the agent is declared without an
executor (a model-only block) — both load it with a warning saying how to bind it.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from symbi_lang.ir import AgentDefinition, JobDefinition

HOW_TO_BIND = (
    'bind it in its agent block with `handler: "module:function"`, `command: ["program", …]` or '
    '`endpoint: "https://…"`, or register it in-process (Runtime.register_agent)'
)


@dataclass(frozen=True, slots=True)
class UnboundAgent:
    """A schedule whose agent no executor answers for; `declared` when an agent block exists."""

    schedule: str
    agent: str
    declared: bool
    suggestion: str | None = None

    def message(self) -> str:
        if self.declared:
            return (
                f"agent {self.agent!r} (schedule {self.schedule!r}) is declared but has no executor, so "
                f"every run would fail: {HOW_TO_BIND}"
            )
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        return (
            f"schedule {self.schedule!r}: agent {self.agent!r} is not defined in the loaded files and "
            f"nothing registered it{hint}"
        )


def _bound(agent: AgentDefinition) -> bool:
    return bool(agent.handler or agent.command or agent.endpoint)


def unbound_agents(
    jobs: Iterable[JobDefinition],
    declared: Mapping[str, AgentDefinition],
    registered: Collection[str] = (),
) -> list[UnboundAgent]:
    """The schedules of `jobs` whose agent is neither registered nor declared with an executor."""
    problems = []
    names = sorted({*declared, *registered})
    for job in jobs:
        if job.agent_id in registered:
            continue
        agent = job.agent or declared.get(job.agent_id)
        if agent is None:
            close = difflib.get_close_matches(job.agent_id, names, n=1, cutoff=0.6)
            problems.append(UnboundAgent(job.name, job.agent_id, False, close[0] if close else None))
        elif not _bound(agent):
            problems.append(UnboundAgent(job.name, job.agent_id, True))
    return problems
