"""Hand-written invariants of `symbi_lang.cron`: parsing, errors with carets, strictly-after, ordering."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from symbi_lang.cron import CronError, CronErrorKind, CronSpec, fires_within_hours, never_fires, validate

START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def test_parse_is_cached_and_hashable() -> None:
    a = CronSpec.parse("0 0 9 * * 1-5", "Europe/Berlin")
    b = CronSpec.parse("0 0 9 * * 1-5", "Europe/Berlin")
    assert a is b
    assert a == b and hash(a) == hash(b)
    assert {a, CronSpec.parse("0 0 9 * * 1-5")} == {a, CronSpec.parse("0 0 9 * * 1-5", "UTC")}
    with pytest.raises(AttributeError):
        a.expression = "x"  # type: ignore[misc]


def test_next_after_is_strictly_after() -> None:
    spec = CronSpec.parse("0 0 9 * * *")
    at_fire = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert spec.next_after(at_fire) == at_fire + timedelta(days=1)
    assert spec.next_after(at_fire - timedelta(microseconds=1)) == at_fire
    assert spec.next_after(at_fire + timedelta(microseconds=1)) == at_fire + timedelta(days=1)


def test_naive_means_utc_and_result_is_utc() -> None:
    spec = CronSpec.parse("0 0 9 * * *", "Europe/Berlin")
    naive = datetime(2026, 11, 25, 7, 0)
    aware = spec.next_after(naive)
    assert aware == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert aware is not None and aware.tzinfo is UTC
    other_zone = datetime(2026, 11, 25, 2, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert spec.next_after(other_zone) == aware


def test_every_second_far_away_is_immediate() -> None:
    spec = CronSpec.parse("* * * * * *")
    assert spec.next_after(datetime(2090, 1, 1, 12, 0, 0, 500, tzinfo=UTC)) == datetime(
        2090, 1, 1, 12, 0, 1, tzinfo=UTC
    )
    sparse = CronSpec.parse("* * * * * * 2099")
    assert sparse.next_after(START) == datetime(2099, 1, 1, tzinfo=UTC)


def test_next_n_and_iter_after_agree() -> None:
    spec = CronSpec.parse("0 */7 * * * *", "America/New_York")
    times = spec.next_n(START, 50)
    it = spec.iter_after(START)
    assert [next(it) for _ in range(50)] == times
    assert all(a < b for a, b in itertools.pairwise(times))


def test_runs_out() -> None:
    spec = CronSpec.parse("0 0 12 1 1 * 2027-2028")
    assert spec.next_n(START, 5) == [
        datetime(2027, 1, 1, 12, tzinfo=UTC),
        datetime(2028, 1, 1, 12, tzinfo=UTC),
    ]
    assert list(spec.iter_after(START)) == spec.next_n(START, 5)
    assert spec.next_after(datetime(2028, 1, 1, 12, tzinfo=UTC)) is None


def test_parse_raises_first_error_with_caret() -> None:
    with pytest.raises(CronError) as info:
        CronSpec.parse("0 0 25 * * *")
    e = info.value
    assert (e.kind, e.message, e.start, e.end, e.field) == (
        CronErrorKind.OUT_OF_RANGE,
        "hour must be 0-23, got 25",
        4,
        6,
        "hour",
    )
    assert str(e) == "hour must be 0-23, got 25"


def test_five_fields_help_shows_seconds_first() -> None:
    [e] = validate("*/5 9-17 * * MON-FRI")
    assert e.kind is CronErrorKind.FIVE_FIELDS
    assert e.help == 'cron has 6 fields, seconds first: "0 */5 9-17 * * MON-FRI"'
    assert validate(e.help.split('"')[1]) == []


def test_validate_reports_every_bad_field() -> None:
    expr = "0 61 25 * 13 *"
    errors = validate(expr)
    assert [(x.field, expr[x.start : x.end]) for x in errors] == [
        ("minute", "61"),
        ("hour", "25"),
        ("month", "13"),
    ]


def test_validate_never_raises_on_junk() -> None:
    for junk in [
        "",
        "   ",
        "@",
        "@nope",
        "* * * * * * * * *",
        "0 0 0 ? ? ?",
        ",,, , , ,",
        "0 0 0 1-2-3 * *",
        "0 0 0 */ * *",
        "0 0 0 # * #",
        "0 0 0 L-x * *",
        "0 0 0 W * *",
        "0 0 0 * * #2",
        "0 0 0 * * 1#",
    ]:
        errors = validate(junk)
        assert errors, junk
        for err in errors:
            assert 0 <= err.start <= err.end <= max(len(junk), 0)


def test_bad_timezone() -> None:
    [e] = validate("0 0 9 * * *", "Europe/Nowhere")
    assert e.kind is CronErrorKind.BAD_TIMEZONE
    with pytest.raises(CronError) as info:
        CronSpec.parse("0 0 9 * * *", "../etc/passwd")
    assert info.value.kind is CronErrorKind.BAD_TIMEZONE


def test_properties() -> None:
    spec = CronSpec.parse("0 30 9 13 * FRI")
    assert spec.dom_dow_both_restricted and spec.is_fixed_time and spec.hours == frozenset({9})
    spec = CronSpec.parse("0 */15 9-17 * * ?")
    assert not spec.dom_dow_both_restricted and not spec.is_fixed_time
    assert spec.hours == frozenset(range(9, 18))


def test_fires_within_hours() -> None:
    night = CronSpec.parse("0 0 2 * * *")
    assert not fires_within_hours(night, 9, 17)
    assert fires_within_hours(night, 22, 6)  # wraps midnight
    assert not fires_within_hours(night, 3, 3)
    assert fires_within_hours(CronSpec.parse("0 0 16 * * *"), 9, 17)
    assert not fires_within_hours(CronSpec.parse("0 0 17 * * *"), 9, 17)  # end is exclusive


def test_never_fires_and_exhausted() -> None:
    now = START
    e = never_fires(CronSpec.parse("0 0 0 30 2 *"), now)
    assert e is not None and e.kind is CronErrorKind.NEVER_FIRES
    assert e.message == "never fires: February has no day 30"
    e = never_fires(CronSpec.parse("0 0 0 29 2 * 2027"), now)
    assert e is not None and e.kind is CronErrorKind.NEVER_FIRES
    e = never_fires(CronSpec.parse("0 0 0 * * * 2020-2025"), now)
    assert e is not None and e.kind is CronErrorKind.EXHAUSTED
    assert "0 0 0 * * * 2020-2025"[e.start : e.end] == "2020-2025"
    assert never_fires(CronSpec.parse("0 0 0 29 2 *"), now) is None
    assert never_fires(CronSpec.parse("0 0 0 30 2 MON"), now) is None  # OR: Mondays in February


def test_local_time_in_zone() -> None:
    spec = CronSpec.parse("0 0 9 * * MON-FRI", "Asia/Tokyo")
    nxt = spec.next_after(START)
    assert nxt is not None
    local = nxt.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute, local.weekday()) == (9, 0, 3)


def test_spec_and_error_survive_pickling() -> None:
    import pickle

    spec = CronSpec.parse("0 0 9 * * 1-5", "Europe/Berlin")
    again = pickle.loads(pickle.dumps(spec))
    assert again == spec and again.next_after(START) == spec.next_after(START)
    [error] = validate("0 0 25 * * *")
    assert pickle.loads(pickle.dumps(error)) == error


def test_extreme_instants_do_not_raise() -> None:
    for zone in ["UTC", "America/New_York", "Pacific/Kiritimati"]:
        spec = CronSpec.parse("0 0 9 * * *", zone)
        assert spec.next_after(datetime.max.replace(tzinfo=UTC)) is None
        spec.next_after(datetime.min.replace(tzinfo=UTC))  # None or a fire: either way no OverflowError
        late = spec.next_after(datetime(9999, 12, 30, tzinfo=UTC))
        assert late is not None and late.year == 9999


def test_describe_examples_from_the_interface() -> None:
    assert CronSpec.parse("0 0 9 * * 1-5").describe() == "at 09:00:00, Monday through Friday"
    assert CronSpec.parse("0 */5 * * * *").describe() == "every 5 minutes"
    assert CronSpec.parse("* * * * * *").describe() == "every second"
    assert CronSpec.parse("0 30 2 1 * *").describe() == "at 02:30:00 on day 1 of the month"
