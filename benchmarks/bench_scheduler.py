"""Scheduler figures: durable per-fire cost vs APScheduler 3 in memory, bulk adds, start-up after downtime,
fire lateness under load, and idle wake cost with many jobs.

Run: python benchmarks/bench_scheduler.py [--quick]

- per-fire cost: N jobs due at the same instant (fake clock), an in-process no-op agent, durable SQLite
  (WAL, synchronous=NORMAL); CPU and wall µs per fire from the tick that claims them until every run is
  recorded; runs/s. APScheduler 3 (AsyncIOScheduler, MemoryJobStore) runs N date-triggered no-op jobs
  due at one instant on the same machine; CPU µs per fire; the ratio ours / theirs.
- 10k job adds in one transaction (Store.upsert_jobs).
- start-up after 30 days down with a `* * * * * *` job: open + start-up + first tick (catch-up planned,
  one summarised `missed` run written).
- fire lateness p50/p99 with 10,000 active jobs on the real clock (started_at - scheduled_for).
- start-up and idle wake cost (a tick with nothing due) with 100,000 jobs.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from symbi_runtime.clock import FakeClock
from symbi_runtime.config import Config, SchedulerConfig
from symbi_runtime.pipeline import NullMetrics
from symbi_runtime.runtime import Runtime
from symbi_runtime.store import SqliteStore

from symbi_lang.ir import JobDefinition, JobSet, SessionMode

QUICK = "--quick" in sys.argv
T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


async def noop(call: object) -> str:
    return ""


def jobs(
    n: int, cron: str = "0 * * * * *", prefix: str = "job", session: SessionMode = SessionMode.FULLY_EPHEMERAL
) -> JobSet:
    return JobSet(
        jobs=tuple(
            JobDefinition(name=f"{prefix}{i}", agent_id="noop", cron_expr=cron, session_mode=session)
            for i in range(n)
        )
    )


async def durable_per_fire(
    n: int, tmp: Path, *, metrics: bool, session: SessionMode = SessionMode.FULLY_EPHEMERAL
) -> tuple[float, float, float]:
    """(cpu µs per fire, wall µs per fire, runs/s) for n simultaneous fires."""
    clock = FakeClock(T0)
    config = Config(scheduler=SchedulerConfig(max_concurrent_jobs=max(100, n), enable_metrics=metrics))
    rt = Runtime(config, db_path=tmp / f"fire-{n}-{metrics}-{session}.db", clock=clock, env={}, metrics=None)
    rt.open()
    rt.register_agent("noop", noop)
    rt.load_jobset(jobs(n, session=session))
    store = rt.store
    sched = rt.scheduler
    task = asyncio.create_task(rt.run())
    await sched.wait_until(lambda: sched.ticks >= 1)
    await asyncio.sleep(0.05)
    ticks = sched.ticks
    cpu0, wall0 = time.process_time(), time.perf_counter()
    clock.advance(60)
    sched.wake()
    await sched.wait_until(lambda: sched.ticks > ticks and sched.in_flight() == 0, limit_seconds=600)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    done = store.run_stats()["succeeded"]
    assert done == n, (done, n)
    rt.stop()
    await task
    rt.close()
    return cpu / n * 1e6, wall / n * 1e6, n / wall


def apscheduler_per_fire(n: int, trigger: str) -> tuple[float, float]:
    """(cpu µs per fire, wall µs per fire) for APScheduler 3 in memory, n no-op jobs due at one instant.

    `trigger` "cron": each job has a CronTrigger and computes its next fire (the same work as ours);
    "date": one-shot jobs (a lower bound: no next-fire computation).
    """
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.cron import CronTrigger

    async def main() -> tuple[float, float]:
        done = 0
        finished = asyncio.Event()

        async def job() -> None:
            nonlocal done
            done += 1
            if done == n:
                finished.set()

        sched = AsyncIOScheduler(
            timezone="UTC", job_defaults={"misfire_grace_time": 3600, "max_instances": 10}
        )
        when = (datetime.now(UTC) + timedelta(seconds=2.0 + n / 5000)).replace(microsecond=0)
        for i in range(n):
            if trigger == "cron":
                cron = CronTrigger(second=when.second, minute=when.minute, timezone="UTC")
                sched.add_job(job, cron, id=f"j{i}")
            else:
                sched.add_job(job, "date", run_date=when, id=f"j{i}")
        sched.start()
        await asyncio.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()) - 0.05)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.wait_for(finished.wait(), 600)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        sched.shutdown(wait=False)
        return cpu / n * 1e6, wall / n * 1e6

    return asyncio.run(main())


def apscheduler_bulk_add(n: int) -> float:
    """Seconds for APScheduler 3 to add n CronTrigger jobs to its memory store (scheduler started)."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.cron import CronTrigger

    async def main() -> float:
        sched = AsyncIOScheduler(timezone="UTC")
        sched.start(paused=True)
        t0 = time.perf_counter()
        for i in range(n):
            sched.add_job(noop, CronTrigger(second=0, timezone="UTC"), id=f"j{i}", args=(None,))
        elapsed = time.perf_counter() - t0
        sched.shutdown(wait=False)
        return elapsed

    return asyncio.run(main())


