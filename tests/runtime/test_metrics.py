"""Prometheus metrics: the spec's names and labels, per-instance registries, and the HTTP endpoint."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from symbi_runtime.metrics import Metrics


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, keyed by (name, sorted labels)."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_runs_are_counted_per_job_and_status_with_the_spec_names() -> None:
    m = Metrics()
    for status in ("succeeded", "succeeded", "failed"):
        m.run_finished("daily-report", status, 1.5)
    m.run_finished("daily-report", "denied", None)

    text = m.render().decode()
    assert 'symbiont_cron_runs_total{job_name="daily-report",status="succeeded"} 2.0' in text
    assert 'symbiont_cron_runs_total{job_name="daily-report",status="failed"} 1.0' in text
    assert 'symbiont_cron_runs_total{job_name="daily-report",status="denied"} 1.0' in text
    s = samples(m)
    # A denied run never executed: it is counted but has no duration.
    assert s[("symbiont_cron_execution_duration_seconds_count", (("job_name", "daily-report"),))] == 3
    assert s[("symbiont_cron_execution_duration_seconds_sum", (("job_name", "daily-report"),))] == 4.5
    bucket = (("job_name", "daily-report"), ("le", "2.5"))
    assert s[("symbiont_cron_execution_duration_seconds_bucket", bucket)] == 3


def in_flight(m: Metrics) -> float:
    return samples(m)[("symbiont_cron_in_flight_jobs", ())]


def test_in_flight_gauge_follows_started_finished_and_parked_runs() -> None:
    m = Metrics()
    m.run_started("a")
    m.run_started("b")
    m.run_started("a")
    m.run_started("c")
    assert in_flight(m) == 4
    m.run_finished("a", "succeeded", 1.0)
    m.run_parked("b")  # waiting for approval is not running
    m.run_ended("c")
    assert in_flight(m) == 1
    # A finish that was never started (or a second finish) does not drive the gauge below zero.
    m.run_finished("b", "denied", None)
    m.run_finished("a", "succeeded", 1.0)
    m.run_finished("a", "failed", 1.0)
    m.run_ended("zzz")
    assert in_flight(m) == 0


def test_dead_letter_skipped_missed_lag_and_deliveries() -> None:
    m = Metrics()
    m.dead_lettered("flaky-job")
    m.dead_lettered("flaky-job")
    m.skipped("sync")
    m.missed("nightly", 43199)
    m.missed("nightly", 0)
    m.schedule_lag("sync", 2.5)
    m.schedule_lag("sync", -0.01)  # a clock step backwards counts as no lag
    m.delivered("webhook", True)
    m.delivered("webhook", False)
    m.delivered("webhook", False)

    s = samples(m)
    assert s[("symbiont_cron_dead_letter_total", (("job_name", "flaky-job"),))] == 2
    assert s[("symbiont_cron_skipped_total", (("job_name", "sync"),))] == 1
    assert s[("symbiont_cron_missed_total", (("job_name", "nightly"),))] == 43199
    assert s[("symbiont_cron_schedule_lag_seconds_count", (("job_name", "sync"),))] == 2
    assert s[("symbiont_cron_schedule_lag_seconds_sum", (("job_name", "sync"),))] == 2.5
    assert s[("symbiont_cron_deliveries_total", (("channel", "webhook"), ("result", "failed")))] == 2
    assert s[("symbiont_cron_deliveries_total", (("channel", "webhook"), ("result", "ok")))] == 1


def test_each_instance_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.run_finished("job", "succeeded", 0.1)
    assert "symbiont_cron_runs_total{" in first.render().decode()
    assert "symbiont_cron_runs_total{" not in second.render().decode()


def test_serve_exposes_metrics_over_http_until_closed() -> None:
    m = Metrics()
    m.run_finished("daily-report", "succeeded", 0.2)
    server = m.serve(0)
    try:
        assert server.port > 0 and server.url == f"http://127.0.0.1:{server.port}/metrics"
        response = httpx.get(server.url, timeout=5)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert 'symbiont_cron_runs_total{job_name="daily-report",status="succeeded"} 1.0' in response.text
    finally:
        server.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url, timeout=5)


def test_the_exposition_has_no_created_timestamp_series() -> None:
    m = Metrics()
    m.run_finished("job", "succeeded", 0.1)
    m.dead_lettered("job")
    m.schedule_lag("job", 1.0)
    assert "_created" not in m.render().decode()
    # Rendering twice gives the same families (the filter does not consume anything).
    assert m.render() == m.render()


def test_a_fresh_exposition_lists_every_family_in_order_with_help_and_type() -> None:
    assert Metrics().render().decode().splitlines() == [
        "# HELP symbiont_cron_runs_total Finished runs by job and status.",
        "# TYPE symbiont_cron_runs_total counter",
        "# HELP symbiont_cron_execution_duration_seconds Agent execution time of finished runs.",
        "# TYPE symbiont_cron_execution_duration_seconds histogram",
        "# HELP symbiont_cron_in_flight_jobs Runs executing right now.",
        "# TYPE symbiont_cron_in_flight_jobs gauge",
        "symbiont_cron_in_flight_jobs 0.0",
        "# HELP symbiont_cron_dead_letter_total Jobs moved to dead_letter.",
        "# TYPE symbiont_cron_dead_letter_total counter",
        "# HELP symbiont_cron_skipped_total Fires skipped at the per-job concurrency limit.",
        "# TYPE symbiont_cron_skipped_total counter",
        "# HELP symbiont_cron_missed_total Fires recorded as missed (not run).",
        "# TYPE symbiont_cron_missed_total counter",
        "# HELP symbiont_cron_schedule_lag_seconds Delay between a run's nominal fire time and its start.",
        "# TYPE symbiont_cron_schedule_lag_seconds histogram",
        "# HELP symbiont_cron_deliveries_total Delivery receipts by channel and result.",
        "# TYPE symbiont_cron_deliveries_total counter",
    ]


def test_histogram_buckets_are_cumulative_and_end_at_inf() -> None:
    m = Metrics()
    for seconds in (0.01, 0.011, 7200.0):
        m.schedule_lag("job", seconds)
    s = samples(m)

    def bucket(le: str) -> float:
        return s[("symbiont_cron_schedule_lag_seconds_bucket", (("job_name", "job"), ("le", le)))]

    assert bucket("0.01") == 1  # an observation equal to a bound falls in that bucket
    assert bucket("0.05") == 2
    assert bucket("300.0") == 2
    assert bucket("+Inf") == 3
    assert s[("symbiont_cron_schedule_lag_seconds_count", (("job_name", "job"),))] == 3
