"""Offset changes of a zone (daylight saving time), as `symbi next`, the hover and the calendar read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from symbi_lang.zones import format_offset, format_span, next_offset_change, offset_changes


def test_berlin_changes_twice_a_year_at_one_utc() -> None:
    changes = list(
        offset_changes(
            ZoneInfo("Europe/Berlin"), datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
        )
    )
    assert [c.at for c in changes] == [
        datetime(2027, 3, 28, 1, tzinfo=UTC),
        datetime(2027, 10, 31, 1, tzinfo=UTC),
    ]
    spring, autumn = changes
    assert spring.forward and not autumn.forward
    assert (spring.name_before, spring.name_after) == ("CET", "CEST")
    assert autumn.describe() == "clocks go back 1h at 2027-10-31 03:00 (CEST +02:00 → CET +01:00)"


def test_half_hour_changes_and_zones_without_dst() -> None:
    lord_howe = next_offset_change(ZoneInfo("Australia/Lord_Howe"), datetime(2027, 1, 1, tzinfo=UTC))
    assert lord_howe is not None and lord_howe.amount == timedelta(minutes=30)
    assert format_span(lord_howe.amount) == "30m"
    assert next_offset_change(ZoneInfo("Asia/Kolkata"), datetime(2027, 1, 1, tzinfo=UTC)) is None
    assert format_offset(timedelta(hours=5, minutes=45)) == "+05:45"
    assert format_offset(timedelta(hours=-3, minutes=-30)) == "-03:30"


def test_each_change_is_exactly_where_the_offset_flips() -> None:
    zone = ZoneInfo("America/New_York")
    for c in offset_changes(zone, datetime(2026, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)):
        assert (c.at - timedelta(seconds=1)).astimezone(zone).utcoffset() == c.before
        assert c.at.astimezone(zone).utcoffset() == c.after
