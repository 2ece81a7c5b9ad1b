"""What would the scheduler do over a window, without a database or agents: `symbi simulate`.

This is not a second scheduler. Each decision is the runtime's own function, called as the scheduler
calls it: `timing.first_fire` / `plan_due_fire` (due fires, catch-up after downtime by each schedule's
`catchup` policy and the window, jitter drawn by `jitter_for` from the same seeded generator in the same
order, the `max_concurrent` skip), `policy.evaluate` at the moment a run starts (`allowed_hours`,
environment, capabilities; a job needing approval is parked `awaiting_approval`, not run), catch-up runs
queueing on the job's `max_concurrent` like the scheduler's per-job slots, the global
`max_concurrent_jobs` slots handed out first-come first-served like its `_Slots`, heartbeat jobs running
their expected iterations, and `max_runtime` cutting a run short (`timed_out`). Only the passage of time
is simulated: an event queue stands in for the clock, and each agent "runs" for its expected duration.
`tests/runtime/test_simulate.py` runs the real scheduler on a fake clock over the same windows and checks
both record the same fires, skips, denials and start times.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from symbi_lang.ir import JobDefinition
from symbi_runtime import policy, timing
from symbi_runtime.backfill import Overlap
from symbi_runtime.catchup import CatchupSettings, plan_due_fire
from symbi_runtime.config import SchedulerConfig
from symbi_runtime.store import RunStatus, Store, Trigger

#: A simulation records at most this many runs (memory grows with them); past it, shorten the window.
MAX_RUNS = 1_000_000


class SimulationTooLarge(ValueError):
    """The window holds more runs than `MAX_RUNS`."""


@dataclass(frozen=True, slots=True)
class SimulatedRun:
    """One run the scheduler would record: its fire, how it ended, when it ran, and why not if it did not."""

    job: str
    scheduled_for: datetime
    trigger: str
    status: str
    jitter_seconds: float = 0.0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    reason: str | None = None
    iterations: int | None = None  # heartbeat jobs: the iterations the run would take


@dataclass(frozen=True, slots=True)
class PendingBackfill:
    """A `pending` backfilled run a store holds: a scheduler started at the window's start picks it up."""

    job: str
    scheduled_for: datetime
    overlap: Overlap = Overlap.QUEUE


def pending_backfills(store: Store) -> list[PendingBackfill]:
    """The pending backfilled runs of a store (`symbi simulate --db`; read only)."""
    from symbi_runtime.backfill import overlap_of

    runs = store.list_runs(status=RunStatus.PENDING, limit=MAX_RUNS)
    return [
        PendingBackfill(r.job_name, r.scheduled_for, overlap_of(r.detail))
        for r in runs
        if r.trigger == Trigger.BACKFILL
    ]


@dataclass(frozen=True, slots=True)
class Simulation:
    """Every run in [start, end) in fire order, and what `max_concurrent_jobs` was."""

    start: datetime
    end: datetime
    runs: tuple[SimulatedRun, ...]
    max_concurrent_jobs: int

    def fires_per_hour(self) -> dict[str, int]:
        """Runs by the UTC hour of their fire (`YYYY-MM-DDTHH`), skips and denials included."""
        return dict(sorted(Counter(r.scheduled_for.strftime("%Y-%m-%dT%H") for r in self.runs).items()))

    def peak_second(self) -> tuple[datetime | None, int]:
        """The fire instant shared by the most runs, and how many."""
        counts = Counter(r.scheduled_for for r in self.runs if r.trigger == Trigger.SCHEDULE)
        if not counts:
            return None, 0
        when, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return when, n

    def concurrency(self) -> tuple[int, int, datetime | None]:
        """Runs executing at once, sampled each second of the window: (peak, p99, when the peak began)."""
        spans = [(r.started_at, r.finished_at) for r in self.runs if r.started_at and r.finished_at]
        moments: list[tuple[datetime, int]] = []
        for a, b in spans:
            if b > a:
                moments += [(a, 1), (b, -1)]
        moments.sort(key=lambda m: (m[0], m[1]))
        level, peak, peak_at = 0, 0, None
        per_second: Counter[int] = Counter()  # seconds spent at each level
        last = self.start
        for t, delta in moments:
            t = min(max(t, self.start), self.end)
            per_second[level] += int((t - last).total_seconds())
            last = t
            level += delta
            if level > peak:
                peak, peak_at = level, t
        per_second[level] += int((self.end - last).total_seconds())
        total = sum(per_second.values())
        p99, seen = 0, 0
        for lvl in sorted(per_second):
            seen += per_second[lvl]
            if total and seen >= 0.99 * total:
                p99 = lvl
                break
        return peak, p99, peak_at

    def not_run(self) -> list[SimulatedRun]:
        """Fires that would be skipped, denied, missed or parked for approval."""
        return [
            r
            for r in self.runs
            if r.status not in (RunStatus.SUCCEEDED, RunStatus.TIMED_OUT, RunStatus.RUNNING)
        ]


