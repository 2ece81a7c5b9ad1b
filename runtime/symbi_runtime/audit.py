"""Audit events: the spec's `SecurityEventType` names, the event value, and writing it to the store.

The store writes the events of its own state transitions (created, paused, started, failed, …) in the
transaction that makes the transition; other components (the policy gate, the CLI) build an
`AuditEvent` and hand it to `write`. Details never carry credentials: `write` replaces anything shaped
like a JWT, whoever put it there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class SecurityEventType(StrEnum):
    """Every audit event name (the wire spelling is the value).

    The first nine are the spec's `SecurityEventType`; the others name the run and job transitions the
    spec's list lacks (`CronJobExecuted` is a run that succeeded).
    """

    CRON_JOB_CREATED = "CronJobCreated"
    CRON_JOB_UPDATED = "CronJobUpdated"
    CRON_JOB_DELETED = "CronJobDeleted"
    CRON_JOB_PAUSED = "CronJobPaused"
    CRON_JOB_RESUMED = "CronJobResumed"
    CRON_JOB_EXECUTED = "CronJobExecuted"
    CRON_JOB_FAILED = "CronJobFailed"
    CRON_JOB_DEAD_LETTERED = "CronJobDeadLettered"
    AGENT_PIN_VERIFICATION_FAILED = "AgentPinVerificationFailed"
    # Additions.
    CRON_JOB_STARTED = "CronJobStarted"
    CRON_JOB_COMPLETED = "CronJobCompleted"
    CRON_JOB_RESET = "CronJobReset"
    CRON_JOB_SKIPPED = "CronJobSkipped"
    CRON_JOB_MISSED = "CronJobMissed"
    CRON_JOB_DENIED = "CronJobDenied"
    CRON_JOB_TIMED_OUT = "CronJobTimedOut"
    CRON_JOB_CANCELLED = "CronJobCancelled"
    CRON_JOB_ABANDONED = "CronJobAbandoned"
    CRON_JOB_APPROVAL_REQUESTED = "CronJobApprovalRequested"
    CRON_JOB_APPROVED = "CronJobApproved"
    CRON_JOB_APPROVAL_DENIED = "CronJobApprovalDenied"
    # A run's output did not reach a channel it delivers to (the run keeps its own status).
    CRON_JOB_DELIVERY_FAILED = "CronJobDeliveryFailed"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """Something that happened to a job or run, by whom, with event-specific details (JSON values)."""

    type: SecurityEventType
    job_id: str | None = None
    run_id: str | None = None
    actor: str = "scheduler"
    details: Mapping[str, Any] = field(default_factory=dict)


class AuditSink(Protocol):
    """What `write` needs from a store (`symbi_runtime.store.Store` is one)."""

    def append_audit(
        self,
        event_type: str,
        *,
        at: datetime,
        actor: str,
        job_id: str | None = None,
        run_id: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None: ...


# A compact JWS: three base64url segments, the first a JSON object (`eyJ` is `{"` encoded).
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
REDACTED_CREDENTIAL = "[redacted credential]"


def scrub_details(value: Any) -> Any:
    """`value` with every JWT-shaped substring replaced, recursively through lists and mappings."""
    if isinstance(value, str):
        return _JWT.sub(REDACTED_CREDENTIAL, value)
    if isinstance(value, Mapping):
        return {str(k): scrub_details(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_details(v) for v in value]
    return value


def write(store: AuditSink, event: AuditEvent, at: datetime) -> None:
    """Append `event` (at time `at`, timezone-aware) to the store's audit log."""
    store.append_audit(
        str(event.type),
        at=at,
        actor=event.actor,
        job_id=event.job_id,
        run_id=event.run_id,
        details=scrub_details(event.details),
    )
