"""From checked files to the jobs a store loads: what `symbi up`, `symbi cron add` and the HTTP API share.

The check context loaders use, the load-time tolerance of passed times, duplicate names and absolute
source paths. Kept apart from `symbi_runtime.runtime` so that `cron add` imports none of the scheduler,
the agents or the HTTP stack (a tenth of the time it took to reload 10,000 unchanged jobs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from symbi_lang import codes
from symbi_lang.ast import Module, StringValue
from symbi_lang.checks import CheckContext
from symbi_lang.diagnostics import Diagnostic, Severity
from symbi_lang.ir import AgentDefinition, JobDefinition, JobSet, SourceRef
from symbi_runtime.config import Config


def check_context_for(config: Config, env: Mapping[str, str], channels: Iterable[str] = ()) -> CheckContext:
    """The context loaders check files with, so they accept exactly what `symbi check` accepts here: the
    environment, the configured Slack default channel, and the delivery channels that exist (`channels`
    plus those installed as `symbi.delivery` entry points)."""
    from importlib.metadata import entry_points

    from symbi_runtime.delivery import ENTRY_POINT_GROUP

    installed = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return CheckContext(
        env=dict(env),
        slack_default_channel=bool(config.delivery.slack_default_channel),
        custom_channels=frozenset(channels) | frozenset(installed),
    )


def tolerate_passed_times(
    diagnostics: Sequence[Diagnostic], modules: Sequence[Module], is_stored: Callable[[str], bool]
) -> list[Diagnostic]:
    """Loading is idempotent: a file whose one-shot `at` has passed (SYM209) or whose cron has run out
    (SYM203) since its job was stored must load again (the job stays completed), and a new past `at`
    goes to the scheduler's catch-up rule (run once within the window, else `missed`). Those errors
    become warnings when loading; an expression that never fires at all still refuses to load."""
    kept: list[Diagnostic] = []
    for d in diagnostics:
        if d.is_error and (
            d.code == codes.AT_PAST.code
            or (d.code == codes.CRON_NEVER_FIRES.code and is_stored(_schedule_name_at(d, modules) or ""))
        ):
            d = dataclasses.replace(d, severity=Severity.WARNING)
        kept.append(d)
    return kept


def _schedule_name_at(d: Diagnostic, modules: Sequence[Module]) -> str | None:
    """The name of the schedule block that holds diagnostic `d`."""
    for module in modules:
        if module.path != d.span.path:
            continue
        for block in module.schedules:
            if block.span.start.offset <= d.span.start.offset < block.span.end.offset:
                field = block.field("name")
                if field is not None and isinstance(field.value, StringValue):
                    return field.value.value
                return block.label
    return None


def duplicate_names(jobs: Iterable[JobDefinition]) -> list[str]:
    """The names given to more than one job, sorted (one pass: loads hold 10,000 jobs)."""
    seen: set[str] = set()
    dupes: set[str] = set()
    for job in jobs:
        (dupes if job.name in seen else seen).add(job.name)
    return sorted(dupes)


def absolute_sources(jobset: JobSet) -> JobSet:
    """The jobset with every source file made absolute, so a stored job finds its `.symbi` file (handler
    modules and `command` working directory are relative to it) whatever directory the runtime runs in."""

    resolved: dict[str, str] = {}  # one file holds many jobs: resolve each path once
    agents_done: dict[int, AgentDefinition] = {}  # a job's agent is often the jobset's own object

    def fix(src: SourceRef) -> SourceRef:
        if not src.file or src.file.startswith("<"):
            return src
        absolute = resolved.get(src.file)
        if absolute is None:
            absolute = resolved[src.file] = str(Path(src.file).resolve())
        return src if absolute == src.file else SourceRef(absolute, src.line, src.column)

    def fix_agent(agent: AgentDefinition | None) -> AgentDefinition | None:
        if agent is None:
            return None
        done = agents_done.get(id(agent))
        if done is None:
            done = agents_done[id(agent)] = _with_fields(agent, source=fix(agent.source))
        return done

    agents = tuple(fix_agent(a) or a for a in jobset.agents)
    jobs = tuple(_with_fields(j, source=fix(j.source), agent=fix_agent(j.agent)) for j in jobset.jobs)
    return dataclasses.replace(jobset, jobs=jobs, agents=agents)


_T = TypeVar("_T")


def _with_fields(obj: _T, **changes: object) -> _T:
    """`dataclasses.replace(obj, **changes)` for the IR's frozen slotted dataclasses, without running
    `__init__` over their twenty-odd fields again (loading 10,000 jobs did that 30,000 times): the other
    fields are copied as they are, already validated. The object itself when nothing changes."""
    if all(getattr(obj, name) is value for name, value in changes.items()):
        return obj
    cls = type(obj)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(obj))  # type: ignore[arg-type]
    copy = object.__new__(cls)
    for name in names:
        object.__setattr__(copy, name, changes[name] if name in changes else getattr(obj, name))
    return copy


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