@dataclass(order=True)
class _Event:
    at: datetime
    order: int  # finishes before claims before starts at one instant; then first come first served
    seq: int
    action: str = field(compare=False)
    run: int = field(compare=False)


_FINISH, _READY = 0, 2


def simulate(
    jobs: Sequence[JobDefinition],
    start: datetime,
    days: float,
    config: SchedulerConfig,
    *,
    durations: Mapping[str, float] | None = None,
    iterations: Mapping[str, int] | None = None,
    down_since: datetime | None = None,
    backfills: Sequence[PendingBackfill] = (),
    seed: int = 0,
    max_runs: int = MAX_RUNS,
) -> Simulation:
    """Replay `jobs` from `start` for `days`.

    `durations` maps a schedule or agent name to seconds a run takes (for a heartbeat job, one
    iteration; default: the schedule's `max_runtime`, else 0); `iterations` maps a heartbeat schedule
    or agent name to the iterations a run takes (default its `max_iterations`). `down_since`: no
    scheduler ran from then until `start`, so the fires in between are caught up (or recorded missed)
    at `start` by each schedule's catch-up policy, as a scheduler started at `start` would.
    `backfills`: pending backfilled runs in the store (`symbi simulate --db`), started at `start` by
    their overlap choice. `seed` seeds the jitter draws (the scheduler's `rng`).
    """
    start = start.astimezone(UTC)
    end = start + timedelta(days=days)
    if down_since is not None and down_since.astimezone(UTC) > start:
        raise ValueError("down_since must not be later than the start of the window")
    rng = random.Random(seed)
    settings = CatchupSettings.from_config(config)
    by_name = {j.name: j for j in jobs}
    added = start if down_since is None else down_since.astimezone(UTC)
    next_fire: dict[str, datetime | None] = {j.name: timing.first_fire(j, added) for j in jobs}
    in_flight: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    dead: set[str] = set()
    free = max(1, config.max_concurrent_jobs)
    waiting: deque[int] = deque()
    # Catch-up runs queue on their job's `max_concurrent` (the scheduler's per-job `_Slots`).
    job_free: dict[str, int] = {j.name: max(1, j.max_concurrent) for j in jobs}
    job_waiting: dict[str, deque[int]] = {j.name: deque() for j in jobs}
    runs: list[dict[str, object]] = []
    events: list[_Event] = []
    seq = itertools.count()

    def push(at: datetime, order: int, action: str, run: int) -> None:
        heapq.heappush(events, _Event(at, order, next(seq), action, run))

    def given(table: Mapping[str, float] | Mapping[str, int] | None, job: JobDefinition) -> float | None:
        value = (table or {}).get(job.name, (table or {}).get(job.agent_id))
        return None if value is None else float(value)

    def planned(job: JobDefinition) -> tuple[float, int | None, float]:
        """(seconds the run takes, heartbeat iterations or None, seconds per iteration)."""
        each = given(durations, job)
        if job.heartbeat is None or not job.heartbeat.enabled:
            return (each if each is not None else float(job.policy.max_runtime_seconds or 0.0)), None, 0.0
        limit = max(1, job.heartbeat.max_iterations)
        n = min(limit, max(1, int(given(iterations, job) or limit)))
        if each is None:  # no per-iteration figure: the whole run takes the default duration
            return float(job.policy.max_runtime_seconds or 0.0), n, 0.0
        return each * n, n, each

    def begin(i: int, now: datetime, *, claimed_running: bool = False) -> None:
        run = runs[i]
        job = by_name[str(run["job"])]
        if job.name in dead and not claimed_running:
            # As `_run_task`: a run that waited (jitter, a slot) re-reads its job before starting.
            run["status"], run["reason"] = RunStatus.SKIPPED, "job was dead_letter before the run started"
            push(now, _FINISH, "finish", i)
            return
        run["started_at"] = now
        decision, _ = policy.evaluate(
            job, job.agent, policy.PolicyContext(environment=config.environment, now=now, approved=False)
        )
        if isinstance(decision, policy.Deny | policy.RequiresApproval):
            denied = isinstance(decision, policy.Deny)
            run["status"] = RunStatus.DENIED if denied else RunStatus.AWAITING_APPROVAL
            run["reason"] = decision.reason
            run["finished_at"] = now
            push(now, _FINISH, "finish", i)
            return
        took, n, each = planned(job)
        run["iterations"] = n
        limit = job.policy.max_runtime_seconds
        if limit is not None and limit > 0 and took >= limit:
            run["status"], took = RunStatus.TIMED_OUT, limit
            run["reason"] = f"exceeded max_runtime ({job.policy.max_runtime or f'{limit:g}s'})"
            if n is not None and each > 0:
                run["iterations"] = min(n, int(limit // each))  # the iterations that ended in time
        else:
            run["status"] = RunStatus.SUCCEEDED
        run["finished_at"] = now + timedelta(seconds=took)
        push(now + timedelta(seconds=took), _FINISH, "finish", i)

    def acquire(i: int, now: datetime) -> None:
        nonlocal free
        if free > 0 and not waiting:
            free -= 1
            begin(i, now)
        else:
            waiting.append(i)

    def ready(i: int, now: datetime) -> None:
        """Jitter has passed: a catch-up run (or a queued backfill) first takes one of its job's slots,
        then a global one; a backfill with overlap `skip` is skipped when its job is busy."""
        run = runs[i]
        name = str(run["job"])
        overlap = run.get("overlap")
        if overlap == Overlap.SKIP and in_flight[name] - 1 >= max(1, by_name[name].max_concurrent):
            limit = by_name[name].max_concurrent
            run["status"] = RunStatus.SKIPPED
            run["reason"] = (
                f"job already has runs in flight (max_concurrent = {limit}); backfill --overlap skip"
            )
            in_flight[name] -= 1  # never held a slot: nothing to release
            return
        if run["trigger"] != Trigger.CATCHUP and overlap != Overlap.QUEUE:
            acquire(i, now)
            return
        run["job_slot"] = True
        if job_free[name] > 0 and not job_waiting[name]:
            job_free[name] -= 1
            acquire(i, now)
        else:
            job_waiting[name].append(i)

    def finish(i: int, now: datetime) -> None:
        """A run ends: the store's dead-letter rule (`max_retries` consecutive failures), then its slot."""
        run = runs[i]
        name = str(run["job"])
        in_flight[name] -= 1
        if run.get("started_at") is not None and run["status"] in (RunStatus.SUCCEEDED, RunStatus.TIMED_OUT):
            if run["status"] == RunStatus.SUCCEEDED:
                failures[name] = 0
            else:
                failures[name] += 1
                limit = by_name[name].max_retries
                limit = config.default_max_retries if limit is None else limit
                if failures[name] >= max(1, limit) and name not in dead:
                    dead.add(name)
                    next_fire[name] = None
                    run["reason"] = (
                        f"{run['reason']}; job moved to dead_letter after {failures[name]} failures"
                    )
        release(now)  # every run that reached `begin` held a global slot
        if run.get("job_slot"):  # released after the global slot: the next waiter queues for one anew
            if job_waiting[name]:
                acquire(job_waiting[name].popleft(), now)
            else:
                job_free[name] += 1

    def release(now: datetime) -> None:
        nonlocal free
        if waiting:
            begin(waiting.popleft(), now)  # the slot moves straight to the first waiter
        else:
            free += 1

    def claim(now: datetime) -> None:
        nonlocal free
        due = sorted((t, name) for name, t in next_fire.items() if t is not None and t <= now)
        for fire, name in due:
            job = by_name[name]
            plan = plan_due_fire(job, fire, now, in_flight=in_flight[name], settings=settings, rng=rng)
            next_fire[name] = plan.new_next
            for new in plan.runs:
                i = len(runs)
                if i >= max_runs:
                    raise SimulationTooLarge(
                        f"more than {max_runs} runs by {now.isoformat()}: simulate fewer days or schedules"
                    )
                runs.append(
                    {
                        "job": name,
                        "scheduled_for": new.scheduled_for,
                        "trigger": str(new.trigger),
                        "status": str(new.status),
                        "jitter": new.jitter_seconds,
                        "reason": new.error,
                    }
                )
                if new.status != RunStatus.PENDING:
                    continue
                in_flight[name] += 1
                # As the scheduler's claim: a scheduled run without jitter starts in the claim if a slot
                # is free; others wait for their jitter, then queue for a slot.
                if new.trigger == Trigger.SCHEDULE and new.jitter_seconds == 0 and free > 0 and not waiting:
                    free -= 1
                    begin(i, now, claimed_running=True)
                else:
                    ready = max(now, new.scheduled_for + timedelta(seconds=new.jitter_seconds))
                    push(ready, _READY, "ready", i)

    now = start
    # As the scheduler's start-up: pending backfilled runs are launched (and count in flight) before
    # the first claim.
    for backfill in sorted(backfills, key=lambda b: b.scheduled_for):
        if backfill.job not in by_name:
            continue
        runs.append(
            {
                "job": backfill.job,
                "scheduled_for": backfill.scheduled_for,
                "trigger": str(Trigger.BACKFILL),
                "status": str(RunStatus.PENDING),
                "jitter": 0.0,
                "reason": None,
                "overlap": Overlap(backfill.overlap),
            }
        )
        in_flight[backfill.job] += 1
        push(now, _READY, "ready", len(runs) - 1)
    claim(now)  # fires already due at the start (a passed one-shot `at`, catch-up after downtime)
    while True:
        upcoming = [t for t in next_fire.values() if t is not None]
        t_fire = min(upcoming) if upcoming else None
        t_event = events[0].at if events else None
        candidates = [t for t in (t_fire, t_event) if t is not None and t < end]
        if not candidates:
            break
        now = min(candidates)
        while events and events[0].at == now and events[0].order == _FINISH:
            finish(heapq.heappop(events).run, now)
        if t_fire is not None and t_fire <= now:
            claim(now)
        while events and events[0].at == now:
            ev = heapq.heappop(events)
            if ev.action == "finish":
                finish(ev.run, now)
            else:
                ready(ev.run, now)
    return Simulation(start, end, tuple(_frozen(r) for r in runs), max(1, config.max_concurrent_jobs))


def _frozen(run: Mapping[str, object]) -> SimulatedRun:
    started = run.get("started_at")
    finished = run.get("finished_at")
    status = str(run["status"])
    if status == RunStatus.PENDING:
        status = RunStatus.RUNNING if started is not None else RunStatus.PENDING
    jitter = run.get("jitter", 0.0)
    return SimulatedRun(
        job=str(run["job"]),
        scheduled_for=run["scheduled_for"],  # type: ignore[arg-type]
        trigger=str(run["trigger"]),
        status=status,
        jitter_seconds=float(jitter) if isinstance(jitter, int | float) else 0.0,
        started_at=started if isinstance(started, datetime) else None,
        finished_at=finished if isinstance(finished, datetime) else None,
        reason=str(run["reason"]) if run.get("reason") else None,
        iterations=run["iterations"] if isinstance(run.get("iterations"), int) else None,  # type: ignore[arg-type]
    )
