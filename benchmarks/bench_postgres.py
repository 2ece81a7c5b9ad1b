"""PostgreSQL store figures with 1, 2 and 3 `symbi` nodes (real processes), beside SQLite from the same run.

Run: python benchmarks/bench_postgres.py [--quick] [--url postgresql://…]   (default: a throwaway local
server, see symbi_runtime/store/pg_throwaway.py; durability settings of that server are relaxed)

- durable runs/s: N one-shot jobs due at one instant, a no-op agent in every node; from the instant until
  the last run is recorded `succeeded` (its finished_at).
- fire lateness p50/p99 with N active jobs (`{i % 60} * * * * *`, ~N/60 fires a second) on the real clock,
  started_at − scheduled_for over the measured seconds.
- failover: 2 and 3 nodes, 30 jobs every second whose agent takes 2 s (max_concurrent 1) and 300 no-op
  jobs every second; SIGKILL a node that the database shows holding running runs under a current lease.
  Two times from the kill (database time): until every job it held running has started a later fire on
  a survivor (its running run must first be `abandoned`: bounded by the lease TTL, 2 s), and until every
  no-op job of its share has (another node takes an overdue fire of any share: STEAL_AFTER_SECONDS).
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


def failover(location: str, nodes: int, *, freeze: bool = False) -> tuple[float, float, int, int]:
    """SIGKILL (`freeze`: SIGSTOP, then SIGKILL once measured) a node that provably holds running runs
    (and, by its share, due fires). SIGKILL on this host is noticed at the next lease round (the process
    is gone); a frozen process is alive, so only its lapsed lease tells: the case of a node on another
    host that died or was cut off. Returns
    (seconds until every job whose run it held running has started a later fire on a survivor,
     seconds until every job of its share it had been running has started a later fire elsewhere,
     running runs it held, jobs of its share), from the kill, in database time."""
    import psycopg

    with open_store(location) as store:
        store.upsert_jobs(
            [
                JobDefinition(name=f"s{i}", agent_id="slow", cron_expr="* * * * * *", max_concurrent=1)
                for i in range(30)
            ]
            + [JobDefinition(name=f"t{i}", agent_id="noop", cron_expr="* * * * * *") for i in range(300)],
            now=datetime.now(UTC),
        )
    procs = start_nodes(location, nodes)
    pids = [p.pid for p in procs]
    victim_pid: int | None = None
    try:
        wait_nodes(location, nodes)
        time.sleep(4)
        with psycopg.connect(location, autocommit=True) as conn:
            deadline = time.monotonic() + 60
            while True:  # a node whose lease is current and which holds running runs right now
                rows = conn.execute(
                    "SELECT n.pid, n.id, array_agg(DISTINCT r.job_id) FROM runs r JOIN nodes n "
                    "ON n.id = r.owner WHERE r.status = 'running' AND n.status = 'alive' "
                    "AND n.lease_until > now() AND n.pid = ANY(%s) GROUP BY n.pid, n.id",
                    (pids,),
                ).fetchall()
                if rows:
                    break
                assert time.monotonic() < deadline, "no node holds a running run"
                time.sleep(0.05)
            victim_pid, victim, held_jobs = rows[0]
            os.killpg(victim_pid, signal.SIGSTOP if freeze else signal.SIGKILL)
            [(killed,)] = conn.execute("SELECT now()").fetchall()
            # The no-op jobs of its share: those it ran in the last two seconds.
            share = [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT r.job_id FROM runs r JOIN jobs j ON j.id = r.job_id WHERE r.owner = %s "
                    "AND j.name LIKE 't%%' AND r.scheduled_for > %s",
                    (victim, killed - timedelta(seconds=2)),
                ).fetchall()
            ]

            def taken_over(jobs: list[str]) -> datetime | None:
                """When the last of `jobs` started a fire after the kill on another node (None: not yet)."""
                rows = conn.execute(
                    "SELECT job_id, min(started_at) FROM runs WHERE job_id = ANY(%s) AND owner != %s "
                    "AND started_at IS NOT NULL AND scheduled_for > %s GROUP BY job_id",
                    (jobs, victim, killed),
                ).fetchall()
                return max(r[1] for r in rows) if len(rows) == len(jobs) else None

            deadline = time.monotonic() + 120
            while (running := taken_over(held_jobs)) is None or (due := taken_over(share)) is None:
                if time.monotonic() > deadline:
                    stuck = conn.execute(
                        "SELECT j.name, r.scheduled_for, r.status, r.owner FROM runs r JOIN jobs j ON "
                        "j.id = r.job_id WHERE r.job_id = ANY(%s) AND r.scheduled_for > %s - interval '3 s' "
                        "ORDER BY r.scheduled_for DESC LIMIT 20",
                        (held_jobs + share, killed),
                    ).fetchall()
                    nodes_now = conn.execute("SELECT id, pid, status, lease_until FROM nodes").fetchall()
                    raise AssertionError(f"no failover after 120 s: {stuck} {nodes_now} victim {victim}")
                time.sleep(0.05)
        return (running - killed).total_seconds(), (due - killed).total_seconds(), len(held_jobs), len(share)
    finally:
        if freeze and victim_pid is not None:
            os.killpg(victim_pid, signal.SIGKILL)
        stop_nodes(procs)


def spread(location: str) -> str:
    """Runs per node (by owner), largest first: how evenly the claims were shared."""
    import psycopg

    with psycopg.connect(location) as conn:
        counts = [r[0] for r in conn.execute("SELECT count(*) FROM runs GROUP BY owner ORDER BY 1 DESC")]
    return "/".join(f"{c:,}" for c in counts)


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
        print(f"\ndurable runs/s, {N_FIRES:,} simultaneous fires, no-op agent (runs per node)")
        print(f"  sqlite, 1 node       {durable_runs(fresh_sqlite(), 1):8.0f} runs/s")
        for n in (1, 2, 3):
            db = fresh_pg()
            rate = durable_runs(db, n)
            print(f"  postgresql, {n} node{'s' if n > 1 else ' '}  {rate:8.0f} runs/s  ({spread(db)})")
        print(f"\nfire lateness, {N_LATE:,} active jobs, {LATE_SECONDS} s (p50 / p99 ms, fires measured)")
        p50, p99, count = lateness(fresh_sqlite(), 1)
        print(f"  sqlite, 1 node       {p50:8.1f} / {p99:8.1f}  ({count:,})")
        for n in (1, 2, 3):
            db = fresh_pg()
            p50, p99, count = lateness(db, n)
            label = f"postgresql, {n} node{'s' if n > 1 else ' '}"
            print(f"  {label}  {p50:8.1f} / {p99:8.1f}  ({count:,}; {spread(db)})")
        print(
            f"\nfailover (lease TTL {TTL:g} s, target ≤ {TTL + 1:g} s): SIGKILL a node holding running "
            "runs → each of its jobs runs a later fire elsewhere"
        )
        for n in (2, 3):
            for freeze in (False, True):
                running, due, held, share = failover(fresh_pg(), n, freeze=freeze)
                how = "SIGSTOP (lease lapses)" if freeze else "SIGKILL (same host)  "
                print(
                    f"  postgresql, {n} nodes, {how}: jobs it held running ({held}): {running:5.2f} s; "
                    f"its share of due fires ({share} jobs): {due:5.2f} s"
                )
        print("  sqlite: one node, no failover")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--node":
        run_node(sys.argv[2])
    else:
        main()
