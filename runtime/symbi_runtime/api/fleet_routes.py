"""`POST /api/v1/schedule/{job_id}/backfill` and `GET /api/v1/schedule/{job_id}/explain` (issue 12).

The same functions as `symbi cron backfill` and `symbi cron explain` (`symbi_runtime/backfill.py`,
`symbi_runtime/explain.py`), with the token's principal as the audit actor. A backfill wakes the
scheduler so its pending runs start on this tick.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from symbi_runtime.api.errors import ApiProblem, ErrorCode
from symbi_runtime.api.fleet_models import BackfillIn, BackfillOut, ExplainOut
from symbi_runtime.api.routing import route
from symbi_runtime.api.seed_routes import api
from symbi_runtime.api.settings import Scope
from symbi_runtime.api.views import run_body
from symbi_runtime.backfill import BackfillAction, BackfillError, Overlap, apply_backfill
from symbi_runtime.explain import explain

router = APIRouter(prefix="/api/v1")
TAG: list[str | Enum] = ["fleet"]


def _refuse(field: str, message: str) -> ApiProblem:
    detail = {
        "field": field,
        "code": "VALIDATION_ERROR",
        "severity": "error",
        "message": message,
        "help": None,
    }
    return ApiProblem(ErrorCode.VALIDATION_ERROR, f"{field}: {message}", [detail])


def instant(text: str, field: str) -> datetime:
    """An ISO 8601 date-time with a UTC offset (`Z` allowed), or a 400 naming `field`."""
    try:
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise _refuse(field, f"{text!r} is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise _refuse(field, f"{text!r} needs a UTC offset (e.g. 2026-11-16T00:00:00Z)")
    return value


@route(
    router,
    "POST",
    "/schedule/{job_id}/backfill",
    Scope.WRITE,
    summary="Create a run for every fire between `from` and `to` that has none (trigger `backfill`)",
    response_model=BackfillOut,
    tags=TAG,
)
async def backfill(job_id: str, body: BackfillIn, request: Request) -> JSONResponse:
    state = api(request)
    start, end = instant(body.start, "from"), instant(body.end, "to")
    record = state.job(job_id)
    try:
        rows = apply_backfill(
            state.runtime.store,
            record,
            start,
            end,
            now=state.now(),
            overlap=Overlap(body.overlap),
            dry_run=body.dry_run,
            actor=request.state.caller.principal,
        )
    except BackfillError as e:
        message = str(e).replace("--from", "from").replace("--to", "to")  # the CLI's option names
        raise _refuse(e.field, message) from None
    if not body.dry_run:
        state.runtime.scheduler.wake()
    created = sum(1 for r in rows if r.action is not BackfillAction.ALREADY_RECORDED)
    return JSONResponse(
        {
            "job": record.name,
            "job_id": record.id,
            "dry_run": body.dry_run,
            "overlap": body.overlap,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "created": created,
            "already_recorded": len(rows) - created,
            "fires": [r.to_dict() for r in rows],
        }
    )


@route(
    router,
    "GET",
    "/schedule/{job_id}/explain",
    Scope.READ,
    summary="Why the fire nearest `at` ran or didn't: every gate in pipeline order",
    response_model=ExplainOut,
    tags=TAG,
)
async def explain_fire(job_id: str, request: Request, at: str | None = None) -> JSONResponse:
    state = api(request)
    now = state.now()
    when = now if at is None else instant(at, "at")
    record = state.job(job_id)
    result = explain(state.runtime.store, record, when, now, state.runtime.config)
    return JSONResponse(result.to_dict(None if result.run is None else run_body(result.run)))
