"""Health (`/api/v1/health`, public; `/api/v1/health/scheduler`), audit, and the OpenAPI document."""

from __future__ import annotations

import time
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from symbi_runtime.api.errors import ApiProblem, ErrorCode
from symbi_runtime.api.models import AuditOut, HealthOut, SchedulerHealth, SchedulerHealthFull
from symbi_runtime.api.routing import route
from symbi_runtime.api.seed_routes import api
from symbi_runtime.api.settings import Scope
from symbi_runtime.api.views import iso

router = APIRouter()


def _version() -> str:
    try:
        return version("symbi")
    except PackageNotFoundError:
        return "0"


@route(
    router,
    "GET",
    "/api/v1/health",
    Scope.PUBLIC,
    summary="Is the server up (no token needed)",
    response_model=HealthOut,
    tags=["health"],
)
async def health(request: Request) -> JSONResponse:
    state = api(request)
    return JSONResponse(
        {
            "status": "healthy",
            "uptime_seconds": int(time.monotonic() - state.started),
            "timestamp": state.now().isoformat(),
            "version": _version(),
        }
    )


@route(
    router,
    "GET",
    "/api/v1/health/scheduler",
    Scope.READ,
    summary="Scheduler health: upstream's fields; `?detail=full` adds the seed's",
    response_model=SchedulerHealthFull | SchedulerHealth,
    tags=["health"],
)
async def scheduler_health(request: Request, detail: str | None = None) -> JSONResponse:
    rt = api(request).runtime
    try:
        stats, jobs = rt.store.run_stats(), rt.store.job_counts()
        accessible = True
    except Exception:  # an unreadable store is what this route reports, not a 500
        stats, jobs, accessible = {"total": 0, "succeeded": 0, "failed": 0}, {}, False
    in_flight = rt.scheduler.in_flight()
    body: dict[str, Any] = {
        "is_running": rt.scheduler.is_running,
        "store_accessible": accessible,
        "jobs_total": sum(jobs.values()),
        "jobs_active": jobs.get("active", 0),
        "jobs_paused": jobs.get("paused", 0),
        "jobs_dead_letter": jobs.get("dead_letter", 0),
        "global_active_runs": in_flight,
        "max_concurrent": rt.config.scheduler.max_concurrent_jobs,
        "runs_total": stats["total"],
        "runs_succeeded": stats["succeeded"],
        "runs_failed": stats["failed"],
        "average_execution_time_ms": float(stats.get("avg_execution_time_ms") or 0.0),
        "longest_run_ms": float(stats.get("longest_execution_time_ms") or 0.0),
    }
    if detail == "full":
        body |= {
            "status": "healthy" if accessible else "degraded",
            "active_jobs": body["jobs_active"],
            "paused_jobs": body["jobs_paused"],
            "dead_letter_jobs": body["jobs_dead_letter"],
            "in_flight_jobs": in_flight,
            "metrics": {
                "runs_total": stats["total"],
                "runs_succeeded": stats["succeeded"],
                "runs_failed": stats["failed"],
                "avg_execution_time_ms": stats.get("avg_execution_time_ms"),
            },
        }
        node = rt.store.node_status()
        if node is not None:  # one node of several: which one, and how many hold a lease now
            try:
                alive: int | None = sum(1 for n in rt.store.list_nodes() if n["status"] == "alive")
            except Exception:
                alive = None
            body |= {"node": node, "nodes_alive": alive}
    return JSONResponse(body)


@route(
    router,
    "GET",
    "/api/v1/audit",
    Scope.AUDIT,
    summary="Audit events, newest first",
    response_model=list[AuditOut],
    tags=["audit"],
)
async def audit(
    request: Request,
    type: str | None = None,
    event_type: str | None = None,
    job: str | None = None,
    job_id: str | None = None,
    since: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> JSONResponse:
    after = None
    if since:
        try:
            after = datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            after = None
        if after is None or after.tzinfo is None:
            why = "since must be an ISO 8601 date-time with a UTC offset (e.g. 2026-11-25T00:00:00Z)"
            raise ApiProblem(
                ErrorCode.VALIDATION_ERROR,
                why,
                [
                    {
                        "field": "since",
                        "code": "VALIDATION_ERROR",
                        "severity": "error",
                        "message": why,
                        "help": None,
                    }
                ],
            )
    records = api(request).runtime.store.list_audit(
        event_type=type or event_type, job=job or job_id, since=after, limit=limit
    )
    return JSONResponse(
        [
            {
                "id": r.id,
                "event_type": r.event_type,
                "at": iso(r.at),
                "actor": r.actor,
                "job_id": r.job_id,
                "job_name": r.job_name,
                "run_id": r.run_id,
                "details": r.details,
            }
            for r in records
        ]
    )


def _document(request: Request) -> JSONResponse:
    return JSONResponse(request.app.state.api_document)


@route(router, "GET", "/api/v1/openapi.json", Scope.PUBLIC, summary="This OpenAPI document", tags=["docs"])
async def openapi_v1(request: Request) -> JSONResponse:
    return _document(request)


@route(
    router,
    "GET",
    "/api-docs/openapi.json",
    Scope.PUBLIC,
    summary="This OpenAPI document (upstream's path)",
    tags=["docs"],
)
async def openapi_upstream(request: Request) -> JSONResponse:
    return _document(request)
