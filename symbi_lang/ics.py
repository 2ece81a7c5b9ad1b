"""Schedules as an RFC 5545 calendar: one recurring event (RRULE) where the cron maps exactly onto the
calendar's rules, else one event per fire in the window.

An RRULE is exact only when nothing in the window needs symbi's DST rules: a calendar moves a time that
falls into a spring-forward gap by the gap's length and fires once in a repeated hour, while symbi (Vixie
cron) fires a fixed-time job at the gap's end and a wildcard job in both passes. So a schedule whose times
of day are touched by an offset change inside the window, or whose days are "either day-of-month or
day-of-week" (RRULE parts are ANDed), or that uses `L`/`W`/`#` or a year field, is written fire by fire.
Times carry the schedule's zone (TZID with a VTIMEZONE built from the zone's actual offset changes).

Fire by fire is bounded: a schedule that would need more than `SEPARATE_FIRES_LIMIT` single events only
because offset changes touch its times (every 20 seconds across a DST change: 30,000 events a week) is
written as one RRULE per stretch between the changes, each ending (UNTIL) before the local times a change
skips or repeats, and only the fires within the change's amount of each change (before and after it)
one by one. Every local time an RRULE then produces exists exactly once, so the calendar holds the same
instants as symbi fires. A single fire in a repeated hour is written in UTC (a local time there is
ambiguous, and calendars read it as the first pass).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from symbi_lang.cron import DAY_NAMES, CronSpec
from symbi_lang.zones import OffsetChange, offset_changes, times_touched

_RRULE_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
_DEFAULT_DURATION = 60
_PRODID = "-//symbi//schedules//EN"
#: At most this many single events per schedule where offset changes keep its rule from being one RRULE.
SEPARATE_FIRES_LIMIT = 1000
assert len(DAY_NAMES) == len(_RRULE_DAYS)


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One schedule's part of the calendar: an RRULE from its first fire, or its fires one by one."""

    schedule: str
    agent: str
    description: str | None
    reading: str
    timezone: str
    duration_seconds: int
    first: datetime
    rrule: str | None
    fires: tuple[datetime, ...]
    until: datetime | None = None  # a rule's last instant when it covers only a stretch of the window


def rrule_for(spec: CronSpec, start: datetime, end: datetime) -> str | None:
    """The RRULE (without UNTIL) that fires exactly when `spec` does within [start, end), or None."""
    if _touching_changes(spec, start, end):
        return None
    return _daily_rule(spec)


def _touching_changes(spec: CronSpec, start: datetime, end: datetime) -> list[OffsetChange]:
    return [change for change in offset_changes(spec.zone, start, end) if times_touched(spec, change)]


def _daily_rule(spec: CronSpec) -> str | None:
    """The RRULE of `spec` where no offset change is near, or None when calendar rules cannot say it."""
    c = spec.tables
    d = c.days
    if c.years is not None:
        return None
    if d.dom_last or d.dom_nearest_weekday or d.dom_last_weekday or d.dow_nth or d.dow_last:
        return None
    if d.dom_restricted and d.dow_restricted:
        return None
    parts = ["FREQ=DAILY"]
    if len(c.months) < 12:
        parts.append("BYMONTH=" + ",".join(str(m) for m in sorted(c.months)))
    if d.dom_restricted:
        parts.append("BYMONTHDAY=" + ",".join(str(x) for x in sorted(d.dom)))
    if d.dow_restricted:
        parts.append("BYDAY=" + ",".join(_RRULE_DAYS[x % 7] for x in sorted({x % 7 for x in d.dow})))
    parts.append("BYHOUR=" + ",".join(map(str, c.hours)))
    parts.append("BYMINUTE=" + ",".join(map(str, c.minutes)))
    parts.append("BYSECOND=" + ",".join(map(str, c.seconds)))
    return ";".join(parts)


