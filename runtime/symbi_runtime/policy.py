"""The policy gate: whether a run may execute now, evaluated after the session and before the agent.

Checks run in a fixed order and the first refusal wins: AgentPin identity → `allowed_environments` →
`allowed_hours` → `require_capabilities` → `require_approval`. The gate is pure: it returns a decision
and the audit events to write, and never touches the store.

Rules where the spec is silent:
- AgentPin runs when the job's policy says `require_agent_pin`, when `[scheduler.agentpin] required`
  (`SYMBI_AGENTPIN_REQUIRED`) is on, or when the job carries an `agent_pin_jwt` at all: a credential
  that is present is always verified. It fails closed: no expected domain or no trust source is a denial.
- `allowed_hours` is read in the schedule's `timezone` (UTC by default). `start` is inclusive and `end`
  exclusive ("00:00"–"04:00" admits 03:59:59, not 04:00:00); `end` may be "24:00"; a window whose
  `end` is not after its `start` crosses midnight ("22:00"–"02:00"), and `start == end` is all day.
- `require_capabilities` is checked against the agent definition's declared capabilities (AgentPin
  `action:resource` wildcards apply: `read:*` covers `read:reports`). A verified credential's own
  capabilities are not compared with them: the DSL and the issuer need not share one vocabulary.
- A run that was already approved is evaluated again with `approved=True`: every other check still
  applies at execution time, only the approval step is satisfied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from symbi_lang.interpolation import UnresolvedVariable, resolve
from symbi_lang.ir import AgentDefinition, AllowedHours, JobDefinition
from symbi_runtime.agentpin import (
    AgentPinErrorCode,
    KeyResolver,
    TrustSourceError,
    VerificationResult,
    capability_covers,
    open_trust_source,
    verify_credential,
)
from symbi_runtime.audit import AuditEvent, SecurityEventType
from symbi_runtime.config import AgentPinSettings
from symbi_runtime.quickinit import quick_init


@dataclass(frozen=True, slots=True)
class Allow:
    """The run may execute."""


@dataclass(frozen=True, slots=True)
class Deny:
    """The run is refused; `reason` starts with the check that refused it (`identity: …`)."""

    reason: str


@dataclass(frozen=True, slots=True)
class RequiresApproval:
    """The run waits for a human decision (`symbi cron approve|deny RUN_ID`)."""

    approver: str | None
    reason: str
    policy_id: str


Decision = Allow | Deny | RequiresApproval


@quick_init
@dataclass(frozen=True, slots=True)
class PolicyContext:
    """What the gate knows besides the job: where and when it runs, and how to verify identities.

    `env` resolves `${VAR}` in the job's `agent_pin_jwt` at evaluation time. `resolver` is the AgentPin
    key source to use; when None, `evaluate` opens one from `agentpin` each time (a `PolicyGate` keeps
    one per trust source instead). `job_id`/`run_id` label the audit events; `approved` says a human
    already approved this run.
    """

    environment: str | None
    now: datetime
    env: Mapping[str, str] = field(default_factory=dict)
    agentpin: AgentPinSettings | None = None
    resolver: KeyResolver | None = None
    job_id: str | None = None
    run_id: str | None = None
    approved: bool = False


def evaluate(
    job: JobDefinition, agent: AgentDefinition | None, ctx: PolicyContext
) -> tuple[Decision, list[AuditEvent]]:
    """Decide whether `job` may run now, and the audit events the decision produced."""
    if ctx.now.tzinfo is None:
        raise ValueError("PolicyContext.now must be timezone-aware")
    events: list[AuditEvent] = []
    if _needs_agentpin(job, ctx.agentpin):
        identity = _verify_identity(job, ctx)
        if not identity.valid:
            events.append(_identity_event(job, ctx, identity))
            code = identity.error_code or AgentPinErrorCode.NOT_CONFIGURED
            return Deny(f"identity: {code}: {identity.message}"), events
    for check in (_check_environment, _check_hours):
        reason = check(job, ctx)
        if reason is not None:
            return Deny(reason), events
    reason = _check_capabilities(job, agent)
    if reason is not None:
        return Deny(reason), events
    if job.policy.require_approval and not ctx.approved:
        approver = job.policy.approver
        who = f" by {approver}" if approver else ""
        return (
            RequiresApproval(
                approver=approver,
                reason=f"schedule {job.name!r} requires approval{who} before each run",
                policy_id=f"{job.name}/require_approval",
            ),
            events,
        )
    return Allow(), events


class PolicyGate:
    """`evaluate` with the AgentPin trust source opened once and reused across runs.

    Call it like `evaluate`. A discovery directory re-reads a domain's documents only when they change;
    a trust bundle is reloaded when its file changes. A `resolver` given in the context still wins.
    """

    def __init__(self) -> None:
        self._sources: dict[tuple[Path | None, Path | None], tuple[object, KeyResolver]] = {}

    def __call__(
        self, job: JobDefinition, agent: AgentDefinition | None, ctx: PolicyContext
    ) -> tuple[Decision, list[AuditEvent]]:
        if ctx.resolver is None and ctx.agentpin is not None and _needs_agentpin(job, ctx.agentpin):
            resolver = self._resolver(ctx.agentpin)
            if resolver is not None:
                ctx = replace(ctx, resolver=resolver)
        return evaluate(job, agent, ctx)

    def _resolver(self, settings: AgentPinSettings) -> KeyResolver | None:
        """The cached resolver for the settings' trust source, or None to let `evaluate` report why
        there is none (no source, both sources, a missing directory: refused per run, not cached)."""
        key = (settings.discovery_dir, settings.trust_bundle)
        stamp = _file_stamp(settings.trust_bundle) if settings.trust_bundle is not None else None
        cached = self._sources.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            resolver = open_trust_source(settings.discovery_dir, settings.trust_bundle)
        except TrustSourceError:
            self._sources.pop(key, None)
            return None
        self._sources[key] = (stamp, resolver)
        return resolver


def _file_stamp(path: Path) -> object:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


# --- AgentPin ------------------------------------------------------------------------------------------


def _needs_agentpin(job: JobDefinition, settings: AgentPinSettings | None) -> bool:
    required = settings is not None and settings.required
    return job.policy.require_agent_pin or required or job.agent_pin_jwt is not None


def _verify_identity(job: JobDefinition, ctx: PolicyContext) -> VerificationResult:
    settings = ctx.agentpin or AgentPinSettings()

    def refused(code: AgentPinErrorCode, message: str) -> VerificationResult:
        return VerificationResult(False, code, message)

    if job.agent_pin_jwt is None:
        return refused(
            AgentPinErrorCode.MISSING_CREDENTIAL,
            f"schedule {job.name!r} requires an AgentPin credential but has no agent_pin_jwt",
        )
    try:
        token = resolve(job.agent_pin_jwt, ctx.env)
    except UnresolvedVariable as exc:
        return refused(AgentPinErrorCode.UNRESOLVED_VARIABLE, f"agent_pin_jwt: {exc}")
    if not token.strip():
        return refused(AgentPinErrorCode.MISSING_CREDENTIAL, "agent_pin_jwt is empty")
    if not settings.domain:
        return refused(
            AgentPinErrorCode.NOT_CONFIGURED,
            "no expected AgentPin domain: set SYMBI_AGENTPIN_DOMAIN or [scheduler.agentpin] domain",
        )
    resolver = ctx.resolver
    if resolver is None:
        try:
            resolver = open_trust_source(settings.discovery_dir, settings.trust_bundle)
        except TrustSourceError as exc:
            return refused(AgentPinErrorCode.NOT_CONFIGURED, str(exc))
    return verify_credential(
        token,
        resolver=resolver,
        now=ctx.now,
        expected_agent=job.agent_id,
        expected_domain=settings.domain,
        audience=settings.audience,
    )


def _identity_event(job: JobDefinition, ctx: PolicyContext, result: VerificationResult) -> AuditEvent:
    # What the token claimed (unverified) identifies the attempt; the token itself is never recorded.
    details: dict[str, Any] = {
        "code": str(result.error_code) if result.error_code else None,
        "message": result.message,
        "iss": result.issuer,
        "sub": result.agent_id,
        "kid": result.kid,
        "jti": result.jti,
        "expected_agent": job.agent_id,
        "expected_domain": ctx.agentpin.domain if ctx.agentpin else None,
        "schedule": job.name,
    }
    return AuditEvent(
        SecurityEventType.AGENT_PIN_VERIFICATION_FAILED,
        job_id=ctx.job_id,
        run_id=ctx.run_id,
        actor="policy",
        details=details,
    )


# --- environment, hours, capabilities ------------------------------------------------------------------


def _check_environment(job: JobDefinition, ctx: PolicyContext) -> str | None:
    allowed = job.policy.allowed_environments
    if not allowed:
        return None
    listed = ", ".join(allowed)
    if not ctx.environment:
        return (
            "environment: the runtime environment is not set (SYMBI_ENVIRONMENT or [scheduler] environment);"
            f" this schedule runs only in: {listed}"
        )
    if ctx.environment not in allowed:
        return f"environment: {ctx.environment!r} is not one of the allowed environments ({listed})"
    return None


def _check_hours(job: JobDefinition, ctx: PolicyContext) -> str | None:
    hours = job.policy.allowed_hours
    if hours is None:
        return None
    try:
        zone = ZoneInfo(job.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"allowed_hours: unknown timezone {job.timezone!r}"
    try:
        start, end = parse_clock(hours.start, end=False), parse_clock(hours.end, end=True)
    except ValueError as exc:
        return f"allowed_hours: {exc}"
    local = ctx.now.astimezone(zone)
    if within(local.time().replace(tzinfo=None), start, end):
        return None
    return (
        f"allowed_hours: {local:%H:%M} {job.timezone} is outside the window {describe_window(hours)}"
        " (end exclusive)"
    )


def parse_clock(text: str, *, end: bool) -> time | None:
    """`HH:MM` (or `HH:MM:SS`) as a time of day; "24:00" is allowed as an end and means midnight (None)."""
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise ValueError(f"{text!r} is not a time of day (HH:MM)")
    hour, minute = int(parts[0]), int(parts[1])
    second = int(parts[2]) if len(parts) == 3 else 0
    if end and (hour, minute, second) == (24, 0, 0):
        return None
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{text!r} is not a time of day (00:00 to 23:59)")
    return time(hour, minute, second)


def within(moment: time, start: time | None, end: time | None) -> bool:
    """Whether `moment` falls in [start, end); `end` None is midnight at the end of the day.

    When `end` is not after `start` the window crosses midnight; equal bounds cover the whole day.
    """
    begin = start or time(0)
    if end is None:
        return moment >= begin
    if begin < end:
        return begin <= moment < end
    return moment >= begin or moment < end


def describe_window(hours: AllowedHours) -> str:
    return f"{hours.start}–{hours.end}"


def _check_capabilities(job: JobDefinition, agent: AgentDefinition | None) -> str | None:
    required = job.policy.require_capabilities
    if not required:
        return None
    if agent is None:
        agent = job.agent
    declared = agent.capabilities if agent is not None else ()
    missing = [c for c in required if not any(capability_covers(d, c) for d in declared)]
    if missing:
        whose = f"agent {job.agent_id!r}" if agent is not None else f"agent {job.agent_id!r} (no definition)"
        return f"capabilities: {whose} does not declare {', '.join(missing)}"
    return None
