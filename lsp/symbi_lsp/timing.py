"""When a schedule fires, for hover and code lens: a thin reading of `symbi_lang.cron` / `attime`.

No cron logic lives here: expressions are parsed, described and iterated by `symbi_lang.cron`; this
module only picks the schedule's fields, catches the errors and formats times for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from symbi_lang.ast import Block, StringValue

DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True, slots=True)
class Timing:
    """What a schedule's `cron` or `at` means: a human reading and the coming fire times (aware, in
    the schedule's zone), or the reason it cannot be computed."""

    kind: str  # "cron" or "at"
    expression: str
    timezone: str
    reading: str | None = None
    fires: tuple[datetime, ...] = ()
    error: str | None = None


def schedule_timezone(block: Block) -> str:
    field = block.field("timezone")
    if field is not None and isinstance(field.value, StringValue) and field.value.value.strip():
        return field.value.value.strip()
    return DEFAULT_TIMEZONE


def schedule_timing(block: Block, now: datetime, count: int) -> Timing | None:
    """The timing of a `schedule` block, from its `cron` or `at` field; None when it has neither."""
    tz = schedule_timezone(block)
    for kind in ("cron", "at"):
        field = block.field(kind)
        if field is not None and isinstance(field.value, StringValue):
            if kind == "cron":
                return cron_timing(field.value.value, tz, now, count)
            return at_timing(field.value.value, tz, now)
    return None


def cron_timing(expression: str, tz: str, now: datetime, count: int) -> Timing:
    """Reading and next `count` fires of a cron expression in zone `tz`."""
    try:
        from symbi_lang.cron import CronError, CronSpec
    except ImportError:  # pragma: no cover - only while the cron module is not installed
        return Timing("cron", expression, tz, error="cron support is not available")
    try:
        spec = CronSpec.parse(expression, tz)
        zone = ZoneInfo(tz)
        reading = spec.describe()
        fires = tuple(t.astimezone(zone) for t in spec.next_n(now, count))
    except CronError as e:
        return Timing("cron", expression, tz, error=e.message)
    except (ZoneInfoNotFoundError, ValueError) as e:
        return Timing("cron", expression, tz, error=str(e))
    return Timing("cron", expression, tz, reading=reading, fires=fires)


def at_timing(text: str, tz: str, now: datetime) -> Timing:
    """The single fire of an `at` value in zone `tz` (no fires when it is in the past)."""
    try:
        from symbi_lang.attime import AtError, parse_at
    except ImportError:  # pragma: no cover - only while the attime module is not installed
        return Timing("at", text, tz, error="`at` support is not available")
    try:
        zone = ZoneInfo(tz)
        when = parse_at(text, tz).astimezone(zone)
    except AtError as e:
        return Timing("at", text, tz, error=str(getattr(e, "message", e)))
    except (ZoneInfoNotFoundError, ValueError) as e:
        return Timing("at", text, tz, error=str(e))
    reading = f"once, at {format_time(when)}"
    return Timing("at", text, tz, reading=reading, fires=(when,) if when > now else ())


def format_time(when: datetime) -> str:
    """`Tue 2026-11-24 09:00 UTC` (seconds shown only when not zero)."""
    pattern = "%a %Y-%m-%d %H:%M:%S %Z" if when.second else "%a %Y-%m-%d %H:%M %Z"
    return when.strftime(pattern)


def format_delta(delta: timedelta) -> str:
    """A short, rounded-down distance in time: `3h`, `2d 4h`, `45m`, `30s`."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "now"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def relative(when: datetime, now: datetime) -> str:
    """`in 3h` for a time after `now`."""
    return f"in {format_delta(when - now)}"
