"""Property tests of `symbi_lang.cron`: never raises, strictly after, monotonic, agrees with independent
references (croniter where croniter is right; a minute-by-minute scan of real time near DST changes)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbi_lang.cron import CronError, CronSpec, validate

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
]
# (zone, a UTC instant near one of its DST changes)
TRANSITIONS = [
    ("America/New_York", datetime(2027, 3, 14, 7, tzinfo=UTC)),
    ("America/New_York", datetime(2027, 11, 7, 6, tzinfo=UTC)),
    ("Europe/London", datetime(2027, 3, 28, 1, tzinfo=UTC)),
    ("Europe/London", datetime(2027, 10, 31, 1, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2027, 4, 3, 15, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2027, 10, 2, 15, 30, tzinfo=UTC)),
    ("America/Sao_Paulo", datetime(2018, 11, 4, 3, tzinfo=UTC)),
]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _item(lo: int, hi: int) -> st.SearchStrategy[str]:
    """One list item of a numeric field: a value, a range a<b, a stepped range or `*/n`."""
    value = st.integers(lo, hi)
    max_step = 6 if hi == 7 else hi - lo  # day-of-week steps stop at 6 (7 is Sunday again)
    ranged = st.tuples(value, value).filter(lambda ab: ab[0] < ab[1])
    return st.one_of(
        value.map(str),
        ranged.map(lambda ab: f"{ab[0]}-{ab[1]}"),
        st.tuples(ranged, st.integers(1, max_step)).map(lambda x: f"{x[0][0]}-{x[0][1]}/{x[1]}"),
        st.integers(1, max_step).map(lambda n: f"*/{n}"),
    )


def _field(lo: int, hi: int, star: float = 0.4) -> st.SearchStrategy[str]:
    listed = st.lists(_item(lo, hi), min_size=1, max_size=3).map(",".join)
    return st.one_of(st.just("*"), listed) if star else listed


EXPRESSIONS = st.tuples(
    _field(0, 59),
    _field(0, 59),
    _field(0, 23),
    st.one_of(st.just("*"), st.just("?"), _field(1, 31), st.sampled_from(["L", "15W", "LW", "L-3"])),
    _field(1, 12),
    st.one_of(st.just("*"), st.just("?"), _field(0, 7), st.sampled_from(["5L", "1#2", "MON-FRI", "SUN"])),
    st.one_of(st.just(""), st.integers(2026, 2040).map(lambda y: f" {y}-2099")),
).map(lambda f: " ".join(f[:6]) + f[6])
INSTANTS = st.datetimes(datetime(1990, 1, 1), datetime(2090, 1, 1), timezones=st.just(UTC))


@SETTINGS
@given(EXPRESSIONS, st.sampled_from(ZONES), INSTANTS)
def test_next_after_is_strictly_later_and_monotonic(expr: str, zone: str, after: datetime) -> None:
    assert validate(expr, zone) == []
    spec = CronSpec.parse(expr, zone)
    times = spec.next_n(after, 4)
    for t in times:
        assert t.tzinfo is UTC
    assert all(a < b for a, b in itertools.pairwise([after, *times]))
    if times:
        assert spec.next_after(times[0] - timedelta(microseconds=1)) == times[0]


@SETTINGS
@given(st.text(max_size=40), st.sampled_from([*ZONES, "Not/AZone", ""]))
def test_validate_never_raises_and_carets_stay_inside(text: str, zone: str) -> None:
    errors = validate(text, zone)
    for e in errors:
        assert 0 <= e.start <= e.end <= len(text)
        assert e.message
    try:
        CronSpec.parse(text, zone)
    except CronError as e:
        assert e == errors[0]
    else:
        assert errors == []


# --- croniter as a reference, in UTC, avoiding the places where it is wrong (see the report) ------
# croniter 7 reads `a-a` as `*`, wraps reversed ranges, treats `*/n` day-of-month as restricted (OR),
# rejects day-of-week `5L`, and has its own DST behaviour; none of those forms are generated here.
def _plain_field(lo: int, hi: int) -> st.SearchStrategy[str]:
    value = st.integers(lo, hi)
    ranged = st.tuples(value, value).filter(lambda ab: ab[0] < ab[1]).map(lambda ab: f"{ab[0]}-{ab[1]}")
    items = st.lists(st.one_of(value.map(str), ranged), min_size=1, max_size=3).map(",".join)
    return st.one_of(st.just("*"), items, st.integers(1, max(1, (hi - lo) // 2)).map(lambda n: f"*/{n}"))


PLAIN = st.tuples(
    _plain_field(0, 59),
    _plain_field(0, 59),
    _plain_field(0, 23),
    st.one_of(
        st.just("*"),
        st.lists(st.integers(1, 31), min_size=1, max_size=3).map(lambda v: ",".join(map(str, v))),
    ),
    _plain_field(1, 12),
    st.one_of(
        st.just("*"), st.lists(st.integers(0, 6), min_size=1, max_size=3).map(lambda v: ",".join(map(str, v)))
    ),
).map(" ".join)


@SETTINGS
@given(PLAIN, st.datetimes(datetime(2000, 1, 1), datetime(2060, 1, 1), timezones=st.just(UTC)))
def test_agrees_with_croniter_on_plain_utc_expressions(expr: str, after: datetime) -> None:
    ours = CronSpec.parse(expr).next_n(after, 5)
    it = croniter(expr, after, second_at_beginning=True)
    theirs = [it.get_next(datetime) for _ in range(5)]
    assert ours == theirs


# --- real time near DST changes: a minute-by-minute scan is the reference ----------------------------
def _wall_matches(expr_fields: list[set[int]], local: datetime) -> bool:
    seconds, minutes, hours, doms, months, dows = expr_fields
    return (
        local.second in seconds
        and local.minute in minutes
        and local.hour in hours
        and local.day in doms
        and local.month in months
        and (local.weekday() + 1) % 7 in dows
    )


def _expand(field: str, lo: int, hi: int) -> set[int]:
    out: set[int] = set()
    for item in field.split(","):
        base, _, step = item.partition("/")
        a, b = (lo, hi) if base == "*" else (int(base.split("-")[0]), int(base.split("-")[-1]))
        out.update(range(a, b + 1, int(step or 1)))
    return out


SUBHOURLY = st.tuples(
    st.sampled_from(["*/5", "*/15", "*/20", "0,10,40", "7-9", "*"]),
    st.sampled_from(["*", "0-5", "1,2,3", "*/3", "22-23"]),
)


@SETTINGS
@given(SUBHOURLY, st.sampled_from(TRANSITIONS), st.integers(-180, 180))
def test_wildcard_jobs_follow_real_time_across_dst(
    fields: tuple[str, str], transition: tuple[str, datetime], shift_minutes: int
) -> None:
    minute, hour = fields
    zone_name, instant = transition
    expr = f"0 {minute} {hour} * * *"
    spec = CronSpec.parse(expr, zone_name)
    if spec.is_fixed_time:
        return
    zone = ZoneInfo(zone_name)
    after = instant + timedelta(minutes=shift_minutes, seconds=17)
    expanded = [
        {0},
        _expand(minute, 0, 59),
        _expand(hour, 0, 23),
        set(range(1, 32)),
        set(range(1, 13)),
        set(range(7)),
    ]
    expected: list[datetime] = []
    t = after.replace(second=0) + timedelta(minutes=1)
    while len(expected) < 3:
        if _wall_matches(expanded, t.astimezone(zone)):
            expected.append(t)
        t += timedelta(minutes=1)
    assert spec.next_n(after, 3) == expected


def _first_reach(zone: ZoneInfo, target: datetime) -> datetime:
    """The first instant at which the local clock shows `target` (naive wall time) or later."""
    u = target.replace(tzinfo=UTC) - timedelta(hours=15)
    while u.astimezone(zone).replace(tzinfo=None) < target:
        u += timedelta(minutes=1)
    return u


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 3),
    st.sampled_from([0, 15, 30, 45, 59]),
    st.sampled_from(TRANSITIONS),
    st.integers(-36 * 60, 12 * 60),
)
def test_fixed_time_jobs_fire_when_the_clock_first_reaches_their_time(
    hour: int, minute: int, transition: tuple[str, datetime], shift_minutes: int
) -> None:
    zone_name, instant = transition
    zone = ZoneInfo(zone_name)
    spec = CronSpec.parse(f"0 {minute} {hour} * * *", zone_name)
    after = instant + timedelta(minutes=shift_minutes, seconds=17)
    day = after.astimezone(zone).date() - timedelta(days=1)
    expected: list[datetime] = []
    while len(expected) < 3:
        fire = _first_reach(zone, datetime(day.year, day.month, day.day, hour, minute))
        if fire > after:
            expected.append(fire)
        day += timedelta(days=1)
    assert spec.next_n(after, 3) == expected
