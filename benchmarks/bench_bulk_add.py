"""Bulk add: 10,000 jobs in one transaction (`Store.upsert_jobs` into a new SQLite file), against
APScheduler 3 adding as many CronTrigger jobs to its memory store (issue 14: target <= 0.5 s).

Run: python benchmarks/bench_bulk_add.py [--rounds R] [--jobs N]

Each round adds the same jobs as `bench_scheduler.py`'s bulk-add line (one no-op agent, one cron
expression) into a fresh database, then APScheduler adds its jobs; rounds are interleaved so the
machine's load shifts both alike. Figures are medians; the ratio is taken within each round. A second
line reloads the same jobs unchanged (every fingerprint matches: no write).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench_scheduler import T0, apscheduler_bulk_add, jobs
from symbi_runtime.store import SqliteStore


def bulk_add(n: int, db: Path) -> tuple[float, float]:
    """(seconds to add n new jobs, seconds to load them again unchanged), each in one transaction."""
    definitions = list(jobs(n).jobs)
    store = SqliteStore.open(db)
    t0 = time.perf_counter()
    store.upsert_jobs(definitions, now=T0)
    added = time.perf_counter() - t0
    store.close()
    store = SqliteStore.open(db)
    t0 = time.perf_counter()
    outcomes = {outcome for _, outcome in store.upsert_jobs(definitions, now=T0)}
    again = time.perf_counter() - t0
    store.close()
    assert outcomes == {"unchanged"}, outcomes
    return added, again


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=10_000)
    args = parser.parse_args()
    rounds = max(5, args.rounds)
    ours: list[float] = []
    unchanged: list[float] = []
    theirs: list[float] = []
    with tempfile.TemporaryDirectory() as d:
        for r in range(rounds):
            added, again = bulk_add(args.jobs, Path(d) / f"bulk{r}.db")
            ours.append(added)
            unchanged.append(again)
            theirs.append(apscheduler_bulk_add(args.jobs))
    ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
    print(
        f"bulk add: {args.jobs} jobs in one transaction: median {statistics.median(ours) * 1000:.0f} ms "
        f"(APScheduler 3 memory store: {statistics.median(theirs) * 1000:.0f} ms, ratio {ratio:.2f}; "
        f"median of {rounds} interleaved rounds; target <= 500 ms)"
    )
    print(
        f"bulk reload: the same {args.jobs} jobs unchanged, one transaction: "
        f"median {statistics.median(unchanged) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
