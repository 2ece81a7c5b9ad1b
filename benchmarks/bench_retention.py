"""Retention figures: tick latency on a store of 1M run rows, without and while the background pruner
removes them (issue 8: pruning must never block a tick).

Run: python benchmarks/bench_retention.py [--quick] [--batch=N]   (--quick: 100k rows; N rows per batch, 500)

A "tick" here is the store work of one scheduler tick for 100 due jobs: read the due jobs, claim their
fires (runs inserted `running`, next fires advanced) in one transaction, finish those runs in one
transaction. Figures: tick latency p50 / p95 / max (ms) before pruning, and while the pruner (its own
thread and connection, batches of 500 with a 50 ms gap) works through the old rows; then how long the
pruning took and how many rows it removed.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from symbi_runtime.store import FireClaim, NewRun, RunOutcome, SqliteStore
from symbi_runtime.store.retention import BackgroundPruner, RetentionPolicy
from symbi_runtime.store.sqlite import to_us

from symbi_lang.ir import JobDefinition

QUICK = "--quick" in sys.argv
JOBS = 100
RUNS = 100_000 if QUICK else 1_000_000
BATCH = int(next((a.split("=")[1] for a in sys.argv if a.startswith("--batch=")), "500"))
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def build(path: Path) -> SqliteStore:
    store = SqliteStore.open(path)
    jobs = [JobDefinition(name=f"job{i}", agent_id="noop", cron_expr="0 * * * * *") for i in range(JOBS)]
    store.upsert_jobs(jobs, now=NOW - timedelta(minutes=1))
    ids = [j.id for j in store.list_jobs()]
    per_job = RUNS // JOBS
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for job_id in ids:
        conn.executemany(
            "INSERT INTO runs (id, job_id, scheduled_for, trigger, status, output, finished_at) "
            "VALUES (?,?,?,?,?,?,?)",
            (
                (str(uuid.uuid4()), job_id, to_us(NOW - timedelta(days=200, minutes=k)), "schedule",
                 "succeeded", "ok", to_us(NOW - timedelta(days=200, minutes=k)))
                for k in range(per_job)
            ),
        )  # fmt: skip
    conn.execute("COMMIT")
    conn.close()
    return store


def tick(store: SqliteStore, now: datetime) -> float:
    t0 = time.perf_counter()
    due = store.due_jobs(now, limit=500)
    nxt = now + timedelta(minutes=1)
    run = NewRun(now, "schedule", "running")
    claims = [FireClaim(j.id, j.next_fire_at, nxt, (run,), j.name) for j in due]
    inserted = [r for runs in store.claim_fires(claims, now=now) for r in runs]
    outcomes = [
        RunOutcome(r.id, "succeeded", output="ok", run=r, definition=j.definition)
        for r, j in zip(inserted, due, strict=True)
    ]
    store.finish_runs(outcomes, now=now, default_max_retries=3)
    return (time.perf_counter() - t0) * 1000


def figures(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    p50 = statistics.median(ordered)
    return f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {ordered[-1]:.2f} ms ({len(ordered)} ticks)"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        store = build(path)
        print(f"built {RUNS:,} run rows for {JOBS} jobs in {time.perf_counter() - t0:.1f}s")
        now = NOW
        quiet = []
        for _ in range(100):
            quiet.append(tick(store, now))
            now += timedelta(minutes=1)
        print(f"ticks, no pruning:      {figures(quiet)}")
        policy = RetentionPolicy(runs_days=30, runs_keep_last=100, audit_days=0, batch_size=BATCH)
        pruner = BackgroundPruner(str(path), policy, lambda: now, interval_seconds=0.001, gap_seconds=0.05)
        started = time.perf_counter()
        pruner.start()
        busy = []
        expected = RUNS - JOBS * policy.runs_keep_last
        while pruner.pruned.runs < expected:
            busy.append(tick(store, now))
            now += timedelta(minutes=1)
        took = time.perf_counter() - started
        pruner.stop()
        print(f"ticks, while pruning:   {figures(busy)}")
        print(f"pruned {pruner.pruned.runs:,} runs in {took:.1f}s ({pruner.pruned.runs / took:,.0f} rows/s)")
        store.close()


if __name__ == "__main__":
    main()