def bulk_add(n: int, tmp: Path) -> float:
    store = SqliteStore.open(tmp / "bulk.db")
    t0 = time.perf_counter()
    store.upsert_jobs(list(jobs(n).jobs), now=T0)
    elapsed = time.perf_counter() - t0
    store.close()
    return elapsed


async def startup_after_downtime(tmp: Path) -> tuple[float, int]:
    db = tmp / "down.db"
    store = SqliteStore.open(db)
    store.upsert_jobs(list(jobs(1, "* * * * * *", "tick").jobs), now=T0)
    store.close()
    clock = FakeClock(T0 + timedelta(days=30))
    t0 = time.perf_counter()
    rt = Runtime(Config(), db_path=db, clock=clock, env={}, metrics=NullMetrics())
    rt.open()
    rt.register_agent("noop", noop)
    rt.scheduler.start_up()
    rt.scheduler.tick(clock.now())
    elapsed = time.perf_counter() - t0
    [missed] = rt.store.list_runs(status="missed")
    await rt.scheduler.wait_until(lambda: rt.scheduler.in_flight() == 0)
    rt.close()
    return elapsed, int(missed.detail["missed_count"])


async def lateness(n: int, seconds: float, tmp: Path, slots: int) -> tuple[float, float, int]:
    """Real clock: n jobs spread over the 60 seconds of a minute; (p50 ms, p99 ms, fires measured).

    `slots` is max_concurrent_jobs: with the default 100, fires beyond 100 in one second queue for a
    slot and their lateness includes that wait."""
    config = Config(scheduler=SchedulerConfig(max_concurrent_jobs=slots))
    rt = Runtime(config, db_path=tmp / f"late-{slots}.db", env={}, metrics=NullMetrics())
    rt.open()
    rt.register_agent("noop", noop)
    rt.load_jobset(
        JobSet(
            jobs=tuple(
                JobDefinition(name=f"late{i}", agent_id="noop", cron_expr=f"{i % 60} * * * * *")
                for i in range(n)
            )
        )
    )
    start = datetime.now(UTC)
    task = asyncio.create_task(rt.run())
    await asyncio.sleep(seconds)
    rt.stop()
    await task
    runs = [r for r in rt.store.list_runs(status="succeeded", limit=10**7) if r.scheduled_for > start]
    lags = sorted(((r.started_at or r.scheduled_for) - r.scheduled_for).total_seconds() * 1000 for r in runs)
    rt.close()
    if not lags:
        return float("nan"), float("nan"), 0
    return statistics.median(lags), lags[min(len(lags) - 1, int(len(lags) * 0.99))], len(lags)


