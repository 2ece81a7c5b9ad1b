"""Request and response bodies: the typed contract the OpenAPI document is generated from.

Requests are strict (no coercion: `"3"` is not an integer, `"no"` is not a boolean) and closed (an
unknown key is an error). Types are checked here; what a value means (a cron expression, a duration,
a channel name) is checked by the same code as `symbi check`, after this.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from symbi_lang.job_names import MAX_NAME_CHARS

MAX_TEXT = 100_000
MAX_INT = 1_000_000
SessionModeName = Literal["ephemeral_with_summary", "shared_persistent", "fully_ephemeral"]
CatchupName = Literal["latest", "earliest", "all", "none"]

Text = Field(default=None, max_length=MAX_TEXT)


class _In(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class AllowedHoursIn(_In):
    start: str | int
    end: str | int


class PolicyIn(_In):
    require_approval: bool | None = None
    approver: str | None = Field(default=None, max_length=200)
    max_runtime: str | int | None = Field(default=None, json_schema_extra={"examples": ["5m"]})
    require_capabilities: list[str] | None = Field(default=None, max_length=100)
    allowed_hours: AllowedHoursIn | None = None
    allowed_environments: list[str] | None = Field(default=None, max_length=100)
    require_agent_pin: bool | None = None


class HeartbeatIn(_In):
    enabled: bool | None = None
    context_mode: SessionModeName | None = None
    max_iterations: int | None = Field(default=None, le=MAX_INT, json_schema_extra={"minimum": 1})


class JobIn(_In):
    """A job as the seed's `/schedule` routes take it (Job IR field names)."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "hourly-report",
                    "agent_id": "reporter",
                    "cron_expr": "0 0 * * * *",
                    "session_mode": "ephemeral_with_summary",
                    "delivery": ["stdout"],
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    agent_id: str = Field(min_length=1, max_length=200)
    cron_expr: str | None = Field(default=None, max_length=1000)
    at: str | None = Field(default=None, max_length=100)
    timezone: str = Field(default="UTC", max_length=100)
    description: str | None = Text
    input: str | None = Text
    session_mode: SessionModeName | None = None
    delivery: list[str] | None = Field(default=None, max_length=20)
    webhook_url: str | None = Field(default=None, max_length=4000)
    webhook_headers: dict[str, str] | None = Field(default=None, max_length=50)
    slack_channel: str | None = Field(default=None, max_length=200)
    email_recipients: list[str] | None = Field(default=None, max_length=100)
    max_concurrent: int | None = Field(default=None, le=MAX_INT, json_schema_extra={"minimum": 1})
    max_retries: int | None = Field(default=None, le=MAX_INT, json_schema_extra={"minimum": 0})
    jitter: int | str | None = Field(default=None, json_schema_extra={"examples": [30, "30s"]})
    catchup: CatchupName | None = None
    agent_pin_jwt: str | None = Field(default=None, max_length=20_000)
    policy: PolicyIn | None = None
    heartbeat: HeartbeatIn | None = None


class JobUpdate(_In):
    """A partial job for PUT: the given fields replace the stored ones (`name` cannot change)."""

    model_config = ConfigDict(
        strict=True, extra="forbid", json_schema_extra={"examples": [{"cron_expr": "0 0 */2 * * *"}]}
    )

    name: str | None = Field(default=None, max_length=MAX_NAME_CHARS)
    agent_id: str | None = Field(default=None, min_length=1, max_length=200)
    cron_expr: str | None = Field(default=None, max_length=1000)
    at: str | None = Field(default=None, max_length=100)
    timezone: str | None = Field(default=None, max_length=100)
    description: str | None = Text
    input: str | None = Text
    session_mode: SessionModeName | None = None
    delivery: list[str] | None = Field(default=None, max_length=20)
    webhook_url: str | None = Field(default=None, max_length=4000)
    webhook_headers: dict[str, str] | None = Field(default=None, max_length=50)
    slack_channel: str | None = Field(default=None, max_length=200)
    email_recipients: list[str] | None = Field(default=None, max_length=100)
    max_concurrent: int | None = Field(default=None, le=MAX_INT, json_schema_extra={"minimum": 1})
    max_retries: int | None = Field(default=None, le=MAX_INT, json_schema_extra={"minimum": 0})
    jitter: int | str | None = None
    catchup: CatchupName | None = None
    agent_pin_jwt: str | None = Field(default=None, max_length=20_000)
    policy: PolicyIn | None = None
    heartbeat: HeartbeatIn | None = None


class RunNowIn(_In):
    model_config = ConfigDict(
        strict=True, extra="forbid", json_schema_extra={"examples": [{"input": "Run with custom input"}]}
    )

    input: str | None = Text
    force: bool = False


class DecisionIn(_In):
    """Approve or deny a run; the actor is the token's principal (an `actor` key is refused)."""

    model_config = ConfigDict(
        strict=True, extra="forbid", json_schema_extra={"examples": [{"reason": "checked the diff"}]}
    )

    reason: str | None = Field(default=None, max_length=10_000)


