"""PostgreSQL store figures with 1, 2 and 3 `symbi` nodes (real processes), beside SQLite from the same run.

Run: python benchmarks/bench_postgres.py [--quick] [--url postgresql://…]   (default: a throwaway local
server, see symbi_runtime/store/pg_throwaway.py; durability settings of that server are relaxed)

- durable runs/s: N one-shot jobs due at one instant, a no-op agent in every node; from the instant until
  the last run is recorded `succeeded` (its finished_at).
- fire lateness p50/p99 with N active jobs (`{i % 60} * * * * *`, ~N/60 fires a second) on the real clock,
  started_at − scheduled_for over the measured seconds.
- failover: 2 nodes, jobs whose agent takes 2 s; SIGKILL one node; time until its running runs are
  `abandoned` and its claimed-but-unstarted runs have started on the survivor (lease TTL 2 s).
- bulk add: N jobs in one `upsert_jobs` transaction.
Each node is a process running a Runtime (max_concurrent_jobs 10,000, metrics off).
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from symbi_runtime.store import open_store

from symbi_lang.ir import JobDefinition

QUICK = "--quick" in sys.argv
N_FIRES = 2_000 if QUICK else 10_000
N_LATE = 2_000 if QUICK else 10_000
LATE_SECONDS = 15 if QUICK else 40
TTL = 2.0


# --- a node (this file run with --node LOCATION) ---------------------------------------------------------


def run_node(location: str) -> None:
    from symbi_runtime.config import Config, SchedulerConfig
    from symbi_runtime.pipeline import NullMetrics
    from symbi_runtime.runtime import Runtime

    async def noop(call: object) -> str:
        return ""

    async def slow(call: object) -> str:
        await asyncio.sleep(2)
        return ""

    config = Config(
        scheduler=SchedulerConfig(
            max_concurrent_jobs=10_000, enable_metrics=False, node_lease_ttl_seconds=TTL
        )
    )

    async def main() -> None:
        async with Runtime(config, db_path=location, env={}, metrics=NullMetrics()) as rt:
            rt.register_agent("noop", noop)
            rt.register_agent("slow", slow)
            await rt.run(handle_signals=True)

    asyncio.run(main())


def start_nodes(location: str, n: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return [
        subprocess.Popen(
            [sys.executable, __file__, "--node", location],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(n)
    ]


def stop_nodes(nodes: list[subprocess.Popen[bytes]]) -> None:
    for p in nodes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in nodes:
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def wait_nodes(location: str, n: int) -> None:
    """Until n nodes hold a lease (PostgreSQL), or a moment for an SQLite node to start."""
    if not location.startswith("postgres"):
        time.sleep(3)
        return
    deadline = time.monotonic() + 120
    with open_store(location) as store:
        while len([x for x in store.list_nodes() if x["status"] == "alive"]) < n:  # type: ignore[attr-defined]
            assert time.monotonic() < deadline, "nodes did not start"
            time.sleep(0.2)


# --- figures ------------------------------------------------------------------------------------------------


def durable_runs(location: str, nodes: int) -> float:
    procs = start_nodes(location, nodes)
    try:
        wait_nodes(location, nodes)
        due = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)
        with open_store(location) as store:
            store.upsert_jobs(
                [JobDefinition(name=f"f{i}", agent_id="noop", at=due.isoformat()) for i in range(N_FIRES)],
                now=datetime.now(UTC),
            )
            deadline = time.monotonic() + 600
            while True:
                done = store.list_runs(status="succeeded", limit=N_FIRES + 1)
                if len(done) >= N_FIRES:
                    break
                assert time.monotonic() < deadline, f"only {len(done)} runs after 10 minutes"
                time.sleep(0.5)
        last = max(r.finished_at for r in done if r.finished_at is not None)
        return N_FIRES / max(1e-9, (last - due).total_seconds())
    finally:
        stop_nodes(procs)


def lateness(location: str, nodes: int) -> tuple[float, float, int]:
    with open_store(location) as store:
        store.upsert_jobs(
            [
                JobDefinition(name=f"late{i}", agent_id="noop", cron_expr=f"{i % 60} * * * * *")
                for i in range(N_LATE)
            ],
            now=datetime.now(UTC),
        )
    procs = start_nodes(location, nodes)
    try:
        wait_nodes(location, nodes)
        start = datetime.now(UTC) + timedelta(seconds=2)
        time.sleep(LATE_SECONDS)
    finally:
        stop_nodes(procs)
    with open_store(location) as store:
        runs = [r for r in store.list_runs(status="succeeded", limit=10**7) if r.scheduled_for > start]
    lags = sorted(((r.started_at or r.scheduled_for) - r.scheduled_for).total_seconds() * 1000 for r in runs)
    if not lags:
        return float("nan"), float("nan"), 0
    return statistics.median(lags), lags[min(len(lags) - 1, int(len(lags) * 0.99))], len(lags)


def failover(location: str) -> float:
    import psycopg

    with open_store(location) as store:
        store.upsert_jobs(
            [
                JobDefinition(name=f"s{i}", agent_id="slow", cron_expr="* * * * * *", max_concurrent=1)
                for i in range(50)
            ],
            now=datetime.now(UTC),
        )
    procs = start_nodes(location, 2)
    try:
        wait_nodes(location, 2)
        time.sleep(4)
        with psycopg.connect(location, autocommit=True) as conn:
            [(victim,)] = conn.execute(
                "SELECT id FROM nodes WHERE pid = %s AND status = 'alive'", (procs[0].pid,)
            ).fetchall()
            os.killpg(procs[0].pid, signal.SIGKILL)
            killed = time.monotonic()
            while True:
                [(left,)] = conn.execute(
                    "SELECT count(*) FROM runs WHERE (owner = %s AND status IN ('running', 'pending')) "
                    "OR (owner IS NULL AND status = 'pending')",
                    (victim,),
                ).fetchall()
                if left == 0:
                    return time.monotonic() - killed
                assert time.monotonic() - killed < 120, "no failover after 120 s"
                time.sleep(0.05)
    finally:
        stop_nodes(procs)


def bulk_add(location: str) -> float:
    with open_store(location) as store:
        jobs = [JobDefinition(name=f"b{i}", agent_id="noop", cron_expr="0 * * * * *") for i in range(N_FIRES)]
        t0 = time.perf_counter()
        store.upsert_jobs(jobs, now=datetime.now(UTC))
        return time.perf_counter() - t0


def main() -> None:
    from symbi_runtime.store.pg_throwaway import ThrowawayServer

    url = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--url=")), None)
    server = None if url else ThrowawayServer.start()
    base = url or (server.url if server else "")
    tmp = Path(tempfile.mkdtemp(prefix="symbi-bench-"))

    def fresh_pg() -> str:
        if server is not None:
            return server.create_database(f"b_{uuid.uuid4().hex[:10]}")
        raise SystemExit("--url: give a server where this script may create databases (omit --url)")

    def fresh_sqlite() -> str:
        return str(tmp / f"{uuid.uuid4().hex[:8]}.db")

    try:
        print(f"machine: {os.cpu_count()} cores; {'quick' if QUICK else 'full'} run; PostgreSQL at {base}")
        print(f"\nbulk add of {N_FIRES:,} jobs (one transaction)")
        print(f"  sqlite      {bulk_add(fresh_sqlite()):7.2f} s")
        print(f"  postgresql  {bulk_add(fresh_pg()):7.2f} s")
        print(f"\ndurable runs/s, {N_FIRES:,} simultaneous fires, no-op agent")
        print(f"  sqlite, 1 node       {durable_runs(fresh_sqlite(), 1):8.0f} runs/s")
        for n in (1, 2, 3):
            print(f"  postgresql, {n} node{'s' if n > 1 else ' '}  {durable_runs(fresh_pg(), n):8.0f} runs/s")
        print(f"\nfire lateness, {N_LATE:,} active jobs, {LATE_SECONDS} s (p50 / p99 ms, fires measured)")
        p50, p99, count = lateness(fresh_sqlite(), 1)
        print(f"  sqlite, 1 node       {p50:8.1f} / {p99:8.1f}  ({count:,})")
        for n in (1, 2, 3):
            p50, p99, count = lateness(fresh_pg(), n)
            print(f"  postgresql, {n} node{'s' if n > 1 else ' '}  {p50:8.1f} / {p99:8.1f}  ({count:,})")
        print(f"\nfailover (lease TTL {TTL} s): SIGKILL → the dead node's runs abandoned / taken over")
        print(f"  postgresql, 2 nodes  {failover(fresh_pg()):6.2f} s")
        print("  sqlite: one node, no failover")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--node":
        run_node(sys.argv[2])
    else:
        main()
