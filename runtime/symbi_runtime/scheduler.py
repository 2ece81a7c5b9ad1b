"""`CronScheduler`: the asyncio loop that claims due fires from the store and hands runs to the pipeline.

One loop: expire undecided approvals, pick up approved runs, claim every due fire (one transaction per
batch: runs inserted and next fires advanced together), then sleep until the earliest next fire — at
most `tick_interval` — or until `wake()` is called. Claimed runs wait for their jitter and a global slot
(`max_concurrent_jobs`: queued, never dropped) and hold a per-job slot (`max_concurrent`) while they
execute. On start-up, runs left `running` by a crash become `abandoned` before anything new starts, and
runs claimed but not started (`pending`, jitter already stored) resume with that same jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from symbi_runtime.backfill import Overlap, overlap_of
from symbi_runtime.catchup import CatchupSettings, FirePlan, plan_due_fire
from symbi_runtime.clock import Clock
from symbi_runtime.config import SchedulerConfig
from symbi_runtime.events import NULL_EVENTS, EventSink, RunEvent, RunEventKind
from symbi_runtime.store import (
    FireClaim,
    JobRecord,
    JobStatus,
    NewRun,
    PermanentStoreError,
    RunOutcome,
    RunRecord,
    RunStatus,
    Store,
    StoreError,
    Trigger,
)

logger = logging.getLogger("symbi_runtime.scheduler")


class RunExecutor(Protocol):
    """Executes a run that has been marked `running` (the pipeline) and records how it ended."""

    async def execute(self, run: RunRecord, job: JobRecord, *, approved: bool = False) -> RunRecord: ...


class OutcomeBuffer(Protocol):
    """An executor that keeps run outcomes in memory when the store cannot take them (the pipeline)."""

    def unwritten_per_job(self) -> dict[str, int]: ...
    def flush_unwritten(self) -> int: ...


class SchedulerMetrics(Protocol):
    def skipped(self, job_name: str) -> None: ...
    def missed(self, job_name: str, count: int) -> None: ...
    def schedule_lag(self, job_name: str, seconds: float) -> None: ...


class _NoMetrics:
    def skipped(self, job_name: str) -> None:
        pass

    def missed(self, job_name: str, count: int) -> None:
        pass

    def schedule_lag(self, job_name: str, seconds: float) -> None:
        pass


class _Slots:
    """A FIFO counting semaphore whose free count can be read (to start runs without a pending write)."""

    def __init__(self, size: int) -> None:
        self.free = size
        self._waiters: list[asyncio.Future[None]] = []

    def try_acquire(self) -> bool:
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return True
        return False

    async def acquire(self) -> None:
        if self.try_acquire():
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()  # handed a slot just as we were cancelled: pass it on
            else:
                self._waiters.remove(fut)
            raise

    def release(self) -> None:
        while self._waiters:
            fut = self._waiters.pop(0)
            if not fut.done():
                fut.set_result(None)  # the slot moves straight to the waiter
                return
        self.free += 1


class _StartBatcher:
    """Group commit for pending → running: runs that get their slot in one loop iteration share a
    transaction. `start` returns the recorded start time, or None when the run was not startable."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._pending: list[tuple[str, asyncio.Future[datetime | None]]] = []

    def request(self, run_id: str) -> asyncio.Future[datetime | None]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[datetime | None] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((run_id, future))
        return future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        now = self._clock.now()
        try:
            started = self._store.start_runs([run_id for run_id, _ in batch], now=now)
        except Exception as e:
            for _, future in batch:
                if not future.done():
                    future.set_exception(e)
            return
        for run_id, future in batch:
            if not future.done():
                future.set_result(now if run_id in started else None)


