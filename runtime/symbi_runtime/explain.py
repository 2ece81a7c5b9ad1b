"""Why did (or didn't) a job run at a given time: `symbi cron explain`.

For the fire due nearest the asked instant, every gate of the run pipeline in order — paused, catch-up
window, jitter, `max_concurrent` and the global limit (what was in flight), policy (which rule denied),
approval (who, when), delivery receipts — read from the store for a past fire and from the rules (the
policy gate evaluated at the fire time, the jitter bound) for a future one. Read-only: nothing is written.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from symbi_runtime import policy, timing
from symbi_runtime.backfill import pinned_fires
from symbi_runtime.catchup import jitter_for
from symbi_runtime.config import Config
from symbi_runtime.store import JobRecord, RunRecord, RunStatus, Store, Trigger

_TINY = timedelta(microseconds=1)


class Verdict(StrEnum):
    """How one gate treated the fire."""

    PASSED = "passed"
    STOPPED = "stopped"  # this gate is why the fire did not run (or will not)
    NOTE = "note"  # information, not a decision
    NOT_REACHED = "not_reached"


@dataclass(frozen=True, slots=True)
class Gate:
    """One step of the pipeline for the fire: its name, verdict and what the store or the rules say."""

    name: str
    verdict: Verdict
    detail: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """The fire nearest the asked instant and its gates, in pipeline order."""

    job: str
    asked: datetime
    fire: datetime | None
    future: bool
    gates: tuple[Gate, ...]
    run: RunRecord | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, run: dict[str, Any] | None) -> dict[str, Any]:
        """The JSON form (CLI `--format json` and the HTTP API); `run` is the caller's form of the run."""
        return {
            "job": self.job,
            "at": self.asked.isoformat(),
            "fire": None if self.fire is None else self.fire.isoformat(),
            "future": self.future,
            "gates": [{"gate": g.name, "verdict": g.verdict.value, "detail": g.detail} for g in self.gates],
            "run": run,
        }


def nearest_fire(job: JobRecord, at: datetime, pinned: tuple[datetime, ...] | None = None) -> datetime | None:
    """The fire due nearest `at` (the earlier one on a tie); `pinned`: a one-shot cron's fires."""
    if pinned is not None:
        prev = max((f for f in pinned if f <= at), default=None)
        after = min((f for f in pinned if f > at), default=None)
    else:
        before = timing.latest_fires(job.definition, at - timedelta(days=400), at, 1)
        after = timing.next_fire_after(job.definition, at)
        prev = before[-1] if before else None
    if prev is None:
        return after
    if after is None:
        return prev
    return prev if at - prev <= after - at else after


def explain(store: Store, job: JobRecord, at: datetime, now: datetime, config: Config) -> Explanation:
    """Explain the fire of `job` nearest `at`; `now` decides whether it is past or future."""
    fire = nearest_fire(job, at, pinned_fires(store, job))
    if fire is None:
        gate = Gate("schedule", Verdict.STOPPED, "the schedule has no fire near that time (exhausted)")
        return Explanation(job.name, at, None, at > now, (gate,))
    if fire > now:
        return Explanation(job.name, at, fire, True, _future(store, job, fire, now, config))
    run = _run_for(store, job, fire)
    return Explanation(job.name, at, fire, False, _past(store, job, fire, run, config), run)


def _run_for(store: Store, job: JobRecord, fire: datetime) -> RunRecord | None:
    for run in store.list_runs(job=job.id, limit=1_000_000):
        if run.scheduled_for == fire and run.trigger != Trigger.MANUAL:
            return run
    return None


def _missed_covering(store: Store, job: JobRecord, fire: datetime) -> RunRecord | None:
    for run in store.list_runs(job=job.id, status=RunStatus.MISSED, limit=10_000):
        first, last = run.detail.get("first_missed"), run.detail.get("last_missed")
        if first and last and datetime.fromisoformat(first) <= fire <= datetime.fromisoformat(last):
            return run
    return None


