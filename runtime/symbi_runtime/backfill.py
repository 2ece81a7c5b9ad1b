"""Which runs a backfill creates, and how a backfilled run treats runs of its job already in flight.

A backfilled run stands for a past fire: it takes that fire's key (job, scheduled_for, seq 0), so a fire
that already has a run — scheduled, caught up, or backfilled before, on any node — is never run twice;
the store refuses the duplicate and the backfill reports it as already recorded. The runs are written
`pending` with trigger `backfill` and the overlap choice in their detail; a running scheduler picks them
up on its next tick (`symbi up` started later does so at start-up) and runs them through the full
pipeline, so policy denials, delivery receipts and audit events are recorded as for any run.

A `one_shot` cron job fires once, at the instant the store pinned when it was added (its first match
then), so its fires are the pinned instants — its runs' fires and the next fire it waits for — never the
expression's other matches (`pinned_fires`; `symbi cron explain` uses the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from symbi_lang.ir import JobDefinition
from symbi_runtime import timing

if TYPE_CHECKING:
    from symbi_runtime.store import JobRecord, Store

#: `list_runs` limit meaning "every run of the job" (a backfill compares against all of them).
_ALL_RUNS = 1_000_000

#: A backfill enumerates at most this many fires; a wider range is refused (narrow it, or run it twice).
MAX_BACKFILL_FIRES = 10_000


class Overlap(StrEnum):
    """What a backfilled run does when its job already has `max_concurrent` runs in flight."""

    SKIP = "skip"  # recorded `skipped`, like a scheduled fire
    ALLOW = "allow"  # runs anyway, beside them
    QUEUE = "queue"  # waits its turn (default)


class BackfillError(ValueError):
    """A range that cannot be backfilled (reversed, in the future, too many fires); `field` is the
    bound to change (`from` or `to`)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class BackfillPlan:
    """The fires in the range, oldest first."""

    job: str
    fires: tuple[datetime, ...]


def pinned_fires(store: Store, record: JobRecord) -> tuple[datetime, ...] | None:
    """A `one_shot` cron job's fires, oldest first: the instants the store pinned for it (the fires of
    its scheduled, caught-up, missed or backfilled runs, and the next fire it waits for). None for any
    other job: its fires are its schedule's."""
    from symbi_runtime.store import Trigger

    d = record.definition
    if not (d.one_shot and d.cron_expr is not None):
        return None
    fires = {
        r.scheduled_for
        for r in store.list_runs(job=record.id, limit=_ALL_RUNS)
        if r.trigger != Trigger.MANUAL
    }
    if record.next_fire_at is not None:
        fires.add(record.next_fire_at)
    return tuple(sorted(fires))


def plan_backfill(
    job: JobDefinition,
    start: datetime,
    end: datetime,
    now: datetime,
    pinned: tuple[datetime, ...] | None = None,
) -> BackfillPlan:
    """Every fire `f` of `job` with `start <= f <= end`; `end` may not be later than `now`. `pinned`:
    the job's fires when they are not its schedule's (`pinned_fires`)."""
    if end < start:
        raise BackfillError(f"--to {end.isoformat()} is before --from {start.isoformat()}", "to")
    if end > now:
        raise BackfillError(
            f"--to {end.isoformat()} is in the future (now {now.isoformat()}): "
            "the scheduler runs those fires",
            "to",
        )
    if pinned is not None:
        return BackfillPlan(job.name, tuple(f for f in pinned if start <= f <= end))
    fires: list[datetime] = []
    f = timing.earliest_fire(job, start, end)
    while f is not None and f <= end:
        fires.append(f)
        if len(fires) > MAX_BACKFILL_FIRES:
            raise BackfillError(
                f"more than {MAX_BACKFILL_FIRES} fires between {start.isoformat()} and {end.isoformat()}; "
                "backfill a narrower range",
                "from",
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


class BackfillAction(StrEnum):
    """What a backfill did (or would do) for one fire."""

    CREATED = "created"
    WOULD_CREATE = "would create"
    ALREADY_RECORDED = "already recorded"


@dataclass(frozen=True, slots=True)
class BackfillRow:
    """One fire of the range and what became of it."""

    scheduled_for: datetime
    action: BackfillAction
    status: str | None
    trigger: str | None
    run_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheduled_for": self.scheduled_for.isoformat(),
            "action": self.action.value,
            "status": self.status,
            "trigger": self.trigger,
            "run_id": self.run_id,
        }


def apply_backfill(
    store: Store,
    record: JobRecord,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    overlap: Overlap,
    dry_run: bool,
    actor: str,
) -> tuple[BackfillRow, ...]:
    """Write a `pending` backfill run per fire of the range that has none (nothing when `dry_run`).

    The CLI and the HTTP API both call this; one `CronJobBackfilled` audit event (with `actor`) records
    a backfill that wrote anything. Raises BackfillError for a range that cannot be backfilled.
    """
    from symbi_runtime.store import NewRun, RunStatus, StoreError, Trigger

    plan = plan_backfill(record.definition, start, end, now, pinned_fires(store, record))
    existing = {
        r.scheduled_for: r
        for r in store.list_runs(job=record.id, limit=_ALL_RUNS)
        if r.trigger != Trigger.MANUAL
    }
    rows: list[BackfillRow] = []
    for fire in plan.fires:
        had = existing.get(fire)
        if had is not None:
            rows.append(BackfillRow(fire, BackfillAction.ALREADY_RECORDED, had.status, had.trigger, had.id))
            continue
        if dry_run:
            rows.append(BackfillRow(fire, BackfillAction.WOULD_CREATE, None, Trigger.BACKFILL, None))
            continue
        new = NewRun(
            fire,
            Trigger.BACKFILL,
            RunStatus.PENDING,
            input=record.definition.input,
            detail={
                "overlap": overlap.value,
                "backfill_from": start.isoformat(),
                "backfill_to": end.isoformat(),
            },
        )
        try:
            run = store.insert_run(record.id, new, now=now)
        except StoreError:  # a scheduler or another backfill recorded this fire meanwhile
            rows.append(BackfillRow(fire, BackfillAction.ALREADY_RECORDED, None, None, None))
            continue
        rows.append(BackfillRow(fire, BackfillAction.CREATED, run.status, run.trigger, run.id))
    created = sum(1 for r in rows if r.action is BackfillAction.CREATED)
    if created:
        store.append_audit(
            "CronJobBackfilled",
            at=now,
            actor=actor,
            job_id=record.id,
            details={
                "from": start.isoformat(),
                "to": end.isoformat(),
                "overlap": overlap.value,
                "created": created,
                "already_recorded": len(rows) - created,
            },
        )
    return tuple(rows)