class CronScheduler:
    """Claims due fires and runs them through `executor`; see the module docstring for the behaviours."""

    events: EventSink = NULL_EVENTS  # the runtime sets its hub here (`rt.events()`)

    def __init__(
        self,
        store: Store,
        config: SchedulerConfig,
        executor: RunExecutor,
        *,
        clock: Clock,
        metrics: SchedulerMetrics | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.executor = executor
        self.clock = clock
        self.metrics: SchedulerMetrics = metrics or _NoMetrics()
        self.rng = rng or random.Random()
        self.catchup = CatchupSettings.from_config(config)
        self._slots = _Slots(config.max_concurrent_jobs)
        self._starter = _StartBatcher(store, clock)
        self._job_slots: dict[str, _Slots] = {}
        self._in_flight: dict[str, int] = {}
        self._waiting: set[asyncio.Task[None]] = set()  # claimed, not started: left `pending` on shutdown
        self._executing: set[asyncio.Task[None]] = set()
        self._tracked: set[str] = set()  # run ids with a task in this process
        # Claimed runs whose move to `running` could not be written: launched again on the next tick.
        self._start_failed: list[tuple[RunRecord, JobRecord, bool]] = []
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._stopping = False
        # Set when the store became unusable (PermanentStoreError): `run` re-raises it after shutdown.
        self.fatal_error: PermanentStoreError | None = None
        self._stopped = asyncio.Event()
        self._started = False
        self.ticks = 0
        self.last_tick_at: datetime | None = None
        self.last_sleep_deadline: datetime | None = None

    # --- public -------------------------------------------------------------------------------------

    def wake(self) -> None:
        """Re-read the store now (a job was added, changed, resumed or approved)."""
        self._wake.set()

    def stop(self) -> None:
        """Ask the loop to stop claiming and shut down gracefully (see `run`). Asked again while
        shutting down (a second Ctrl-C), it stops waiting: executing runs are cancelled now."""
        if self._stopping and self._executing:
            logger.warning("stopping now: cancelling %d run(s)", len(self._executing))
            for task in list(self._executing):
                task.cancel()
        self._stopping = True
        self._wake.set()

    @property
    def is_running(self) -> bool:
        """Started and not shutting down (the health report's `is_running`)."""
        return self._started and not self._stopping

    def in_flight(self) -> int:
        """Runs of this process claimed and not finished (waiting for jitter or a slot, or executing)."""
        return sum(self._in_flight.values())

    def in_flight_for(self, job_id: str) -> int:
        return self._in_flight.get(job_id, 0)

    async def wait_until(self, predicate: Callable[[], bool], limit_seconds: float = 10.0) -> None:
        """Return once `predicate()` holds, re-checking after every tick and run transition."""

        async def loop() -> None:
            while not predicate():
                self._changed.clear()
                if predicate():
                    return
                await self._changed.wait()

        await asyncio.wait_for(loop(), limit_seconds)

    def notify(self) -> None:
        """Signal waiters that something changed (runs finished, a tick happened)."""
        self._changed.set()

    async def run(self) -> None:
        """Start up, loop until `stop()`, then shut down.

        On shutdown, in-flight runs get `shutdown_timeout_seconds`, then are cancelled and recorded
        `cancelled`; runs not yet started stay `pending` for the next start.
        """
        while not self._started and not self._stopping:
            try:
                self.start_up()
            except PermanentStoreError:
                raise
            except StoreError as e:  # busy, deadlock, connection lost: the start-up is retried
                logger.error("scheduler start-up failed: %s: %s; retrying", type(e).__name__, e)
                await self._sleep(self.clock.now() + timedelta(seconds=self.config.tick_interval_seconds))
        try:
            while not self._stopping:
                now = self.clock.now()
                try:
                    self.tick(now)
                    deadline = self._sleep_deadline(now)
                except PermanentStoreError as e:
                    # Read-only, schema too new, not a symbi database: retrying cannot help. Stop
                    # claiming, shut down as usual, and let the caller report it.
                    logger.critical("the job store cannot be used: %s; stopping the scheduler", e)
                    self.fatal_error = e
                    self.stop()
                    break
                except StoreError as e:
                    # A busy database, a full disk, a lost connection (or one bad request) must not
                    # kill the loop: log, back off a tick, retry.
                    logger.error("scheduler tick failed: %s: %s; retrying", type(e).__name__, e)
                    deadline = now + timedelta(seconds=self.config.tick_interval_seconds)
                    self.notify()
                if self._stopping:
                    break
                await self._sleep(deadline)
        finally:
            await self._shut_down()
        if self.fatal_error is not None:
            raise self.fatal_error

    def start_up(self) -> None:
        """Abandon runs a crash left `running`, then resume claimed-but-unstarted and approved runs."""
        if self._started:
            return
        now = self.clock.now()
        for run in self.store.abandon_running(now=now):
            logger.warning(
                "run %s of %s was in progress when the runtime stopped: abandoned", run.id, run.job_name
            )
        window = timedelta(seconds=self.catchup.window_seconds)
        for run in self.store.runs_to_resume():
            job = self.store.get_job(run.job_id)
            if job is None:
                continue
            start_at = run.scheduled_for + timedelta(seconds=run.jitter_seconds)
            # A backfilled run stands for a past fire on purpose: the catch-up window does not apply to it.
            if (
                run.status == RunStatus.PENDING
                and run.trigger != Trigger.BACKFILL
                and start_at < now - window
            ):
                self.store.park_run(
                    run.id,
                    RunStatus.MISSED,
                    now=now,
                    error="claimed but not started before the catch-up window closed",
                )
                continue
            self._launch(run, job, approved=run.status == RunStatus.APPROVED)
        self._started = True  # only once it all went through: a failed start-up is run again

    def tick(self, now: datetime) -> None:
        """One pass: write outcomes a failed write left in memory, expire approvals, pick up approved
        runs and runs whose start could not be recorded, claim every due fire."""
        self._flush_unwritten()
        retry, self._start_failed = self._start_failed, []
        for failed_run, failed_job, approved in retry:
            if failed_run.id not in self._tracked:
                logger.info("run %s of %s: recording its start again", failed_run.id, failed_run.job_name)
                self._launch(failed_run, failed_job, approved=approved)
        for run in self.store.expire_approvals(now=now):
            logger.info("approval for run %s of %s expired: missed", run.id, run.job_name)
            self.metrics.missed(run.job_name, 1)
        # Approved runs, and (on a shared store) runs a dead node had claimed but not started.
        for run in self.store.runs_to_resume(approved_only=True):
            if run.id not in self._tracked:
                job = self.store.get_job(run.job_id)
                if job is not None:
                    approved = run.status == RunStatus.APPROVED
                    if approved:
                        logger.info(
                            "run %s of %s approved by %s: executing", run.id, run.job_name, run.approver
                        )
                    else:
                        logger.info("run %s of %s: taken over from a node that stopped", run.id, run.job_name)
                    self._launch(run, job, approved=approved)
        self._pick_up_backfills()
        while not self._stopping:
            batch = self.store.claim_batch
            due = self.store.due_jobs(now, limit=batch)
            if not due:
                break
            self._claim(due, now)
            if len(due) < batch:
                break
        self.ticks += 1
        self.last_tick_at = now
        self.notify()

    def _pick_up_backfills(self) -> None:
        """Runs written by `symbi cron backfill` (pending, trigger backfill) start like claimed ones."""
        if self._stopping:
            return
        for run in self.store.runs_to_resume():
            if (
                run.trigger == Trigger.BACKFILL
                and run.status == RunStatus.PENDING
                and run.id not in self._tracked
            ):
                job = self.store.get_job(run.job_id)
                if job is not None:
                    logger.info("backfilled run %s of %s (fire %s)", run.id, run.job_name, run.scheduled_for)
                    self._launch(run, job)

    async def run_now(self, job: JobRecord, input: str | None, *, force: bool) -> RunRecord:
        """A manual run through the full pipeline; `max_concurrent` applies unless `force`.

        Does not move the job's next fire; `scheduled_for` is now and the trigger `manual`.
        """
        now = self.clock.now()
        limit = max(1, job.definition.max_concurrent)
        stored = self._in_flight_in_store({job.id: self.store.count_in_flight(job.id)})[job.id]
        in_flight = max(self.in_flight_for(job.id), stored)
        text = input if input is not None else job.definition.input
        if not force and in_flight >= limit:
            run = self.store.insert_run(
                job.id,
                NewRun(
                    now,
                    Trigger.MANUAL,
                    RunStatus.SKIPPED,
                    input=text,
                    error=f"job already has {in_flight} run(s) in flight (max_concurrent = {limit}); "
                    "use --force",
                ),
                now=now,
            )
            self.metrics.skipped(job.name)
            self._emit(RunEventKind.SKIPPED, run, now)
            return run
        run = self.store.insert_run(
            job.id, NewRun(now, Trigger.MANUAL, RunStatus.PENDING, input=text), now=now
        )
        self._emit(RunEventKind.CLAIMED, run, now)
        self._track(run, job)
        try:
            await self._slots.acquire()
            try:
                self.store.start_runs([run.id], now=self.clock.now())
                started = self.store.get_run(run.id) or run
                return await self.executor.execute(started, job)
            finally:
                self._slots.release()
        finally:
            self._untrack(run, job)

    # --- outcomes a failed write left in memory ------------------------------------------------------

    def _buffer(self) -> OutcomeBuffer | None:
        buffer = self.executor
        if hasattr(buffer, "unwritten_per_job") and hasattr(buffer, "flush_unwritten"):
            return buffer  # type: ignore[return-value]
        return None

    def _flush_unwritten(self) -> None:
        buffer = self._buffer()
        if buffer is None:
            return
        try:
            waiting = buffer.flush_unwritten()
        except Exception as e:  # the claim below reports the store's state; this must not stop it
            logger.error("could not write run outcomes kept in memory: %s", e)
            return
        if waiting:
            logger.warning("%d run outcome(s) still wait in memory for the store", waiting)

    def _in_flight_in_store(self, counts: dict[str, int]) -> dict[str, int]:
        """Runs the store says are pending or running, minus those that finished here and whose
        outcome waits in memory: a finished run is never in flight."""
        buffer = self._buffer()
        if buffer is None:
            return counts
        unwritten = buffer.unwritten_per_job()
        return {job_id: n - unwritten.get(job_id, 0) for job_id, n in counts.items()}

    # --- claiming -----------------------------------------------------------------------------------

    def _claim(self, due: list[JobRecord], now: datetime) -> None:
        claims: list[FireClaim] = []
        plans: list[FirePlan] = []
        # Runs of these jobs in flight anywhere (other runtimes, `symbi cron run`), not only here.
        elsewhere = self._in_flight_in_store(self.store.count_in_flight_many([j.id for j in due]))
        # Fire time, then name: jitter is drawn in this order, so a seeded rng gives the same delays as
        # `symbi simulate --seed` whatever order the store returned ties in.
        for job in sorted(due, key=lambda j: (j.next_fire_at or now, j.name)):
            assert job.next_fire_at is not None
            try:
                plan = plan_due_fire(
                    job.definition,
                    job.next_fire_at,
                    now,
                    in_flight=max(self.in_flight_for(job.id), elsewhere.get(job.id, 0)),
                    settings=self.catchup,
                    rng=self.rng,
                    start_now=self._slots.try_acquire,
                )
            except Exception as e:  # a schedule that cannot be evaluated must not stop the others
                logger.error("job %s: cannot compute its next fire (%s); marking it failed", job.name, e)
                self._fail_job(job, str(e), now)
                continue
            # Runs that can start right away are written `running` in the claim (no extra write); an
            # on-time run was planned so already.
            runs = plan.runs
            if len(runs) != 1 or runs[0].status != RunStatus.RUNNING:
                runs = tuple(self._start_directly(r) for r in runs)
            plans.append(plan)
            claims.append(FireClaim(job.id, job.next_fire_at, plan.new_next, runs, job.name))
        try:
            results = self.store.claim_fires(claims, now=now)
        except BaseException:
            # Nothing was claimed: the global slots reserved for runs that would start directly go back
            # (kept, every failed tick would leak them until nothing could start).
            for claim in claims:
                for r in claim.runs:
                    if r.status == RunStatus.RUNNING:
                        self._slots.release()
            raise
        by_id = {j.id: j for j in due}
        running = RunStatus.RUNNING
        starting: list[JobRecord] = []
        for claim, inserted in zip(claims, results, strict=True):
            for run in inserted:
                if run.status == running:
                    starting.append(by_id[claim.job_id])
                    break
        self._prefetch(starting)
        debug = logger.isEnabledFor(logging.DEBUG)
        for claim, plan, inserted in zip(claims, plans, results, strict=True):
            job = by_id[claim.job_id]
            # One fire per claim is the common case: its run needs no lookup by fire time.
            single = claim.runs[0] if len(claim.runs) == 1 else None
            wanted = {} if single is not None else {r.scheduled_for: r for r in claim.runs}
            for run in inserted:
                if run.status == RunStatus.SKIPPED:
                    logger.info(
                        "job %s: fire %s skipped: %s", job.name, run.scheduled_for.isoformat(), run.error
                    )
                    self.metrics.skipped(job.name)
                    self._emit(RunEventKind.SKIPPED, run, now)
                elif run.status == RunStatus.MISSED:
                    logger.warning("job %s: %s", job.name, run.error)
                    self.metrics.missed(job.name, plan.missed_count)
                    self._emit(RunEventKind.SKIPPED, run, now)
                else:
                    planned = single if single is not None else wanted[run.scheduled_for]
                    self._start_claimed(run, job, now, planned.status == running, debug)
            if len(inserted) < len(claim.runs):
                # Slots reserved for runs that were not inserted (lost a race) go back.
                inserted_fires = {r.scheduled_for for r in inserted}
                for r in claim.runs:
                    if r.status == running and r.scheduled_for not in inserted_fires:
                        self._slots.release()
            if claim.new_next is None and inserted:
                logger.info("job %s: schedule exhausted; completed", job.name)

    def _start_claimed(
        self, run: RunRecord, job: JobRecord, now: datetime, holds_slot: bool, debug: bool
    ) -> None:
        """A run just claimed (pending, or running with a global slot it holds) goes to its task."""
        if debug:
            logger.debug("job %s: claimed fire %s (run %s)", job.name, run.scheduled_for.isoformat(), run.id)
        self.metrics.schedule_lag(job.name, max(0.0, (now - run.scheduled_for).total_seconds()))
        self._emit(RunEventKind.CLAIMED, run, now)
        self._launch(run, job, holds_slot=holds_slot)

    def _prefetch(self, jobs: list[JobRecord]) -> None:
        """Let an executor that can (the pipeline) read ahead what the claimed runs will need."""
        prefetch = getattr(self.executor, "prefetch", None)
        if prefetch is not None and jobs:
            prefetch([job.definition for job in jobs])

    def _emit(self, kind: RunEventKind, run: RunRecord, now: datetime) -> None:
        if not getattr(self.events, "listening", True):
            return
        self.events.emit(
            RunEvent(kind, run.job_name, run.id, now, str(run.status), trigger=run.trigger, error=run.error)
        )

    def _start_directly(self, run: NewRun) -> NewRun:
        if (
            run.status == RunStatus.PENDING
            and run.trigger == Trigger.SCHEDULE
            and run.jitter_seconds == 0
            and self._slots.try_acquire()
        ):
            return NewRun(
                run.scheduled_for, run.trigger, RunStatus.RUNNING, 0.0, run.input, run.detail, run.error
            )
        return run

    def _fail_job(self, job: JobRecord, reason: str, now: datetime) -> None:
        with contextlib.suppress(StoreError):
            self.store.mark_job_failed(job.id, reason, now=now)

    # --- run tasks ----------------------------------------------------------------------------------

    def _launch(
        self, run: RunRecord, job: JobRecord, *, approved: bool = False, holds_slot: bool = False
    ) -> None:
        self._track(run, job)
        task = asyncio.create_task(self._run_task(run, job, approved, holds_slot), name=f"run {run.id}")
        (self._executing if holds_slot else self._waiting).add(task)
        task.add_done_callback(self._task_done)

    def _track(self, run: RunRecord, job: JobRecord) -> None:
        self._tracked.add(run.id)
        self._in_flight[job.id] = self._in_flight.get(job.id, 0) + 1

    def _untrack(self, run: RunRecord, job: JobRecord) -> None:
        self._tracked.discard(run.id)
        left = self._in_flight.get(job.id, 1) - 1
        if left:
            self._in_flight[job.id] = left
        else:
            self._in_flight.pop(job.id, None)
        self.notify()

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._waiting.discard(task)
        self._executing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("run task failed unexpectedly: %r", task.exception())

    async def _run_task(self, run: RunRecord, job: JobRecord, approved: bool, holds_slot: bool) -> None:
        job_slot: _Slots | None = None
        # A run that starts directly was filed as executing by `_launch`; others move there below.
        task = None if holds_slot else asyncio.current_task()
        try:
            if not holds_slot:
                start_at = run.scheduled_for + timedelta(seconds=run.jitter_seconds)
                if start_at > self.clock.now():
                    await self.clock.sleep_until(start_at)
                overlap = overlap_of(run.detail) if run.trigger == Trigger.BACKFILL else None
                if overlap is Overlap.SKIP and self.in_flight_for(job.id) - 1 >= max(
                    1, job.definition.max_concurrent
                ):
                    self.store.park_run(
                        run.id,
                        RunStatus.SKIPPED,
                        now=self.clock.now(),
                        error=f"job already has runs in flight (max_concurrent = "
                        f"{job.definition.max_concurrent}); backfill --overlap skip",
                    )
                    self.metrics.skipped(job.name)
                    return
                if run.trigger == Trigger.CATCHUP or approved or overlap is Overlap.QUEUE:
                    # Catch-up, approved and queued backfilled runs respect max_concurrent by queueing.
                    slot = self._job_slots.get(job.id)
                    if slot is None:
                        slot = self._job_slots[job.id] = _Slots(max(1, job.definition.max_concurrent))
                    await slot.acquire()
                    job_slot = slot
                await self._slots.acquire()
                holds_slot = True
            if run.status != RunStatus.RUNNING:
                # Time passed (jitter, a queue, an approval): the job may have been paused or removed.
                current = self.store.get_job(job.id)
                if current is None:
                    return
                if current.status not in (JobStatus.ACTIVE, JobStatus.COMPLETED):
                    self.store.park_run(
                        run.id,
                        RunStatus.SKIPPED,
                        now=self.clock.now(),
                        error=f"job was {current.status} before the run started",
                    )
                    self.metrics.skipped(job.name)
                    return
                job = current
                request = self._starter.request(run.id)
                try:
                    started_at = await asyncio.shield(request)
                except asyncio.CancelledError:
                    # Shut down while the start was being recorded: a recorded start ends `cancelled`.
                    request.add_done_callback(functools.partial(self._cancel_started, run.id))
                    raise
                except Exception as e:
                    # Still `pending` in the store: start it again next tick rather than leaving a run
                    # that the store counts in flight and nothing here will ever execute.
                    logger.error("run %s of %s: its start could not be recorded (%s)", run.id, job.name, e)
                    self._start_failed.append((run, job, approved))
                    return
                if started_at is None:
                    return  # decided or removed meanwhile
                run = dataclasses.replace(run, status=RunStatus.RUNNING, started_at=started_at)
                self.notify()
            if task is not None:
                self._waiting.discard(task)
                self._executing.add(task)
            await self.executor.execute(run, job, approved=approved)
        finally:
            if job_slot is not None:
                job_slot.release()
            if holds_slot:
                self._slots.release()
            self._untrack(run, job)

    def _cancel_started(self, run_id: str, request: asyncio.Future[datetime | None]) -> None:
        if request.cancelled() or request.exception() is not None or request.result() is None:
            return
        self.store.finish_runs(
            [RunOutcome(run_id, RunStatus.CANCELLED, error="cancelled by runtime shutdown")],
            now=self.clock.now(),
            default_max_retries=self.config.default_max_retries,
        )

    # --- sleeping and shutdown ----------------------------------------------------------------------

    def _sleep_deadline(self, now: datetime) -> datetime:
        ceiling = now + timedelta(seconds=self.config.tick_interval_seconds)
        nxt = self.store.next_due_time()
        if nxt is None or nxt >= ceiling:
            return ceiling
        return max(nxt, now)

    async def _sleep(self, deadline: datetime) -> None:
        self.last_sleep_deadline = deadline
        if self._wake.is_set():
            self._wake.clear()
            return
        if deadline <= self.clock.now():
            await asyncio.sleep(0)
            return
        sleeper = asyncio.ensure_future(self.clock.sleep_until(deadline))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (sleeper, waker):
                if not t.done():
                    t.cancel()
            self._wake.clear()

    async def _shut_down(self) -> None:
        self._stopping = True
        for task in list(self._waiting):
            task.cancel()  # claimed, not started: stays `pending`, resumed with its jitter next start
        if self._waiting:
            await asyncio.gather(*self._waiting, return_exceptions=True)
        if self._executing:
            logger.info(
                "shutting down: waiting up to %gs for %d run(s)",
                self.config.shutdown_timeout_seconds,
                len(self._executing),
            )
            deadline = self.clock.now() + timedelta(seconds=self.config.shutdown_timeout_seconds)
            timer = asyncio.ensure_future(self.clock.sleep_until(deadline))
            await asyncio.sleep(0)  # let the timer register with the clock before waiters look
            self.notify()
            try:
                pending = set(self._executing)
                while pending and not timer.done():
                    _, pending = await asyncio.wait(pending | {timer}, return_when=asyncio.FIRST_COMPLETED)
                    pending.discard(timer)
            finally:
                timer.cancel()
            if self._executing:
                logger.warning("shutdown timeout: cancelling %d run(s)", len(self._executing))
                for task in list(self._executing):
                    task.cancel()
                await asyncio.gather(*self._executing, return_exceptions=True)
        self._flush_unwritten()
        self._stopped.set()
        self.notify()