def _paused_at(store: Store, job: JobRecord, fire: datetime) -> bool:
    """Whether the audit trail shows the job paused at `fire` (the last pause/resume before it)."""
    events = store.list_audit(job=job.id, limit=10_000)
    state = None
    for event in sorted(events, key=lambda e: e.at):
        if event.at > fire:
            break
        if event.event_type == "CronJobPaused":
            state = True
        elif event.event_type in ("CronJobResumed", "CronJobReset"):
            state = False
    return bool(state)


def _past(
    store: Store, job: JobRecord, fire: datetime, run: RunRecord | None, config: Config
) -> tuple[Gate, ...]:
    gates: list[Gate] = []
    if job.created_at > fire and run is None:  # a backfill may run fires from before the job existed
        gates.append(
            Gate("schedule", Verdict.STOPPED, f"the job was added later ({job.created_at.isoformat()})")
        )
        return tuple(gates)
    paused = _paused_at(store, job, fire)
    if run is None:
        if paused:
            gates.append(Gate("paused", Verdict.STOPPED, "the job was paused at that time (audit trail)"))
            return tuple(gates)
        gates.append(Gate("paused", Verdict.PASSED, "the job was active"))
        missed = _missed_covering(store, job, fire)
        if missed is not None:
            gates.append(
                Gate(
                    "catch-up",
                    Verdict.STOPPED,
                    f"missed while the scheduler was not running: {missed.error or ''} (run {missed.id})",
                )
            )
        else:
            gates.append(
                Gate(
                    "catch-up",
                    Verdict.STOPPED,
                    "no run recorded: no scheduler was running then, or not yet caught up",
                )
            )
        return tuple(gates)
    gates.append(Gate("paused", Verdict.PASSED, "the job was active when the fire was claimed"))
    if run.trigger == Trigger.CATCHUP:
        gates.append(Gate("catch-up", Verdict.NOTE, "run late by catch-up after downtime"))
    elif run.trigger == Trigger.BACKFILL:
        gates.append(
            Gate(
                "catch-up",
                Verdict.NOTE,
                f"run later by `symbi cron backfill` (overlap {run.detail.get('overlap', 'queue')})",
            )
        )
    elif run.status == RunStatus.MISSED:
        gates.append(Gate("catch-up", Verdict.STOPPED, run.error or "missed"))
        return tuple(gates)
    else:
        gates.append(Gate("catch-up", Verdict.PASSED, "claimed on time"))
    gates.append(Gate("jitter", Verdict.NOTE, f"{run.jitter_seconds:g}s"))
    if run.status == RunStatus.SKIPPED:
        gates.append(Gate("max_concurrent", Verdict.STOPPED, run.error or "skipped"))
        return tuple(gates)
    limit = max(1, job.definition.max_concurrent)
    others = [
        r
        for r in store.list_runs(job=job.id, limit=1_000_000)
        if r.id != run.id
        and r.started_at is not None
        and r.started_at <= fire
        and (r.finished_at is None or r.finished_at > fire)
    ]
    gates.append(
        Gate(
            "max_concurrent",
            Verdict.PASSED,
            f"{len(others)} other run(s) of the job in flight (limit {limit})",
        )
    )
    if run.started_at is not None:
        waited = (run.started_at - fire).total_seconds() - run.jitter_seconds
        limit_all = config.scheduler.max_concurrent_jobs
        verdict = Verdict.NOTE if waited > 1 else Verdict.PASSED
        gates.append(
            Gate(
                "global limit",
                verdict,
                f"started {waited:.1f}s after fire + jitter (max_concurrent_jobs = {limit_all})",
            )
        )
    else:
        gates.append(Gate("global limit", Verdict.NOT_REACHED, "the run has not started"))
    if run.status == RunStatus.DENIED and run.decision != "denied":  # the gate, not a person, denied it
        gates.append(Gate("policy", Verdict.STOPPED, run.error or "denied"))
        return tuple(gates)
    gates.append(Gate("policy", Verdict.PASSED, "allowed"))
    if job.definition.policy.require_approval or run.approver or run.status == RunStatus.AWAITING_APPROVAL:
        if run.status == RunStatus.AWAITING_APPROVAL:
            gates.append(Gate("approval", Verdict.STOPPED, f"awaiting approval (expires {run.expires_at})"))
            return tuple(gates)
        verdict = Verdict.STOPPED if run.decision == "denied" else Verdict.PASSED
        gates.append(Gate("approval", verdict, _decision_text(store, job, run)))
        if verdict is Verdict.STOPPED:
            return tuple(gates)
    else:
        gates.append(Gate("approval", Verdict.PASSED, "not required"))
    outcome = Verdict.PASSED if run.status == RunStatus.SUCCEEDED else Verdict.STOPPED
    text = run.status + (f": {run.error}" if run.error else "")
    gates.append(Gate("execution", outcome, text))
    if run.receipts:
        shown = ", ".join(f"{r.get('channel')} {'ok' if r.get('ok') else 'failed'}" for r in run.receipts)
        gates.append(
            Gate(
                "delivery",
                Verdict.PASSED if all(r.get("ok") for r in run.receipts) else Verdict.STOPPED,
                shown,
            )
        )
    else:
        gates.append(Gate("delivery", Verdict.NOTE, "no receipts (no channels, or not delivered yet)"))
    return tuple(gates)


