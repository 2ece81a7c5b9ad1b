"""`at:` values: one ISO 8601 instant, with `Z`, an offset, or naive (= wall time in the schedule's zone)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["AtError", "parse_at"]

_EXAMPLE = (
    '"2026-12-01T09:00:00Z" (UTC), "2026-12-01T09:00:00+01:00", or "2026-12-01T09:00:00" (in the timezone)'
)
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|z|[+-]\d{2}:?\d{2})?")


class AtError(ValueError):
    """A malformed `at:` value (or unknown zone); `help` shows the accepted form."""

    def __init__(self, message: str, help: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.help = help

    def __str__(self) -> str:
        return self.message


def parse_at(text: str, timezone: str = "UTC") -> datetime:
    """The instant `text` names, as an aware UTC datetime; naive text is read in `timezone`.

    A naive time that a spring-forward gap skips means the first instant after the gap; one that a
    fall-back repeats means its first occurrence (the cron rule for fixed-time jobs).
    """
    value = text.strip()
    if not value:
        raise AtError("empty `at` time", f"write an ISO 8601 date-time such as {_EXAMPLE}")
    if _DATE_ONLY.fullmatch(value):
        raise AtError(
            f"`at` needs a time of day, got only a date: {value!r}",
            f'add the time, e.g. "{value}T09:00:00Z"',
        )
    if not _SHAPE.fullmatch(value):
        raise AtError(f"`at` is not an ISO 8601 date-time: {value!r}", f"use {_EXAMPLE}")
    iso = value[:-1] + "+00:00" if value[-1] in "Zz" else value
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError as e:
        raise AtError(f"`at` is not a valid date-time: {value!r} ({e})", f"use {_EXAMPLE}") from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise AtError(
            f"unknown time zone {timezone!r}", "use an IANA zone name such as UTC or Europe/Berlin"
        ) from None
    first = parsed.replace(tzinfo=zone, fold=0)
    o0 = first.utcoffset()
    o1 = parsed.replace(tzinfo=zone, fold=1).utcoffset()
    assert o0 is not None and o1 is not None
    if o0 < o1:  # skipped by a spring-forward gap: the instant the gap ends
        return _gap_end((parsed - o1).replace(tzinfo=UTC), (parsed - o0).replace(tzinfo=UTC), zone)
    return first.astimezone(UTC)


def _gap_end(lo: datetime, hi: datetime, zone: ZoneInfo) -> datetime:
    before = lo.astimezone(zone).utcoffset()
    lo_s, hi_s = 0, int((hi - lo).total_seconds())
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if (lo + timedelta(seconds=mid)).astimezone(zone).utcoffset() == before:
            lo_s = mid
        else:
            hi_s = mid
    return lo + timedelta(seconds=hi_s)
