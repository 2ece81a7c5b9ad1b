"""Per-stage throughput of the language pipeline on a generated file. Prints figures; asserts nothing.

    python benchmarks/bench_lang_stages.py [--schedules N] [--runs R]

Parse, check (every semantic check, cross-file ones included) and lower (to the Job IR), each the best
of R runs in one process, in MB/s of input text; plus the distinct cron expressions the checks parsed.
Target (issue 2): parse + check + lower >= 0.5 MB/s on 10,000 schedules.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime

from symbi_lang.checks import CheckContext, run_checks
from symbi_lang.lower import lower_modules
from symbi_lang.parser import parse

CRONS = ["0 0 9 * * 1-5", "0 */15 * * * *", "0 30 2 * * *", "0 0 0 1 * *", "*/20 * * * * *", "0 0 18 * * FRI"]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]


def schedule(i: int) -> str:
    policy = (
        '\n  policy {\n    max_runtime: "5m"\n    allowed_hours: { start: "00:00", end: "23:00" }\n  }'
        if i % 3 == 0
        else ""
    )
    heartbeat = "\n  heartbeat: { enabled: true, max_iterations: 20 }" if i % 5 == 0 else ""
    webhook = (
        '\n  webhook_url: "${HOOK_URL}"\n  webhook_headers: { "Authorization": "Bearer ${TOKEN}" }'
        if i % 7 == 0
        else ""
    )
    delivery = '["log_file", "webhook"]' if i % 7 == 0 else '["log_file"]'
    return (
        f"\n# schedule number {i}\nschedule job_{i} {{\n"
        f'  agent: "agent_{i % 10}"\n  cron: "{CRONS[i % len(CRONS)]}"\n'
        f'  timezone: "{ZONES[i % len(ZONES)]}"\n'
        f'  description: "Synthetic schedule {i}"\n  input: "Run number {i}"\n'
        f"  delivery: {delivery}{webhook}{policy}{heartbeat}\n}}\n"
    )


def make_text(n: int) -> str:
    agents = "".join(f'\nagent agent_{a} {{\n  command: ["echo", "{a}"]\n}}\n' for a in range(10))
    return agents + "".join(schedule(i) for i in range(n))


def best(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schedules", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    text = make_text(args.schedules)
    mb = len(text.encode()) / 1e6
    module = parse(text, path="bench.symbi").module
    ctx = CheckContext(env={"HOOK_URL": "u", "TOKEN": "t"}, now=datetime.now(UTC))
    diagnostics = run_checks([module], ctx)
    t_parse = best(lambda: parse(text, path="bench.symbi"), args.runs)
    t_check = best(lambda: run_checks([module], ctx), args.runs)
    t_lower = best(lambda: lower_modules([module]), args.runs)
    total = t_parse + t_check + t_lower
    print(f"{args.schedules} schedules, {mb:.2f} MB, {len(diagnostics)} diagnostics")
    for name, t in (("parse", t_parse), ("check", t_check), ("lower", t_lower), ("total", total)):
        per = t / args.schedules * 1e6
        print(f"  {name:6} {t * 1000:8.0f} ms  {mb / t:6.2f} MB/s  {per:6.1f} µs/schedule")
    print(f"  parse + check + lower: {mb / total:.2f} MB/s (target >= 0.5)")


if __name__ == "__main__":
    main()
