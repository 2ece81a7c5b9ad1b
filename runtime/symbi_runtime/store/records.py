"""What the store holds, in the user's words: job and run states, and the records every backend returns.

Backend-neutral: the SQLite and PostgreSQL stores both read and write these, and the scheduler, pipeline,
CLI and HTTP API only ever see these types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from symbi_lang.ir import JobDefinition
from symbi_runtime.quickinit import quick_init


class JobStatus(StrEnum):
    """A job's lifecycle state (wire spelling as value)."""

    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    DEAD_LETTER = "dead_letter"


class RunStatus(StrEnum):
    """A run's state. `pending` (claimed, waiting for its jitter or a global slot) and `approved`
    (decided, waiting to execute) are transient states of ours; the rest are the spec's."""

    PENDING = "pending"
    APPROVED = "approved"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    SKIPPED = "skipped"
    DENIED = "denied"
    AWAITING_APPROVAL = "awaiting_approval"
    CANCELLED = "cancelled"
    ABANDONED = "abandoned"
    MISSED = "missed"


FINAL_RUN_STATUSES = frozenset(
    {"succeeded", "failed", "timed_out", "skipped", "denied", "cancelled", "abandoned", "missed"}
)
# Failures that count towards max_retries / dead_letter.
FAILURE_STATUSES = frozenset({"failed", "timed_out"})


class Trigger(StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    CATCHUP = "catchup"
    BACKFILL = "backfill"  # `symbi cron backfill`: a past fire run now, under that fire's key


# Audit event names per transition (the spec's SecurityEventType names plus the ones it lacks).
RUN_EVENTS: dict[str, str] = {
    "running": "CronJobStarted",
    "succeeded": "CronJobExecuted",
    "failed": "CronJobFailed",
    "timed_out": "CronJobTimedOut",
    "skipped": "CronJobSkipped",
    "denied": "CronJobDenied",
    "awaiting_approval": "CronJobApprovalRequested",
    "cancelled": "CronJobCancelled",
    "abandoned": "CronJobAbandoned",
    "missed": "CronJobMissed",
}


@quick_init
@dataclass(frozen=True, slots=True)
class JobRecord:
    """A stored job: its definition plus scheduling state."""

    id: str
    name: str
    definition: JobDefinition
    status: str
    next_fire_at: datetime | None
    consecutive_failures: int
    run_count: int
    created_at: datetime
    updated_at: datetime
    last_run_at: datetime | None
    last_status: str | None


@quick_init
@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of a job (a nominal fire, a manual run or a catch-up run)."""

    id: str
    job_id: str
    job_name: str
    scheduled_for: datetime
    trigger: str
    started_at: datetime | None
    finished_at: datetime | None
    jitter_seconds: float
    status: str
    input: str | None
    output: str | None
    error: str | None
    duration_seconds: float | None
    receipts: list[dict[str, Any]] = field(default_factory=list)
    decision: str | None = None
    decision_reason: str | None = None
    approver: str | None = None
    expires_at: datetime | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit event (spec `SecurityEventType` names)."""

    id: int
    event_type: str
    at: datetime
    actor: str
    job_id: str | None
    job_name: str | None
    run_id: str | None
    details: dict[str, Any]


@quick_init
@dataclass(frozen=True, slots=True)
class NewRun:
    """A run to insert as part of a claim."""

    scheduled_for: datetime
    trigger: str
    status: str
    jitter_seconds: float = 0.0
    input: str | None = None
    detail: Mapping[str, Any] | None = None
    error: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class FireClaim:
    """Advance one job from `expected_next` to `new_next` (None: exhausted → completed) and insert `runs`."""

    job_id: str
    expected_next: datetime | None
    new_next: datetime | None
    runs: tuple[NewRun, ...]
    job_name: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How a run ended (for `finish_runs`)."""

    run_id: str
    status: str
    output: str | None = None
    error: str | None = None
    receipts: Sequence[Mapping[str, Any]] = ()
    detail: Mapping[str, Any] | None = None
    # The run as the caller knows it (with its job's definition): saves re-reading the whole row.
    run: RunRecord | None = None
    definition: JobDefinition | None = None
    # When the run really ended: an outcome written late (its first write failed) keeps its own time.
    finished_at: datetime | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class FinishResult:
    run: RunRecord
    dead_lettered: bool