def _decision_text(store: Store, job: JobRecord, run: RunRecord) -> str:
    """ "approved by cli:ana at 2026-…: reason", the time read from the audit trail."""
    kinds = ("CronJobApproved", "CronJobApprovalDenied")
    events = store.list_audit(job=job.id, limit=10_000)
    decided = [e for e in events if e.run_id == run.id and e.event_type in kinds]
    when = f" at {decided[0].at.isoformat()}" if decided else ""
    reason = f": {run.decision_reason}" if run.decision_reason else ""
    return f"{run.decision or 'approved'} by {run.approver or 'unknown'}{when}{reason}"


def _future(store: Store, job: JobRecord, fire: datetime, now: datetime, config: Config) -> tuple[Gate, ...]:
    gates: list[Gate] = []
    if job.status != "active":
        gates.append(Gate("paused", Verdict.STOPPED, f"the job is {job.status}: it will not fire"))
        return tuple(gates)
    gates.append(Gate("paused", Verdict.PASSED, "the job is active"))
    gates.append(Gate("catch-up", Verdict.PASSED, "claimed on time if a scheduler is running then"))
    following = timing.next_fire_after(timing.pinned_to(job.definition, fire), fire)
    bound = jitter_for(job.definition, fire, following, config.scheduler.max_jitter_seconds, _Upper())
    gates.append(Gate("jitter", Verdict.NOTE, f"a delay drawn in [0, {bound:g}s)"))
    in_flight = store.count_in_flight(job.id)
    limit = max(1, job.definition.max_concurrent)
    gates.append(Gate("max_concurrent", Verdict.NOTE, f"{in_flight} run(s) in flight now (limit {limit})"))
    gates.append(
        Gate("global limit", Verdict.NOTE, f"max_concurrent_jobs = {config.scheduler.max_concurrent_jobs}")
    )
    decision, _ = policy.evaluate(
        job.definition,
        job.definition.agent,
        policy.PolicyContext(environment=config.scheduler.environment, now=fire),
    )
    if isinstance(decision, policy.Deny):
        gates.append(Gate("policy", Verdict.STOPPED, decision.reason))
        return tuple(gates)
    gates.append(Gate("policy", Verdict.PASSED, "allowed at the fire time"))
    if isinstance(decision, policy.RequiresApproval):
        gates.append(Gate("approval", Verdict.NOTE, decision.reason))
    else:
        gates.append(Gate("approval", Verdict.PASSED, "not required"))
    channels = ", ".join(job.definition.delivery) or "none"
    gates.append(Gate("delivery", Verdict.NOTE, f"to {channels}"))
    return tuple(gates)


class _Upper(random.Random):
    """A random source whose draw is the top of the range: `jitter_for` then returns its bound."""

    def uniform(self, a: float, b: float) -> float:
        return b
