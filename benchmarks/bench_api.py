"""HTTP API figures: requests per second and p99 latency for list, create and trigger, with 1,000 and
10,000 jobs stored, through uvicorn on loopback with a real HTTP client (one connection, sequential).

Run: python benchmarks/bench_api.py [--quick]

- list: `GET /api/v1/schedules` (the whole list: its cost grows with the number of jobs);
- create: `POST /api/v1/schedule` of a new job (validation, the `symbi check` rules, the store write);
- trigger: `POST /api/v1/schedules/{id}/trigger` (answers once the run is started in the background).
The agent is an in-process function returning at once, so the figures are the API's and the store's.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from symbi_runtime.agents import AgentCall
from symbi_runtime.api import serve_api
from symbi_runtime.runtime import Runtime

from symbi_lang.ir import JobDefinition, SourceRef

QUICK = "--quick" in sys.argv
TOKEN = "bench-token-0123456789"
SIZES = (1_000, 10_000)
REQUESTS = {"list": 5 if QUICK else 20, "create": 50 if QUICK else 300, "trigger": 50 if QUICK else 300}


async def measure(n: int, call: Callable[[int], Awaitable[httpx.Response]]) -> tuple[float, float]:
    latencies = []
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        r = await call(i)
        latencies.append(time.perf_counter() - t0)
        if r.status_code >= 300:
            raise SystemExit(f"unexpected {r.status_code}: {r.text[:200]}")
    wall = time.perf_counter() - start
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) >= 2 else latencies[0]
    return n / wall, p99 * 1000


async def bench(size: int, tmp: Path) -> dict[str, tuple[float, float]]:
    async with Runtime(db_path=tmp / f"api{size}.db", env={}) as rt:

        async def noop(call: AgentCall) -> str:
            return "ok"

        rt.register_agent("noop", noop)
        jobs = [
            JobDefinition(name=f"job{i}", agent_id="noop", cron_expr="0 0 0 1 1 *", source=SourceRef("<api>"))
            for i in range(size)
        ]
        records = rt.store.upsert_jobs(jobs, now=rt.clock.now())
        ids = [r.id for r, _ in records]
        scheduler = asyncio.create_task(rt.run())
        server = await serve_api(rt, token=TOKEN, port=0)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        out = {}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as client:
            out["list"] = await measure(REQUESTS["list"], lambda i: client.get("/api/v1/schedules"))
            out["create"] = await measure(
                REQUESTS["create"],
                lambda i: client.post(
                    "/api/v1/schedule",
                    json={"name": f"new{i}", "agent_id": "noop", "cron_expr": "0 0 9 * * *"},
                ),
            )
            out["trigger"] = await measure(
                REQUESTS["trigger"], lambda i: client.post(f"/api/v1/schedules/{ids[i % len(ids)]}/trigger")
            )
        await server.close()
        rt.stop()
        await scheduler
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        print(f"{'stored jobs':>11}  {'route':<8} {'requests/s':>10} {'p99 ms':>8}")
        for size in SIZES:
            for route, (rps, p99) in asyncio.run(bench(size, Path(d))).items():
                print(f"{size:>11}  {route:<8} {rps:>10.1f} {p99:>8.1f}")


if __name__ == "__main__":
    main()
