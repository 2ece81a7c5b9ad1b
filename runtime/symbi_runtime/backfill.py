"""Which runs a backfill creates, and how a backfilled run treats runs of its job already in flight.

A backfilled run stands for a past fire: it takes that fire's key (job, scheduled_for, seq 0), so a fire
that already has a run — scheduled, caught up, or backfilled before, on any node — is never run twice;
the store refuses the duplicate and the backfill reports it as already recorded. The runs are written
`pending` with trigger `backfill` and the overlap choice in their detail; a running scheduler picks them
up on its next tick (`symbi up` started later does so at start-up) and runs them through the full
pipeline, so policy denials, delivery receipts and audit events are recorded as for any run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from symbi_lang.ir import JobDefinition
from symbi_runtime import timing

#: A backfill enumerates at most this many fires; a wider range is refused (narrow it, or run it twice).
MAX_BACKFILL_FIRES = 10_000


class Overlap(StrEnum):
    """What a backfilled run does when its job already has `max_concurrent` runs in flight."""

    SKIP = "skip"  # recorded `skipped`, like a scheduled fire
    ALLOW = "allow"  # runs anyway, beside them
    QUEUE = "queue"  # waits its turn (default)


class BackfillError(ValueError):
    """A range that cannot be backfilled (reversed, in the future, too many fires)."""


@dataclass(frozen=True, slots=True)
class BackfillPlan:
    """The fires in the range, oldest first."""

    job: str
    fires: tuple[datetime, ...]


def plan_backfill(job: JobDefinition, start: datetime, end: datetime, now: datetime) -> BackfillPlan:
    """Every fire `f` of `job` with `start <= f <= end`; `end` may not be later than `now`."""
    if end < start:
        raise BackfillError(f"--to {end.isoformat()} is before --from {start.isoformat()}")
    if end > now:
        raise BackfillError(
            f"--to {end.isoformat()} is in the future (now {now.isoformat()}): the scheduler runs those fires"
        )
    fires: list[datetime] = []
    f = timing.earliest_fire(job, start, end)
    while f is not None and f <= end:
        fires.append(f)
        if len(fires) > MAX_BACKFILL_FIRES:
            raise BackfillError(
                f"more than {MAX_BACKFILL_FIRES} fires between {start.isoformat()} and {end.isoformat()}; "
                "backfill a narrower range"
            )
        f = timing.next_fire_after(job, f)
    return BackfillPlan(job.name, tuple(fires))


def overlap_of(detail: object) -> Overlap:
    """The overlap choice stored in a backfilled run's detail (queue when absent or unknown)."""
    value = detail.get("overlap") if isinstance(detail, dict) else None
    try:
        return Overlap(str(value))
    except ValueError:
        return Overlap.QUEUE
