"""Bodies of the backfill and explain routes (issue 12): the typed contract of `api/fleet_routes.py`.

Instants travel as ISO 8601 text with a UTC offset; the route parses them, so a bad one is a 400 naming
the field (`from`, `to`, `at`) rather than a pydantic type error.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from symbi_runtime.api.models import RunOut

OverlapName = Literal["skip", "allow", "queue"]
ActionName = Literal["created", "would create", "already recorded"]
VerdictName = Literal["passed", "stopped", "note", "not_reached"]


class BackfillIn(BaseModel):
    """`symbi cron backfill`'s options as a body: the range is inclusive and may not reach the future."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [{"from": "2026-11-16T00:00:00Z", "to": "2026-11-18T23:59:59Z", "dry_run": True}]
        },
    )

    start: str = Field(alias="from", min_length=1, max_length=100, description="First fire to include")
    end: str = Field(alias="to", min_length=1, max_length=100, description="Last fire to include")
    overlap: OverlapName = Field(
        default="queue", description="When the job is at max_concurrent: skip, allow or queue"
    )
    dry_run: bool = Field(default=False, description="List what would be created; write nothing")


class BackfillFireOut(BaseModel):
    """One fire of the range and what the backfill did with it."""

    scheduled_for: str
    action: ActionName
    status: str | None
    trigger: str | None
    run_id: str | None


class BackfillOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    job: str
    job_id: str
    dry_run: bool
    overlap: OverlapName
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    created: int = Field(description="Runs written (or that would be, with dry_run)")
    already_recorded: int = Field(description="Fires that already had a run (never run twice)")
    fires: list[BackfillFireOut]


class GateOut(BaseModel):
    """One step of the run pipeline for the explained fire."""

    gate: str
    verdict: VerdictName
    detail: str


class ExplainOut(BaseModel):
    """Why the fire nearest `at` ran or didn't (or, for a future fire, what would happen)."""

    job: str
    at: str
    fire: str | None
    future: bool
    gates: list[GateOut]
    run: RunOut | None
