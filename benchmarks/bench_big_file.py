"""One 10,000-schedule file through every command that reads it, in the same run (issue 14).

    python benchmarks/bench_big_file.py [--schedules N] [--rounds R] [--skip-docs]

Each round runs, in this order, fresh processes of: `symbi check`, `symbi compile`, `symbi cron add` into
a new database (first load), `symbi cron add` again (every job unchanged), and `symbi docs` (HTML) into
a new directory; rounds are interleaved so the machine's load shifts every command alike. Figures are
medians of wall time, with each process's peak RSS; ratios are taken against `check` within a round.
Then `symbi cron list` on a 1,000-job database (median of the rounds).

Targets: compile <= 1.3x check; first load <= 1.5x check; unchanged reload <= 1.1x check;
docs <= 10 s and <= 200 MB peak; cron list of 1,000 jobs < 167 ms (printed with `python -c pass` in
the same rounds).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_check import make_file


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MB) of one fresh `symbi` process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "symbi_lang.cli.main", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        sys.exit(f"symbi {' '.join(argv[:2])} failed (exit {proc.returncode}): {err.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run_python(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a bare interpreter: the same-run baseline for start-up figures."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *argv], env=env)
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-docs", action="store_true")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        big = tmp / "big.symbi"
        make_file(big, args.schedules)
        size_mb = big.stat().st_size / 1e6
        commands: dict[str, list[str]] = {
            "check": ["check", str(big)],
            "compile": ["compile", str(big)],
            "cron add (first load)": ["cron", "add", "-f", str(big), "--db", "{db}"],
            "cron add (unchanged)": ["cron", "add", "-f", str(big), "--db", "{db}"],
        }
        if not args.skip_docs:
            commands["docs (html)"] = ["docs", str(big), "-o", "{out}", "--now", "2026-03-02T12:00:00Z"]
        run(["check", str(big)], env)  # warm caches and bytecode
        walls: dict[str, list[float]] = {k: [] for k in commands}
        cpus: dict[str, list[float]] = {k: [] for k in commands}
        rss: dict[str, list[float]] = {k: [] for k in commands}
        for r in range(args.rounds):
            db, out = tmp / f"round{r}.db", tmp / f"docs{r}"
            for label, argv in commands.items():
                wall, cpu, peak = run([a.format(db=db, out=out) for a in argv], env)
                walls[label].append(wall)
                cpus[label].append(cpu)
                rss[label].append(peak)
        print(
            f"{args.schedules} schedules in one file ({size_mb:.1f} MB), median of {args.rounds} interleaved "
            "rounds (wall s, CPU s, peak RSS MB; ratio to check's CPU time in the same round)"
        )
        for label in commands:
            ratio = statistics.median(w / c for w, c in zip(cpus[label], cpus["check"], strict=True))
            wall, cpu = statistics.median(walls[label]), statistics.median(cpus[label])
            print(
                f"  {label:<24} {wall:7.2f} s wall {cpu:7.2f} s CPU {statistics.median(rss[label]):6.0f} MB"
                f"  {ratio:5.2f}x check"
            )

        targets = {"compile": 1.3, "cron add (first load)": 1.5, "cron add (unchanged)": 1.1}
        for label, limit in targets.items():
            ratio = statistics.median(c / k for c, k in zip(cpus[label], cpus["check"], strict=True))
            print(f"{label} / check: {ratio:.2f}x CPU (target <= {limit})")
        if not args.skip_docs:
            docs = "docs (html)"
            print(
                f"symbi docs on {args.schedules} schedules: {statistics.median(cpus[docs]):.1f} s CPU, "
                f"{statistics.median(walls[docs]):.1f} s wall, {max(rss[docs]):.0f} MB peak RSS "
                "(target <= 10 s, <= 200 MB)"
            )

        listing = tmp / "thousand.symbi"
        make_file(listing, 1000)
        db = tmp / "thousand.db"
        run(["cron", "add", "-f", str(listing), "--db", str(db)], env)
        lists: list[tuple[float, float]] = []
        bare: list[tuple[float, float]] = []
        for _ in range(max(5, args.rounds)):  # interleaved with the bare interpreter's start-up
            lists.append(run(["cron", "list", "--db", str(db)], env)[:2])
            bare.append(run_python(["-c", "pass"], env))
        ratio = statistics.median(c / b for (_, c), (_, b) in zip(lists, bare, strict=True))
        print(
            f"`symbi cron list` on 1,000 jobs: median {statistics.median(w for w, _ in lists) * 1000:.0f} ms "
            f"wall, {statistics.median(c for _, c in lists) * 1000:.0f} ms CPU (target < 167); "
            f"`python -c pass` {statistics.median(w for w, _ in bare) * 1000:.0f} ms wall, "
            f"{statistics.median(c for _, c in bare) * 1000:.0f} ms CPU; ratio {ratio:.1f}x its CPU"
        )


if __name__ == "__main__":
    main()
