"""When does a time zone's UTC offset change (daylight saving time), and how to say it.

`symbi next` marks the changes between two fires, the LSP hover names the next one, and the calendar
export writes them as VTIMEZONE rules; all three read them here. A change is found by scanning a day at a
time and bisecting to the second (no zone has changed its offset twice within one day).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from symbi_lang.cron import CronSpec

_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class OffsetChange:
    """The zone's offset changes at `at` (UTC) from `before` to `after`; `name_*` are the abbreviations."""

    at: datetime
    before: timedelta
    after: timedelta
    name_before: str
    name_after: str

    @property
    def forward(self) -> bool:
        """Clocks go forward (a gap of local times that never happen)."""
        return self.after > self.before

    @property
    def amount(self) -> timedelta:
        return abs(self.after - self.before)

    def describe(self) -> str:
        """e.g. "clocks go forward 1h at 02:00 (CET +01:00 → CEST +02:00)"."""
        local = (self.at + self.before).replace(tzinfo=None)
        direction = "forward" if self.forward else "back"
        before = f"{self.name_before} {format_offset(self.before)}"
        after = f"{self.name_after} {format_offset(self.after)}"
        return (
            f"clocks go {direction} {format_span(self.amount)} at {local:%Y-%m-%d %H:%M} ({before} → {after})"
        )


def _offset(zone: tzinfo, t: datetime) -> timedelta:
    off = t.astimezone(zone).utcoffset()
    return off if off is not None else timedelta(0)


def _name(zone: tzinfo, t: datetime) -> str:
    return t.astimezone(zone).tzname() or ""


def offset_changes(zone: tzinfo, start: datetime, end: datetime) -> Iterator[OffsetChange]:
    """Every change of `zone`'s offset at an instant in (start, end], in order."""
    lo = start.astimezone(UTC)
    end = end.astimezone(UTC)
    current = _offset(zone, lo)
    while lo < end:
        hi = min(lo + _DAY, end)
        if _offset(zone, hi) != current:
            a, b = 0, int((hi - lo).total_seconds())  # offset(lo + a) == current != offset(lo + b)
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(zone, lo + timedelta(seconds=mid)) == current:
                    a = mid
                else:
                    b = mid
            at = lo + timedelta(seconds=b)
            new = _offset(zone, at)
            yield OffsetChange(at, current, new, _name(zone, at - _SECOND), _name(zone, at))
            current = new
        lo = hi


def next_offset_change(zone: tzinfo, after: datetime, *, horizon_days: int = 800) -> OffsetChange | None:
    """The first change after `after` within `horizon_days` (None: the zone keeps its offset)."""
    return next(offset_changes(zone, after, after + timedelta(days=horizon_days)), None)


def times_touched(spec: CronSpec, change: OffsetChange) -> list[datetime]:
    """The schedule's local (naive) times that `change` skips (clocks forward) or repeats (back)."""
    lo, hi = sorted(
        ((change.at + change.before).replace(tzinfo=None), (change.at + change.after).replace(tzinfo=None))
    )
    out: list[datetime] = []
    for day in sorted({lo.date(), (hi - _SECOND).date()}):
        midnight = datetime(day.year, day.month, day.day)
        if not spec.fires_on(day):
            continue
        out += [w for t in spec.times_of_day() if lo <= (w := midnight + timedelta(seconds=t)) < hi]
    return out


def format_offset(offset: timedelta) -> str:
    """`+02:00`, `-03:30`, `+05:45`."""
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    return f"{sign}{hours:02d}:{rest // 60:02d}"


def format_span(span: timedelta) -> str:
    """`1h`, `30m`, `1h30m`."""
    minutes = int(span.total_seconds()) // 60
    h, m = divmod(minutes, 60)
    return (f"{h}h" if h else "") + (f"{m}m" if m else "") or "0m"
