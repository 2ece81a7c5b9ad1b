"""Durations as written in `.symbi` files: `"90s"`, `"5m"`, `"1h30m"`, `"2d"` → whole seconds.

Units `d`, `h`, `m`, `s`, each at most once, largest first, each with a whole number. A bare number
has no unit and is an error in a string (fields that take durations also accept an integer of seconds).
"""

from __future__ import annotations

import re

UNITS: dict[str, int] = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"([0-9]+)([A-Za-z]*)")


class DurationError(ValueError):
    """A malformed duration; `start`/`end` are offsets into the text, `help` says how to fix it."""

    def __init__(self, message: str, start: int, end: int, help: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end
        self.help = help


_HELP = 'write a number followed by a unit `d`, `h`, `m` or `s`, largest first: "90s", "5m", "1h30m"'


def parse_duration(text: str) -> int:
    """The number of seconds `text` stands for; raises `DurationError` pointing at the bad part."""
    if not text:
        raise DurationError("empty duration", 0, 0, _HELP)
    total = 0
    pos = 0
    last_rank = -1
    order = list(UNITS)
    n = len(text)
    while pos < n:
        m = _PART.match(text, pos)
        if m is None:
            end = pos + 1
            while end < n and text[end] not in "0123456789":
                end += 1
            raise DurationError(f"expected a number at `{text[pos:end]}`", pos, end, _HELP)
        number, unit = m.group(1), m.group(2)
        if not unit:
            if m.end() < n:  # e.g. "1.5h": a fraction
                raise DurationError(f"unexpected `{text[m.end()]}` in duration", m.end(), m.end() + 1, _HELP)
            raise DurationError(
                f"duration `{text}` has no unit", m.start(), m.end(), f'add a unit, e.g. "{number}s"'
            )
        u_start = m.start(2)
        if unit not in UNITS:
            raise DurationError(f"unknown duration unit `{unit}`", u_start, m.end(), _HELP)
        rank = order.index(unit)
        if rank <= last_rank:
            raise DurationError(f"unit `{unit}` is repeated or out of order", u_start, m.end(), _HELP)
        last_rank = rank
        total += int(number) * UNITS[unit]
        pos = m.end()
    return total


def format_duration(seconds: int) -> str:
    """The canonical text of a number of seconds: 5400 → "1h30m", 0 → "0s"."""
    if seconds <= 0:
        return "0s"
    parts: list[str] = []
    for unit, size in UNITS.items():
        q, seconds = divmod(seconds, size)
        if q:
            parts.append(f"{q}{unit}")
    return "".join(parts)
