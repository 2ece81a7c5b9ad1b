"""How `symbi cron` shows a job: its JSON document (`--format json`) and its table and CSV columns.

Apart from the commands (and typer), so that `cron list` on its usual command lines
(`symbi_runtime.cli.cron_list_fast`) renders exactly what the typer command renders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from symbi_runtime.cli.output import Column, Fit, OutputFormat, iso, render, short_time

if TYPE_CHECKING:
    from symbi_lang.ir import JobDefinition
    from symbi_runtime.store import JobRecord, Store


def schedule_text(d: JobDefinition) -> str:
    if d.cron_expr is not None:
        return d.cron_expr if d.timezone == "UTC" else f"{d.cron_expr} ({d.timezone})"
    return f"at {d.at}" if d.timezone == "UTC" else f"at {d.at} ({d.timezone})"


def job_json(job: JobRecord) -> dict[str, Any]:
    d = job.definition
    return {
        "id": job.id,
        "name": job.name,
        "agent": d.agent_id,
        "status": job.status,
        "schedule": schedule_text(d),
        "cron_expr": d.cron_expr,
        "at": d.at,
        "timezone": d.timezone,
        # Only an active job fires: a paused (or finished) one shows no next run.
        "next_fire_at": iso(job.next_fire_at) if job.status == "active" else None,
        "last_run_at": iso(job.last_run_at),
        "last_status": job.last_status,
        "consecutive_failures": job.consecutive_failures,
        "max_retries": d.max_retries,
        "run_count": job.run_count,
        "session_mode": str(d.session_mode),
        "delivery": list(d.delivery),
        "max_concurrent": d.max_concurrent,
        "heartbeat": d.heartbeat is not None and d.heartbeat.enabled,
        "description": d.description,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
    }


# On a narrow terminal LAST RUN goes first, then LAST STATUS, AGENT, FAILURES and SCHEDULE; ID, NAME,
# STATUS and NEXT RUN always stay (`symbi_runtime.cli.table`).
JOB_COLUMNS = (
    Column("id", "ID", lambda v: str(v)[:8]),
    Column("name", "NAME", fit=Fit.ELLIPSIS),
    Column("agent", "AGENT", fit=Fit.ELLIPSIS, drop=3, min_width=10),
    Column("schedule", "SCHEDULE", drop=5),
    Column("status", "STATUS"),
    Column("next_fire_at", "NEXT RUN (UTC)", short_time),
    Column("last_run_at", "LAST RUN (UTC)", short_time, drop=1),
    Column("last_status", "LAST STATUS", drop=2),
    Column("consecutive_failures", "FAILURES", drop=4),
)
JOB_CSV_COLUMNS = tuple(
    Column(k, k)
    for k in (
        "id",
        "name",
        "agent",
        "status",
        "schedule",
        "cron_expr",
        "at",
        "timezone",
        "next_fire_at",
        "last_run_at",
        "last_status",
        "consecutive_failures",
        "max_retries",
        "run_count",
        "session_mode",
        "max_concurrent",
        "created_at",
        "updated_at",
    )
)


def jobs_text(store: Store, status: str | None, agent: str | None, fmt: OutputFormat, *, wide: bool) -> str:
    """What `symbi cron list` prints: the jobs (of `status`, of `agent`) in `fmt`."""
    rows = [job_json(j) for j in store.list_jobs(status=status, agent=agent)]
    columns = JOB_CSV_COLUMNS if fmt is OutputFormat.CSV else JOB_COLUMNS
    return render(rows, columns, fmt, empty="no jobs", wide=wide)
