"""Upstream's routes (`/api/v1/schedules…`, UPSTREAM.md §2), shaped exactly as symbiont-sdk reads them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from symbi_runtime import timing
from symbi_runtime.api.errors import ApiProblem, ErrorCode
from symbi_runtime.api.models import (
    CreateScheduleIn,
    CreateScheduleResponse,
    DeleteScheduleResponse,
    NextRunsResponse,
    ScheduleActionResponse,
    ScheduleDetail,
    ScheduleHistoryResponse,
    ScheduleSummary,
    UpdateScheduleIn,
)
from symbi_runtime.api.routing import route
from symbi_runtime.api.seed_routes import api
from symbi_runtime.api.service import ApiState
from symbi_runtime.api.settings import Scope
from symbi_runtime.api.views import detail, history_entry, iso, summary, upstream_status

router = APIRouter(prefix="/api/v1")
TAG: list[str | Enum] = ["schedules (upstream)"]


def _warnings_header(warnings: list[Any]) -> dict[str, str]:
    """Upstream's bodies have no room for warnings (the SDK rejects unknown keys): a header carries them."""
    return {"X-Symbi-Warnings": "; ".join(f"{w.code} {w.message}" for w in warnings)} if warnings else {}


def _one_shot(state: ApiState, data: dict[str, Any]) -> dict[str, Any]:
    """Upstream's `one_shot`: the Job IR's `one_shot` flag, as a file's `one_shot: true` gives: the job
    fires once, at the expression's first match after it is stored, then completes."""
    job, _ = state.checked(data)
    if timing.first_fire(job, state.now()) is None:
        raise ApiProblem(
            ErrorCode.INVALID_JOB, "cron_expression never fires again; a one-shot job needs a fire time"
        )
    return {**data, "one_shot": True}


@route(
    router,
    "POST",
    "/schedules",
    Scope.WRITE,
    summary="Create a schedule",
    status_code=201,
    response_model=CreateScheduleResponse,
    tags=TAG,
)
async def create_schedule(body: CreateScheduleIn, request: Request) -> JSONResponse:
    state = api(request)
    data: dict[str, Any] = {
        "name": body.name,
        "agent_id": body.agent_name,
        "cron_expr": body.cron_expression,
        "timezone": body.timezone,
    }
    if body.one_shot:
        data = _one_shot(state, data)
    record, warnings = state.create(data, request.state.caller)
    return JSONResponse(
        {"job_id": record.id, "next_run": iso(record.next_fire_at), "status": "created"},
        status_code=201,
        headers=_warnings_header(warnings),
    )