def many_jobs_idle(n: int, tmp: Path) -> tuple[float, float]:
    """(start-up seconds, idle tick µs) with n jobs none of which is due."""
    db = tmp / "many.db"
    store = SqliteStore.open(db)
    store.upsert_jobs(list(jobs(n, "0 0 0 1 1 *").jobs), now=T0)
    store.close()
    clock = FakeClock(T0 + timedelta(days=1))
    t0 = time.perf_counter()
    rt = Runtime(Config(), db_path=db, clock=clock, env={}, metrics=NullMetrics())
    rt.open()
    rt.scheduler.start_up()
    rt.scheduler.tick(clock.now())
    rt.scheduler._sleep_deadline(clock.now())
    startup = time.perf_counter() - t0
    samples = []
    for _ in range(200):
        t1 = time.perf_counter()
        rt.scheduler.tick(clock.now())
        rt.scheduler._sleep_deadline(clock.now())
        samples.append(time.perf_counter() - t1)
    rt.close()
    return startup, statistics.median(samples) * 1e6


def main() -> None:
    n = 2000 if QUICK else 10000
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        print(f"per-fire cost, {n} simultaneous fires, no-op agent (µs per fire; runs/s = fires / wall)")

        def row(label: str, cpu: float, wall: float) -> None:
            print(f"  {label:<52} {cpu:7.1f} CPU {wall:7.1f} wall {1e6 / wall:8.0f} runs/s")

        ours_cpu, ours_wall, _ = asyncio.run(durable_per_fire(n, tmp, metrics=False))
        row("symbi, durable SQLite, fully_ephemeral, metrics off", ours_cpu, ours_wall)
        m_cpu, m_wall, _ = asyncio.run(durable_per_fire(n, tmp, metrics=True))
        row("symbi, durable SQLite, fully_ephemeral, metrics on", m_cpu, m_wall)
        s_cpu, s_wall, _ = asyncio.run(
            durable_per_fire(n, tmp, metrics=True, session=SessionMode.EPHEMERAL_WITH_SUMMARY)
        )
        row("symbi, durable SQLite, ephemeral_with_summary, metrics on", s_cpu, s_wall)
        aps_cpu, aps_wall = apscheduler_per_fire(n, "cron")
        row("APScheduler 3, memory store, CronTrigger", aps_cpu, aps_wall)
        date_cpu, date_wall = apscheduler_per_fire(n, "date")
        row("APScheduler 3, memory store, date trigger", date_cpu, date_wall)
        print(
            f"  ratio symbi/APScheduler(cron) CPU per fire: {ours_cpu / aps_cpu:.2f} "
            f"(metrics on {m_cpu / aps_cpu:.2f}, with sessions {s_cpu / aps_cpu:.2f}); "
            f"vs date trigger {ours_cpu / date_cpu:.2f}"
        )

        adds = 10000
        ours_add, aps_add = bulk_add(adds, tmp), apscheduler_bulk_add(adds)
        print(
            f"bulk add: {adds} jobs in one transaction: {ours_add * 1000:.0f} ms "
            f"(APScheduler 3 memory store: {aps_add * 1000:.0f} ms, ratio {ours_add / aps_add:.2f})"
        )

        elapsed, missed = asyncio.run(startup_after_downtime(tmp))
        print(
            f"start-up after 30 days down (* * * * * * job): {elapsed * 1000:.0f} ms, missed_count={missed}"
        )

        late_jobs, late_seconds = (2000, 5.0) if QUICK else (10000, 10.0)
        for slots in (100, 1000):
            p50, p99, count = asyncio.run(lateness(late_jobs, late_seconds, tmp, slots))
            print(
                f"fire lateness, {late_jobs} active jobs, max_concurrent_jobs={slots}, {count} fires over "
                f"{late_seconds:g}s: p50 {p50:.1f} ms, p99 {p99:.1f} ms"
            )

        many = 20000 if QUICK else 100000
        startup, idle = many_jobs_idle(many, tmp)
        print(f"{many} jobs: start-up {startup * 1000:.0f} ms, idle wake {idle:.0f} µs")


if __name__ == "__main__":
    main()
