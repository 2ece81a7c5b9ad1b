"""`simulate` against the real scheduler: the same fires, skips, denials and timeouts over one window.

The real `CronScheduler` (through a `Runtime` on a SQLite file) runs on a fake clock with agents that take
the given durations; `simulate` replays the same jobs from the same instant. They must agree run by run.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from symbi_runtime.config import SchedulerConfig
from symbi_runtime.simulate import simulate

from symbi_lang.ir import AllowedHours, Policy

from .conftest import T0, make_job

WINDOW = 3600  # one hour from T0 (12:00 UTC)
DURATIONS = {
    "slow": 90.0,
    "late_gate": 5.0,
    "burst_a": 100.0,
    "burst_b": 100.0,
    "burst_c": 100.0,
    "long": 400.0,
    "launch": 5.0,
}


def fleet() -> list[Any]:
    return [
        # Takes 90 s, fires every minute, max_concurrent 1: every other fire is skipped.
        make_job("slow", cron="0 * * * * *", agent_id="sleeper"),
        # allowed_hours ends at 12:30: later fires are denied when they start.
        make_job(
            "late_gate",
            cron="30 */3 * * * *",
            agent_id="sleeper",
            policy=Policy(allowed_hours=AllowedHours("12:00", "12:30")),
        ),
        # Three at once with two global slots: the third queues (not skipped) and starts late.
        *(make_job(f"burst_{x}", cron="15 */5 * * * *", agent_id="sleeper") for x in "abc"),
        # Longer than max_runtime: timed out.
        make_job(
            "long",
            cron="45 */10 * * * *",
            agent_id="sleeper",
            policy=Policy(max_runtime="5m", max_runtime_seconds=300.0),
        ),
        # `one_shot`: the first match (12:00:20) only, then completed (the expression matches 8 more).
        make_job("launch", cron="20 */7 * * * *", agent_id="sleeper", one_shot=True),
    ]


async def quiesce(e: Any) -> None:
    """Wait (real time) until the runtime has done everything the current fake instant allows: the same
    sleepers, runs by status and runs in flight over several polls (the store writes from a thread, so
    a loaded machine needs the margin)."""
    last: object = None
    stable = 0
    while stable < 5:
        await asyncio.sleep(0.01)
        runs = tuple(sorted((r.id, r.status) for r in e.store.list_runs(limit=100_000)))
        now = (tuple(e.clock.sleepers), runs, e.rt.scheduler.in_flight())
        stable = stable + 1 if now == last else 0
        last = now


async def test_simulation_matches_the_real_scheduler_on_a_fake_clock(engine_factory: Any, clock: Any) -> None:
    # The scheduler sleeps until the next due fire (no 1 s ticks), so the clock can jump from one
    # instant where something happens to the next.
    e = engine_factory(max_concurrent_jobs=2, tick_interval_seconds=3600)

    async def sleeper(call: Any) -> str:
        await clock.sleep(DURATIONS[call.job_name])
        return "done"

    e.rt.register_agent("sleeper", sleeper)
    for job in fleet():
        e.rt.add_job(job)
    e.start()
    await e.settle()
    extra = 900  # let runs fired inside the window finish
    stop = T0 + timedelta(seconds=WINDOW + extra)
    while True:
        await quiesce(e)
        upcoming = [t for t in clock.sleepers if t > clock.now()]
        if not upcoming or min(upcoming) > stop:
            break
        clock.set(min(upcoming))
    real = sorted(
        (r.job_name, r.scheduled_for, r.status, r.started_at)
        for name in DURATIONS
        for r in e.runs(name)
        if r.scheduled_for < T0 + timedelta(seconds=WINDOW)
    )
    sim = simulate(
        fleet(), T0, (WINDOW + extra) / 86400, SchedulerConfig(max_concurrent_jobs=2), durations=DURATIONS
    )
    simulated = sorted(
        (r.job, r.scheduled_for, r.status, r.started_at)
        for r in sim.runs
        if r.scheduled_for < T0 + timedelta(seconds=WINDOW)
    )
    # Whole-second start times: the real scheduler records the fake clock's instant.
    assert [x[:3] for x in simulated] == [x[:3] for x in real]
    assert [x[3] for x in simulated] == [x[3] for x in real]
    statuses = {(name, status) for name, _, status, _ in real}
    # The window exercises every rule it is meant to.
    assert ("slow", "skipped") in statuses and ("slow", "succeeded") in statuses
    assert ("late_gate", "denied") in statuses and ("late_gate", "succeeded") in statuses
    assert ("long", "timed_out") in statuses
    assert [(name, fire) for name, fire, _, _ in real if name == "launch"] == [
        ("launch", T0 + timedelta(seconds=20))
    ]
    queued = [
        s for name, fire, _, s in real if name.startswith("burst") and s - fire >= timedelta(seconds=60)
    ]
    assert queued, "a burst run waited for a global slot"


def test_a_window_too_large_to_hold_is_refused_not_run_out_of_memory() -> None:
    import pytest
    from symbi_runtime.simulate import SimulationTooLarge

    every_second = [make_job("busy", cron="* * * * * *")]
    with pytest.raises(SimulationTooLarge, match="more than 100 runs"):
        simulate(every_second, T0, 1, SchedulerConfig(), max_runs=100)
    # Fires strictly after --from (like a job added then) and before the end: 12:00:01 … 12:00:49.
    assert len(simulate(every_second, T0, 50 / 86400, SchedulerConfig(), max_runs=100).runs) == 49