def event_for(
    name: str,
    agent: str,
    description: str | None,
    spec_or_at: CronSpec | datetime,
    timezone: str,
    start: datetime,
    end: datetime,
    duration_seconds: int | None,
) -> CalendarEvent | None:
    """The calendar entry of one schedule over [start, end), or None when it does not fire then."""
    if isinstance(spec_or_at, datetime):
        fires: list[datetime] = [spec_or_at] if start <= spec_or_at < end else []
        reading, rrule = f"once, at {spec_or_at.astimezone(ZoneInfo(timezone)).isoformat()}", None
    else:
        reading, rrule = spec_or_at.describe(), rrule_for(spec_or_at, start, end)
        # With a rule only its first fire is needed (every 20 seconds is 30,000 fires a week).
        fires = _fires(spec_or_at, start, end, 1 if rrule is not None else None)
    if not fires:
        return None
    return CalendarEvent(
        name,
        agent,
        description,
        reading,
        timezone,
        max(1, int(duration_seconds or _DEFAULT_DURATION)),
        fires[0],
        rrule,
        () if rrule is not None else tuple(fires),
    )


def events_for(
    name: str,
    agent: str,
    description: str | None,
    spec_or_at: CronSpec | datetime,
    timezone: str,
    start: datetime,
    end: datetime,
    duration_seconds: int | None,
) -> list[CalendarEvent]:
    """The calendar entries of one schedule over [start, end): `event_for`'s one entry, except that more
    than `SEPARATE_FIRES_LIMIT` fires kept apart only by offset changes become one rule per stretch
    between the changes and the fires near each change (see the module's docstring)."""
    if isinstance(spec_or_at, datetime) or rrule_for(spec_or_at, start, end) is not None:
        single = event_for(name, agent, description, spec_or_at, timezone, start, end, duration_seconds)
        return [single] if single is not None else []
    spec = spec_or_at
    daily = _daily_rule(spec)
    if daily is None or len(_fires(spec, start, end, SEPARATE_FIRES_LIMIT + 1)) <= SEPARATE_FIRES_LIMIT:
        single = event_for(name, agent, description, spec, timezone, start, end, duration_seconds)
        return [single] if single is not None else []
    duration = max(1, int(duration_seconds or _DEFAULT_DURATION))
    rule = CalendarEvent(name, agent, description, spec.describe(), timezone, duration, start, daily, ())
    events: list[CalendarEvent] = []
    near: list[datetime] = []
    stretch_start = start
    for change in _touching_changes(spec, start, end):
        events += _stretch(rule, spec, stretch_start, change.at - change.amount)
        near_start, stretch_start = max(stretch_start, change.at - change.amount), change.at + change.amount
        near += _fires(spec, near_start, min(end, stretch_start), None)
    events += _stretch(rule, spec, stretch_start, end)
    if near:
        events.append(replace(rule, first=near[0], rrule=None, fires=tuple(near)))
    return sorted(events, key=lambda e: e.first)


def _stretch(rule: CalendarEvent, spec: CronSpec, start: datetime, end: datetime) -> list[CalendarEvent]:
    """`rule` over [start, end), a stretch no offset change touches (nothing when it has no fire)."""
    first = _fires(spec, start, end, 1) if start < end else []
    return [replace(rule, first=first[0], until=end - timedelta(seconds=1))] if first else []


def _fires(spec: CronSpec, start: datetime, end: datetime, limit: int | None) -> list[datetime]:
    """The fires of `spec` in [start, end), the first `limit` of them when given."""
    fires: list[datetime] = []
    t = spec.next_after(start - timedelta(microseconds=1))
    while t is not None and t < end and (limit is None or len(fires) < limit):
        fires.append(t)
        t = spec.next_after(t)
    return fires


def calendar(events: Iterable[CalendarEvent], *, end: datetime, stamp: datetime) -> str:
    """The iCalendar text (CRLF lines, folded at 75 octets); `stamp` is every event's DTSTAMP."""
    return "".join(calendar_chunks(events, end=end, stamp=stamp))


