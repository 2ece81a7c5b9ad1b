"""`symbi docs` figures: heat-map counting (per-hour vs. plain iteration) and whole-site generation.

Run: python benchmarks/bench_docs.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from symbi_lang.cron import CronSpec
from symbi_lang.docs.generate import DocFormat, render_site, write_site
from symbi_lang.docs.heatmap import count_cron_fires
from symbi_lang.docs.model import build_site
from symbi_lang.ir import JobDefinition, JobSet

NOW = datetime(2026, 10, 29, 12, tzinfo=UTC)  # the window holds New York's fall-back
WEEK = timedelta(days=7)


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    print("heat map of one week, per-hour counting vs. iterating every fire (median ms)")
    for expr, tz in [
        ("* * * * * *", "UTC"),
        ("* * * * * *", "America/New_York"),
        ("*/20 * * * * *", "Europe/Berlin"),
        ("0 */5 * * * *", "America/New_York"),
        ("0 0 9 * * MON-FRI", "Europe/Berlin"),
    ]:
        spec = CronSpec.parse(expr, tz)
        fires = count_cron_fires(spec, tz, NOW, NOW + WEEK).total
        fast = median_ms(lambda s=spec, z=tz: count_cron_fires(s, z, NOW, NOW + WEEK), 5)
        slow = median_ms(
            lambda s=spec, z=tz: count_cron_fires(s, z, NOW, NOW + WEEK, iteration_limit=10**9), 1
        )
        print(f"  {expr:<20} {tz:<17} {fires:>8} fires  default {fast:8.1f}  iterate-all {slow:9.1f}")

    examples = Path(__file__).resolve().parents[1] / "examples"
    from symbi_lang.api import analyze_paths

    jobset = analyze_paths([examples]).jobset()
    many = JobSet(
        jobs=tuple(
            JobDefinition(
                name=f"job-{i}", agent_id="a", cron_expr=f"0 {i % 60} */{1 + i % 6} * * *", timezone=tz
            )
            for i, tz in zip(
                range(200), ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"] * 50, strict=True
            )
        )
    )
    print("whole site: build (next runs + heat maps) and render, in memory (median ms)")
    for label, js in [
        (f"examples/ ({len(jobset.jobs)} schedules)", jobset),
        ("200 synthetic schedules", many),
    ]:
        for fmt in DocFormat:
            ms = median_ms(lambda j=js, f=fmt: render_site(build_site(j, NOW), f), 5)
            print(f"  {label:<28} {fmt.value:<4} {ms:8.1f}")
    with tempfile.TemporaryDirectory() as out:
        ms = median_ms(lambda: write_site(render_site(build_site(many, NOW), DocFormat.MD), Path(out)), 3)
        print(f"  200 synthetic schedules, md, written to disk: {ms:.1f} ms")


if __name__ == "__main__":
    main()
