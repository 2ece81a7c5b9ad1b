"""Formatter throughput on a big generated file. Prints figures; asserts nothing.

    python benchmarks/bench_fmt.py [--schedules N] [--runs R]

Measures, in one process (medians over R runs):
1. `format_text` end to end: parse, format, re-parse, compare trees, format again (what `symbi fmt` does).
2. `format_module` alone on an already parsed module (the printer's own cost).
Reports MB/s of input and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

from symbi_lang.fmt import format_module, format_text
from symbi_lang.parser import parse


def schedule(i: int) -> str:
    """One messy schedule: odd spacing, commas, comments, a triple string, lists and maps."""
    return f"""
# schedule number {i}
schedule job_{i}{{ agent:"agent_{i % 10}", cron : "0 */{i % 50 + 1} * * * *"   // every few minutes
    description: "Synthetic schedule {i}"
  delivery:[ "stdout","log_file", ]
      webhook_headers: {{ "Authorization": "Bearer ${{TOKEN_{i % 7}}}", "X-Job": "{i}" }}
  policy {{ max_runtime: "5m", allowed_hours: {{ start: "00:00", end: "23:00" }} }}
  input: \"\"\"
      Process batch {i}.
        Keep the indentation.
      \"\"\"
}}
"""


def median_seconds(fn: object, runs: int) -> float:
    assert callable(fn)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    text = "".join(schedule(i) for i in range(args.schedules))
    megabytes = len(text.encode("utf-8")) / 1e6
    result = format_text(text, path="big.symbi")
    assert result.ok, result.reason
    module = parse(text, path="big.symbi").module

    end_to_end = median_seconds(lambda: format_text(text, path="big.symbi"), args.runs)
    printer = median_seconds(lambda: format_module(module), args.runs)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"input: {args.schedules} schedules, {megabytes:.2f} MB, {text.count(chr(10))} lines")
    print(f"format_text (parse, format, re-parse, compare, re-format): median {end_to_end * 1000:.0f} ms"
          f" = {megabytes / end_to_end:.2f} MB/s")  # fmt: skip
    print(f"format_module alone: median {printer * 1000:.0f} ms = {megabytes / printer:.2f} MB/s")
    print(f"peak RSS of this process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
