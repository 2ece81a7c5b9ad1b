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
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Gauge, generate_latest, start_http_server
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

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


class _Histogram:
    """Bucket counts and a sum for one label set: observing is a bisect and two additions."""

    __slots__ = ("counts", "total")

    def __init__(self, size: int) -> None:
        self.counts = [0] * size
        self.total = 0.0


class _HistogramSeries:
    """A histogram family keyed by one label value (the job name)."""

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(float(b) for b in bounds)
        self.le = tuple(floatToGoString(b) for b in self.bounds)  # type: ignore[no-untyped-call]
        self.children: dict[str, _Histogram] = {}

    def observe(self, key: str, value: float) -> None:
        child = self.children.get(key)
        if child is None:
            child = self.children[key] = _Histogram(len(self.bounds))
        child.counts[bisect_left(self.bounds, value)] += 1
        child.total += value

    def family(self, name: str, documentation: str, label: str) -> HistogramMetricFamily:
        family = HistogramMetricFamily(name, documentation, labels=[label])
        for key, child in self.children.items():
            cumulative, buckets = 0, []
            for le, count in zip(self.le, child.counts, strict=True):
                cumulative += count
                buckets.append((le, float(cumulative)))
            family.add_metric([key], buckets, child.total)
        return family


def _counter(
    name: str, documentation: str, labels: Sequence[str], values: dict[tuple[str, ...], float]
) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=labels)
    for key, value in values.items():
        family.add_metric(list(key), value)
    return family


class Metrics:
    """The scheduler's counters, gauges and histograms, in a registry of their own.

    The series are plain numbers behind one lock, collected into Prometheus families only when the
    exposition is rendered: a run costs a few dictionary updates, where prometheus-client's own metric
    objects build a child with a lock per bucket the first time each job is seen."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        # Runs in flight per job, so a finish without a start (or twice) cannot drive the gauge negative.
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, ...], float] = {}
        self._duration = _HistogramSeries(_DURATION_BUCKETS)
        self._in_flight = 0
        self._dead_letter: dict[tuple[str, ...], float] = {}
        self._skipped: dict[tuple[str, ...], float] = {}
        self._missed: dict[tuple[str, ...], float] = {}
        self._lag = _HistogramSeries(_LAG_BUCKETS)
        self._deliveries: dict[tuple[str, ...], float] = {}
        self._node_watched = False
        self.registry.register(self)

    def collect(self) -> Iterable[Metric]:
        """The families in the spec's order (prometheus-client calls this to render or serve)."""
        with self._lock:
            families: list[Metric] = [
                _counter(
                    "symbiont_cron_runs",
                    "Finished runs by job and status.",
                    ["job_name", "status"],
                    self._runs,
                ),
                self._duration.family(
                    "symbiont_cron_execution_duration_seconds",
                    "Agent execution time of finished runs.",
                    "job_name",
                ),
                GaugeMetricFamily(
                    "symbiont_cron_in_flight_jobs", "Runs executing right now.", value=float(self._in_flight)
                ),
                _counter(
                    "symbiont_cron_dead_letter", "Jobs moved to dead_letter.", ["job_name"], self._dead_letter
                ),
                _counter(
                    "symbiont_cron_skipped",
                    "Fires skipped at the per-job concurrency limit.",
                    ["job_name"],
                    self._skipped,
                ),
                _counter(
                    "symbiont_cron_missed", "Fires recorded as missed (not run).", ["job_name"], self._missed
                ),
                self._lag.family(
                    "symbiont_cron_schedule_lag_seconds",
                    "Delay between a run's nominal fire time and its start.",
                    "job_name",
                ),
                _counter(
                    "symbiont_cron_deliveries",
                    "Delivery receipts by channel and result.",
                    ["channel", "result"],
                    self._deliveries,
                ),
            ]
        return families

    def run_started(self, job_name: str) -> None:
        """A run began executing (in-flight +1 until its `run_finished`, `run_parked` or `run_ended`)."""
        with self._lock:
            self._running[job_name] = self._running.get(job_name, 0) + 1
            self._in_flight += 1

    def run_ended(self, job_name: str) -> None:
        """A run that `run_started` counted stopped executing (in-flight −1; never below zero per job)."""
        with self._lock:
            self._end(job_name)

    def _end(self, job_name: str) -> None:
        count = self._running.get(job_name, 0)
        if count <= 0:
            return
        if count == 1:
            del self._running[job_name]
        else:
            self._running[job_name] = count - 1
        self._in_flight -= 1

    def run_parked(self, job_name: str) -> None:
        """A started run stopped to wait for approval: no longer in flight, not finished either."""
        self.run_ended(job_name)

    def run_finished(self, job_name: str, status: str, duration_seconds: float | None) -> None:
        """Count a run in its final status, record its execution time when it executed, and take it out
        of the in-flight gauge if `run_started` counted it."""
        key = (job_name, str(status))
        with self._lock:
            self._runs[key] = self._runs.get(key, 0.0) + 1.0
            if duration_seconds is not None:
                self._duration.observe(job_name, max(0.0, duration_seconds))
            self._end(job_name)

    def dead_lettered(self, job_name: str) -> None:
        self._add(self._dead_letter, (job_name,), 1.0)

    def skipped(self, job_name: str) -> None:
        self._add(self._skipped, (job_name,), 1.0)

    def missed(self, job_name: str, count: int = 1) -> None:
        """`count` fires of the job were not run (a summarised catch-up may report thousands at once)."""
        if count > 0:
            self._add(self._missed, (job_name,), float(count))

    def schedule_lag(self, job_name: str, seconds: float) -> None:
        with self._lock:
            self._lag.observe(job_name, max(0.0, seconds))

    def delivered(self, channel: str, ok: bool) -> None:
        self._add(self._deliveries, (channel, "ok" if ok else "failed"), 1.0)

    def _add(self, series: dict[tuple[str, ...], float], key: tuple[str, ...], amount: float) -> None:
        with self._lock:
            series[key] = series.get(key, 0.0) + amount

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
        return generate_latest(self.registry)

    def serve(self, port: int, host: str = "127.0.0.1") -> MetricsServer:
        """Serve `/metrics` from a daemon thread; port 0 picks a free port (see `.port`)."""
        server, thread = start_http_server(port, addr=host, registry=self.registry)
        return MetricsServer(host, int(server.server_port), server, thread)
