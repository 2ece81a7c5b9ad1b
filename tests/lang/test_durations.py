"""Durations: "90s", "5m", "1h30m", "2d" and their errors, with offsets into the text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symbi_lang.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5m", 300), ("1h30m", 5400), ("90s", 90), ("2h", 7200), ("2d", 172800), ("1d2h3m4s", 93784), ("0s", 0)],
)
def test_valid(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message", "start", "end"),
    [
        ("", "empty duration", 0, 0),
        ("300", "duration `300` has no unit", 0, 3),
        ("5min", "unknown duration unit `min`", 1, 4),
        ("30m1h", "unit `h` is repeated or out of order", 4, 5),
        ("1m1m", "unit `m` is repeated or out of order", 3, 4),
        ("1.5h", "unexpected `.` in duration", 1, 2),
        ("m5", "expected a number at `m`", 0, 1),
        ("5 m", "unexpected ` ` in duration", 1, 2),
        ("\u0661m", "expected a number at `\u0661m`", 0, 2),
        ("-5m", "expected a number at `-`", 0, 1),
    ],
)
def test_invalid(text: str, message: str, start: int, end: int) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(text)
    assert (info.value.message, info.value.start, info.value.end) == (message, start, end)
    assert info.value.help


@given(st.integers(min_value=0, max_value=10**9))
def test_format_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.text(max_size=12))
def test_never_raises_anything_else(text: str) -> None:
    try:
        assert parse_duration(text) >= 0
    except DurationError as e:
        assert 0 <= e.start <= e.end <= len(text)
