"""The cron golden table (`cron_golden.txt`): expression, zone, start → next fire times | errors.

Each case is a block of `key value` lines (values start at column 10) headed by `== title`:

    cron      the expression (verbatim; a caret line under an `error` points into it)
    zone      IANA zone (default UTC)          after   start instant (default 2026-11-25T14:00:00Z)
    n         how many fire times (default 5)
    error     kind [field] message  — then a caret line and an optional `help` line, one per error
    next      the fire times, one per line, in the zone's local time with its offset; `(none)` if none
    never     what `never_fires(spec, after)` says, when it says something
    describe  `CronSpec.describe()`

The expected blocks are pinned: a croniter upgrade or a code change that alters meaning fails here.
After a deliberate change, `python tests/lang/test_cron_golden.py --update` rewrites the outputs from the
inputs (cron/zone/after/n); review the diff line by line before committing it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from symbi_lang.cron import CronSpec, never_fires, validate

GOLDEN = Path(__file__).with_name("cron_golden.txt")
COL = 10
DEFAULT_AFTER = "2026-11-25T14:00:00Z"
DEFAULT_N = 5
INPUT_KEYS = ("cron", "zone", "after", "n")


@dataclass(frozen=True)
class Case:
    title: str
    cron: str
    zone: str
    after: str
    n: int
    expected: str  # the whole block as written in the file

    @property
    def id(self) -> str:
        return self.title


def _key_value(line: str) -> tuple[str, str]:
    key = line[:COL].strip()
    return key, line[COL:]


def read_cases(text: str) -> list[Case]:
    cases: list[Case] = []
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("== "):
            blocks.append([line])
        elif blocks and line.strip() and not line.startswith("#"):
            blocks[-1].append(line)
    for block in blocks:
        inputs: dict[str, str] = {}
        for line in block[1:]:
            key, value = _key_value(line)
            if key in INPUT_KEYS:
                inputs[key] = value
        if "cron" not in inputs:
            raise ValueError(f"golden case {block[0]!r} has no cron line")
        cases.append(
            Case(
                title=block[0][3:].strip(),
                cron=inputs["cron"],
                zone=inputs.get("zone", "UTC").strip(),
                after=inputs.get("after", DEFAULT_AFTER).strip(),
                n=int(inputs.get("n", str(DEFAULT_N))),
                expected="\n".join(block),
            )
        )
    return cases


def _line(key: str, value: str) -> str:
    return f"{key:<{COL}}{value}".rstrip()


def render(case: Case) -> str:
    """The block for `case`, computed from its inputs."""
    lines = [f"== {case.title}", _line("cron", case.cron)]
    if case.zone != "UTC":
        lines.append(_line("zone", case.zone))
    if case.after != DEFAULT_AFTER:
        lines.append(_line("after", case.after))
    if case.n != DEFAULT_N:
        lines.append(_line("n", str(case.n)))
    errors = validate(case.cron, case.zone)
    if errors:
        for e in errors:
            field = f" [{e.field}]" if e.field else ""
            lines.append(_line("error", f"{e.kind.value}{field} {e.message}"))
            if e.end > e.start:
                lines.append(" " * (COL + e.start) + "^" * (e.end - e.start))
            if e.help:
                lines.append(_line("help", e.help))
        return "\n".join(lines)
    spec = CronSpec.parse(case.cron, case.zone)
    after = datetime.fromisoformat(case.after.replace("Z", "+00:00"))
    zone = ZoneInfo(case.zone)
    times = spec.next_n(after, case.n)
    if not times:
        lines.append(_line("next", "(none)"))
    for i, t in enumerate(times):
        lines.append(_line("next" if i == 0 else "", t.astimezone(zone).isoformat()))
    problem = never_fires(spec, after)
    if problem is not None:
        lines.append(_line("never", f"{problem.kind.value}: {problem.message}"))
    lines.append(_line("describe", spec.describe()))
    return "\n".join(lines)


CASES = read_cases(GOLDEN.read_text(encoding="utf-8"))


def test_golden_file_has_the_required_coverage() -> None:
    titles = " ".join(c.title for c in CASES)
    topics = [
        *("spring-forward", "fall-back", "Lord_Howe", "Feb 29", "day 31", "OR", "year", "never", "reversed"),
        *("3-3", "name", " L ", " W ", " # ", "macro", "7 is Sunday", "5 fields", "caret"),
    ]
    for topic in topics:
        assert topic in f" {titles} ", topic
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_golden(case: Case) -> None:
    assert render(case) == case.expected


def _update() -> None:
    text = GOLDEN.read_text(encoding="utf-8")
    head = text[: text.index("\n== ") + 1] if not text.startswith("== ") else ""
    GOLDEN.write_text(head + "\n\n".join(render(c) for c in read_cases(text)) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        _update()
    else:
        sys.exit("usage: python tests/lang/test_cron_golden.py --update")
