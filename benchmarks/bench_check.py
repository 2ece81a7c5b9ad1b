"""Benchmarks for `symbi check` (issue 2). Prints figures; asserts nothing.

    python benchmarks/bench_check.py [--runs N]

1. Cold start: median wall time of `symbi check` (a fresh process each run) on a 20-schedule file.
   Target: <= 200 ms.
2. Throughput: `symbi check` on a 10,000-schedule file, MB/s of input and peak RSS of the process.
   Targets: >= 0.5 MB/s, < 400 MB.
3. Herd detection (SYM220, issue 12): CPU time of the herd check on that file's modules, as a share of
   checking it without the herd check (in-process CPU time, so other load on the machine counts less).
   Target: <= 20 %.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CRONS = ["0 0 9 * * 1-5", "0 */15 * * * *", "0 30 2 * * *", "0 0 0 1 * *", "*/20 * * * * *", "0 0 18 * * FRI"]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]


def schedule(i: int) -> str:
    cron = CRONS[i % len(CRONS)]
    zone = ZONES[i % len(ZONES)]
    extra = ""
    if i % 3 == 0:
        extra = """
  policy {
    require_approval: false
    max_runtime: "5m"
    allowed_hours: { start: "00:00", end: "23:00" }
  }"""
    if i % 5 == 0:
        extra += """
  heartbeat: {
    enabled: true
    context_mode: "ephemeral_with_summary"
    max_iterations: 20
  }"""
    return f"""
# schedule number {i}
schedule job_{i} {{
  agent: "agent_{i % 10}"
  cron: "{cron}"
  timezone: "{zone}"
  description: "Synthetic schedule {i} for the benchmark"
  input: "Process batch {i}"
  session_mode: "ephemeral_with_summary"
  delivery: ["stdout", "log_file"]
  max_concurrent: 2
  max_retries: 3{extra}
}}
"""


def make_file(path: Path, n: int) -> None:
    agents = "".join(
        f'\nagent agent_{a} {{\n  description: "Agent {a}"\n  command: ["echo", "{a}"]\n}}\n'
        for a in range(10)
    )
    path.write_text(agents + "".join(schedule(i) for i in range(n)), encoding="utf-8")


def run_check(path: Path) -> tuple[float, int, int]:
    """Wall seconds, exit code and the child's peak RSS in KiB (max so far over all children)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "check", str(path)], capture_output=True, check=False
    )
    wall = time.perf_counter() - start
    return wall, proc.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "twenty.symbi"
        make_file(small, 20)
        run_check(small)  # warm the OS file cache and Lark's grammar cache once
        walls = []
        for _ in range(args.runs):
            wall, code, _ = run_check(small)
            if code != 0:
                sys.exit(f"check failed on the 20-schedule file (exit {code})")
            walls.append(wall)
        print(
            f"cold `symbi check` on 20 schedules: median {statistics.median(walls) * 1000:.0f} ms "
            f"(min {min(walls) * 1000:.0f}, max {max(walls) * 1000:.0f}, {args.runs} runs; target <= 200 ms)"
        )

        big = Path(tmp) / "ten_thousand.symbi"
        make_file(big, 10_000)
        size_mb = big.stat().st_size / 1e6
        wall, code, rss_kib = run_check(big)
        if code != 0:
            sys.exit(f"check failed on the 10k-schedule file (exit {code})")
        print(
            f"`symbi check` on 10,000 schedules ({size_mb:.2f} MB): {wall:.2f} s, "
            f"{size_mb / wall:.2f} MB/s (target >= 0.5), peak RSS {rss_kib / 1024:.0f} MB (target < 400)"
        )
        herd_share(big)


def herd_share(path: Path) -> None:
    """CPU seconds of analysing `path` without the herd check, and of the herd check alone."""
    from datetime import UTC, datetime

    from symbi_lang import checks
    from symbi_lang.api import CheckContext, analyze, collect_sources
    from symbi_lang.checks.herd import check_herd

    sources, _ = collect_sources([path])
    ctx = CheckContext(now=datetime(2027, 3, 24, tzinfo=UTC))
    without = tuple(c for c in checks.PROJECT_CHECKS if c is not check_herd)
    saved, checks.PROJECT_CHECKS = checks.PROJECT_CHECKS, without
    try:
        t0 = time.process_time()
        analysis = analyze(sources, ctx)
        base = time.process_time() - t0
    finally:
        checks.PROJECT_CHECKS = saved
    t0 = time.process_time()
    found = list(check_herd(analysis.modules, ctx))
    herd = time.process_time() - t0
    print(
        f"herd check on 10,000 schedules: {herd * 1000:.0f} ms CPU, {100 * herd / base:.1f} % of the "
        f"{base:.2f} s check without it (target <= 20 %); {len(found)} warning(s)"
    )


if __name__ == "__main__":
    main()
