"""`symbi_lang.attime.parse_at`: ISO 8601 `at:` values to aware UTC instants, clear errors otherwise."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbi_lang.attime import AtError, parse_at


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2026-12-01T09:00:00Z", "UTC", datetime(2026, 12, 1, 9, tzinfo=UTC)),
        ("2026-12-01T09:00:00z", "Europe/Berlin", datetime(2026, 12, 1, 9, tzinfo=UTC)),  # Z wins over zone
        ("2026-12-01T09:00:00+01:00", "America/New_York", datetime(2026, 12, 1, 8, tzinfo=UTC)),
        ("2026-12-01T09:00:00-0530", "UTC", datetime(2026, 12, 1, 14, 30, tzinfo=UTC)),
        ("2026-12-01T09:00:00", "Europe/Berlin", datetime(2026, 12, 1, 8, tzinfo=UTC)),  # naive = in zone
        ("2026-12-01 09:00", "UTC", datetime(2026, 12, 1, 9, tzinfo=UTC)),
        ("  2026-12-01T09:00:00.250Z  ", "UTC", datetime(2026, 12, 1, 9, 0, 0, 250000, tzinfo=UTC)),
        # spring-forward gap: the first instant after it (03:00 EDT); repeated hour: the first pass (EDT)
        ("2027-03-14T02:30:00", "America/New_York", datetime(2027, 3, 14, 7, tzinfo=UTC)),
        ("2027-11-07T01:30:00", "America/New_York", datetime(2027, 11, 7, 5, 30, tzinfo=UTC)),
        ("2027-10-03T02:10:00", "Australia/Lord_Howe", datetime(2027, 10, 2, 15, 30, tzinfo=UTC)),
    ],
)
def test_parse_at(text: str, zone: str, expected: datetime) -> None:
    got = parse_at(text, zone)
    assert got == expected
    assert got.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "zone", "message", "help_part"),
    [
        ("", "UTC", "empty `at` time", "ISO 8601"),
        (
            "2026-12-01",
            "UTC",
            "`at` needs a time of day, got only a date: '2026-12-01'",
            "2026-12-01T09:00:00Z",
        ),
        ("tomorrow 9am", "UTC", "`at` is not an ISO 8601 date-time: 'tomorrow 9am'", "2026-12-01T09:00:00Z"),
        (
            "2026-13-01T09:00:00Z",
            "UTC",
            "`at` is not a valid date-time: '2026-13-01T09:00:00Z'",
            "T09:00:00Z",
        ),
        (
            "2026-02-30T09:00:00Z",
            "UTC",
            "`at` is not a valid date-time: '2026-02-30T09:00:00Z'",
            "T09:00:00Z",
        ),
        (
            "2026-12-01T25:00:00Z",
            "UTC",
            "`at` is not a valid date-time: '2026-12-01T25:00:00Z'",
            "T09:00:00Z",
        ),
        ("2026-12-01T09:00:00", "Mars/Base", "unknown time zone 'Mars/Base'", "IANA"),
    ],
)
def test_parse_at_errors(text: str, zone: str, message: str, help_part: str) -> None:
    with pytest.raises(AtError) as info:
        parse_at(text, zone)
    assert str(info.value).startswith(message)
    assert info.value.help is not None and help_part in info.value.help


def test_offset_beats_zone_and_bad_zone_is_ignored_when_offset_given() -> None:
    assert parse_at("2026-12-01T09:00:00Z", "Not/AZone") == datetime(2026, 12, 1, 9, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_parse_at_raises_only_at_error(text: str) -> None:
    try:
        result = parse_at(text, "Europe/Berlin")
    except AtError as e:
        assert e.message
    else:
        assert result.tzinfo is UTC


@settings(max_examples=200, deadline=None)
@given(st.datetimes(datetime(1971, 1, 1), datetime(2090, 1, 1)).map(lambda d: d.replace(microsecond=0)))
def test_round_trip_utc(moment: datetime) -> None:
    assert parse_at(moment.isoformat() + "Z") == moment.replace(tzinfo=UTC)
