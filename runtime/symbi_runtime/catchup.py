"""What to do with a job whose next fire is due: run it, skip it, or catch up a backlog after downtime.

`plan_due_fire` is pure (no store, no clock): given the job, its due fire and now, it returns the runs to
insert and the job's new next fire, which the scheduler then claims in one transaction. A backlog never
enumerates more than a bounded number of fires: the fires not run are recorded as ONE `missed` run whose
`detail.missed_count` says how many there were.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from symbi_lang.ir import Catchup, JobDefinition
from symbi_runtime import timing
from symbi_runtime.quickinit import quick_init
from symbi_runtime.store import NewRun, RunStatus, Trigger

_TINY = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class CatchupSettings:
    """The scheduler's side of catch-up and jitter (from `[scheduler]`)."""

    window_seconds: float = 3600.0
    max_runs: int = 10
    # A lone due fire later than this is treated as missed downtime, not ordinary tick lateness.
    grace_seconds: float = 5.0
    max_jitter_seconds: float = 0.0
    enabled: bool = True
    # No catch-up run when the next regular fire is this close: it would still be running then, and
    # that on-time fire would be skipped (restarting would cost one on-time fire). 0: always catch up.
    skip_within_seconds: float = 60.0

    @classmethod
    def from_config(cls, config: Any) -> CatchupSettings:
        """The settings a `[scheduler]` table (`SchedulerConfig`) gives: the scheduler and `symbi simulate`
        build them here, so both apply the same window, grace and jitter bound."""
        return cls(
            window_seconds=config.catchup_window_seconds,
            max_runs=config.catchup_max_runs,
            grace_seconds=max(5.0, 3 * config.tick_interval_seconds),
            max_jitter_seconds=config.max_jitter_seconds,
            enabled=config.enable_missed_run_catchup,
            skip_within_seconds=config.catchup_skip_within_seconds,
        )


@quick_init
@dataclass(frozen=True, slots=True)
class FirePlan:
    """Runs to insert for a due job and its next fire afterwards (None: schedule exhausted)."""

    runs: tuple[NewRun, ...]
    new_next: datetime | None
    missed_count: int = 0


def plan_due_fire(
    job: JobDefinition,
    due: datetime,
    now: datetime,
    *,
    in_flight: int,
    settings: CatchupSettings,
    rng: random.Random,
    start_now: Callable[[], bool] | None = None,
) -> FirePlan:
    """Plan the due fire `due` (<= now) of `job`, which has `in_flight` runs pending or running.

    A `one_shot` cron job is planned as the `at` job of `due`: it runs (or is caught up, or recorded
    `missed`) once, and its plan has no next fire, so the claim completes it. `start_now`, asked only
    for an on-time run without jitter, says whether it may start at once (the run is then planned
    `running`, not `pending`)."""
    job = timing.pinned_to(job, due)
    following = timing.next_fire_after(job, due)
    on_time = (following is None or following > now) and (now - due).total_seconds() <= settings.grace_seconds
    if on_time:
        run = _scheduled_run(job, due, following, in_flight, settings, rng, start_now)
        return FirePlan((run,), following)
    return _plan_backlog(job, due, now, settings)


def jitter_for(
    job: JobDefinition, fire: datetime, following: datetime | None, max_jitter: float, rng: random.Random
) -> float:
    """A uniform delay in [0, bound): bound is the job's `jitter` or the configured maximum, kept below the
    gap to the next fire so a delayed run never overlaps the next one."""
    bound = float(job.jitter) if job.jitter is not None else max_jitter
    if following is not None:
        bound = min(bound, (following - fire).total_seconds() * 0.99)
    if bound <= 0:
        return 0.0
    return round(rng.uniform(0.0, bound), 3)


def _scheduled_run(
    job: JobDefinition,
    due: datetime,
    following: datetime | None,
    in_flight: int,
    settings: CatchupSettings,
    rng: random.Random,
    start_now: Callable[[], bool] | None = None,
) -> NewRun:
    limit = max(1, job.max_concurrent)
    if in_flight >= limit:
        return NewRun(
            due,
            Trigger.SCHEDULE,
            RunStatus.SKIPPED,
            error=f"job already has {in_flight} run(s) in flight (max_concurrent = {limit})",
            detail={"in_flight": in_flight, "max_concurrent": limit},
        )
    jitter = jitter_for(job, due, following, settings.max_jitter_seconds, rng)
    status = RunStatus.RUNNING if jitter == 0 and start_now is not None and start_now() else RunStatus.PENDING
    return NewRun(due, Trigger.SCHEDULE, status, jitter_seconds=jitter, input=job.input)


def _plan_backlog(job: JobDefinition, due: datetime, now: datetime, settings: CatchupSettings) -> FirePlan:
    policy = Catchup(job.catchup) if settings.enabled else Catchup.NONE
    window_start = max(due, now - timedelta(seconds=settings.window_seconds))
    if policy is Catchup.LATEST:
        to_run = timing.latest_fires(job, window_start, now, 1)
    elif policy is Catchup.EARLIEST:
        first = timing.earliest_fire(job, window_start, now)
        to_run = [first] if first is not None else []
    elif policy is Catchup.ALL:
        to_run = timing.latest_fires(job, window_start, now, max(1, settings.max_runs))
    else:
        to_run = []
    following = timing.next_fire_after(job, now)
    late = [f for f in to_run if (now - f).total_seconds() > settings.grace_seconds]
    superseded = (
        bool(late)
        and following is not None
        and (following - now).total_seconds() <= settings.skip_within_seconds
    )
    if superseded:  # the next regular fire, moments away, does the work on time
        to_run = [f for f in to_run if f not in late]
    runs = [NewRun(f, Trigger.CATCHUP, RunStatus.PENDING, input=job.input) for f in to_run]

    total = timing.count_fires(job, due, now + _TINY)
    missed = max(0, total.count - len(to_run))
    if missed:
        ran = set(to_run)
        first_missed: datetime | None = due
        while first_missed is not None and first_missed in ran:
            first_missed = timing.next_fire_after(job, first_missed)
        last_candidates = [f for f in timing.latest_fires(job, due, now, len(to_run) + 1) if f not in ran]
        last_missed = last_candidates[-1] if last_candidates else first_missed
        assert first_missed is not None
        detail: dict[str, Any] = {
            "missed_count": missed,
            "missed_count_exact": total.exact,
            "first_missed": first_missed.isoformat(),
            "last_missed": (last_missed or first_missed).isoformat(),
            "catchup": policy.value,
            "catchup_window_seconds": settings.window_seconds,
        }
        reason = (
            f"{missed} fire(s) missed while the scheduler was not running "
            f"(catch-up policy {policy.value!r}, window {settings.window_seconds:g}s)"
        )
        if superseded:
            assert following is not None
            detail["superseded_by"] = following.isoformat()
            reason += (
                f"; not caught up: the next regular fire at {following.isoformat()} is due within "
                f"{settings.skip_within_seconds:g}s (catchup_skip_within_seconds)"
            )
        runs.insert(0, NewRun(first_missed, Trigger.CATCHUP, RunStatus.MISSED, detail=detail, error=reason))
    return FirePlan(tuple(runs), following, missed)
