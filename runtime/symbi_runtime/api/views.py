"""Stored records as response bodies: the seed's shapes and upstream's (UPSTREAM.md §2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from symbi_runtime.api.service import defined_in
from symbi_runtime.store import JobRecord, RunRecord

#: Upstream spells statuses in Rust Debug form.
_UPSTREAM_STATUS = {
    "active": "Active",
    "paused": "Paused",
    "completed": "Completed",
    "failed": "Failed",
    "dead_letter": "DeadLetter",
    "pending": "Pending",
    "approved": "Approved",
    "running": "Running",
    "succeeded": "Succeeded",
    "timed_out": "TimedOut",
    "skipped": "Skipped",
    "denied": "Denied",
    "awaiting_approval": "AwaitingApproval",
    "cancelled": "Cancelled",
    "abandoned": "Abandoned",
    "missed": "Missed",
}


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def upstream_status(status: str) -> str:
    return _UPSTREAM_STATUS.get(status, status)


def job_body(job: JobRecord) -> dict[str, Any]:
    d = job.definition
    return {
        "id": job.id,
        "name": job.name,
        "agent_id": d.agent_id,
        "status": job.status,
        "cron_expr": d.cron_expr,
        "at": d.at,
        "timezone": d.timezone,
        "next_run": iso(job.next_fire_at),
        "last_run": iso(job.last_run_at),
        "last_status": job.last_status,
        "consecutive_failures": job.consecutive_failures,
        "run_count": job.run_count,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "defined_in": defined_in(d),
        "definition": d.to_dict(),
    }


def run_body(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "job_id": run.job_id,
        "job_name": run.job_name,
        "status": run.status,
        "trigger": run.trigger,
        "scheduled_for": iso(run.scheduled_for),
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "execution_time_ms": None if run.duration_seconds is None else round(run.duration_seconds * 1000),
        "input": run.input,
        "output": run.output,
        "error_message": run.error,
        "decision": run.decision,
        "decision_reason": run.decision_reason,
        "approver": run.approver,
        "receipts": list(run.receipts),
        "detail": dict(run.detail),
    }


def summary(job: JobRecord) -> dict[str, Any]:
    d = job.definition
    return {
        "job_id": job.id,
        "name": job.name,
        "cron_expression": d.cron_expr if d.cron_expr is not None else (d.at or ""),
        "timezone": d.timezone,
        "status": upstream_status(job.status),
        "enabled": job.status == "active",
        "next_run": iso(job.next_fire_at),
        "run_count": job.run_count,
    }


def detail(job: JobRecord) -> dict[str, Any]:
    return {
        **summary(job),
        "one_shot": job.definition.at is not None or job.definition.one_shot,
        "last_run": iso(job.last_run_at),
        "failure_count": job.consecutive_failures,
        "created_at": iso(job.created_at) or "",
        "updated_at": iso(job.updated_at) or "",
    }


def history_entry(run: RunRecord) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "started_at": iso(run.started_at or run.scheduled_for) or "",
        "completed_at": iso(run.finished_at),
        "status": upstream_status(run.status),
        "error": run.error,
        "execution_time_ms": None if run.duration_seconds is None else round(run.duration_seconds * 1000),
    }
