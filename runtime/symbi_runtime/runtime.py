"""`Runtime`: the in-process API — a store, a scheduler and a run pipeline wired together from a `Config`.

    async with Runtime(config, db_path="state.db") as rt:
        @rt.agent("reporter")
        async def reporter(call: AgentCall) -> str: ...

        rt.load_file("schedules/daily.symbi")
        run = await rt.run_now("daily-report")      # the finished RunRecord
        async for event in rt.events(): ...         # run transitions as they happen
        await rt.run()            # until rt.stop() (or a signal, with handle_signals=True)

`jobs`, `job`, `history`, `run_now`, `pause`, `resume`, `remove` and `reset` are the operations of
`symbi cron …` and the HTTP API, with the same results (they share the store's transitions and audit).
`examples/embedding.py` is a runnable tour.

Loading is all-or-nothing: a file with errors refuses to load with its rendered diagnostics, and the
jobs of every loaded file are upserted in one transaction.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import random
import signal
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TextIO, TypeVar

from symbi_lang.checks import CheckContext
from symbi_lang.diagnostics import Diagnostic
from symbi_lang.ir import AgentDefinition, JobDefinition, JobSet
from symbi_runtime import policy, timing
from symbi_runtime.agents.registry import AgentRegistry
from symbi_runtime.clock import Clock, SystemClock
from symbi_runtime.config import Config
from symbi_runtime.delivery import DeliveryRouter
from symbi_runtime.events import DEFAULT_QUEUE_SIZE, EventHub, Subscription
from symbi_runtime.gcpause import no_cyclic_gc
from symbi_runtime.loading import (
    absolute_sources,
    check_context_for,
    duplicate_names,
    tolerate_passed_times,
)
from symbi_runtime.metrics import Metrics
from symbi_runtime.pipeline import NullMetrics, PolicyGate, RunPipeline, SessionWriteBehind
from symbi_runtime.scheduler import CronScheduler
from symbi_runtime.sessions import SessionManager
from symbi_runtime.store import JobRecord, RunRecord, Store, StoreError, open_store, resolve_location

logger = logging.getLogger("symbi_runtime")

AgentFn = TypeVar("AgentFn", bound=Callable[..., Any])


class JobNotFound(LookupError):
    """No stored job has that name or id."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no job named {name!r}")
        self.name = name


class LoadError(Exception):
    """Schedules that cannot be loaded; `rendered` is the diagnostics as text, `diagnostics` the data."""

    def __init__(self, message: str, *, diagnostics: Sequence[Diagnostic] = (), rendered: str = "") -> None:
        super().__init__(message)
        self.diagnostics = tuple(diagnostics)
        self.rendered = rendered or message


@dataclass(frozen=True, slots=True)
class LoadedJob:
    """One job after loading: what happened to it and when it fires next."""

    name: str
    outcome: Literal["created", "updated", "unchanged"]
    record: JobRecord


