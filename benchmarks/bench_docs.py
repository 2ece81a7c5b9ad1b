"""`symbi docs` figures: heat-map counting (per-hour vs. plain iteration), whole-site generation, and
`symbi docs --with-ics` on the 1,000-schedule benchmark file (a fresh process: CPU time and peak RSS;
issue 14 measured 2 min of CPU and 1.1 GB there before calendars were bounded).

Run: python benchmarks/bench_docs.py   (the 10,000-schedule `symbi docs` figure: bench_big_file.py)
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
    with_ics()


def with_ics(schedules: int = 1000) -> None:
    """`symbi docs --with-ics` in a fresh process on bench_check's file (a sixth of it fires every
    20 seconds, half of those in New York across the 2026-03-08 spring-forward)."""
    import os
    import subprocess
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_check import make_file

    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "fleet.symbi", Path(d) / "site"
        make_file(src, schedules)
        argv = ["docs", str(src), "-o", str(out), "--with-ics", "--now", "2026-03-02T12:00:00Z"]
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "symbi_lang.cli.main", *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        size = sum(f.stat().st_size for f in (out / "calendar").iterdir()) / 1e6
        print(
            f"symbi docs --with-ics on {schedules} schedules: {usage.ru_utime + usage.ru_stime:.1f} s CPU, "
            f"{wall:.1f} s wall, {usage.ru_maxrss / 1024:.0f} MB peak RSS, {size:.0f} MB of calendars "
            f"(exit {os.waitstatus_to_exitcode(status)})"
        )


if __name__ == "__main__":
    main()
