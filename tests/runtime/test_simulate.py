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

from symbi_lang.ir import AllowedHours, Catchup, Heartbeat, Policy

from .conftest import T0, make_job

WINDOW = 3600  # one hour from T0 (12:00 UTC)
DURATIONS = {
    "slow": 90.0,
    "late_gate": 5.0,
    "burst_a": 100.0,
    "burst_b": 100.0,
    "burst_c": 100.0,
    "long": 400.0,
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


async def drive(e: Any, clock: Any, stop: Any) -> None:
    """Move the fake clock from one instant where the runtime sleeps to the next, until `stop`."""
    while True:
        await quiesce(e)
        upcoming = [t for t in clock.sleepers if t > clock.now()]
        if not upcoming or min(upcoming) > stop:
            break
        clock.set(min(upcoming))


async def run_both(
    e: Any, clock: Any, jobs: list[Any], durations: dict[str, float], slots: int, **options: Any
) -> tuple[list[Any], Any]:
    """Start the engine at the clock's instant and drive it through the window and 15 minutes more;
    simulate the same jobs from the same instant. Returns (the real runs, the simulation)."""
    start = clock.now()
    e.start()
    await e.settle()
    await drive(e, clock, start + timedelta(seconds=WINDOW + 900))
    real_runs = [r for name in durations for r in e.runs(name)]
    config = SchedulerConfig(max_concurrent_jobs=slots)
    sim = simulate(jobs, start, (WINDOW + 900) / 86400, config, durations=durations, **options)
    return real_runs, sim


def records(runs: Any, until: Any) -> list[tuple[Any, ...]]:
    """(schedule, fire, trigger, status, start) of every run fired before `until`, sorted."""
    return sorted(
        (
            getattr(r, "job_name", None) or r.job,
            r.scheduled_for,
            str(r.trigger),
            str(r.status),
            r.started_at,
        )
        for r in runs
        if r.scheduled_for < until
    )


JITTER_DURATIONS = {"spread_a": 40.0, "spread_b": 40.0, "spread_c": 40.0, "gated": 5.0, "beat": 20.0}


def jittered_fleet() -> list[Any]:
    return [
        # Three schedules on the same second with jitter windows: the seeded draws decide their starts,
        # and with one global slot left the order they become ready decides who queues.
        # Added in reverse name order: the store's order of ties is not the order jitter is drawn in.
        *(make_job(f"spread_{x}", cron="0 */4 * * * *", agent_id="sleeper", jitter=50) for x in "cba"),
        # Needs approval: parked awaiting approval, never run.
        make_job("gated", cron="20 */10 * * * *", agent_id="sleeper", policy=Policy(require_approval=True)),
        # A heartbeat job: three iterations of 20 s each (act, act, sleep).
        make_job("beat", cron="10 */15 * * * *", agent_id="beater", heartbeat=Heartbeat(max_iterations=3)),
    ]


async def test_the_same_seeded_jitter_approvals_and_heartbeat_iterations(
    engine_factory: Any, clock: Any
) -> None:
    e = engine_factory(max_concurrent_jobs=2, tick_interval_seconds=3600)  # the engine's rng is Random(7)

    async def sleeper(call: Any) -> str:
        await clock.sleep(JITTER_DURATIONS[call.job_name])
        return "done"

    async def beater(call: Any) -> str:
        await clock.sleep(JITTER_DURATIONS["beat"])
        return "sleep" if call.iteration == 3 else f"checked {call.iteration}"

    e.rt.register_agent("sleeper", sleeper)
    e.rt.register_agent("beater", beater)
    for job in jittered_fleet():
        e.rt.add_job(job)
    until = T0 + timedelta(seconds=WINDOW)
    real_runs, sim = await run_both(e, clock, jittered_fleet(), JITTER_DURATIONS, 2, seed=7)
    assert records(sim.runs, until) == records(real_runs, until)
    # Jitter drawn identically: the same delays, to the millisecond.
    assert sorted(
        (r.job, r.scheduled_for, r.jitter_seconds) for r in sim.runs if r.scheduled_for < until
    ) == sorted((r.job_name, r.scheduled_for, r.jitter_seconds) for r in real_runs if r.scheduled_for < until)
    spread = [r for r in sim.runs if r.job.startswith("spread")]
    assert len({r.jitter_seconds for r in spread}) == len(spread) and all(
        0 < r.jitter_seconds < 50 for r in spread
    )
    assert {r.status for r in sim.runs if r.job == "gated"} == {"awaiting_approval"}
    beats = [r for r in sim.runs if r.job == "beat" and r.scheduled_for < until]
    assert beats and all(r.iterations == 3 for r in beats)
    for r in beats:  # three iterations of 20 s
        assert r.finished_at is not None and r.started_at is not None
        assert r.finished_at - r.started_at == timedelta(seconds=60)
    for real in (r for r in real_runs if r.job_name == "beat" and r.scheduled_for < until):
        assert len(e.store.list_iterations(real.id)) == 3
        assert real.finished_at - real.started_at == timedelta(seconds=60)
    # A different seed gives different delays (the seed is what makes them match).
    other = simulate(jittered_fleet(), T0, WINDOW / 86400, SchedulerConfig(max_concurrent_jobs=2), seed=8)
    first = {r.job: r.jitter_seconds for r in reversed(spread)}
    assert {r.job: r.jitter_seconds for r in reversed(other.runs) if r.job in first} != first


DOWN = timedelta(hours=3)
CATCHUP_DURATIONS = {"latest": 30.0, "every": 100.0, "never": 30.0, "first": 30.0}


def catchup_fleet() -> list[Any]:
    return [
        make_job("latest", cron="0 */20 * * * *", agent_id="sleeper", catchup=Catchup.LATEST),
        # Every missed fire in the window, one at a time (max_concurrent 1): they queue, not overlap.
        make_job("every", cron="0 */20 * * * *", agent_id="sleeper", catchup=Catchup.ALL),
        make_job("never", cron="0 */20 * * * *", agent_id="sleeper", catchup=Catchup.NONE),
        make_job("first", cron="0 5,25,45 * * * *", agent_id="sleeper", catchup=Catchup.EARLIEST),
    ]


async def test_catch_up_after_downtime_matches_the_real_scheduler(engine_factory: Any, clock: Any) -> None:
    """Jobs added at 12:00, no scheduler until 15:00: each catch-up policy over the one-hour window."""
    e = engine_factory(max_concurrent_jobs=4, tick_interval_seconds=3600)

    async def sleeper(call: Any) -> str:
        await clock.sleep(CATCHUP_DURATIONS[call.job_name])
        return "done"

    e.rt.register_agent("sleeper", sleeper)
    for job in catchup_fleet():
        e.rt.add_job(job)
    restart = T0 + DOWN
    clock.set(restart)
    until = restart + timedelta(seconds=WINDOW)
    real_runs, sim = await run_both(e, clock, catchup_fleet(), CATCHUP_DURATIONS, 4, down_since=T0)
    assert records(sim.runs, until) == records(real_runs, until)
    caught = {(r.job, r.trigger, r.status) for r in sim.runs if r.scheduled_for <= restart}
    assert caught == {
        ("latest", "catchup", "missed"),  # 12:20 … 14:40: one `missed` record for the backlog
        ("latest", "catchup", "succeeded"),  # 15:00 only
        ("every", "catchup", "missed"),
        ("every", "catchup", "succeeded"),
        ("never", "catchup", "missed"),
        ("first", "catchup", "missed"),
        ("first", "catchup", "succeeded"),  # 14:05, the earliest inside the window
    }
    every = sorted(
        (r for r in sim.runs if r.job == "every" and r.status == "succeeded" and r.scheduled_for <= restart),
        key=lambda r: r.scheduled_for,
    )
    # 14:00, 14:20, 14:40, 15:00 (the one-hour window), one at a time: max_concurrent 1, 100 s each
    assert [r.scheduled_for for r in every] == [restart - timedelta(minutes=m) for m in (60, 40, 20, 0)]
    assert [r.started_at for r in every] == [restart + timedelta(seconds=s) for s in (0, 100, 200, 300)]


BACKFILL_DURATIONS = {"queued": 600.0, "skipping": 600.0, "allowing": 600.0}


def backfill_fleet() -> list[Any]:
    return [make_job(name, cron="0 0 * * * *", agent_id="sleeper") for name in BACKFILL_DURATIONS]


async def test_pending_backfills_in_a_store_match_the_real_scheduler(engine_factory: Any, clock: Any) -> None:
    """Backfills written at 13:00 with no scheduler running, one per overlap choice; a scheduler starts."""
    from symbi_runtime.backfill import Overlap, apply_backfill
    from symbi_runtime.simulate import pending_backfills

    e = engine_factory(max_concurrent_jobs=5, tick_interval_seconds=3600)

    async def sleeper(call: Any) -> str:
        await clock.sleep(BACKFILL_DURATIONS[call.job_name])
        return "done"

    e.rt.register_agent("sleeper", sleeper)
    for job in backfill_fleet():
        e.rt.add_job(job)
    clock.set(T0 + timedelta(minutes=59))
    for name, overlap in (("queued", Overlap.QUEUE), ("skipping", Overlap.SKIP), ("allowing", Overlap.ALLOW)):
        record = e.store.get_job(name)
        assert record is not None
        apply_backfill(
            e.store,
            record,
            T0 - timedelta(hours=3),
            T0 - timedelta(hours=1),
            now=clock.now(),
            overlap=overlap,
            dry_run=False,
            actor="ops",
        )
    pending = pending_backfills(e.store)
    assert len(pending) == 9
    start = clock.now()
    real_runs, sim = await run_both(e, clock, backfill_fleet(), BACKFILL_DURATIONS, 5, backfills=pending)
    until = start + timedelta(seconds=WINDOW)
    assert records(sim.runs, until) == records(real_runs, until)
    by_job = {
        name: sorted(
            (r.scheduled_for.hour, r.status, r.started_at)
            for r in sim.runs
            if r.job == name and r.trigger == "backfill"
        )
        for name in BACKFILL_DURATIONS
    }
    assert [(h, st) for h, st, _ in by_job["queued"]] == [
        (9, "succeeded"),
        (10, "succeeded"),
        (11, "succeeded"),
    ]
    assert [s for _, _, s in by_job["queued"]] == [start + timedelta(seconds=600 * k) for k in range(3)]
    assert [st for _, st, _ in by_job["skipping"]] == ["skipped", "skipped", "succeeded"]
    assert {s for _, _, s in by_job["allowing"]} == {start}  # all three at once, beside each other
