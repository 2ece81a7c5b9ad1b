"""The Job IR: what a checked schedule lowers to, and what the runtime stores and executes.

Versioned JSON (`IR_VERSION`), described by `symbi_lang/job_ir.schema.json`. `${VAR}`
references stay unresolved in every string: secrets are resolved only at execution time.
Field names follow the HTTP API of the spec (`agent_id`, `cron_expr`); the rest keep the DSL names.
`one_shot` (a cron job that fires once, at its first match after it is added) is an optional key, written
only when true: IR without it reads as before, and every existing job's JSON stays byte-identical.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

IR_VERSION = "1"


class SessionMode(StrEnum):
    """How agent context persists across runs (and heartbeat iterations)."""

    EPHEMERAL_WITH_SUMMARY = "ephemeral_with_summary"
    SHARED_PERSISTENT = "shared_persistent"
    FULLY_EPHEMERAL = "fully_ephemeral"


class Catchup(StrEnum):
    """What to do with fires missed while the scheduler was down."""

    LATEST = "latest"
    EARLIEST = "earliest"
    ALL = "all"
    NONE = "none"


BUILTIN_CHANNELS = ("stdout", "log_file", "webhook", "slack", "email")

#: The JSON Schema (draft 2020-12) of `JobSet.to_dict()`, shipped inside the package.
JSON_SCHEMA_RESOURCE = "job_ir.schema.json"


def json_schema() -> dict[str, Any]:
    """The Job IR JSON Schema as a dict."""
    from importlib.resources import files

    data: dict[str, Any] = json.loads(files("symbi_lang").joinpath(JSON_SCHEMA_RESOURCE).read_text("utf-8"))
    return data


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a definition came from (1-based line and column); empty file for API-created jobs."""

    file: str = ""
    line: int = 0
    column: int = 0


@dataclass(frozen=True, slots=True)
class AllowedHours:
    """A daily window `start`–`end` ("HH:MM", end exclusive); crosses midnight when end <= start."""

    start: str
    end: str


@dataclass(frozen=True, slots=True)
class Policy:
    """The `policy { … }` block of a schedule."""

    require_approval: bool = False
    approver: str | None = None
    max_runtime: str | None = None
    max_runtime_seconds: float | None = None
    require_capabilities: tuple[str, ...] = ()
    allowed_hours: AllowedHours | None = None
    allowed_environments: tuple[str, ...] = ()
    require_agent_pin: bool = False


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """The `heartbeat: { … }` settings of a schedule."""

    enabled: bool = True
    context_mode: SessionMode = SessionMode.EPHEMERAL_WITH_SUMMARY
    max_iterations: int = 100


@dataclass(frozen=True, slots=True)
class AgentDefinition:
    """An `agent NAME { … }` block: model, prompt, capabilities and at most one executor binding."""

    name: str
    model: str | None = None
    system_prompt: str | None = None
    description: str | None = None
    capabilities: tuple[str, ...] = ()
    handler: str | None = None
    command: tuple[str, ...] | None = None
    endpoint: str | None = None
    api_key_env: str | None = None
    source: SourceRef = field(default_factory=SourceRef)


