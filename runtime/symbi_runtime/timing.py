"""When a job fires: its first fire, the fire after a given one, and bounded counting of fires in a span.

Cron jobs use `symbi_lang.cron.CronSpec` (parsed once per expression and zone); one-shot jobs fire at
their `at` instant, once. A `one_shot` cron job fires once too: at its first match after it is added
(`first_fire`); the store keeps that instant as the job's next fire, and `pinned_to` turns the job into
the `at` job of that instant when it comes due, so catch-up and completion are exactly an `at` job's.
Counting never enumerates more than `COUNT_CAP` fires: past that, the rest of
the span is extrapolated from the mean gap of the enumerated ones (exact for evenly spaced crons).
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from symbi_lang.attime import AtError, parse_at
from symbi_lang.cron import CronError, CronSpec
from symbi_lang.ir import JobDefinition

COUNT_CAP = 2000
_TINY = timedelta(microseconds=1)


class ScheduleError(ValueError):
    """A job whose `cron`/`at` cannot be evaluated (bad expression, unknown zone)."""


class _Spec(Protocol):
    def next_after(self, dt: datetime) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class _AtSpec:
    when: datetime

    def next_after(self, dt: datetime) -> datetime | None:
        return self.when if self.when > dt else None


@functools.lru_cache(maxsize=4096)
def _cron_spec(expr: str, tz: str) -> _Spec:
    try:
        return CronSpec.parse(expr, tz)
    except CronError as e:
        raise ScheduleError(f"invalid cron expression {expr!r}: {e.message}") from None


@functools.lru_cache(maxsize=4096)
def _at_spec(text: str, tz: str) -> _Spec:
    try:
        when = parse_at(text, tz)
    except AtError as e:
        raise ScheduleError(f"invalid at time {text!r}: {e}") from None
    return _AtSpec(when.astimezone(UTC))


def spec_for(job: JobDefinition) -> _Spec:
    """The job's schedule, parsed once (cached by expression and zone)."""
    tz = job.timezone or "UTC"
    if job.cron_expr is not None:
        return _cron_spec(job.cron_expr, tz)
    if job.at is not None:
        return _at_spec(job.at, tz)
    raise ScheduleError(f"job {job.name!r} has neither cron nor at")


def is_one_shot(job: JobDefinition) -> bool:
    """Whether the job fires at most once: an `at` job, or a cron job marked `one_shot`."""
    return (job.cron_expr is None and job.at is not None) or (job.one_shot and job.cron_expr is not None)


def schedule_key(job: JobDefinition) -> tuple[str | None, str | None, str, bool]:
    """What decides the job's fires: a stored job whose key changes gets its next fire recomputed."""
    return (job.cron_expr, job.at, job.timezone, job.one_shot)


def pinned_to(job: JobDefinition, fire: datetime) -> JobDefinition:
    """A `one_shot` cron job as the `at` job of its chosen `fire` (other jobs unchanged)."""
    if not (job.one_shot and job.cron_expr is not None):
        return job
    return job.with_changes(cron_expr=None, at=fire.astimezone(UTC).isoformat(), one_shot=False)


def first_fire(job: JobDefinition, now: datetime) -> datetime | None:
    """The fire a newly added (or resumed, reset, rescheduled) job waits for.

    A cron job's first fire strictly after `now` (for a `one_shot` one, its only fire); an `at` job's
    instant even when already past, so the scheduler can apply the catch-up window to it (run once, or
    record `missed`).
    """
    if job.cron_expr is None and job.at is not None:
        return _at_spec(job.at, job.timezone or "UTC").next_after(datetime.min.replace(tzinfo=UTC))
    if job.cron_expr is not None:
        return _first_cron_fire(job.cron_expr, job.timezone or "UTC", now)
    return spec_for(job).next_after(now)


@functools.lru_cache(maxsize=4096)
def _first_cron_fire(expr: str, tz: str, now: datetime) -> datetime | None:
    """A pure function of its arguments, remembered: one load asks it for every job at one `now` (twice
    with `cron add`, which checks every schedule before writing), and jobs share expressions."""
    return _cron_spec(expr, tz).next_after(now)


def next_fire_after(job: JobDefinition, after: datetime) -> datetime | None:
    """The first fire strictly after `after`, or None when the schedule is exhausted."""
    return spec_for(job).next_after(after)


@dataclass(frozen=True, slots=True)
class FireCount:
    """Fires in a span: how many (`exact` False when extrapolated), the first and the last enumerated."""

    count: int
    exact: bool
    first: datetime | None
    last: datetime | None


def count_fires(job: JobDefinition, start: datetime, end: datetime, *, cap: int = COUNT_CAP) -> FireCount:
    """Fires `f` with `start <= f < end`, enumerating at most `cap` of them."""
    spec = spec_for(job)
    f = spec.next_after(start - _TINY)
    first = f if f is not None and f < end else None
    n = 0
    last: datetime | None = None
    while f is not None and f < end:
        n += 1
        last = f
        if n >= cap:
            break
        f = spec.next_after(f)
    else:
        return FireCount(n, True, first, last)
    # Capped: extrapolate the rest of the span from the mean gap so far.
    assert first is not None and last is not None
    following = spec.next_after(last)
    if following is None or following >= end:
        return FireCount(n, True, first, last)
    gap = (last - first) / (n - 1) if n > 1 else following - last
    rest = int((end - _TINY - last) / gap) if gap > timedelta(0) else 0
    return FireCount(n + max(0, rest), False, first, last)


def latest_fires(job: JobDefinition, after: datetime, until: datetime, n: int) -> list[datetime]:
    """The last `n` fires `f` with `after <= f <= until`, oldest first, looking back in growing steps."""
    spec = spec_for(job)
    span = timedelta(seconds=max(1, n))
    while True:
        lo = max(after, until - span)
        found: deque[datetime] = deque(maxlen=n)
        f = spec.next_after(lo - _TINY)
        while f is not None and f <= until:
            found.append(f)
            f = spec.next_after(f)
        if len(found) >= n or lo == after:
            return list(found)
        span *= 8


def earliest_fire(job: JobDefinition, after: datetime, until: datetime) -> datetime | None:
    """The first fire `f` with `after <= f <= until`."""
    f = spec_for(job).next_after(after - _TINY)
    return f if f is not None and f <= until else None
