"""The run pipeline: what happens to one run once the scheduler has started it.

In the spec's session-lifecycle order: session context (per `session_mode`) → policy gate (Deny →
`denied`; RequiresApproval → `awaiting_approval` until decided or expired) → execute the agent (or the
heartbeat loop), cancelled at `policy.max_runtime` → `timed_out` → delivery to every channel, one receipt
each (a failed delivery never changes the run's output) → session persistence → run record, metrics,
audit. A shutdown that cancels the run records it `cancelled`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from symbi_lang.interpolation import UnresolvedVariable, resolve
from symbi_lang.ir import AgentDefinition, JobDefinition, SessionMode
from symbi_runtime import audit, policy
from symbi_runtime.agents.call import AgentCall, AgentError
from symbi_runtime.agents.registry import AgentRegistry
from symbi_runtime.clock import Clock
from symbi_runtime.config import Config
from symbi_runtime.delivery import DeliveryMessage, DeliveryRouter
from symbi_runtime.events import NULL_EVENTS, EventSink, RunEvent, RunEventKind
from symbi_runtime.sessions import SessionManager, session_key
from symbi_runtime.store import FinishResult, JobRecord, RunOutcome, RunRecord, RunStatus, Store

logger = logging.getLogger("symbi_runtime.pipeline")


class RunMetrics(Protocol):
    """What the pipeline reports to metrics (E's `Metrics` fits)."""

    def run_started(self, job_name: str) -> None: ...
    def run_parked(self, job_name: str) -> None: ...
    def run_finished(self, job_name: str, status: str, duration_seconds: float | None) -> None: ...
    def dead_lettered(self, job_name: str) -> None: ...
    def delivered(self, channel: str, ok: bool) -> None: ...


class NullMetrics:
    """Metrics that go nowhere (metrics disabled)."""

    def run_started(self, job_name: str) -> None:
        pass

    def run_parked(self, job_name: str) -> None:
        pass

    def run_finished(self, job_name: str, status: str, duration_seconds: float | None) -> None:
        pass

    def delivered(self, channel: str, ok: bool) -> None:
        pass

    def dead_lettered(self, job_name: str) -> None:
        pass

    def skipped(self, job_name: str) -> None:
        pass

    def missed(self, job_name: str, count: int) -> None:
        pass

    def schedule_lag(self, job_name: str, seconds: float) -> None:
        pass


PolicyGate = Callable[
    [JobDefinition, AgentDefinition | None, policy.PolicyContext],
    tuple[policy.Decision, list[audit.AuditEvent]],
]


# How long a session read by `SessionWriteBehind.prefetch` may be used instead of reading it again: the
# runs it was read for start within the same few loop iterations; later ones read their own. A burst of
# 10,000 fires takes about a second to claim before its first run starts: at 1 s, the first batches'
# reads had expired and were made again, one thread hop each.
PREFETCH_SECONDS = 5.0


class SessionWriteBehind:
    """The store as `SessionManager` sees it: session saves wait in memory (reads see them) and are
    written in the transaction that records the run's outcome, instead of one transaction each; loads
    asked for in the same event-loop iteration share one read in one worker thread.

    Thread-safe: the session manager may call it from worker threads.
    """

    saves_in_memory = True  # save_session never blocks: SessionManager calls it on the event loop

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._loads: list[tuple[str, asyncio.Future[list[dict[str, Any]]]]] = []
        # Sessions read by the tick that claimed their runs (`prefetch`): key -> (when read, messages).
        self._prefetched: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    def prefetch(self, keys: Sequence[str]) -> None:
        """Read these sessions now, in one query, for runs about to start: their first step then finds
        them here instead of suspending for a read of its own. An entry is used once, only within
        `PREFETCH_SECONDS`, and dropped when this process saves or deletes that session."""
        with self._lock:
            wanted = [key for key in dict.fromkeys(keys) if key not in self._pending]
        if not wanted:
            return
        found = self._store.load_sessions(wanted)
        at = time.monotonic()
        with self._lock:
            for key in wanted:
                if key not in self._pending:
                    self._prefetched[key] = (at, found.get(key, []))

    def load_session(self, key: str) -> list[dict[str, Any]]:
        with self._lock:
            pending = self._pending.get(key)
        return list(pending) if pending is not None else self._store.load_session(key)

    def session_at_hand(self, key: str) -> list[dict[str, Any]] | None:
        """A pending save of `key`, or its read-ahead (used once, while fresh); None: it must be read."""
        with self._lock:
            pending = self._pending.get(key)
            prefetched = self._prefetched.pop(key, None)
        if pending is not None:
            return list(pending)
        if prefetched is not None and time.monotonic() - prefetched[0] <= PREFETCH_SECONDS:
            return list(prefetched[1])
        return None

    async def load_session_batched(self, key: str) -> list[dict[str, Any]]:
        """`load_session` from the event loop: a pending save answers at once; otherwise the keys asked
        for in this loop iteration are read together."""
        at_hand = self.session_at_hand(key)
        if at_hand is not None:
            return at_hand
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[dict[str, Any]]] = loop.create_future()
        if not self._loads:
            loop.call_soon(self._start_loads)
        self._loads.append((key, future))
        return await future

    def _start_loads(self) -> None:
        batch, self._loads = self._loads, []
        task = asyncio.ensure_future(self._load_batch(batch))
        task.add_done_callback(lambda _t: None)  # outcome delivered through the futures

    async def _load_batch(self, batch: list[tuple[str, asyncio.Future[list[dict[str, Any]]]]]) -> None:
        keys = list(dict.fromkeys(key for key, _ in batch))
        try:
            found = await asyncio.to_thread(self._read_many, keys)
        except Exception as e:
            for _, future in batch:
                if not future.done():
                    future.set_exception(e)
            return
        for key, future in batch:
            if not future.done():
                future.set_result(list(found.get(key, [])))

    def _read_many(self, keys: list[str]) -> dict[str, list[dict[str, Any]]]:
        found = self._store.load_sessions(keys)
        with self._lock:  # a save that landed meanwhile is newer than what was read
            for key in keys:
                if key in self._pending:
                    found[key] = list(self._pending[key])
        return found

    def save_session(self, key: str, messages: list[dict[str, Any]], *, now: datetime) -> None:
        with self._lock:
            self._pending[key] = list(messages)
            self._prefetched.pop(key, None)

    def delete_session(self, key: str) -> None:
        with self._lock:
            self._pending.pop(key, None)
            self._prefetched.pop(key, None)
        self._store.delete_session(key)

    def drain(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            pending, self._pending = self._pending, {}
            for key in pending:
                self._prefetched.pop(key, None)
        return pending

    def restore(self, pending: dict[str, list[dict[str, Any]]]) -> None:
        """Put back saves whose transaction failed (newer saves of the same key win)."""
        with self._lock:
            for key, messages in pending.items():
                self._pending.setdefault(key, messages)


class _FinishBatcher:
    """Group commit: outcomes finished in the same event-loop iteration share one transaction.

    Each caller still awaits its own result; durability is unchanged (the run is recorded before its
    coroutine resumes), only the commit count drops when many runs end together. When the write fails
    (disk full, a lock held past the busy timeout) the outcomes stay in memory, the caller gets the
    outcome as it will be recorded, and they are written with the next batch or `flush_unwritten`
    (the scheduler calls it every tick): a finished run is never left `running`, nor counted in flight.
    """

    def __init__(
        self, store: Store, clock: Clock, default_max_retries: int, sessions: SessionWriteBehind | None
    ) -> None:
        self._store = store
        self._clock = clock
        self._default_max_retries = default_max_retries
        self._sessions = sessions
        self._pending: list[tuple[RunOutcome, asyncio.Future[FinishResult | None]]] = []
        self._unwritten: dict[str, tuple[RunOutcome, str]] = {}  # run id -> (outcome, job id)

    async def finish(self, outcome: RunOutcome) -> FinishResult | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[FinishResult | None] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        if outcome.finished_at is None:
            outcome = dataclasses.replace(outcome, finished_at=self._clock.now())
        self._pending.append((outcome, future))
        return await future

    def unwritten_per_job(self) -> dict[str, int]:
        """Finished runs whose outcome is not in the store yet, per job id (the store still says
        `running` for them; they are not in flight)."""
        counts: dict[str, int] = {}
        for _, job_id in self._unwritten.values():
            counts[job_id] = counts.get(job_id, 0) + 1
        return counts

    def flush_unwritten(self) -> int:
        """Write the outcomes kept in memory; returns how many are still waiting."""
        if self._unwritten and not self._pending:
            self._write([])
        return len(self._unwritten)

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        self._write(batch)

    def _write(self, batch: list[tuple[RunOutcome, asyncio.Future[FinishResult | None]]]) -> None:
        earlier = [o for o, _ in self._unwritten.values()]
        outcomes = earlier + [o for o, _ in batch]
        sessions = self._sessions.drain() if self._sessions is not None else {}
        try:
            results = self._store.finish_runs(
                outcomes,
                now=self._clock.now(),
                default_max_retries=self._default_max_retries,
                sessions=sessions,
            )
        except Exception as e:
            if self._sessions is not None:
                self._sessions.restore(sessions)
            self._keep(batch, e)
            return
        if earlier:
            logger.warning("recorded %d run outcome(s) kept in memory after a failed write", len(earlier))
        self._unwritten.clear()
        by_id = {r.run.id: r for r in results}
        for outcome, future in batch:
            if not future.done():
                future.set_result(by_id.get(outcome.run_id))

    def _keep(
        self, batch: list[tuple[RunOutcome, asyncio.Future[FinishResult | None]]], error: Exception
    ) -> None:
        """The write failed: keep the outcomes for the next transaction; callers get them as they
        will be recorded. Outcomes not tied to a known run cannot be kept: their callers get the error."""
        for outcome, future in batch:
            run = outcome.run
            if run is None:
                if not future.done():
                    future.set_exception(error)
                continue
            self._unwritten[outcome.run_id] = (outcome, run.job_id)
            logger.error(
                "run %s of %s ended %s, but the store could not record it (%s: %s); "
                "kept in memory and written with the next transaction",
                run.id,
                run.job_name,
                outcome.status,
                type(error).__name__,
                error,
            )
            if not future.done():
                future.set_result(FinishResult(_as_recorded(run, outcome), dead_lettered=False))


def _as_recorded(run: RunRecord, o: RunOutcome) -> RunRecord:
    """The run record the store will hold once `o` is written."""
    ended = o.finished_at
    duration = None
    if ended is not None and run.started_at is not None:
        duration = max(0.0, (ended - run.started_at).total_seconds())
    return dataclasses.replace(
        run,
        status=o.status,
        output=o.output,
        error=o.error,
        finished_at=ended,
        duration_seconds=duration,
        receipts=[dict(r) for r in o.receipts],
        detail={**run.detail, **(o.detail or {})},
    )


class RunPipeline:
    """Executes started runs; one instance per runtime."""

    events: EventSink = NULL_EVENTS  # the runtime sets its hub here (`rt.events()`)

    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        clock: Clock,
        agents: AgentRegistry,
        router: DeliveryRouter,
        sessions: SessionManager,
        gate: PolicyGate = policy.evaluate,
        metrics: RunMetrics | None = None,
        env: Mapping[str, str],
        agent_definitions: Callable[[str], AgentDefinition | None] | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.agents = agents
        self.router = router
        self.sessions = sessions
        self.gate = gate
        self.metrics: RunMetrics = metrics or NullMetrics()
        self.env = env
        self._agent_definitions = agent_definitions or (lambda name: None)
        write_behind = getattr(sessions, "store", None)
        self._write_behind = write_behind if isinstance(write_behind, SessionWriteBehind) else None
        self._finisher = _FinishBatcher(
            store, clock, config.scheduler.default_max_retries, self._write_behind
        )

    def prefetch(self, jobs: Sequence[JobDefinition]) -> None:
        """The scheduler claimed runs of `jobs` that start now: read the sessions they will need in one
        query (best effort: a failed read leaves each run to read its own)."""
        if self._write_behind is None:
            return
        keys = [session_key(j.name) for j in jobs if j.session_mode != SessionMode.FULLY_EPHEMERAL]
        if not keys:
            return
        try:
            self._write_behind.prefetch(keys)
        except Exception as e:
            logger.debug("sessions not read ahead (%s); each run reads its own", e)

    def unwritten_per_job(self) -> dict[str, int]:
        """Finished runs whose outcome waits in memory for the store, per job id."""
        return self._finisher.unwritten_per_job()

    def flush_unwritten(self) -> int:
        """Try to write outcomes kept in memory after a failed write; returns how many still wait."""
        return self._finisher.flush_unwritten()

    async def execute(self, run: RunRecord, job: JobRecord, *, approved: bool = False) -> RunRecord:
        """Take a `running` run to its final state and return the stored record."""
        definition = job.definition
        agent_def = definition.agent or self._agent_definitions(definition.agent_id)
        self.metrics.run_started(job.name)
        started = run.started_at or self.clock.now()
        self._emit(RunEventKind.STARTED, run, job, RunStatus.RUNNING)
        try:
            messages = self.sessions.prepare_at_once(definition)
            if messages is None:
                messages = await self.sessions.prepare(definition, run.id)
            ctx = policy.PolicyContext(
                environment=self.config.scheduler.environment,
                now=self.clock.now(),
                env=self.env,
                agentpin=self.config.agentpin,
                job_id=job.id,
                run_id=run.id,
                approved=approved,
            )
            decision, events = self.gate(definition, agent_def, ctx)
            for event in events:
                audit.write(self.store, event, self.clock.now())
            if isinstance(decision, policy.Deny):
                logger.warning("run %s of %s denied by policy: %s", run.id, job.name, decision.reason)
                parked = self.store.park_run(
                    run.id, RunStatus.DENIED, now=self.clock.now(), error=decision.reason
                )
                self.metrics.run_finished(job.name, RunStatus.DENIED, None)
                self._emit(RunEventKind.DENIED, run, job, parked.status, error=decision.reason)
                return parked
            if isinstance(decision, policy.RequiresApproval):
                expires = self.clock.now() + timedelta(seconds=self.config.scheduler.approval_timeout_seconds)
                logger.info("run %s of %s awaits approval (%s)", run.id, job.name, decision.reason)
                self.metrics.run_parked(job.name)
                parked = self.store.park_run(
                    run.id,
                    RunStatus.AWAITING_APPROVAL,
                    now=self.clock.now(),
                    approver=decision.approver,
                    expires_at=expires,
                    detail={"approval_reason": decision.reason, "policy_id": decision.policy_id},
                )
                self._emit(RunEventKind.AWAITING_APPROVAL, run, job, parked.status, error=decision.reason)
                return parked
            # Input typed for a manual run is taken as given; the schedule's own `input` may hold `${VAR}`s,
            # resolved only now and only for the agent (the run record and sessions keep the template).
            call_input = run.input if run.input is not None else (definition.input or "")
            try:
                from_schedule = run.input is None or run.input == definition.input
                agent_input = resolve(call_input, self.env) if from_schedule else call_input
            except UnresolvedVariable as e:
                status: str = RunStatus.FAILED
                output: str | None = None
                error: str | None = f"input: {e}"
            else:
                call = AgentCall(
                    agent_id=definition.agent_id,
                    input=agent_input,
                    messages=messages,
                    job_name=job.name,
                    run_id=run.id,
                    env=self.env,
                )
                status, output, error = await self._invoke(definition, agent_def, call, started)
        except asyncio.CancelledError:
            await self._finish(
                job, run, RunStatus.CANCELLED, None, "cancelled by runtime shutdown", started, ()
            )
            raise
        receipts: Sequence[Mapping[str, Any]] = ()
        try:
            if definition.delivery:
                receipts = await self._deliver(job, run, status, output, error, started)
            if status == RunStatus.SUCCEEDED:
                try:
                    if not self.sessions.finish_at_once(definition, run.id, call_input, output or ""):
                        await self.sessions.finish(definition, run.id, call_input, output or "")
                except Exception as e:  # losing a session update must not fail a successful run
                    logger.error("run %s of %s: session not saved: %s", run.id, job.name, e)
        except asyncio.CancelledError:
            # Shut down after the agent answered: the run keeps its outcome (deliveries may be missing).
            await self._finish(job, run, status, output, error, started, receipts)
            raise
        return await self._finish(job, run, status, output, error, started, receipts)

    async def _invoke(
        self, job: JobDefinition, agent_def: AgentDefinition | None, call: AgentCall, started: datetime
    ) -> tuple[str, str | None, str | None]:
        """Run the agent (or heartbeat loop) under max_runtime: (status, output, error)."""
        try:
            agent = self.agents.resolve(job.agent_id, agent_def)
        except AgentError as e:
            return RunStatus.FAILED, None, str(e)
        if job.heartbeat is not None and job.heartbeat.enabled:
            from symbi_runtime.heartbeat import run_heartbeat

            work = run_heartbeat(agent, job, call, self.store, call.run_id or "", self.clock)
        else:
            work = agent.run(call)
        limit = job.policy.max_runtime_seconds
        try:
            if limit is not None and limit > 0:
                outcome = await self._bounded(work, started + timedelta(seconds=limit))
                if outcome is None:
                    shown = job.policy.max_runtime or f"{limit:g}s"
                    take = getattr(agent, "take_partial_output", None)  # what it printed before
                    return (
                        RunStatus.TIMED_OUT,
                        take(call) if take is not None else None,
                        f"exceeded max_runtime ({shown}); the agent was cancelled",
                    )
                output = outcome
            else:
                output = await work  # no limit: no extra task per run
        except AgentError as e:
            # A command agent's failure keeps its exit status and what it printed on stdout.
            message = str(e) or type(e).__name__
            returncode = getattr(e, "returncode", None)
            if isinstance(returncode, int) and "status" not in message and "killed" not in message:
                message = f"exit status {returncode}: {message}"
            return RunStatus.FAILED, getattr(e, "output", None), message
        except Exception as e:
            return RunStatus.FAILED, None, f"{type(e).__name__}: {e}"
        if not isinstance(output, str):
            output = "" if output is None else str(output)
        return RunStatus.SUCCEEDED, output, None

    async def _bounded(self, work: Coroutine[Any, Any, str], deadline: datetime) -> str | None:
        """`work`'s result, or None after cancelling it at `deadline` (this runtime's clock)."""
        task: asyncio.Task[str] = asyncio.ensure_future(work)
        timer = asyncio.ensure_future(self.clock.sleep_until(deadline))
        try:
            await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                return None
            return await task
        except asyncio.CancelledError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise
        finally:
            timer.cancel()

    async def _deliver(
        self,
        job: JobRecord,
        run: RunRecord,
        status: str,
        output: str | None,
        error: str | None,
        started: datetime,
    ) -> list[dict[str, Any]]:
        message = DeliveryMessage(
            job=job.definition,
            job_id=job.id,
            run_id=run.id,
            scheduled_for=run.scheduled_for,
            started_at=started,
            finished_at=self.clock.now(),
            status=status,
            output=output or "",
            error=error,
        )
        try:
            receipts = await self.router.route(message)
        except Exception as e:  # the router never raises by contract; belt and braces for the run record
            logger.error("delivery of run %s failed: %s", run.id, e)
            return [{"channel": "*", "ok": False, "attempts": 0, "detail": "not delivered", "error": str(e)}]
        for receipt in receipts:
            self.metrics.delivered(receipt.channel, receipt.ok)
            self._emit(
                RunEventKind.DELIVERED,
                run,
                job,
                RunStatus.RUNNING,
                channel=receipt.channel,
                ok=receipt.ok,
                error=None if receipt.ok else receipt.error,
            )
        failed = [r for r in receipts if not r.ok]
        if failed:
            self._record_failed_delivery(job, run, [r.to_dict() for r in failed])
        return [r.to_dict() for r in receipts]

    def _record_failed_delivery(self, job: JobRecord, run: RunRecord, failed: list[dict[str, Any]]) -> None:
        """A failed delivery is an audit event of its own: the run may have succeeded, and a reader of
        the audit log must still see that its output never arrived."""
        channels = [str(r["channel"]) for r in failed]
        logger.warning("run %s of %s: delivery failed: %s", run.id, job.name, ", ".join(channels))
        event = audit.AuditEvent(
            audit.SecurityEventType.CRON_JOB_DELIVERY_FAILED,
            job_id=job.id,
            run_id=run.id,
            details={
                "channels": channels,
                "errors": {str(r["channel"]): r.get("error") or r.get("detail") for r in failed},
            },
        )
        try:
            audit.write(self.store, event, self.clock.now())
        except Exception as e:  # the run's own outcome is recorded regardless
            logger.error("run %s of %s: could not record the failed delivery: %s", run.id, job.name, e)

    async def _finish(
        self,
        job: JobRecord,
        run: RunRecord,
        status: str,
        output: str | None,
        error: str | None,
        started: datetime,
        receipts: Sequence[Mapping[str, Any]],
    ) -> RunRecord:
        result = await self._finisher.finish(
            RunOutcome(
                run.id,
                status,
                output=output,
                error=error,
                receipts=receipts,
                run=run,
                definition=job.definition,
                finished_at=self.clock.now(),
            )
        )
        duration = (self.clock.now() - started).total_seconds()
        self.metrics.run_finished(job.name, status, max(0.0, duration))
        if status == RunStatus.SUCCEEDED:
            logger.info("run %s of %s succeeded in %.3fs", run.id, job.name, duration)
        else:
            logger.warning("run %s of %s %s: %s", run.id, job.name, status, error)
        if result is None:
            stored = self.store.get_run(run.id) or run
            self._emit(_FINAL_KIND.get(status, RunEventKind.FAILED), run, job, stored.status, error=error)
            return stored
        if result.dead_lettered:
            self.metrics.dead_lettered(job.name)
            logger.error("job %s moved to dead_letter after repeated failures", job.name)
        self._emit(
            _FINAL_KIND.get(status, RunEventKind.FAILED),
            run,
            job,
            result.run.status,
            error=error,
            dead_lettered=result.dead_lettered,
        )
        return result.run

    def _emit(
        self,
        kind: RunEventKind,
        run: RunRecord,
        job: JobRecord,
        status: str,
        *,
        error: str | None = None,
        channel: str | None = None,
        ok: bool | None = None,
        dead_lettered: bool = False,
    ) -> None:
        if not getattr(self.events, "listening", True):
            return
        self.events.emit(
            RunEvent(
                kind,
                job.name,
                run.id,
                self.clock.now(),
                str(status),
                trigger=run.trigger,
                error=error,
                channel=channel,
                ok=ok,
                dead_lettered=dead_lettered,
            )
        )


_FINAL_KIND: dict[str, RunEventKind] = {
    RunStatus.SUCCEEDED: RunEventKind.SUCCEEDED,
    RunStatus.FAILED: RunEventKind.FAILED,
    RunStatus.TIMED_OUT: RunEventKind.TIMED_OUT,
    RunStatus.CANCELLED: RunEventKind.CANCELLED,
}
