"""Store figures: state transitions per second on a durable SQLite file (WAL, synchronous=NORMAL).

Run: python benchmarks/bench_store.py [--quick]

- single: one transition per transaction (pause/resume toggles: each writes the job and an audit row);
- claim+finish, one per transaction: a fire claimed (next fire advanced, run inserted `running`) and
  then finished (run and job counters updated), each in its own transaction, as a lone fire would be;
- batched: the same claims and finishes for many jobs in one transaction each (what the scheduler does
  when many jobs are due together).
Each figure counts transitions (a claim is one, a finish is one) per second of wall time.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from symbi_runtime.store import FireClaim, NewRun, RunOutcome, SqliteStore, Store

from symbi_lang.ir import JobDefinition

QUICK = "--quick" in sys.argv
T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


def make_store(path: Path, n: int) -> tuple[Store, list[tuple[str, str]]]:
    store = SqliteStore.open(path)
    jobs = [JobDefinition(name=f"job{i}", agent_id="noop", cron_expr="0 * * * * *") for i in range(n)]
    records = store.upsert_jobs(jobs, now=T0)
    return store, [(r.id, r.name) for r, _ in records]


def single_toggles(tmp: Path, n: int) -> float:
    store, jobs = make_store(tmp / "single.db", 1)
    name = jobs[0][1]
    t0 = time.perf_counter()
    for i in range(n):
        store.set_job_status(name, "paused" if i % 2 == 0 else "active", now=T0)
    elapsed = time.perf_counter() - t0
    store.close()
    return n / elapsed


def claim_finish(tmp: Path, n_jobs: int, rounds: int, *, batched: bool) -> float:
    store, jobs = make_store(tmp / f"cf-{batched}.db", n_jobs)
    transitions = 0
    t0 = time.perf_counter()
    for k in range(rounds):
        fire = T0 + timedelta(minutes=k + 1)
        claims = [
            FireClaim(job_id, fire, fire + timedelta(minutes=1), (NewRun(fire, "schedule", "running"),), name)
            for job_id, name in jobs
        ]
        if batched:
            runs = store.claim_fires(claims, now=fire)
            store.finish_runs(
                [RunOutcome(r[0].id, "succeeded", output="ok") for r in runs], now=fire, default_max_retries=3
            )
        else:
            for claim in claims:
                [[run]] = store.claim_fires([claim], now=fire)
                store.finish_runs(
                    [RunOutcome(run.id, "succeeded", output="ok")], now=fire, default_max_retries=3
                )
        transitions += 2 * len(claims)
    elapsed = time.perf_counter() - t0
    store.close()
    return transitions / elapsed


def main() -> None:
    scale = 1 if QUICK else 5
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        single = single_toggles(tmp, 2000 * scale)
        print(f"single transitions (pause/resume, one per transaction): {single:9.0f}/s")
        print(
            "claim + finish, one transition per transaction:         "
            f"{claim_finish(tmp, 200, 5 * scale, batched=False):9.0f}/s"
        )
        print(
            "claim + finish, batched (1000 jobs per transaction):     "
            f"{claim_finish(tmp, 1000, 5 * scale, batched=True):9.0f}/s"
        )


if __name__ == "__main__":
    main()