@route(
    router,
    "GET",
    "/schedules",
    Scope.READ,
    summary="List schedules",
    response_model=list[ScheduleSummary],
    tags=TAG,
)
async def list_schedules(
    request: Request,
    status: str | None = None,
    agent_name: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> JSONResponse:
    wanted = None if status is None else status.lower().replace("deadletter", "dead_letter")
    jobs = api(request).runtime.store.list_jobs(status=wanted, agent=agent_name)
    return JSONResponse([summary(j) for j in jobs[:limit]])


@route(
    router,
    "GET",
    "/schedules/{job_id}",
    Scope.READ,
    summary="Get a schedule",
    response_model=ScheduleDetail,
    tags=TAG,
)
async def get_schedule(job_id: str, request: Request) -> JSONResponse:
    return JSONResponse(detail(api(request).job(job_id)))


@route(
    router,
    "PUT",
    "/schedules/{job_id}",
    Scope.WRITE,
    summary="Change a schedule",
    response_model=ScheduleDetail,
    tags=TAG,
)
async def update_schedule(job_id: str, body: UpdateScheduleIn, request: Request) -> JSONResponse:
    state = api(request)
    record = state.job(job_id)
    changes: dict[str, Any] = {}
    if body.cron_expression is not None:
        changes["cron_expr"] = body.cron_expression
    if body.timezone is not None:
        changes["timezone"] = body.timezone
    if body.one_shot is True and (changes.get("cron_expr") or record.definition.cron_expr):
        base = {
            "name": record.name,
            "agent_id": record.definition.agent_id,
            "cron_expr": changes.get("cron_expr") or record.definition.cron_expr,
            "timezone": changes.get("timezone", record.definition.timezone),
        }
        changes.update(cron_expr=base["cron_expr"], timezone=base["timezone"], one_shot=True)
        _one_shot(state, base)  # refused when the expression never fires again
    elif body.one_shot is False and record.definition.one_shot:
        changes["one_shot"] = False
    elif body.one_shot is False and "cron_expr" not in changes and record.definition.cron_expr is None:
        raise ApiProblem(
            ErrorCode.VALIDATION_ERROR,
            "a recurring schedule needs a cron_expression",
            [
                {
                    "field": "cron_expression",
                    "code": "VALIDATION_ERROR",
                    "severity": "error",
                    "message": "give cron_expression with one_shot: false",
                    "help": None,
                }
            ],
        )
    updated, warnings = state.update(record, changes, request.state.caller)
    return JSONResponse(detail(updated), headers=_warnings_header(warnings))


@route(
    router,
    "DELETE",
    "/schedules/{job_id}",
    Scope.WRITE,
    summary="Delete a schedule",
    response_model=DeleteScheduleResponse,
    tags=TAG,
)
async def delete_schedule(job_id: str, request: Request) -> JSONResponse:
    state = api(request)
    record = state.job(job_id)
    state.delete(record, request.state.caller)
    return JSONResponse({"job_id": record.id, "deleted": True})


def _action(request: Request, job_id: str, action: str) -> JSONResponse:
    state = api(request)
    record = state.job(job_id)
    if action == "trigger":
        state.trigger(record)
        return JSONResponse({"job_id": record.id, "action": "trigger", "status": "triggered"})
    updated = state.set_status(record, "paused" if action == "pause" else "active", request.state.caller)
    return JSONResponse({"job_id": updated.id, "action": action, "status": updated.status})


@route(
    router,
    "POST",
    "/schedules/{job_id}/pause",
    Scope.WRITE,
    summary="Pause a schedule",
    response_model=ScheduleActionResponse,
    tags=TAG,
)
async def pause_schedule(job_id: str, request: Request) -> JSONResponse:
    return _action(request, job_id, "pause")


@route(
    router,
    "POST",
    "/schedules/{job_id}/resume",
    Scope.WRITE,
    summary="Resume a schedule",
    response_model=ScheduleActionResponse,
    tags=TAG,
)
async def resume_schedule(job_id: str, request: Request) -> JSONResponse:
    return _action(request, job_id, "resume")


@route(
    router,
    "POST",
    "/schedules/{job_id}/trigger",
    Scope.WRITE,
    summary="Start a run now (does not wait for it)",
    response_model=ScheduleActionResponse,
    tags=TAG,
)
async def trigger_schedule(job_id: str, request: Request) -> JSONResponse:
    return _action(request, job_id, "trigger")


@route(
    router,
    "GET",
    "/schedules/{job_id}/history",
    Scope.READ,
    summary="A schedule's runs, newest first",
    response_model=ScheduleHistoryResponse,
    tags=TAG,
)
async def schedule_history(
    job_id: str, request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 50
) -> JSONResponse:
    state = api(request)
    record = state.job(job_id)
    runs = state.runtime.store.list_runs(job=record.id, limit=limit)
    return JSONResponse({"job_id": record.id, "history": [history_entry(r) for r in runs]})


@route(
    router,
    "GET",
    "/schedules/{job_id}/next-runs",
    Scope.READ,
    summary="The next `count` fire times",
    response_model=NextRunsResponse,
    tags=TAG,
)
async def next_runs(
    job_id: str, request: Request, count: Annotated[int, Query(ge=1, le=1000)] = 10
) -> JSONResponse:
    state = api(request)
    record = state.job(job_id)
    fires: list[str] = []
    if record.status == "active" and record.next_fire_at is not None:
        nxt: datetime | None = record.next_fire_at
        while nxt is not None and len(fires) < count:
            fires.append(nxt.isoformat())
            nxt = (
                None
                if timing.is_one_shot(record.definition)
                else timing.next_fire_after(record.definition, nxt)
            )
    return JSONResponse({"job_id": record.id, "next_runs": fires})


__all__ = ["router", "upstream_status"]
