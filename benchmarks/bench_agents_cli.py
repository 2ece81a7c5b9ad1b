"""Benchmarks for agent executors and `symbi cron` (issue 3). Prints figures; asserts nothing.

    python benchmarks/bench_agents_cli.py [--calls N] [--jobs N]

1. Executor overhead per call: an in-process async handler, a sync handler (worker thread), a `command`
   agent running `true` (subprocess spawn + pipes + process-group bookkeeping), and an `endpoint` agent
   against a loopback HTTP server (one httpx client per call).
2. `symbi cron list` wall time (fresh process) on a store with N jobs, per output format, and
   `symbi cron status` on the same store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from symbi_runtime.agents import AgentCall, CallableAgent, CommandAgent, EndpointAgent
from symbi_runtime.store import SqliteStore

from symbi_lang.ir import JobDefinition


class _Completions(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.dumps({"choices": [{"message": {"role": "assistant", "content": "ok"}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


async def _per_call_us(agent: object, calls: int) -> float:
    call = AgentCall("bench", "input text")
    run = agent.run  # type: ignore[attr-defined]
    await run(call)  # warm up (imports, first connection)
    start = time.perf_counter()
    for _ in range(calls):
        await run(call)
    return (time.perf_counter() - start) / calls * 1e6


async def executors(calls: int) -> None:
    async def async_handler(c: AgentCall) -> str:
        return c.input

    def sync_handler(c: AgentCall) -> str:
        return c.input

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Completions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    true = shutil.which("true") or "/bin/true"
    try:
        figures = {
            "handler (async)": await _per_call_us(CallableAgent(async_handler), calls * 10),
            "handler (sync, thread)": await _per_call_us(CallableAgent(sync_handler), calls * 10),
            "command (true)": await _per_call_us(CommandAgent([true], name="true"), calls),
            "endpoint (loopback)": await _per_call_us(
                EndpointAgent(f"http://127.0.0.1:{server.server_address[1]}/v1", name="llm", model="m"), calls
            ),
        }
    finally:
        server.shutdown()
    print("executor overhead per call (mean):")
    for name, us in figures.items():
        print(f"  {name:<24} {us:10.1f} µs")


def cli(jobs: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "symbi.db"
        now = datetime.now(UTC)
        with SqliteStore.open(db) as store:
            for i in range(jobs):
                store.upsert_job(JobDefinition(f"job-{i:05d}", "agent", cron_expr="0 */5 * * * *"), now=now)
        env = {k: v for k, v in os.environ.items() if k != "SYMBI_DB"}
        print(f"symbi cron on a store with {jobs} jobs (median of {runs} fresh processes):")
        for args in (
            ["list"],
            ["list", "--format", "json"],
            ["list", "--format", "csv"],
            ["status", "job-00001"],
        ):
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "symbi_lang.cli.main", "cron", *args, "--db", str(db)],
                    check=True,
                    stdout=subprocess.DEVNULL,
                    env=env,
                )
                times.append(time.perf_counter() - start)
            print(f"  {' '.join(args):<22} {statistics.median(times) * 1000:8.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(executors(args.calls))
    cli(args.jobs, args.runs)


if __name__ == "__main__":
    main()