def calendar_chunks(events: Iterable[CalendarEvent], *, end: datetime, stamp: datetime) -> Iterator[str]:
    """`calendar`'s text in pieces of at most one event, for writing a large calendar as it is made."""
    events = list(events)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{_PRODID}", "CALSCALE:GREGORIAN"]
    first = min((e.first for e in events), default=stamp)
    for zone in sorted({e.timezone for e in events}):
        lines += _vtimezone(zone, first - timedelta(days=366), end + timedelta(days=366))
    yield _lines(lines)
    dtstamp = _utc(stamp)
    for e in events:
        tz = ZoneInfo(e.timezone)
        text = f"agent: {e.agent}\nwhen: {e.reading} ({e.timezone})"
        if e.description:
            text = f"{e.description}\n{text}"
        common = _lines(
            [
                f"DTSTAMP:{dtstamp}",
                f"SUMMARY:{_escape(e.schedule)}",
                f"DESCRIPTION:{_escape(text)}",
                f"X-SYMBI-AGENT:{_escape(e.agent)}",
                f"DURATION:PT{e.duration_seconds}S",
                "END:VEVENT",
            ]
        )
        if e.rrule is not None:
            until = e.until if e.until is not None else end - timedelta(seconds=1)
            head = [
                "BEGIN:VEVENT",
                f"UID:{_uid(e.schedule, 'rrule' if e.until is None else 'rrule-' + _utc(e.first))}",
                f"DTSTART;TZID={e.timezone}:{_local(e.first, tz)}",
                f"RRULE:{e.rrule};UNTIL={_utc(until)}",
            ]
            yield _lines(head) + common
            continue
        for fire in e.fires:
            head = ["BEGIN:VEVENT", f"UID:{_uid(e.schedule, _utc(fire))}", _dtstart(fire, tz, e.timezone)]
            yield _lines(head) + common
    yield _lines(["END:VCALENDAR"])


def _lines(lines: Iterable[str]) -> str:
    return "".join(_fold(line) + "\r\n" for line in lines)


def _vtimezone(name: str, start: datetime, end: datetime) -> list[str]:
    zone = ZoneInfo(name)
    first = start.astimezone(zone)
    offset = first.utcoffset() or timedelta(0)
    out = [
        "BEGIN:VTIMEZONE",
        f"TZID:{name}",
        "BEGIN:STANDARD",
        f"DTSTART:{(start + offset).strftime('%Y%m%dT%H%M%S')}",
        f"TZOFFSETFROM:{_ics_offset(offset)}",
        f"TZOFFSETTO:{_ics_offset(offset)}",
        f"TZNAME:{first.tzname() or name}",
        "END:STANDARD",
    ]
    for change in offset_changes(zone, start, end):
        kind = "DAYLIGHT" if change.forward else "STANDARD"
        out += [
            f"BEGIN:{kind}",
            f"DTSTART:{(change.at + change.before).strftime('%Y%m%dT%H%M%S')}",
            f"TZOFFSETFROM:{_ics_offset(change.before)}",
            f"TZOFFSETTO:{_ics_offset(change.after)}",
            f"TZNAME:{change.name_after or name}",
            f"END:{kind}",
        ]
    out.append("END:VTIMEZONE")
    return out


def _ics_offset(offset: timedelta) -> str:
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    h, rest = divmod(abs(total), 3600)
    m, s = divmod(rest, 60)
    return f"{sign}{h:02d}{m:02d}" + (f"{s:02d}" if s else "")


def _utc(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(t: datetime, zone: ZoneInfo) -> str:
    return t.astimezone(zone).strftime("%Y%m%dT%H%M%S")


def _dtstart(fire: datetime, zone: ZoneInfo, name: str) -> str:
    """A fire's start in its zone; in UTC when it falls in an hour the zone repeats (clocks back), as
    a calendar reads a repeated local time as its first pass."""
    local = fire.astimezone(zone)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return f"DTSTART:{_utc(fire)}"
    return f"DTSTART;TZID={name}:{local.strftime('%Y%m%dT%H%M%S')}"


def _uid(schedule: str, what: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in schedule)
    return f"{safe}-{what}@symbi"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (never inside a character)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    limit = 75
    current = ""
    size = 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with a space
        current += ch
        size += n
    parts.append(current)
    return "\r\n ".join(parts)
