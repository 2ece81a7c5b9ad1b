"""Start-up cost of `symbi check` on one small file against the bare interpreter, in the same run.

    python benchmarks/bench_startup.py [--rounds N]

Rounds are interleaved (bare interpreter, then `symbi check`, then the import-only figures), so a
machine shared with other work slows both sides alike; the figures are medians over the rounds and the
ratio is taken within each round. CPU time is the child's user+system time (getrusage), which other
load on the machine disturbs far less than wall time. Child processes may write bytecode caches
(PYTHONDONTWRITEBYTECODE is dropped), as an installed package has them; `--no-bytecode-cache` measures
a source checkout whose modules are compiled on every start (bytecode caches already present are
still read).

Targets (issue 14): median wall <= 100 ms, and <= 7.5x the bare interpreter.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_check import make_file


def child_env(bytecode_cache: bool) -> dict[str, str]:
    env = dict(os.environ)
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, child CPU seconds, exit code) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, check=False, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="compile every module from source, as a checkout run with PYTHONDONTWRITEBYTECODE=1 does",
    )
    args = parser.parse_args()
    env = child_env(not args.no_bytecode_cache)
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "twenty.symbi"
        make_file(small, 20)
        cases = {
            "bare interpreter (python -c pass)": [sys.executable, "-c", "pass"],
            "symbi check (20 schedules)": [sys.executable, "-m", "symbi_lang.cli.main", "check", str(small)],
            "symbi --help": [sys.executable, "-m", "symbi_lang.cli.main", "--help"],
            "import symbi_lang.cli.main": [sys.executable, "-c", "import symbi_lang.cli.main"],
        }
        for argv in cases.values():  # warm the OS file cache and write bytecode caches once
            run(argv, env)
        walls: dict[str, list[float]] = {k: [] for k in cases}
        cpus: dict[str, list[float]] = {k: [] for k in cases}
        wall_ratio: list[float] = []
        cpu_ratio: list[float] = []
        for _ in range(args.rounds):
            for label, argv in cases.items():
                wall, cpu, code = run(argv, env)
                if code != 0:
                    sys.exit(f"{label} failed (exit {code})")
                walls[label].append(wall)
                cpus[label].append(cpu)
            bare, check = "bare interpreter (python -c pass)", "symbi check (20 schedules)"
            wall_ratio.append(walls[check][-1] / walls[bare][-1])
            cpu_ratio.append(cpus[check][-1] / max(cpus[bare][-1], 1e-4))
        caches = "without writing" if args.no_bytecode_cache else "with"
        print(f"start-up {caches} bytecode caches, {args.rounds} interleaved rounds, medians (wall / CPU ms)")
        for label in cases:
            print(
                f"  {label:<36} {statistics.median(walls[label]) * 1000:6.0f} wall "
                f"{statistics.median(cpus[label]) * 1000:6.0f} CPU"
            )
        print(
            f"symbi check on one small file: median {statistics.median(walls[check]) * 1000:.0f} ms wall "
            f"(target <= 100); ratio to the bare interpreter in the same round: wall "
            f"{statistics.median(wall_ratio):.2f}x, CPU {statistics.median(cpu_ratio):.2f}x (target <= 7.5)"
        )


if __name__ == "__main__":
    main()
