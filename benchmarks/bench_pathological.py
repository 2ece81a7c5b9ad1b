"""Pathological inputs (issue 8 §3): does the language core stay linear? Prints figures; asserts nothing.

    python benchmarks/bench_pathological.py [--scale N] [--render]

For each shape, three sizes (x1, x2, x4 of a base). Each row gives the input size, the time of
parse + checks (`analyze`), the time of the text report (`--render`), the number of diagnostics and the
time per KB of input. Linear means the µs/KB column stays flat as the size doubles; a quadratic stage
doubles it at every step.

Shapes: nested and unclosed `[` and `{`, a run of `[` never closed before `}`, 100k-character lines (a
string, a list of numbers), a file with 10k errors, 10k undefined-agent schedules (the SYM703 notes).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from symbi_lang.api import CheckContext, Source, analyze
from symbi_lang.render import render


def unclosed_brackets(n: int) -> str:
    return "agent a {\n  x: " + "[" * n + "\n}\n"


def nested_closed_brackets(n: int) -> str:
    return "agent a {\n  x: " + "[" * n + "1" + "]" * n + "\n}\n"


def unclosed_braces(n: int) -> str:
    return "agent a {\n  x: " + "{ k: " * n + "1\n}\n"


def nested_blocks_unclosed(n: int) -> str:
    return "schedule s {\n" + "  policy {\n" * n


def stray_closers(n: int) -> str:
    return "agent a {\n  x: 1\n}\n" + "]\n}\n" * n


def long_string_line(n: int) -> str:
    return 'agent a {\n  description: "' + "x" * (n * 100) + '"\n  command: ["true"]\n}\n'


def long_list_line(n: int) -> str:
    return "agent a {\n  command: [" + ", ".join('"a"' for _ in range(n * 25)) + "]\n}\n"


def many_errors(n: int) -> str:
    # one bad cron and one missing value per schedule: 2 errors each
    return "".join(
        f'schedule s{i} {{\n  agent: "a"\n  cron: "0 0 25 * * *"\n  name_x:\n}}\n' for i in range(n)
    )


def undefined_agents(n: int) -> str:
    return "".join(f'schedule s{i} {{\n  agent: "elsewhere"\n  cron: "0 0 9 * * *"\n}}\n' for i in range(n))


SHAPES: list[tuple[str, Callable[[int], str], int]] = [
    ("unclosed [ run", unclosed_brackets, 2_000),
    ("nested [[…]]", nested_closed_brackets, 2_000),
    ("unclosed { k: { k:", unclosed_braces, 1_000),
    ("unclosed nested blocks", nested_blocks_unclosed, 1_000),
    ("stray ] and }", stray_closers, 1_000),
    ("100k-char string line", long_string_line, 1_000),
    ("long list line", long_list_line, 1_000),
    ("many errors (2 per schedule)", many_errors, 1_250),
    ("undefined agent x N", undefined_agents, 2_500),
]


def measure(text: str, with_render: bool) -> tuple[float, float, int]:
    start = time.perf_counter()
    analysis = analyze([Source("p.symbi", text)], CheckContext(env={}))
    analysed = time.perf_counter() - start
    rendered = 0.0
    if with_render:
        start = time.perf_counter()
        render(list(analysis.diagnostics), "text", sources={"p.symbi": text}, files_checked=1)
        rendered = time.perf_counter() - start
    return analysed, rendered, len(analysis.diagnostics)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every base size")
    parser.add_argument("--render", action="store_true", help="also time the text report")
    args = parser.parse_args()
    print(f"{'shape':32} {'size':>10} {'KB':>8} {'analyze s':>10} {'render s':>9} {'diags':>7} {'µs/KB':>9}")
    for name, make, base in SHAPES:
        for factor in (1, 2, 4):
            n = max(1, int(base * args.scale * factor))
            text = make(n)
            kb = len(text.encode()) / 1024
            analysed, rendered, count = measure(text, args.render)
            per_kb = (analysed + rendered) / kb * 1e6
            print(
                f"{name:32} {n:>10,} {kb:>8.1f} {analysed:>10.3f} {rendered:>9.3f} {count:>7,} {per_kb:>9.0f}"
            )
        print()


if __name__ == "__main__":
    main()