class Runtime:
    """The symbi runtime in-process. Use as an async context manager."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        db_path: str | Path | None = None,
        clock: Clock | None = None,
        env: Mapping[str, str] | None = None,
        metrics: Any | None = None,
        rng: random.Random | None = None,
        stdout: TextIO | None = None,
        gate: PolicyGate | None = None,
    ) -> None:
        self.config = config or Config()
        self.env: Mapping[str, str] = dict(os.environ) if env is None else env
        # The one database this runtime uses (path or postgresql:// URL); str() of it hides passwords.
        self.location = resolve_location(db_path, self.config, self.env)
        self.clock: Clock = clock or SystemClock()
        self.metrics: Any = metrics if metrics is not None else _default_metrics(self.config)
        self._rng = rng
        self._stdout = stdout
        self._gate = gate
        self.agents = AgentRegistry(allowed_hosts=self.config.delivery.allowed_hosts)
        self.router = DeliveryRouter(self.config.delivery, self.env, stdout=stdout)
        self._agent_defs: dict[str, AgentDefinition] = {}
        self._store: Store | None = None
        self._scheduler: CronScheduler | None = None
        self._metrics_server: Any = None
        # Warnings and notes of the last `load_paths` (the files loaded, but these deserve a look).
        self.load_warnings: tuple[Diagnostic, ...] = ()
        # Schedules of the last `load_paths` whose agent has no executor (see agent_bindings).
        self.unbound_agents: tuple[Any, ...] = ()
        self._events = EventHub()

    # --- lifecycle ----------------------------------------------------------------------------------

    async def __aenter__(self) -> Runtime:
        self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def open(self) -> None:
        """Open the store and build the scheduler (done by `async with`)."""
        if self._store is not None:
            return
        self._store = open_store(
            self.location, lease_ttl_seconds=self.config.scheduler.node_lease_ttl_seconds
        )
        pipeline = RunPipeline(
            self._store,
            self.config,
            clock=self.clock,
            agents=self.agents,
            router=self.router,
            sessions=SessionManager(SessionWriteBehind(self._store), clock=self.clock),
            gate=self._gate or policy.PolicyGate(),
            metrics=self.metrics,
            env=self.env,
            agent_definitions=self._agent_defs.get,
        )
        self._scheduler = CronScheduler(
            self._store,
            self.config.scheduler,
            pipeline,
            clock=self.clock,
            metrics=self.metrics,
            rng=self._rng,
        )
        pipeline.events = self._events
        self._scheduler.events = self._events

    def close(self) -> None:
        self._events.close()
        if self._metrics_server is not None:
            self._metrics_server.close()
            self._metrics_server = None
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the runtime is not open; use `async with Runtime(...)`")
        return self._store

    @property
    def scheduler(self) -> CronScheduler:
        if self._scheduler is None:
            raise RuntimeError("the runtime is not open; use `async with Runtime(...)`")
        return self._scheduler

    # --- loading ------------------------------------------------------------------------------------

    def load_file(self, path: str | Path) -> list[LoadedJob]:
        return self.load_paths([path])

    def load_text(self, text: str, *, path: str = "<inline>.symbi") -> list[LoadedJob]:
        """Check and load schedules given as text (generated by the application); `path` names it in
        diagnostics. Same rules as `load_paths`."""
        from symbi_lang.api import Source

        return self._load_sources([Source(path, text)], [], path)

    def load_paths(self, paths: Sequence[str | Path], *, require_agents: bool = False) -> list[LoadedJob]:
        """Check and lower `paths` (files or directories), then upsert their jobs in one transaction.

        Raises `LoadError` with the rendered diagnostics when any file has errors; nothing is loaded then.
        `require_agents` (`symbi up`): a schedule whose agent is declared nowhere and registered by
        nobody is refused too (with a did-you-mean), since nothing can register it later.
        """
        from symbi_lang.api import collect_sources

        sources, problems = collect_sources(list(paths))
        shown = ", ".join(str(p) for p in paths)
        return self._load_sources(sources, problems, shown, require_agents=require_agents)

    def _load_sources(
        self,
        sources: Sequence[Any],
        problems: Sequence[Diagnostic],
        shown: str,
        *,
        require_agents: bool = False,
    ) -> list[LoadedJob]:
        # The syntax trees, the IR and the rows all stay alive until the end: cyclic collections in
        # between (checking included) only walk them again.
        with no_cyclic_gc():
            return self._load_checked(sources, problems, shown, require_agents=require_agents)

    def _load_checked(
        self,
        sources: Sequence[Any],
        problems: Sequence[Diagnostic],
        shown: str,
        *,
        require_agents: bool,
    ) -> list[LoadedJob]:
        from symbi_lang.api import analyze
        from symbi_lang.render import Format, render

        analysis = analyze(sources, self.check_context())
        diagnostics = tolerate_passed_times(
            [*problems, *analysis.diagnostics],
            analysis.modules,
            lambda name: self.store.get_job(name) is not None,
        )
        errors = [d for d in diagnostics if d.is_error]
        if errors:
            rendered = render(diagnostics, Format.TEXT, sources={s.path: s.text for s in sources})
            noun = "error" if len(errors) == 1 else "errors"
            raise LoadError(f"{len(errors)} {noun} in {shown}", diagnostics=diagnostics, rendered=rendered)
        from symbi_runtime.agent_bindings import unbound_agents

        jobset = absolute_sources(analysis.jobset())
        declared = {**self._agent_defs, **{a.name: a for a in jobset.agents}}
        unbound = unbound_agents(jobset.jobs, declared, self.agents.registered())
        missing = [u for u in unbound if not u.declared]
        if missing and require_agents:  # nothing can register an agent in this process later
            raise LoadError("; ".join(u.message() for u in missing) + "; nothing loaded")
        self.unbound_agents = tuple(unbound)
        loaded = self.load_jobset(jobset)
        # What `symbi cron add` shows for these files (unset ${VAR}, a passed `at`, …): callers print it.
        self.load_warnings = tuple(diagnostics)
        self._warn_about_orphans(
            {str(Path(s.path).resolve()) for s in sources if not s.path.startswith("<")},
            {j.name for j in jobset.jobs},
        )
        return loaded

    def _warn_about_orphans(self, files: set[str], names: set[str]) -> None:
        """Stored jobs that came from a loaded file which no longer defines them keep running: say so."""
        for record in self.store.list_jobs():
            source = record.definition.source.file
            if source in files and record.name not in names and record.status in ("active", "paused"):
                logger.warning(
                    "job %s came from %s, which no longer defines it; it is still %s "
                    "(remove it with `symbi cron remove %s`)",
                    record.name,
                    source,
                    record.status,
                    record.name,
                )

    def check_context(self) -> CheckContext:
        """What `symbi check` would know here: this runtime's environment, its Slack default channel
        and every delivery channel it can reach, so loading accepts exactly what checks clean."""
        return check_context_for(self.config, self.env, self.router.channel_names())

    def load_jobset(self, jobset: JobSet, *, actor: str = "runtime") -> list[LoadedJob]:
        """Upsert every job of `jobset` (one transaction) and remember its agents."""
        now = self.clock.now()
        for job in jobset.jobs:
            try:
                timing.first_fire(job, now)
            except timing.ScheduleError as e:
                raise LoadError(f"schedule {job.name!r}: {e}") from None
        dupes = duplicate_names(jobset.jobs)
        if dupes:
            raise LoadError(f"duplicate schedule name(s): {', '.join(dupes)}")
        for agent in jobset.agents:
            self._agent_defs[agent.name] = agent
        results = self.store.upsert_jobs(list(jobset.jobs), now=now, actor=actor)
        if self._scheduler is not None:
            self._scheduler.wake()
        return [LoadedJob(rec.name, outcome, rec) for rec, outcome in results]

    def add_job(self, job: JobDefinition, *, actor: str = "runtime") -> LoadedJob:
        [loaded] = self.load_jobset(JobSet(jobs=(job,)), actor=actor)
        return loaded

    # --- agents and channels ------------------------------------------------------------------------

    def register_agent(self, name: str, fn: Callable[..., Any]) -> None:
        """Run `fn` for agent `name` (async or sync; see `symbi_runtime.agents.handler`)."""
        self.agents.register(name, fn)

    def knows_agent(self, name: str) -> bool:
        """Whether an agent of this name is registered in-process or defined by a loaded file."""
        return name in self.agents or name in self._agent_defs

    def agent(self, name: str) -> Callable[[AgentFn], AgentFn]:
        """Decorator form of `register_agent`; returns the function unchanged.

        @rt.agent("reporter")
        async def reporter(call: AgentCall) -> str:
            return f"report on {call.input}"
        """

        def decorate(fn: AgentFn) -> AgentFn:
            self.register_agent(name, fn)
            return fn

        return decorate

    def register_channel(self, name: str, channel: Any) -> None:
        """A custom delivery channel (object with async `deliver`, or an async function)."""
        self.router.register(name, channel)

    # --- running ------------------------------------------------------------------------------------

    async def run(self, *, handle_signals: bool = False) -> None:
        """Run the scheduler until `stop()` (or SIGINT/SIGTERM when `handle_signals`), then shut down."""
        scheduler = self.scheduler
        loop = asyncio.get_running_loop()
        # Another node or a CLI changed jobs (PostgreSQL NOTIFY): wake the scheduler from that thread.

        def wake_from_another_thread() -> None:
            loop.call_soon_threadsafe(scheduler.wake)

        self.store.start_background_work(wake_from_another_thread)
        if self.store.node_status() is not None and hasattr(self.metrics, "watch_node"):
            self.metrics.watch_node(self.store.node_status)
        pruner = self._start_pruning()
        installed: list[signal.Signals] = []
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, self._on_signal, sig)
                    installed.append(sig)
                except (NotImplementedError, RuntimeError):
                    pass
        frozen = _freeze_start_up_heap()
        thresholds = gc.get_threshold()
        if frozen:
            gc.set_threshold(*_thresholds_with_frozen_heap(thresholds))
        try:
            await scheduler.run()
        finally:
            if frozen:
                gc.set_threshold(*thresholds)
                gc.unfreeze()
            for sig in installed:
                loop.remove_signal_handler(sig)
            if pruner is not None:
                await asyncio.to_thread(pruner.stop)

    def _start_pruning(self) -> Any:
        """Retention in the background: a thread with its own connection, small batches (SQLite file
        or PostgreSQL; on PostgreSQL one node at a time prunes)."""
        from symbi_runtime.store.location import Backend
        from symbi_runtime.store.retention import BackgroundPruner

        policy = retention_policy(self.config)
        location = self.location
        if not policy.enabled or (location.backend is Backend.SQLITE and location.target == ":memory:"):
            return None
        pruner = BackgroundPruner(
            location,
            policy,
            self.clock.now,
            interval_seconds=self.config.scheduler.retention_interval_seconds,
        )
        pruner.start()
        return pruner

    def _on_signal(self, sig: signal.Signals) -> None:
        logger.info("received %s: shutting down gracefully", sig.name)
        self.stop()

    def stop(self) -> None:
        """Stop claiming fires and shut down gracefully."""
        if self._scheduler is not None:
            self._scheduler.stop()

    def serve_metrics(self, port: int, host: str = "127.0.0.1") -> Any:
        """Serve Prometheus metrics on `host:port` (0 picks a free port); returns the server handle."""
        serve = getattr(self.metrics, "serve", None)
        if serve is None:
            raise RuntimeError("metrics are not available (symbi_runtime.metrics is missing or disabled)")
        self._metrics_server = serve(port, host=host)
        return self._metrics_server

    async def run_job_now(self, name: str, input: str | None = None, force: bool = False) -> RunRecord:
        """Run a job now through the full pipeline (trigger `manual`; the next fire does not move)."""
        job = self.store.get_job(name)
        if job is None:
            raise StoreError(f"no job named {name!r}")
        return await self.scheduler.run_now(job, input, force=force)

    # --- the operations of `symbi cron …` and the HTTP API ----------------------------------------------

    def jobs(self, *, status: str | None = None, agent: str | None = None) -> list[JobRecord]:
        """Stored jobs by name, optionally only those with `status` or run by `agent`."""
        return self.store.list_jobs(status=status, agent=agent)

    def job(self, name: str) -> JobRecord:
        """The stored job named (or with id) `name`; raises `JobNotFound`."""
        record = self.store.get_job(name)
        if record is None:
            raise JobNotFound(name)
        return record

    def history(self, name: str, *, limit: int = 20, status: str | None = None) -> list[RunRecord]:
        """The job's runs, newest fire first (what `symbi cron history` shows)."""
        return self.store.list_runs(job=self.job(name).id, status=status, limit=limit)

    async def run_now(self, name: str, *, input: str | None = None, force: bool = False) -> RunRecord:
        """Run the job now through the full pipeline and return the finished run (`symbi cron run`).
        `max_concurrent` applies unless `force`; the job's next fire does not move."""
        return await self.scheduler.run_now(self.job(name), input, force=force)

    def pause(self, name: str, *, actor: str = "runtime") -> JobRecord:
        """Stop firing the job (its history and session stay); audited as `actor`."""
        return self._changed(
            self.store.set_job_status(self.job(name).id, "paused", now=self.clock.now(), actor=actor)
        )

    def resume(self, name: str, *, actor: str = "runtime") -> JobRecord:
        """Fire the paused job again from now on (no backlog); audited as `actor`."""
        return self._changed(
            self.store.set_job_status(self.job(name).id, "active", now=self.clock.now(), actor=actor)
        )

    def reset(self, name: str, *, actor: str = "runtime") -> JobRecord:
        """Return a dead-lettered or failed job to `active` from now (`symbi cron reset`)."""
        return self._changed(self.store.reset_job(self.job(name).id, now=self.clock.now(), actor=actor))

    def remove(self, name: str, *, actor: str = "runtime") -> bool:
        """Delete the job and its runs; False when there was no such job."""
        removed = self.store.remove_job(name, now=self.clock.now(), actor=actor)
        if removed and self._scheduler is not None:
            self._scheduler.wake()
        return removed

    def _changed(self, record: JobRecord) -> JobRecord:
        if self._scheduler is not None:
            self._scheduler.wake()
        return record

    def events(self, *, maxsize: int = DEFAULT_QUEUE_SIZE) -> Subscription:
        """Run transitions from now on, as typed `RunEvent`s (`Lagged(n)` after `n` were dropped because
        this subscriber's queue of `maxsize` was full; the scheduler never waits for a subscriber).

            async for event in rt.events():
                if event.kind is RunEventKind.FAILED: ...

        Iteration ends when the runtime closes; `with rt.events() as sub:` unsubscribes early."""
        return self._events.subscribe(maxsize)

    def next_fires(self) -> list[tuple[str, str, datetime | None]]:
        """(name, status, next fire) for every job, for summaries."""
        return [(j.name, j.status, j.next_fire_at) for j in self.store.list_jobs()]


