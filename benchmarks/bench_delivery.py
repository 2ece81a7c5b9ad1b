"""Benchmarks for delivery (issue 4). Prints figures; asserts nothing.

    python benchmarks/bench_delivery.py [--n N]

1. What building httpx's default TLS context costs (paid once per process since it is shared, and
   before that once per webhook or Slack delivery).
2. One webhook delivery through the router to a loopback HTTP server, wall time per delivery.
3. One run delivered to stdout + log_file + webhook at once.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from symbi_runtime.delivery import DeliveryMessage, DeliveryRouter, DeliverySettings

from symbi_lang.ir import JobDefinition


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def message(url: str, delivery: tuple[str, ...]) -> DeliveryMessage:
    now = datetime.now(UTC)
    job = JobDefinition(
        name="bench",
        agent_id="a",
        cron_expr="0 * * * * *",
        delivery=delivery,
        webhook_url=url,
        webhook_headers=(("Authorization", "Bearer ${TOKEN}"),),
    )
    return DeliveryMessage(job, "job-1", "run-1", now, now, now, "succeeded", "output line\n" * 20)


async def per_delivery_ms(router: DeliveryRouter, msg: DeliveryMessage, n: int) -> float:
    await router.route(msg)
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            receipts = await router.route(msg)
            assert all(r.ok for r in receipts), receipts
        samples.append((time.perf_counter() - start) / n * 1e3)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50)
    n = parser.parse_args().n

    start = time.perf_counter()
    for _ in range(10):
        httpx.create_ssl_context()
    print(f"{'httpx default TLS context, built once:':<52}{(time.perf_counter() - start) / 10 * 1e3:8.2f} ms")

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = DeliverySettings(log_dir=Path(tmp))
            router = DeliveryRouter(settings, {"TOKEN": "t-123456"}, stdout=io.StringIO())
            webhook = asyncio.run(per_delivery_ms(router, message(url, ("webhook",)), n))
            print(f"{'webhook delivery (loopback), per run:':<52}{webhook:8.2f} ms")
            three = asyncio.run(per_delivery_ms(router, message(url, ("stdout", "log_file", "webhook")), n))
            print(f"{'stdout + log_file + webhook, per run:':<52}{three:8.2f} ms")
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
