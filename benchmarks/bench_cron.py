"""Cron figures: median µs for CronSpec.parse (cold and cached), next_after, and croniter for comparison.

Run: python benchmarks/bench_cron.py
"""

from __future__ import annotations

import itertools
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from symbi_lang import cron
from symbi_lang.cron import CronSpec, never_fires

CASES = [
    ("0 0 9 * * 1-5", "UTC"),
    ("0 */15 * * * *", "America/New_York"),
    ("0 30 2 * * *", "America/New_York"),
    ("* * * * * *", "UTC"),
    ("0 0 18 ? * 5L", "Europe/Berlin"),
    ("0 0 0 29 2 *", "UTC"),
    ("0 0 12 1 1 * 2099", "UTC"),
]
START = datetime(2027, 3, 13, 12, tzinfo=UTC)


def median_us(fn: Callable[[], object], rounds: int = 7, number: int = 300) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number * 1e6)
    return statistics.median(samples)


def import_ms() -> float:
    code = "import time; t = time.perf_counter(); import symbi_lang.cron; print(time.perf_counter() - t)"
    runs = []
    for _ in range(5):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        runs.append(float(done.stdout))
    return statistics.median(runs) * 1e3


def main() -> None:
    from croniter import croniter

    print(f"import symbi_lang.cron (fresh interpreter, median of 5): {import_ms():.1f} ms")
    header = (
        f"{'expression':<22} {'zone':<17} {'parse cold':>10} {'cached':>7} {'next':>7} {'next_n 100/ea':>13}"
    )
    print(header + f" {'croniter ctor+next':>19}")
    for expr, zone in CASES:

        def cold(expr: str = expr, zone: str = zone) -> object:
            cron._parse_cached.cache_clear()
            return CronSpec.parse(expr, zone)

        def cached(expr: str = expr, zone: str = zone) -> object:
            return CronSpec.parse(expr, zone)

        spec = CronSpec.parse(expr, zone)
        starts = (START + timedelta(seconds=17 * i) for i in itertools.count())

        def nxt_call(spec: CronSpec = spec, starts: Iterator[datetime] = starts) -> object:
            return spec.next_after(next(starts))

        def many_call(spec: CronSpec = spec) -> object:
            return spec.next_n(START, 100)

        parse_cold = median_us(cold)
        parse_cached = median_us(cached)
        nxt = median_us(nxt_call)
        many = median_us(many_call, rounds=5, number=10) / 100
        try:
            import zoneinfo

            local = START.astimezone(zoneinfo.ZoneInfo(zone))

            def theirs_next(e: str = expr, s: datetime = local) -> object:
                return croniter(e, s, second_at_beginning=True).get_next(datetime)

            theirs = f"{median_us(theirs_next):>19.1f}"
        except Exception as e:  # croniter rejects some forms we accept (e.g. day-of-week 5L)
            theirs = f"{'rejects: ' + type(e).__name__:>19}"[:19]
        row = f"{expr:<22} {zone:<17} {parse_cold:>10.1f} {parse_cached:>7.2f} {nxt:>7.1f} {many:>13.1f}"
        print(f"{row} {theirs:>19}")
    impossible = CronSpec.parse("0 0 0 30 2 *")
    print(f"never_fires('0 0 0 30 2 *'): {median_us(lambda: never_fires(impossible, START)):.1f} µs")
    exhausted = CronSpec.parse("0 0 0 * * * 2020-2025")
    print(f"never_fires('0 0 0 * * * 2020-2025'): {median_us(lambda: never_fires(exhausted, START)):.1f} µs")
    print("(µs per call, medians; next = next_after from a varying start; next_n 100/ea = per fire)")


if __name__ == "__main__":
    main()
