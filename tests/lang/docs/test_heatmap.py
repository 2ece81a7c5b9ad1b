"""Fire counts by weekday × hour: exact, and the per-hour method agrees with plain iteration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbi_lang.cron import CronSpec
from symbi_lang.docs.heatmap import count_cron_fires, count_instants, total

WEEK = timedelta(days=7)


def _csv(values: set[int]) -> str:
    return ",".join(str(v) for v in sorted(values))


def fires_by_iteration(spec: CronSpec, start: datetime, end: datetime) -> list[datetime]:
    out = []
    for t in spec.iter_after(start):
        if t >= end:
            break
        out.append(t)
    return out


@pytest.mark.parametrize(
    ("expr", "tz", "start"),
    [
        # New York falls back on 2026-11-01: the 01:00 hour happens twice.
        ("0 */15 * * * *", "America/New_York", datetime(2026, 10, 29, 13, 17, 23, tzinfo=UTC)),
        ("*/30 * 1-2 * * *", "America/New_York", datetime(2026, 10, 29, 13, 17, 23, tzinfo=UTC)),
        # New York springs forward on 2027-03-14: 02:00-03:00 does not exist; a fixed 02:30 job moves.
        ("0 30 2 * * *", "America/New_York", datetime(2027, 3, 10, tzinfo=UTC)),
        ("0 */5 2-3 * * *", "America/New_York", datetime(2027, 3, 10, tzinfo=UTC)),
        # Half-hour offset, and a 30-minute DST shift (Lord Howe, first Sunday of October).
        ("0 */7 9-17 * * MON-FRI", "Asia/Kolkata", datetime(2026, 11, 25, 12, tzinfo=UTC)),
        ("0 */10 * * * *", "Australia/Lord_Howe", datetime(2026, 10, 1, tzinfo=UTC)),
        ("0 0 9 * * *", "Europe/Berlin", datetime(2026, 11, 25, 12, tzinfo=UTC)),
    ],
)
def test_per_hour_counting_equals_iteration(expr: str, tz: str, start: datetime) -> None:
    spec = CronSpec.parse(expr, tz)
    exact = count_cron_fires(spec, tz, start, start + WEEK, iteration_limit=10**9)
    per_hour = count_cron_fires(spec, tz, start, start + WEEK, iteration_limit=5)
    assert per_hour == exact
    assert exact.total == len(fires_by_iteration(spec, start, start + WEEK))


def test_cells_are_local_weekday_and_hour() -> None:
    start = datetime(2026, 11, 25, 12, tzinfo=UTC)  # a Wednesday
    spec = CronSpec.parse("0 30 8 * * MON-FRI", "Europe/Berlin")
    counts = count_cron_fires(spec, "Europe/Berlin", start, start + WEEK)
    fired = {(d, h): n for d, row in enumerate(counts.cells) for h, n in enumerate(row) if n}
    assert fired == {(0, 8): 1, (1, 8): 1, (2, 8): 1, (3, 8): 1, (4, 8): 1}
    in_utc = count_cron_fires(spec, "UTC", start, start + WEEK)
    assert {(d, h) for d, row in enumerate(in_utc.cells) for h, n in enumerate(row) if n} == {
        (d, 7) for d in range(5)
    }


def test_every_second_is_counted_without_enumerating_the_week() -> None:
    # 604,800 seconds in the window; fires are strictly after `start`, so the first second is excluded.
    start = datetime(2026, 11, 25, 12, tzinfo=UTC)
    counts = count_cron_fires(CronSpec.parse("* * * * * *", "UTC"), "UTC", start, start + WEEK)
    assert counts.total == 7 * 86400 - 1
    assert counts.peak == 3600
    assert counts.cells[2][12] == 3599  # Wednesday 12:00, the window's first hour


def test_window_is_exclusive_at_both_ends() -> None:
    start = datetime(2026, 11, 25, 9, tzinfo=UTC)
    spec = CronSpec.parse("0 0 9 * * *", "UTC")
    counts = count_cron_fires(spec, "UTC", start, start + WEEK)
    assert counts.total == 6  # 09:00 today is `start` itself, 09:00 in seven days is the end
    assert counts.cells[2][9] == 0


def test_one_shot_and_total() -> None:
    start = datetime(2026, 11, 25, 12, tzinfo=UTC)
    at = datetime(2026, 11, 27, 21, 45, tzinfo=UTC)
    one = count_instants([at, at + timedelta(days=30)], "America/New_York", start, start + WEEK)
    assert one.total == 1
    assert one.cells[4][16] == 1  # Friday 16:45 in New York
    utc_one = count_instants([at], "UTC", start, start + WEEK)
    daily = count_cron_fires(CronSpec.parse("0 0 21 * * *", "UTC"), "UTC", start, start + WEEK)
    both = total([utc_one, daily], "UTC", start, start + WEEK)
    assert both.total == 8
    assert both.cells[4][21] == 2
    with pytest.raises(ValueError, match="cannot add counts"):
        total([one], "UTC", start, start + WEEK)


def test_expression_that_runs_out() -> None:
    start = datetime(2026, 12, 30, tzinfo=UTC)
    spec = CronSpec.parse("0 0 * * * * 2026", "UTC")
    counts = count_cron_fires(spec, "UTC", start, start + WEEK, iteration_limit=3)
    assert counts.total == 47  # 2026-12-30 01:00 through 2026-12-31 23:00


ZONES = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
]


@settings(max_examples=40, deadline=None)
@given(
    seconds=st.sets(st.integers(0, 59), min_size=1, max_size=2),
    minutes=st.sets(st.integers(0, 59), min_size=1, max_size=4),
    hours=st.one_of(st.just("*"), st.sets(st.integers(0, 23), min_size=1, max_size=6).map(_csv)),
    dow=st.sampled_from(["*", "MON-FRI", "SAT,SUN", "0"]),
    zone=st.sampled_from(ZONES),
    offset_hours=st.integers(0, 24 * 365),
)
def test_per_hour_counting_equals_iteration_property(
    seconds: set[int], minutes: set[int], hours: str, dow: str, zone: str, offset_hours: int
) -> None:
    expr = f"{_csv(seconds)} {_csv(minutes)} {hours} * * {dow}"
    spec = CronSpec.parse(expr, zone)
    start = datetime(2026, 1, 1, 0, 0, 7, tzinfo=UTC) + timedelta(
        hours=offset_hours, minutes=offset_hours % 60
    )
    exact = count_cron_fires(spec, zone, start, start + WEEK, iteration_limit=10**9)
    assert count_cron_fires(spec, zone, start, start + WEEK, iteration_limit=0) == exact
