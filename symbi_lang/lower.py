"""Syntax tree to Job IR: `lower_modules(modules) -> JobSet`.

Lowering trusts nothing: on a module with errors it skips what cannot be lowered (a schedule without
a name, an agent or a time; a field of the wrong type falls back to its default) and never raises.
`${VAR}` references stay unresolved. Order is deterministic: modules as given, items in file order;
the first definition of a duplicated name wins (the checks report the duplicate).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from symbi_lang.ast import Block, BoolValue, IdentValue, ListValue, MapValue, Module, NumberValue, StringValue
from symbi_lang.checks.walk import Entry, block_name, index, pairs, time_of_day
from symbi_lang.durations import DurationError, format_duration, parse_duration
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
)


def lower_modules(modules: Sequence[Module]) -> JobSet:
    """Lower parsed (ideally checked) modules to a JobSet."""
    agents: dict[str, AgentDefinition] = {}
    for module in modules:
        for item in module.items:
            if item.kind == "agent":
                agent = lower_agent(item)
                if agent is not None and agent.name not in agents:
                    agents[agent.name] = agent
    jobs: dict[str, JobDefinition] = {}
    for module in modules:
        for item in module.items:
            if item.kind == "schedule":
                job = lower_schedule(item, agents)
                if job is not None and job.name not in jobs:
                    jobs[job.name] = job
    return JobSet(jobs=tuple(jobs.values()), agents=tuple(agents.values()))


def lower_agent(block: Block) -> AgentDefinition | None:
    """An `agent` block, or None without a name."""
    name = block_name(block)
    if not name:
        return None
    e = index(block)
    command = _strings(e.get("command"))
    return AgentDefinition(
        name=name,
        model=_string(e.get("model")),
        system_prompt=_string(e.get("system_prompt")),
        description=_string(e.get("description")),
        capabilities=_strings(e.get("capabilities")) or (),
        handler=_string(e.get("handler")),
        command=command,
        endpoint=_string(e.get("endpoint")),
        api_key_env=_string(e.get("api_key_env")),
        source=_source(block),
    )


def lower_schedule(block: Block, agents: dict[str, AgentDefinition]) -> JobDefinition | None:
    """A `schedule` block, or None when it lacks a name, an agent, or exactly one of `cron`/`at`."""
    name = block_name(block)
    e = index(block)
    agent_id = _string(e.get("agent"))
    cron, at = _string(e.get("cron")), _string(e.get("at"))
    if not name or not agent_id or (cron is None) == (at is None):
        return None
    headers_node = e.get("webhook_headers")
    headers: tuple[tuple[str, str], ...] = ()
    if headers_node is not None and isinstance(headers_node.node, (MapValue, Block)):
        seen: dict[str, str] = {}
        for key, _span, value in pairs(headers_node.node):
            if isinstance(value, StringValue):
                seen.setdefault(key, value.value)
        headers = tuple(seen.items())
    recipients = _strings(e.get("email_recipients"))
    if recipients is None and _string(e.get("email_recipients")) is not None:
        recipients = (_string(e.get("email_recipients")) or "",)
    max_concurrent = _int(e.get("max_concurrent"))
    policy_entry = e.get("policy")
    heartbeat_entry = e.get("heartbeat")
    return JobDefinition(
        name=name,
        agent_id=agent_id,
        cron_expr=cron,
        at=at,
        timezone=_string(e.get("timezone")) or "UTC",
        description=_string(e.get("description")),
        input=_string(e.get("input")),
        session_mode=_enum(SessionMode, e.get("session_mode"), SessionMode.EPHEMERAL_WITH_SUMMARY),
        delivery=_strings(e.get("delivery")) or (),
        webhook_url=_string(e.get("webhook_url")),
        webhook_headers=headers,
        slack_channel=_string(e.get("slack_channel")),
        email_recipients=recipients or (),
        max_concurrent=max_concurrent if max_concurrent is not None and max_concurrent >= 1 else 1,
        max_retries=_int(e.get("max_retries")),
        jitter=_seconds(e.get("jitter")),
        catchup=_enum(Catchup, e.get("catchup"), Catchup.LATEST),
        agent_pin_jwt=_string(e.get("agent_pin_jwt")),
        policy=lower_policy(policy_entry.node) if policy_entry and _is_container(policy_entry) else Policy(),
        heartbeat=lower_heartbeat(heartbeat_entry.node)
        if heartbeat_entry and _is_container(heartbeat_entry)
        else None,
        agent=agents.get(agent_id),
        source=_source(block),
    )


def lower_policy(node: object) -> Policy:
    """A `policy { … }` block (or map)."""
    assert isinstance(node, (Block, MapValue))
    e = index(node)
    seconds = _seconds(e.get("max_runtime"))
    hours_entry = e.get("allowed_hours")
    hours = None
    if hours_entry is not None and isinstance(hours_entry.node, (Block, MapValue)):
        h = index(hours_entry.node)
        start, end = time_of_day(h.get("start"), end=False), time_of_day(h.get("end"), end=True)
        if start is not None and end is not None:
            hours = AllowedHours(start, end)
    return Policy(
        require_approval=_bool(e.get("require_approval"), False),
        approver=_string(e.get("approver")),
        max_runtime=None if seconds is None else _text_or(e.get("max_runtime"), format_duration(seconds)),
        max_runtime_seconds=None if seconds is None else float(seconds),
        require_capabilities=_strings(e.get("require_capabilities")) or (),
        allowed_hours=hours,
        allowed_environments=_strings(e.get("allowed_environments")) or (),
        require_agent_pin=_bool(e.get("require_agent_pin"), False),
    )


def lower_heartbeat(node: object) -> Heartbeat:
    """A `heartbeat: { … }` map (or block)."""
    assert isinstance(node, (Block, MapValue))
    e = index(node)
    iterations = _int(e.get("max_iterations"))
    return Heartbeat(
        enabled=_bool(e.get("enabled"), True),
        context_mode=_enum(SessionMode, e.get("context_mode"), SessionMode.EPHEMERAL_WITH_SUMMARY),
        max_iterations=iterations if iterations is not None and iterations >= 1 else 100,
    )


# --- value helpers -----------------------------------------------------------------------------------

_E = TypeVar("_E", SessionMode, Catchup)


def _is_container(entry: Entry) -> bool:
    return isinstance(entry.node, (Block, MapValue))


def _source(block: Block) -> SourceRef:
    return SourceRef(block.span.path, block.span.start.line, block.span.start.column)


def _string(entry: Entry | None) -> str | None:
    if entry is not None and isinstance(entry.node, StringValue):
        return entry.node.value
    return None


def _text_or(entry: Entry | None, fallback: str) -> str:
    return _string(entry) or fallback


def _word(entry: Entry | None) -> str | None:
    if entry is None:
        return None
    if isinstance(entry.node, StringValue):
        return entry.node.value
    if isinstance(entry.node, IdentValue):
        return entry.node.name
    return None


def _strings(entry: Entry | None) -> tuple[str, ...] | None:
    if entry is None or not isinstance(entry.node, ListValue):
        return None
    out: list[str] = []
    for item in entry.node.items:
        if isinstance(item, StringValue):
            out.append(item.value)
        elif isinstance(item, IdentValue):
            out.append(item.name)
    return tuple(out)


def _int(entry: Entry | None) -> int | None:
    if entry is not None and isinstance(entry.node, NumberValue) and isinstance(entry.node.value, int):
        return entry.node.value
    return None


def _bool(entry: Entry | None, default: bool) -> bool:
    if entry is not None and isinstance(entry.node, BoolValue):
        return entry.node.value
    return default


def _seconds(entry: Entry | None) -> int | None:
    if entry is None:
        return None
    if isinstance(entry.node, NumberValue) and isinstance(entry.node.value, int) and entry.node.value >= 0:
        return entry.node.value
    if isinstance(entry.node, StringValue):
        try:
            return parse_duration(entry.node.value)
        except DurationError:
            return None
    return None


def _enum(kind: type[_E], entry: Entry | None, default: _E) -> _E:
    word = _word(entry)
    if word is None:
        return default
    try:
        return kind(word)
    except ValueError:
        return default
