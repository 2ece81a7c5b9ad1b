"""Prometheus metrics with the spec's names, one registry per `Metrics` (runtimes and tests never collide).

| metric | type | labels |
|---|---|---|
| `symbiont_cron_runs_total` | counter | job_name, status (every final run status) |
| `symbiont_cron_execution_duration_seconds` | histogram | job_name |
| `symbiont_cron_in_flight_jobs` | gauge | — |
| `symbiont_cron_dead_letter_total` | counter | job_name |
| `symbiont_cron_skipped_total` | counter | job_name (per-job concurrency limit reached) |
| `symbiont_cron_missed_total` | counter | job_name (fires not run: downtime, expired approvals) |
| `symbiont_cron_schedule_lag_seconds` | histogram | job_name (start − nominal fire, incl. jitter) |
| `symbiont_cron_deliveries_total` | counter | channel, result (`ok` / `failed`) |
| `symbiont_cron_node_lease_valid` | gauge | — (PostgreSQL nodes: 1 while the lease is current) |
| `symbiont_cron_node_epoch` | gauge | — (PostgreSQL nodes: the lease epoch) |
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server
from prometheus_client.metrics_core import Metric

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Agent runs range from sub-second tool calls to long reports; lag is mostly jitter (seconds).
_DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, float("inf"))
_LAG_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, float("inf"))


@dataclass(frozen=True, slots=True)
class MetricsServer:
    """A running `/metrics` endpoint; `close()` stops it and frees the port."""

    host: str
    port: int
    _server: WSGIServer
    _thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _WithoutCreated:
    """The registry's metrics minus the `*_created` timestamp series prometheus-client adds to every
    counter and histogram: they double the exposition and nobody alerts on them."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        for family in self._registry.collect():
            family.samples = [s for s in family.samples if not s.name.endswith("_created")]
            yield family


class Metrics:
    """The scheduler's counters, gauges and histograms, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        # Runs in flight per job, so a finish without a start (or twice) cannot drive the gauge negative.
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()
        self._exposed = _WithoutCreated(self.registry)
        self._node_watched = False
        r = self.registry
        self._runs = Counter(
            "symbiont_cron_runs", "Finished runs by job and status.", ["job_name", "status"], registry=r
        )
        self._duration = Histogram(
            "symbiont_cron_execution_duration_seconds",
            "Agent execution time of finished runs.",
            ["job_name"],
            buckets=_DURATION_BUCKETS,
            registry=r,
        )
        self._in_flight = Gauge("symbiont_cron_in_flight_jobs", "Runs executing right now.", registry=r)
        self._dead_letter = Counter(
            "symbiont_cron_dead_letter", "Jobs moved to dead_letter.", ["job_name"], registry=r
        )
        self._skipped = Counter(
            "symbiont_cron_skipped",
            "Fires skipped at the per-job concurrency limit.",
            ["job_name"],
            registry=r,
        )
        self._missed = Counter(
            "symbiont_cron_missed", "Fires recorded as missed (not run).", ["job_name"], registry=r
        )
        self._lag = Histogram(
            "symbiont_cron_schedule_lag_seconds",
            "Delay between a run's nominal fire time and its start.",
            ["job_name"],
            buckets=_LAG_BUCKETS,
            registry=r,
        )
        self._deliveries = Counter(
            "symbiont_cron_deliveries",
            "Delivery receipts by channel and result.",
            ["channel", "result"],
            registry=r,
        )

    def run_started(self, job_name: str) -> None:
        """A run began executing (in-flight +1 until its `run_finished`, `run_parked` or `run_ended`)."""
        with self._lock:
            self._running[job_name] = self._running.get(job_name, 0) + 1
            self._in_flight.inc()

    def run_ended(self, job_name: str) -> None:
        """A run that `run_started` counted stopped executing (in-flight −1; never below zero per job)."""
        with self._lock:
            count = self._running.get(job_name, 0)
            if count <= 0:
                return
            if count == 1:
                del self._running[job_name]
            else:
                self._running[job_name] = count - 1
            self._in_flight.dec()

    def run_parked(self, job_name: str) -> None:
        """A started run stopped to wait for approval: no longer in flight, not finished either."""
        self.run_ended(job_name)

    def run_finished(self, job_name: str, status: str, duration_seconds: float | None) -> None:
        """Count a run in its final status, record its execution time when it executed, and take it out
        of the in-flight gauge if `run_started` counted it."""
        self._runs.labels(job_name=job_name, status=status).inc()
        if duration_seconds is not None:
            self._duration.labels(job_name=job_name).observe(max(0.0, duration_seconds))
        self.run_ended(job_name)

    def dead_lettered(self, job_name: str) -> None:
        self._dead_letter.labels(job_name=job_name).inc()

    def skipped(self, job_name: str) -> None:
        self._skipped.labels(job_name=job_name).inc()

    def missed(self, job_name: str, count: int = 1) -> None:
        """`count` fires of the job were not run (a summarised catch-up may report thousands at once)."""
        if count > 0:
            self._missed.labels(job_name=job_name).inc(count)

    def schedule_lag(self, job_name: str, seconds: float) -> None:
        self._lag.labels(job_name=job_name).observe(max(0.0, seconds))

    def delivered(self, channel: str, ok: bool) -> None:
        self._deliveries.labels(channel=channel, result="ok" if ok else "failed").inc()

    def watch_node(self, status: Callable[[], dict[str, Any] | None]) -> None:
        """Per-node gauges read at scrape time: `symbiont_cron_node_lease_valid` (1 while this node's
        lease on a shared PostgreSQL store is current) and `symbiont_cron_node_epoch`."""
        if self._node_watched:
            return
        self._node_watched = True

        def field(key: str) -> Callable[[], float]:
            def read() -> float:
                current = status()
                return float(current[key]) if current else 0.0

            return read

        valid = Gauge(
            "symbiont_cron_node_lease_valid", "1 while this node's lease is current.", registry=self.registry
        )
        valid.set_function(field("lease_valid"))
        epoch = Gauge(
            "symbiont_cron_node_epoch", "This node's lease epoch (new on every join).", registry=self.registry
        )
        epoch.set_function(field("epoch"))

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self._exposed)

    def serve(self, port: int, host: str = "127.0.0.1") -> MetricsServer:
        """Serve `/metrics` from a daemon thread; port 0 picks a free port (see `.port`)."""
        server, thread = start_http_server(port, addr=host, registry=self._exposed)
        return MetricsServer(host, int(server.server_port), server, thread)
