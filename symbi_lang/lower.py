"""Syntax tree to Job IR: `lower_modules(modules) -> JobSet`.

Lowering trusts nothing: on a module with errors it skips what cannot be lowered (a schedule without
a name, an agent or a time; a field of the wrong type falls back to its default) and never raises.
`${VAR}` references stay unresolved. Order is deterministic: modules as given, items in file order;
the first definition of a duplicated name wins (the checks report the duplicate).
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import TypeAlias, TypeVar

from symbi_lang.ast import (
    Block,
    BoolValue,
    IdentValue,
    ListValue,
    MapValue,
    Module,
    NumberValue,
    StringValue,
    Value,
)
from symbi_lang.checks.walk import block_name, first_nodes, pairs, time_of_day
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
    gc_was_enabled = gc.isenabled()
    gc.disable()  # many small frozen objects from a large AST: the cyclic GC only slows this down
    try:
        return _lower(modules)
    finally:
        if gc_was_enabled:
            gc.enable()


def _lower(modules: Sequence[Module]) -> JobSet:
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
    e = first_nodes(block)
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
    e = first_nodes(block)
    agent_id = _string(e.get("agent"))
    cron, at = _string(e.get("cron")), _string(e.get("at"))
    if not name or not agent_id or (cron is None) == (at is None):
        return None
    headers_node = e.get("webhook_headers")
    headers: tuple[tuple[str, str], ...] = ()
    if isinstance(headers_node, (MapValue, Block)):
        seen: dict[str, str] = {}
        for key, _span, value in pairs(headers_node):
            if isinstance(value, StringValue):
                seen.setdefault(key, value.value)
        headers = tuple(seen.items())
    recipients = _strings(e.get("email_recipients"))
    if recipients is None and _string(e.get("email_recipients")) is not None:
        recipients = (_string(e.get("email_recipients")) or "",)
    max_concurrent = _int(e.get("max_concurrent"))
    policy_node = e.get("policy")
    heartbeat_node = e.get("heartbeat")
    return JobDefinition(
        name=name,
        agent_id=agent_id,
        cron_expr=cron,
        at=at,
        one_shot=cron is not None and _bool(e.get("one_shot"), False),
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
        policy=lower_policy(policy_node) if isinstance(policy_node, (Block, MapValue)) else Policy(),
        heartbeat=(
            lower_heartbeat(heartbeat_node) if isinstance(heartbeat_node, (Block, MapValue)) else None
        ),
        agent=agents.get(agent_id),
        source=_source(block),
    )


def lower_policy(node: Block | MapValue) -> Policy:
    """A `policy { … }` block (or map)."""
    e = first_nodes(node)
    seconds = _seconds(e.get("max_runtime"))
    hours_node = e.get("allowed_hours")
    hours = None
    if isinstance(hours_node, (Block, MapValue)):
        h = first_nodes(hours_node)
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


def lower_heartbeat(node: Block | MapValue) -> Heartbeat:
    """A `heartbeat: { … }` map (or block)."""
    e = first_nodes(node)
    iterations = _int(e.get("max_iterations"))
    return Heartbeat(
        enabled=_bool(e.get("enabled"), True),
        context_mode=_enum(SessionMode, e.get("context_mode"), SessionMode.EPHEMERAL_WITH_SUMMARY),
        max_iterations=iterations if iterations is not None and iterations >= 1 else 100,
    )


# --- value helpers -----------------------------------------------------------------------------------

_E = TypeVar("_E", SessionMode, Catchup)
Node: TypeAlias = Value | Block | None


def _source(block: Block) -> SourceRef:
    return SourceRef(block.span.path, block.span.start.line, block.span.start.column)


def _string(node: Node) -> str | None:
    if isinstance(node, StringValue):
        return node.value
    return None


def _text_or(node: Node, fallback: str) -> str:
    return _string(node) or fallback


def _word(node: Node) -> str | None:
    if node is None:
        return None
    if isinstance(node, StringValue):
        return node.value
    if isinstance(node, IdentValue):
        return node.name
    return None


def _strings(node: Node) -> tuple[str, ...] | None:
    if node is None or not isinstance(node, ListValue):
        return None
    out: list[str] = []
    for item in node.items:
        if isinstance(item, StringValue):
            out.append(item.value)
        elif isinstance(item, IdentValue):
            out.append(item.name)
    return tuple(out)


def _int(node: Node) -> int | None:
    if isinstance(node, NumberValue) and isinstance(node.value, int):
        return node.value
    return None


def _bool(node: Node, default: bool) -> bool:
    if isinstance(node, BoolValue):
        return node.value
    return default


def _seconds(node: Node) -> int | None:
    if node is None:
        return None
    if isinstance(node, NumberValue) and isinstance(node.value, int) and node.value >= 0:
        return node.value
    if isinstance(node, StringValue):
        try:
            return parse_duration(node.value)
        except DurationError:
            return None
    return None


def _enum(kind: type[_E], node: Node, default: _E) -> _E:
    word = _word(node)
    if word is None:
        return default
    try:
        return kind(word)
    except ValueError:
        return default
