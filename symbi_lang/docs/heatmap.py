"""Counting a schedule's fires in a time window by local weekday × hour (the heat map's numbers).

Small counts are exact by iteration (`CronSpec.iter_after`). A schedule that fires more often than
`iteration_limit` times in the window (`* * * * * *` fires 604,800 times a week) is counted per hour
instead, using a property of cron: the minute and second fields do not depend on the day or hour, so
every wall-clock hour a cron expression fires in holds the same number of fires. Each hour of the window
is then probed with one `next_after`; only the partial hours at the window's ends and hours in which the
UTC offset changes (DST) are counted by iteration. Both methods give the same numbers (tested).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from symbi_lang.cron import CronSpec

__all__ = [
    "DAYS",
    "HOURS",
    "ITERATION_LIMIT",
    "FireCounts",
    "count_cron_fires",
    "count_instants",
    "schedules_firing",
    "total",
]

DAYS = 7
HOURS = 24
ITERATION_LIMIT = 100  # above this many fires in the window, per-hour counting is the cheaper way
_HOUR = timedelta(hours=1)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class FireCounts:
    """Fires in [start, end) by local weekday (0 = Monday, as `datetime.weekday`) and hour, in `timezone`."""

    timezone: str
    start: datetime
    end: datetime
    cells: tuple[tuple[int, ...], ...]  # cells[weekday][hour]

    @property
    def total(self) -> int:
        return sum(sum(row) for row in self.cells)

    @property
    def peak(self) -> int:
        return max(max(row) for row in self.cells)


def _empty() -> list[list[int]]:
    return [[0] * HOURS for _ in range(DAYS)]


def _freeze(timezone: str, start: datetime, end: datetime, cells: list[list[int]]) -> FireCounts:
    return FireCounts(timezone, start, end, tuple(tuple(row) for row in cells))


def _add(cells: list[list[int]], instant: datetime, zone: ZoneInfo, n: int = 1) -> None:
    local = instant.astimezone(zone)
    cells[local.weekday()][local.hour] += n


def count_instants(instants: Iterable[datetime], timezone: str, start: datetime, end: datetime) -> FireCounts:
    """Count the given instants that fall in (start, end) — e.g. a one-shot `at` time."""
    zone = ZoneInfo(timezone)
    cells = _empty()
    for t in instants:
        if start < t < end:
            _add(cells, t, zone)
    return _freeze(timezone, start, end, cells)


def count_cron_fires(
    spec: CronSpec,
    timezone: str,
    start: datetime,
    end: datetime,
    *,
    iteration_limit: int = ITERATION_LIMIT,
) -> FireCounts:
    """Count the fires of `spec` strictly after `start` and before `end`, bucketed in `timezone`."""
    zone = ZoneInfo(timezone)
    start = start.astimezone(UTC)
    end = end.astimezone(UTC)
    cells = _empty()
    for seen, t in enumerate(spec.iter_after(start), start=1):
        if t >= end:
            return _freeze(timezone, start, end, cells)
        if seen > iteration_limit:
            break
        _add(cells, t, zone)
    else:
        return _freeze(timezone, start, end, cells)
    return _freeze(timezone, start, end, _count_by_hour(spec, zone, start, end))


def _count_between(spec: CronSpec, lo: datetime, hi: datetime) -> int:
    """Fires in (lo, hi) by iteration: at most one hour's worth (≤ 3,600) in `_count_by_hour`."""
    n = 0
    for t in spec.iter_after(lo):
        if t >= hi:
            break
        n += 1
    return n


def _count_by_hour(spec: CronSpec, zone: ZoneInfo, start: datetime, end: datetime) -> list[list[int]]:
    cells = _empty()
    per_hour: int | None = None  # fires in one full wall-clock hour the expression fires in
    # Buckets run from one local hour boundary to the next: a repeated fall-back hour is two buckets with
    # the same label, a skipped spring-forward hour none, and a half-hour shift makes a short bucket.
    bucket = _floor_hour(start, zone)
    while bucket < end:
        nxt = _next_hour(bucket, zone)
        lo = max(bucket - _TICK, start)  # fires are strictly after `lo`
        hi = min(nxt, end)
        regular = (
            start < bucket
            and nxt <= end
            and nxt - bucket == _HOUR
            and _offset(bucket, zone) == _offset(nxt - _TICK, zone)
        )
        if not regular:
            n = _count_between(spec, lo, hi)
        else:
            first = spec.next_after(lo)
            if first is None:
                break
            if first >= hi:
                # Jump to the hour holding the next fire instead of probing the empty hours between.
                bucket = max(_floor_hour(first, zone), nxt)
                continue
            if per_hour is None:
                per_hour = _count_between(spec, lo, hi)
            n = per_hour
        if n:
            _add(cells, bucket, zone, n)
        bucket = nxt
    return cells


def _floor_hour(t: datetime, zone: ZoneInfo) -> datetime:
    """The start of the local hour holding `t`, in UTC."""
    return t.astimezone(zone).replace(minute=0, second=0, microsecond=0).astimezone(UTC)


def _next_hour(t: datetime, zone: ZoneInfo) -> datetime:
    """The next local hour boundary after `t` (at most an hour later)."""
    later = t + _HOUR
    aligned = _floor_hour(later, zone)
    return aligned if aligned > t else later


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta | None:
    return instant.astimezone(zone).utcoffset()


def total(counts: Iterable[FireCounts], timezone: str, start: datetime, end: datetime) -> FireCounts:
    """Cell-wise sum of counts that share `timezone`."""
    cells = _empty()
    for grid, times in _alike(counts, timezone).items():
        for d in range(DAYS):
            for h in range(HOURS):
                cells[d][h] += grid[d][h] * times
    return _freeze(timezone, start, end, cells)


def schedules_firing(
    counts: Iterable[FireCounts], timezone: str, start: datetime, end: datetime
) -> FireCounts:
    """How many of the schedules fire in each cell (each counts once, however often it fires): the
    combined heat map's colour, so that an every-20-seconds job does not drown a daily one."""
    cells = _empty()
    for grid, times in _alike(counts, timezone).items():
        for d in range(DAYS):
            for h in range(HOURS):
                cells[d][h] += times if grid[d][h] else 0
    return _freeze(timezone, start, end, cells)


def _alike(counts: Iterable[FireCounts], timezone: str) -> Counter[tuple[tuple[int, ...], ...]]:
    """How many of `counts` have each grid: a fleet repeats a few expressions, so the cells are added
    once per distinct grid rather than once per schedule."""
    grids: Counter[tuple[tuple[int, ...], ...]] = Counter()
    for c in counts:
        if c.timezone != timezone:
            raise ValueError(f"cannot add counts in {c.timezone} to counts in {timezone}")
        grids[c.cells] += 1
    return grids
