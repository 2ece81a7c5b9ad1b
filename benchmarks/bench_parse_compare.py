"""Parse throughput of this tree against another checkout, in interleaved rounds. Prints; asserts nothing.

    python benchmarks/bench_parse_compare.py --before PATH [--rounds 5] [--schedules 10000] [--runs 3]

Issue 11 asks that parsing our (seed) dialect not get slower. Each round runs one fresh process per
tree (PYTHONPATH = the tree, its runtime/ and lsp/), before first then after, so load on a shared
machine falls on both alike; each process generates the same file as `bench_lang_stages.py` and takes
the best of `--runs` timings per stage:

- parse: `parse()` of the clean file (the path `symbi check` takes on a file without errors);
- parse with an error: the same file with one syntax error in its last schedule, so every tree
  parses it with Lark and its error recovery (what an editor sees while someone types);
- check and lower: the stages after parsing, for scale.

Prints the median over rounds per tree, in ms and MB/s, and the after/before ratio of the medians
(below 1.0 is faster). The worker runs in the other tree with only that tree's modules imported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
STAGES = ("parse", "parse with an error", "check", "lower")


def worker(schedules: int, runs: int) -> None:
    """Time the stages in this process (whichever tree PYTHONPATH names) and print JSON."""
    import time
    from datetime import UTC, datetime

    sys.path.insert(0, str(HERE.parent))
    from bench_lang_stages import make_text

    import symbi_lang
    from symbi_lang.checks import CheckContext, run_checks
    from symbi_lang.lower import lower_modules
    from symbi_lang.parser import parse

    text = make_text(schedules)
    cut = text.rstrip().rfind("\n}")
    broken = text[:cut] + "\n  input: \n}\n"  # a field without a value in the last schedule
    module = parse(text, path="bench.symbi").module
    assert parse(text, path="bench.symbi").ok and not parse(broken, path="bench.symbi").ok
    ctx = CheckContext(env={"HOOK_URL": "u", "TOKEN": "t"}, now=datetime(2026, 6, 1, tzinfo=UTC))

    def best(fn: object) -> float:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()  # type: ignore[operator]
            times.append(time.perf_counter() - t)
        return min(times)

    out = {
        "package": str(Path(symbi_lang.__file__).parent.parent),
        "mb": len(text.encode()) / 1e6,
        "parse": best(lambda: parse(text, path="bench.symbi")),
        "parse with an error": best(lambda: parse(broken, path="bench.symbi")),
        "check": best(lambda: run_checks([module], ctx)),
        "lower": best(lambda: lower_modules([module])),
    }
    print(json.dumps(out))


def run_tree(tree: Path, schedules: int, runs: int) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (tree, tree / "runtime", tree / "lsp"))
    argv = [sys.executable, str(HERE), "--worker", "--schedules", str(schedules), "--runs", str(runs)]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, cwd=tree)
    if proc.returncode != 0:
        sys.exit(f"worker in {tree} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if Path(result["package"]) != tree:
        sys.exit(f"the worker for {tree} imported symbi_lang from {result['package']}")
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--before", type=Path, help="the other checkout (e.g. a `git worktree add` of the old commit)"
    )
    ap.add_argument("--after", type=Path, default=HERE.parent.parent, help="default: this checkout")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--schedules", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3, help="timings per stage in one process (best taken)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.schedules, args.runs)
        return
    if args.before is None or not (args.before / "symbi_lang").is_dir():
        sys.exit("--before must name a checkout of symbi (a folder with symbi_lang/)")
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for i in range(args.rounds):
        for name, tree in trees.items():
            results[name].append(run_tree(tree, args.schedules, args.runs))
        line = "  ".join(f"{name} parse {results[name][-1]['parse'] * 1000:.0f} ms" for name in trees)
        print(f"round {i + 1}/{args.rounds}: {line}", flush=True)
    mb = results["after"][0]["mb"]
    print(f"\n{args.schedules} schedules, {mb:.2f} MB; medians of {args.rounds} interleaved rounds")
    print(f"  before = {trees['before']}\n  after  = {trees['after']}")
    print(f"  {'stage':22} {'before':>16} {'after':>16}  after/before")
    for stage in STAGES:
        med = {name: statistics.median(r[stage] for r in results[name]) for name in trees}
        cells = [f"{med[n] * 1000:6.0f} ms {mb / med[n]:5.2f} MB/s" for n in trees]
        print(f"  {stage:22} {cells[0]:>16} {cells[1]:>16}  {med['after'] / med['before']:.3f}")


if __name__ == "__main__":
    main()
