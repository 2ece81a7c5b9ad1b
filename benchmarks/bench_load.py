"""Loading a 10,000-schedule file into the runtime, against checking it, in one process (issue 14).

    python benchmarks/bench_load.py [--schedules N] [--rounds R]

Each round, in this order: checking the file (`analyze_paths`, what `symbi check` does after start-up),
`Runtime.load_paths` into a new SQLite store (what `symbi up` does before running: check, lower, store),
`load_paths` again into that store (a restart with every job unchanged), and `Store.upsert_jobs` of the
file's 10,000 lowered jobs into a new store (one transaction: the bulk add). Figures are medians of CPU
time over interleaved rounds; ratios are taken against checking within a round. Interpreter start-up and
imports are left out (bench_big_file.py measures whole `symbi` processes).

Targets: first load <= 1.5x check; unchanged reload <= 1.1x check; bulk add of 10k jobs <= 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_check import make_file
from symbi_runtime.clock import FakeClock
from symbi_runtime.config import Config
from symbi_runtime.pipeline import NullMetrics
from symbi_runtime.runtime import Runtime
from symbi_runtime.store import SqliteStore

from symbi_lang.api import analyze_paths

NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


def cpu(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        big = tmp / "big.symbi"
        make_file(big, args.schedules)
        jobs = list(analyze_paths([big]).jobset().jobs)
        figures: dict[str, list[float]] = {
            "check": [],
            "load (first)": [],
            "load (unchanged)": [],
            "bulk add": [],
        }
        for r in range(args.rounds):
            db = tmp / f"load{r}.db"
            rt = Runtime(Config(), db_path=db, clock=FakeClock(NOW), env={}, metrics=NullMetrics())
            rt.open()

            def load(runtime: Runtime = rt) -> None:
                runtime.load_paths([big], require_agents=False)

            figures["check"].append(cpu(lambda: analyze_paths([big])))
            figures["load (first)"].append(cpu(load))
            figures["load (unchanged)"].append(cpu(load))
            rt.close()
            store = SqliteStore.open(tmp / f"bulk{r}.db")
            figures["bulk add"].append(cpu(lambda s=store: s.upsert_jobs(jobs, now=NOW)))  # type: ignore[misc]
            store.close()
        print(
            f"{args.schedules} schedules in one file, in-process CPU time, median of {args.rounds} "
            "interleaved rounds (ratio to checking the file in the same round)"
        )
        for label, values in figures.items():
            ratio = statistics.median(v / c for v, c in zip(values, figures["check"], strict=True))
            print(f"  {label:<18} {statistics.median(values):7.2f} s CPU  {ratio:5.2f}x check")
        first = statistics.median(_ratios(figures, "load (first)"))
        unchanged = statistics.median(_ratios(figures, "load (unchanged)"))
        print(
            f"loading ratio: first load {first:.2f}x check (target <= 1.5), unchanged reload "
            f"{unchanged:.2f}x check (target <= 1.1); bulk add of {len(jobs)} jobs in one transaction "
            f"{statistics.median(figures['bulk add']) * 1000:.0f} ms CPU (target <= 500)"
        )


def _ratios(figures: dict[str, list[float]], label: str) -> list[float]:
    return [v / c for v, c in zip(figures[label], figures["check"], strict=True)]


if __name__ == "__main__":
    main()
