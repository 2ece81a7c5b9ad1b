"""The spec's routes (`/api/v1/schedule…`, `/runs/{id}`): Job IR field names, full job bodies."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from symbi_runtime.api.errors import ApiProblem, ErrorCode
from symbi_runtime.api.models import (
    CreatedJobOut,
    DecisionIn,
    DeletedOut,
    JobIn,
    JobOut,
    JobUpdate,
    NextRunOut,
    RunNowIn,
    RunOut,
)
from symbi_runtime.api.routing import route
from symbi_runtime.api.service import ApiState
from symbi_runtime.api.settings import Scope
from symbi_runtime.api.views import iso, job_body, run_body

router = APIRouter(prefix="/api/v1")
TAG: list[str | Enum] = ["schedule (spec)"]
Limit = Annotated[int, Query(ge=1, le=1000)]


def api(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


def _with_warnings(body: dict[str, Any], warnings: list[Any]) -> dict[str, Any]:
    return {**body, "warnings": [w.to_dict() for w in warnings]}


@route(
    router,
    "POST",
    "/schedule",
    Scope.WRITE,
    summary="Create a job",
    status_code=201,
    response_model=CreatedJobOut,
    tags=TAG,
)
async def create_job(body: JobIn, request: Request) -> JSONResponse:
    record, warnings = api(request).create(body.model_dump(exclude_none=True), request.state.caller)
    return JSONResponse(_with_warnings(job_body(record), warnings), status_code=201)


@route(router, "GET", "/schedule", Scope.READ, summary="List jobs", response_model=list[JobOut], tags=TAG)
async def list_jobs(
    request: Request,
    status: str | None = None,
    agent_id: str | None = None,
    agent: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> JSONResponse:
    jobs = api(request).runtime.store.list_jobs(status=status, agent=agent_id or agent)
    return JSONResponse([job_body(j) for j in jobs[:limit]])


@route(router, "GET", "/schedule/{job_id}", Scope.READ, summary="Get a job", response_model=JobOut, tags=TAG)
async def get_job(job_id: str, request: Request) -> JSONResponse:
    return JSONResponse(job_body(api(request).job(job_id)))


@route(
    router,
    "PUT",
    "/schedule/{job_id}",
    Scope.WRITE,
    summary="Change a job",
    response_model=CreatedJobOut,
    tags=TAG,
)
async def update_job(job_id: str, body: JobUpdate, request: Request) -> JSONResponse:
    state = api(request)
    record, warnings = state.update(
        state.job(job_id), body.model_dump(exclude_unset=True), request.state.caller
    )
    return JSONResponse(_with_warnings(job_body(record), warnings))


@route(
    router,
    "DELETE",
    "/schedule/{job_id}",
    Scope.WRITE,
    summary="Delete a job",
    response_model=DeletedOut,
    tags=TAG,
)
async def delete_job(job_id: str, request: Request) -> JSONResponse:
    state = api(request)
    record = state.job(job_id)
    state.delete(record, request.state.caller)
    return JSONResponse({"deleted": True, "id": record.id, "name": record.name})


@route(
    router,
    "POST",
    "/schedule/{job_id}/pause",
    Scope.WRITE,
    summary="Pause a job",
    response_model=JobOut,
    tags=TAG,
)
async def pause_job(job_id: str, request: Request) -> JSONResponse:
    state = api(request)
    return JSONResponse(job_body(state.set_status(state.job(job_id), "paused", request.state.caller)))


@route(
    router,
    "POST",
    "/schedule/{job_id}/resume",
    Scope.WRITE,
    summary="Resume a job",
    response_model=JobOut,
    tags=TAG,
)
async def resume_job(job_id: str, request: Request) -> JSONResponse:
    state = api(request)
    return JSONResponse(job_body(state.set_status(state.job(job_id), "active", request.state.caller)))


@route(
    router,
    "POST",
    "/schedule/{job_id}/run",
    Scope.WRITE,
    summary="Run a job now and wait for the run (force: admin scope)",
    response_model=RunOut,
    tags=TAG,
)
async def run_job(job_id: str, request: Request, body: RunNowIn | None = None) -> JSONResponse:
    state = api(request)
    body = body or RunNowIn()
    if body.force and not request.state.caller.allows(Scope.ADMIN):
        raise ApiProblem(ErrorCode.FORBIDDEN, "'force' (ignore max_concurrent) needs the 'admin' scope")
    run = await state.run_now(state.job(job_id), body.input, force=body.force)
    return JSONResponse(run_body(run))


@route(
    router,
    "GET",
    "/schedule/{job_id}/history",
    Scope.READ,
    summary="A job's runs, newest first",
    response_model=list[RunOut],
    tags=TAG,
)
async def job_history(
    job_id: str, request: Request, status: str | None = None, limit: Limit = 50
) -> JSONResponse:
    state = api(request)
    runs = state.runtime.store.list_runs(job=state.job(job_id).id, status=status, limit=limit)
    return JSONResponse([run_body(r) for r in runs])


@route(
    router,
    "GET",
    "/schedule/{job_id}/next_run",
    Scope.READ,
    summary="A job's next run",
    response_model=NextRunOut,
    tags=TAG,
)
async def next_run(job_id: str, request: Request) -> JSONResponse:
    job = api(request).job(job_id)
    return JSONResponse({"id": job.id, "name": job.name, "next_run": iso(job.next_fire_at)})


@route(router, "GET", "/runs/{run_id}", Scope.READ, summary="Get a run", response_model=RunOut, tags=["runs"])
async def get_run(run_id: str, request: Request) -> JSONResponse:
    return JSONResponse(run_body(api(request).run(run_id)))


@route(
    router,
    "POST",
    "/runs/{run_id}/approve",
    Scope.APPROVE,
    summary="Approve a run (the token's principal must be the job's approver)",
    response_model=RunOut,
    tags=["runs"],
)
async def approve_run(run_id: str, request: Request, body: DecisionIn | None = None) -> JSONResponse:
    reason = body.reason if body else None
    run = api(request).decide(run_id, approve=True, reason=reason, caller=request.state.caller)
    return JSONResponse(run_body(run))


@route(
    router,
    "POST",
    "/runs/{run_id}/deny",
    Scope.APPROVE,
    summary="Deny a run (needs a reason)",
    response_model=RunOut,
    tags=["runs"],
)
async def deny_run(run_id: str, request: Request, body: DecisionIn | None = None) -> JSONResponse:
    reason = body.reason if body else None
    if not (reason and reason.strip()):
        raise ApiProblem(
            ErrorCode.VALIDATION_ERROR,
            "denying a run needs a 'reason'",
            [
                {
                    "field": "reason",
                    "code": "VALIDATION_ERROR",
                    "severity": "error",
                    "message": "denying a run needs a reason",
                    "help": None,
                }
            ],
        )
    run = api(request).decide(run_id, approve=False, reason=reason, caller=request.state.caller)
    return JSONResponse(run_body(run))