@dataclass(frozen=True, slots=True)
class JobDefinition:
    """One schedule, lowered. Exactly one of `cron_expr` and `at` is set.

    `one_shot` (only with `cron_expr`) makes the job fire once, at the first cron match after the store
    adds it, then complete. The IR holds no instant for it: the store records the fire it chose.
    """

    name: str
    agent_id: str
    cron_expr: str | None = None
    at: str | None = None
    one_shot: bool = False
    timezone: str = "UTC"
    description: str | None = None
    input: str | None = None
    session_mode: SessionMode = SessionMode.EPHEMERAL_WITH_SUMMARY
    delivery: tuple[str, ...] = ()
    webhook_url: str | None = None
    webhook_headers: tuple[tuple[str, str], ...] = ()
    slack_channel: str | None = None
    email_recipients: tuple[str, ...] = ()
    max_concurrent: int = 1
    max_retries: int | None = None
    jitter: int | None = None
    catchup: Catchup = Catchup.LATEST
    agent_pin_jwt: str | None = None
    policy: Policy = field(default_factory=Policy)
    heartbeat: Heartbeat | None = None
    agent: AgentDefinition | None = None
    source: SourceRef = field(default_factory=SourceRef)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (lists for tuples, an object for headers)."""
        return _job_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobDefinition:
        """Rebuild from `to_dict` output (unknown keys are rejected with ValueError)."""
        return _job_from_dict(data)

    def with_changes(self, **changes: Any) -> JobDefinition:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class JobSet:
    """Everything lowered from one or more files: jobs and the agents they may reference."""

    jobs: tuple[JobDefinition, ...] = ()
    agents: tuple[AgentDefinition, ...] = ()
    ir_version: str = IR_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "ir_version": self.ir_version,
            "jobs": [j.to_dict() for j in self.jobs],
            "agents": [_agent_to_dict(a) for a in self.agents],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Deterministic JSON: stable key order as declared, no trailing spaces."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobSet:
        version = str(data.get("ir_version", ""))
        if version != IR_VERSION:
            raise ValueError(f"unsupported ir_version {version!r} (this symbi reads {IR_VERSION!r})")
        return cls(
            jobs=tuple(_job_from_dict(j) for j in data.get("jobs", [])),
            agents=tuple(_agent_from_dict(a) for a in data.get("agents", [])),
        )


# --- JSON conversion --------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


# The writers below spell every field out instead of walking `dataclasses.fields`: storing 10,000 jobs
# serialises each one, and the generic walk (fields(), asdict's deep copies, a type test per value) was
# most of a bulk add. `tests/lang/test_ir_serialisation.py` proves them equal to the generic walk on
# every example and on random IRs, and fails when a field is added here but not there.


def _strings(value: Any) -> Any:
    """A tuple of plain strings as a list (anything else as the generic `_plain` would write it)."""
    if type(value) is not tuple:
        return _plain(value)
    for v in value:
        if type(v) is not str:
            return _plain(value)
    return list(value)


def _source_to_dict(source: SourceRef) -> dict[str, Any]:
    return {"file": source.file, "line": source.line, "column": source.column}


def _agent_to_dict(agent: AgentDefinition) -> dict[str, Any]:
    command = agent.command
    return {
        "name": agent.name,
        "model": agent.model,
        "system_prompt": agent.system_prompt,
        "description": agent.description,
        "capabilities": _strings(agent.capabilities),
        "handler": agent.handler,
        "command": None if command is None else _strings(command),
        "endpoint": agent.endpoint,
        "api_key_env": agent.api_key_env,
        "source": _source_to_dict(agent.source),
    }


def _policy_to_dict(policy: Policy) -> dict[str, Any]:
    hours = policy.allowed_hours
    return {
        "require_approval": policy.require_approval,
        "approver": policy.approver,
        "max_runtime": policy.max_runtime,
        "max_runtime_seconds": policy.max_runtime_seconds,
        "require_capabilities": _strings(policy.require_capabilities),
        "allowed_hours": {"start": hours.start, "end": hours.end} if hours else None,
        "allowed_environments": _strings(policy.allowed_environments),
        "require_agent_pin": policy.require_agent_pin,
    }


def _heartbeat_to_dict(heartbeat: Heartbeat | None) -> dict[str, Any] | None:
    if heartbeat is None:
        return None
    return {
        "enabled": heartbeat.enabled,
        "context_mode": _plain(heartbeat.context_mode),
        "max_iterations": heartbeat.max_iterations,
    }


def _job_to_dict(job: JobDefinition) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": job.name,
        "agent_id": job.agent_id,
        "cron_expr": job.cron_expr,
        "at": job.at,
    }
    if job.one_shot:  # optional key: absent means false, so IR written before it existed is unchanged
        d["one_shot"] = True
    d["timezone"] = job.timezone
    d["description"] = job.description
    d["input"] = job.input
    d["session_mode"] = _plain(job.session_mode)
    d["delivery"] = _strings(job.delivery)
    d["webhook_url"] = job.webhook_url
    d["webhook_headers"] = {k: val for k, val in job.webhook_headers}
    d["slack_channel"] = job.slack_channel
    d["email_recipients"] = _strings(job.email_recipients)
    d["max_concurrent"] = job.max_concurrent
    d["max_retries"] = job.max_retries
    d["jitter"] = job.jitter
    d["catchup"] = _plain(job.catchup)
    d["agent_pin_jwt"] = job.agent_pin_jwt
    d["policy"] = _policy_to_dict(job.policy)
    d["heartbeat"] = _heartbeat_to_dict(job.heartbeat)
    d["agent"] = None if job.agent is None else _agent_to_dict(job.agent)
    d["source"] = _source_to_dict(job.source)
    return d


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    """The keys `from_dict` accepts for `cls` (computed once: reading many stored jobs calls it per job)."""
    return frozenset(f.name for f in fields(cls))


def _check_keys(kind: str, data: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"unknown {kind} key(s): {', '.join(sorted(unknown))}")


def _agent_from_dict(data: dict[str, Any]) -> AgentDefinition:
    _check_keys("agent", data, _field_names(AgentDefinition))
    d = dict(data)
    if d.get("capabilities") is not None:
        d["capabilities"] = tuple(d["capabilities"])
    if d.get("command") is not None:
        d["command"] = tuple(d["command"])
    if "source" in d and d["source"] is not None:
        d["source"] = SourceRef(**d["source"])
    return AgentDefinition(**d)


def _job_from_dict(data: dict[str, Any]) -> JobDefinition:
    if type(data) is dict and data.keys() in (_ALL_JOB_KEYS, _JOB_KEYS_WITHOUT_ONE_SHOT):
        one_shot = data.get("one_shot", False)
        if one_shot is False or (one_shot is True and data["cron_expr"] is not None):
            return _stored_job_from_dict(data, one_shot)
    return _any_job_from_dict(data)


def _any_job_from_dict(data: dict[str, Any]) -> JobDefinition:
    _check_keys("job", data, _field_names(JobDefinition))
    d = dict(data)
    if "one_shot" in d:
        if not isinstance(d["one_shot"], bool):
            raise ValueError(f"job key one_shot must be true or false, got {d['one_shot']!r}")
        if d["one_shot"] and d.get("cron_expr") is None:
            raise ValueError("job key one_shot needs cron_expr (an `at` job always fires once)")
    for key in ("delivery", "email_recipients"):
        if d.get(key) is not None:
            d[key] = tuple(d[key])
    if d.get("webhook_headers") is not None:
        d["webhook_headers"] = _headers(d["webhook_headers"])
    if "session_mode" in d:
        d["session_mode"] = _session_mode(d["session_mode"])
    if "catchup" in d:
        d["catchup"] = _catchup(d["catchup"])
    if d.get("policy") is not None:
        d["policy"] = _policy_from_dict(d["policy"])
    if d.get("heartbeat") is not None:
        d["heartbeat"] = _heartbeat_from_dict(d["heartbeat"])
    if d.get("agent") is not None:
        d["agent"] = _agent_from_dict(d["agent"])
    if d.get("source") is not None:
        d["source"] = SourceRef(**d["source"])
    return JobDefinition(**d)


# Reading stored jobs (every key present, as `to_dict` writes them) skips the copy and the key checks of
# the general reader: `symbi cron list` and a scheduler's start read thousands. Same conversions, so the
# same IR and the same errors; tests/lang/test_ir_serialisation.py compares the two readers.
_ALL_JOB_KEYS = frozenset(f.name for f in fields(JobDefinition))
_JOB_KEYS_WITHOUT_ONE_SHOT = _ALL_JOB_KEYS - {"one_shot"}
_SESSION_MODES = {m.value: m for m in SessionMode}
_CATCHUPS = {c.value: c for c in Catchup}


def _stored_job_from_dict(d: dict[str, Any], one_shot: bool) -> JobDefinition:
    policy, heartbeat, agent, source = d["policy"], d["heartbeat"], d["agent"], d["source"]
    delivery, headers, recipients = d["delivery"], d["webhook_headers"], d["email_recipients"]
    return JobDefinition(
        name=d["name"],
        agent_id=d["agent_id"],
        cron_expr=d["cron_expr"],
        at=d["at"],
        one_shot=one_shot,
        timezone=d["timezone"],
        description=d["description"],
        input=d["input"],
        session_mode=_session_mode(d["session_mode"]),
        delivery=None if delivery is None else tuple(delivery),  # type: ignore[arg-type]
        webhook_url=d["webhook_url"],
        webhook_headers=None if headers is None else _headers(headers),  # type: ignore[arg-type]
        slack_channel=d["slack_channel"],
        email_recipients=None if recipients is None else tuple(recipients),  # type: ignore[arg-type]
        max_concurrent=d["max_concurrent"],
        max_retries=d["max_retries"],
        jitter=d["jitter"],
        catchup=_catchup(d["catchup"]),
        agent_pin_jwt=d["agent_pin_jwt"],
        policy=None if policy is None else _policy_from_dict(policy),  # type: ignore[arg-type]
        heartbeat=None if heartbeat is None else _heartbeat_from_dict(heartbeat),
        agent=None if agent is None else _agent_from_dict(agent),
        source=None if source is None else SourceRef(**source),  # type: ignore[arg-type]
    )


def _session_mode(value: Any) -> SessionMode:
    mode = _SESSION_MODES.get(value) if type(value) is str else None
    return SessionMode(value) if mode is None else mode


def _catchup(value: Any) -> Catchup:
    catchup = _CATCHUPS.get(value) if type(value) is str else None
    return Catchup(value) if catchup is None else catchup


def _headers(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in dict(value).items())


def _policy_from_dict(data: Any) -> Policy:
    p = dict(data)
    _check_keys("policy", p, _field_names(Policy))
    if p.get("allowed_hours") is not None:
        p["allowed_hours"] = AllowedHours(**p["allowed_hours"])
    for key in ("require_capabilities", "allowed_environments"):
        if p.get(key) is not None:
            p[key] = tuple(p[key])
    return Policy(**p)


def _heartbeat_from_dict(data: Any) -> Heartbeat:
    h = dict(data)
    _check_keys("heartbeat", h, _field_names(Heartbeat))
    if "context_mode" in h:
        h["context_mode"] = _session_mode(h["context_mode"])
    return Heartbeat(**h)