# --- helpers ---------------------------------------------------------------------------------------


def _default_metrics(config: Config) -> Any:
    return Metrics() if config.scheduler.enable_metrics else NullMetrics()


def retention_policy(config: Config) -> Any:
    """The `[scheduler] retention_*` settings as a `RetentionPolicy`."""
    from symbi_runtime.store.retention import RetentionPolicy

    s = config.scheduler
    return RetentionPolicy(
        runs_days=s.retention_runs_days,
        runs_keep_last=s.retention_runs_keep_last,
        audit_days=s.retention_audit_days,
    )


def _freeze_start_up_heap() -> bool:
    """Move everything alive when the scheduler starts (the loaded job definitions, imported modules)
    out of the cyclic garbage collector's reach until it stops (`gc.freeze`); True when done here.

    Those objects live as long as the runtime; left in the oldest generation, every full collection
    walks all of them again — with 10,000 jobs, a quarter of the CPU time of a burst of fires went to
    that. Objects are still freed by reference counting; `gc.unfreeze()` gives them back on stop. A
    process that froze its heap itself (gc.get_freeze_count() > 0) is left as it arranged it."""
    if gc.get_freeze_count() > 0:
        return False
    gc.freeze()
    return True


# Full collections with a frozen start-up heap: at most one per this many young-generation passes.
FULL_COLLECTION_EVERY = 100


def _thresholds_with_frozen_heap(thresholds: tuple[int, int, int]) -> tuple[int, int, int]:
    """The collector's thresholds while the start-up heap is frozen: full collections ten times rarer.

    CPython skips a full collection until the objects promoted since the last one exceed a quarter of
    those it found alive then. With the heap frozen, that count holds almost nothing, so the rule stops
    holding anything back: in a burst of 10,000 fires, a full collection ran every ten second-generation
    passes and walked every run still in flight each time (measured at 12–15 µs per fire, 12 % of the
    burst). One full pass per `FULL_COLLECTION_EVERY` keeps cyclic garbage bounded (a few million
    allocations) without that cost. The young generations keep their thresholds; `run` restores all."""
    young, middle, full = thresholds
    return young, middle, max(full, FULL_COLLECTION_EVERY)


def summarize_jobs(jobs: Iterable[LoadedJob]) -> list[str]:
    """One line per job: name, outcome, next fire."""
    lines = []
    for j in jobs:
        nxt = j.record.next_fire_at.isoformat() if j.record.next_fire_at else "—"
        lines.append(f"{j.name}: {j.outcome}, {j.record.status}, next fire {nxt}")
    return lines