class Problem(BaseModel):
    field: str
    code: str
    severity: str
    message: str
    help: str | None = None


class JobOut(BaseModel):
    """A job: scheduling state plus its full definition (`${VAR}` references unresolved)."""

    id: str
    name: str
    agent_id: str
    status: str
    cron_expr: str | None
    at: str | None
    timezone: str
    next_run: str | None
    last_run: str | None
    last_status: str | None
    consecutive_failures: int
    run_count: int
    created_at: str | None
    updated_at: str | None
    defined_in: str | None = Field(
        description="The .symbi file that defines the job (null: made over the API)"
    )
    definition: dict[str, Any]


class CreatedJobOut(JobOut):
    warnings: list[Problem] = Field(description="Warnings of `symbi check` (e.g. SYM209, a past `at`)")


class DeletedOut(BaseModel):
    deleted: bool
    id: str
    name: str


class NextRunOut(BaseModel):
    id: str
    name: str
    next_run: str | None


class RunOut(BaseModel):
    id: str
    job_id: str
    job_name: str
    status: str
    trigger: str
    scheduled_for: str | None
    started_at: str | None
    finished_at: str | None
    execution_time_ms: int | None
    input: str | None
    output: str | None
    error_message: str | None
    decision: str | None
    decision_reason: str | None
    approver: str | None
    receipts: list[Any]
    detail: dict[str, Any]


class AuditOut(BaseModel):
    id: int | str
    event_type: str
    at: str | None
    actor: str | None
    job_id: str | None
    job_name: str | None
    run_id: str | None
    details: Any


# --- upstream's shapes (UPSTREAM.md §2; symbiont-sdk's dataclasses take exactly these keys) ---------


class CreateScheduleIn(_In):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "nightly", "cron_expression": "0 0 2 * * *", "agent_name": "reporter"}]
        },
    )

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    cron_expression: str = Field(min_length=1, max_length=1000)
    agent_name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default="UTC", max_length=100)
    policy_ids: list[str] = Field(
        default_factory=list, max_length=0, description="Not supported: must be empty"
    )
    one_shot: bool = False


class UpdateScheduleIn(_In):
    model_config = ConfigDict(
        strict=True, extra="forbid", json_schema_extra={"examples": [{"cron_expression": "0 30 2 * * *"}]}
    )

    cron_expression: str | None = Field(default=None, min_length=1, max_length=1000)
    timezone: str | None = Field(default=None, max_length=100)
    policy_ids: list[str] | None = Field(default=None, max_length=0)
    one_shot: bool | None = None


class CreateScheduleResponse(BaseModel):
    job_id: str
    next_run: str | None
    status: Literal["created"]


class ScheduleSummary(BaseModel):
    job_id: str
    name: str
    cron_expression: str
    timezone: str
    status: str
    enabled: bool
    next_run: str | None
    run_count: int


class ScheduleDetail(ScheduleSummary):
    one_shot: bool
    last_run: str | None
    failure_count: int
    created_at: str
    updated_at: str


class ScheduleActionResponse(BaseModel):
    job_id: str
    action: Literal["pause", "resume", "trigger"]
    status: str


class DeleteScheduleResponse(BaseModel):
    job_id: str
    deleted: bool


class ScheduleRunEntry(BaseModel):
    run_id: str
    started_at: str
    completed_at: str | None
    status: str
    error: str | None
    execution_time_ms: int | None


class ScheduleHistoryResponse(BaseModel):
    job_id: str
    history: list[ScheduleRunEntry]


class NextRunsResponse(BaseModel):
    job_id: str
    next_runs: list[str]


class SchedulerHealth(BaseModel):
    """Upstream's `SchedulerHealthResponse`."""

    is_running: bool
    store_accessible: bool
    jobs_total: int
    jobs_active: int
    jobs_paused: int
    jobs_dead_letter: int
    global_active_runs: int
    max_concurrent: int
    runs_total: int
    runs_succeeded: int
    runs_failed: int
    average_execution_time_ms: float
    longest_run_ms: float


class SeedMetrics(BaseModel):
    runs_total: int
    runs_succeeded: int
    runs_failed: int
    avg_execution_time_ms: float | None


class SchedulerHealthFull(SchedulerHealth):
    """Upstream's fields plus the seed's (`?detail=full`)."""

    status: str
    active_jobs: int
    paused_jobs: int
    dead_letter_jobs: int
    in_flight_jobs: int
    metrics: SeedMetrics
    # A shared (PostgreSQL) store: this node (`Store.node_status`) and the nodes whose lease is current.
    node: dict[str, Any] | None = None
    nodes_alive: int | None = None


class HealthOut(BaseModel):
    status: Literal["healthy"]
    uptime_seconds: int
    timestamp: str
    version: str
