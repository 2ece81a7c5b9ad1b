"""`symbi export --ics`: the calendar is proven independently of its writer. It is parsed with the
`icalendar` package, every RRULE is expanded with `dateutil.rrule` (across DST changes), and the instants
are compared with `symbi next` for the same window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from dateutil.rrule import rrulestr

from .conftest import Symbi

FLEET = """\
agent reporter {
  command: ["echo", "hi"]
}

schedule weekday_report {
  agent: "reporter"
  cron: "0 0 9 * * 1-5"
  timezone: "Europe/Berlin"
  description: "Morning report, with commas; and semicolons"
  policy { max_runtime: "5m" }
}

# 02:30 does not exist in Berlin on 2027-03-28: symbi runs it at 03:00, a calendar rule would not.
schedule night_batch {
  agent: "reporter"
  cron: "0 30 2 * * *"
  timezone: "Europe/Berlin"
}

schedule quarter_hours {
  agent: "reporter"
  cron: "0 */15 8-9 * * *"
  timezone: "America/New_York"
}

# Day of month OR day of week: calendar rules AND their parts, so this is written fire by fire.
schedule either_day {
  agent: "reporter"
  cron: "0 0 12 1 * MON"
}

schedule once {
  agent: "reporter"
  at: "2027-03-30T10:00:00"
  timezone: "Asia/Tokyo"
}

# One fire: the first Monday 09:00 (Berlin) after the window starts, as if loaded then.
schedule launch {
  agent: "reporter"
  cron: "0 0 9 * * MON"
  timezone: "Europe/Berlin"
  one_shot: true
}
"""

# Two weeks around Europe's spring-forward (2027-03-28) and after America's (2027-03-14).
FROM = "2027-03-22T00:00:00Z"
DAYS = 14


def when(component: Any, key: str = "DTSTART") -> datetime:
    """A component's date-time value (icalendar's property types are a wide union)."""
    value = component.decoded(key)
    assert isinstance(value, datetime)
    return value


def instants_from_calendar(text: str) -> dict[str, list[datetime]]:
    cal = icalendar.Calendar.from_ical(text)
    out: dict[str, list[datetime]] = {}
    rules: dict[str, str] = {}
    event: Any
    for event in cal.walk("VEVENT"):
        name = str(event["SUMMARY"])
        start = when(event)
        assert start.tzinfo is not None, "every DTSTART carries its zone"
        if "RRULE" in event:
            rule = event.get("RRULE").to_ical().decode()
            rules[name] = rule
            out.setdefault(name, []).extend(t.astimezone(UTC) for t in rrulestr(rule, dtstart=start))
        else:
            out.setdefault(name, []).append(start.astimezone(UTC))
    return {k: sorted(v) for k, v in out.items()}


def instants_from_next(symbi: Symbi, path: str, end: datetime) -> dict[str, list[datetime]]:
    r = symbi("next", path, "-n", "1000", "--after", "2027-03-21T23:59:59Z", "--format", "json")
    assert r.code == 0, r.err
    out: dict[str, list[datetime]] = {}
    for entry in json.loads(r.out):
        times = [datetime.fromisoformat(t).astimezone(UTC) for t in entry["next"]]
        kept = [t for t in times if t < end]
        if kept:
            out[entry["schedule"]] = kept
    return out


def test_calendar_instants_equal_symbi_next(symbi: Symbi, tmp_path: Path) -> None:
    (tmp_path / "fleet.symbi").write_text(FLEET, encoding="utf-8")
    r = symbi("export", "--ics", "fleet.symbi", "--days", str(DAYS), "--from", FROM, "-o", "fleet.ics")
    assert r.code == 0, r.err
    raw = (tmp_path / "fleet.ics").read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines are folded at 75 octets"
    text = raw.decode()
    end = datetime(2027, 4, 5, tzinfo=UTC)
    assert instants_from_calendar(text) == instants_from_next(symbi, "fleet.symbi", end)


def test_rrule_only_where_the_cron_maps_exactly(symbi: Symbi, tmp_path: Path) -> None:
    (tmp_path / "fleet.symbi").write_text(FLEET, encoding="utf-8")
    r = symbi("export", "--ics", "fleet.symbi", "--days", str(DAYS), "--from", FROM, "-o", "-")
    cal = icalendar.Calendar.from_ical(r.out)
    by_name: dict[str, list[Any]] = {}
    for item in cal.walk("VEVENT"):
        by_name.setdefault(str(item["SUMMARY"]), []).append(item)
    # Mapped: one recurring event each, crossing a DST change without touching its times.
    [weekday] = by_name["weekday_report"]
    assert "RRULE" in weekday
    assert weekday["RRULE"]["BYDAY"] == ["MO", "TU", "WE", "TH", "FR"]
    assert weekday["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert weekday.decoded("DURATION") == timedelta(minutes=5)
    assert str(weekday["DESCRIPTION"]).startswith(
        "Morning report, with commas; and semicolons\nagent: reporter"
    )
    [quarters] = by_name["quarter_hours"]
    assert "RRULE" in quarters
    # Not mapped: one event per fire.
    assert len(by_name["night_batch"]) == DAYS and all("RRULE" not in e for e in by_name["night_batch"])
    moved = [when(e) for e in by_name["night_batch"] if when(e).day == 28]
    assert [t.strftime("%H:%M %z") for t in moved] == ["03:00 +0200"]
    assert all("RRULE" not in e for e in by_name["either_day"])
    [once] = by_name["once"]
    assert when(once) == datetime(2027, 3, 30, 1, 0, tzinfo=UTC)
    [launch] = by_name["launch"]  # `one_shot`: one event, no rule, although two Mondays are in the window
    assert "RRULE" not in launch and when(launch) == datetime(2027, 3, 22, 8, 0, tzinfo=UTC)
    # Every zone used has its VTIMEZONE, with the spring-forward change in it.
    zones: dict[str, Any] = {str(z["TZID"]): z for z in cal.walk("VTIMEZONE")}
    assert set(zones) == {"Europe/Berlin", "America/New_York", "UTC", "Asia/Tokyo"}
    starts = [when(c) for c in zones["Europe/Berlin"].walk("DAYLIGHT")]
    assert datetime(2027, 3, 28, 2, 0) in starts


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "fleet.symbi", "-o", "-"), "choose a format: --ics"),
        (("export", "--ics", "fleet.symbi", "--from", "soon", "-o", "-"), "--from soon: not an ISO 8601"),
        (("export", "--ics", "fleet.symbi", "-o", "missing-dir/x.ics"), "-o missing-dir/x.ics: cannot write"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(
    symbi: Symbi, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "fleet.symbi").write_text(FLEET, encoding="utf-8")
    r = symbi(*args)
    assert r.code == 2
    assert message in r.err and "Traceback" not in r.err


def test_a_file_with_errors_writes_nothing_and_exits_1(symbi: Symbi, tmp_path: Path) -> None:
    (tmp_path / "bad.symbi").write_text('schedule s {\n  agent: "a"\n  cron: "0 0 25 * * *"\n}\n', "utf-8")
    r = symbi("export", "--ics", "bad.symbi", "-o", "out.ics")
    assert r.code == 1 and "SYM2" in r.err
    assert not (tmp_path / "out.ics").exists()


FREQUENT = """\
agent reporter {
  command: ["echo", "hi"]
}

schedule every_half_minute {
  agent: "reporter"
  cron: "*/30 * * * * *"
  timezone: "America/New_York"
}

schedule every_five_minutes {
  agent: "reporter"
  cron: "0 */5 * * * *"
  timezone: "Europe/Berlin"
}

# In the hour New York repeats in the autumn and close to the one it skips in spring; few fires.
schedule half_past_one {
  agent: "reporter"
  cron: "0 30 1 * * *"
  timezone: "America/New_York"
}
"""


@pytest.mark.parametrize(
    ("start", "days"),
    [
        (datetime(2027, 10, 28, tzinfo=UTC), 14),  # both fall-backs: Berlin 2027-10-31, New York 11-07
        (datetime(2027, 3, 10, tzinfo=UTC), 21),  # both spring-forwards: New York 03-14, Berlin 03-28
    ],
)
def test_frequent_fires_across_offset_changes_are_rules_between_the_changes(
    symbi: Symbi, tmp_path: Path, start: datetime, days: int
) -> None:
    """Above SEPARATE_FIRES_LIMIT single events, a schedule kept from one RRULE only by offset changes is
    written as rules for the stretches between them plus the fires near each change: the calendar still
    holds exactly the instants symbi fires at, in a bounded number of events."""
    from symbi_lang.cron import CronSpec
    from symbi_lang.ics import SEPARATE_FIRES_LIMIT

    (tmp_path / "fleet.symbi").write_text(FREQUENT, encoding="utf-8")
    r = symbi("export", "--ics", "fleet.symbi", "--days", str(days), "--from", start.isoformat(), "-o", "-")
    assert r.code == 0, r.err
    end = start + timedelta(days=days)
    got = instants_from_calendar(r.out)
    events: dict[str, list[Any]] = {}
    for item in icalendar.Calendar.from_ical(r.out).walk("VEVENT"):
        events.setdefault(str(item["SUMMARY"]), []).append(item)
    uids = [str(e["UID"]) for items in events.values() for e in items]
    assert len(uids) == len(set(uids))
    for name, cron, zone in [
        ("every_half_minute", "*/30 * * * * *", "America/New_York"),
        ("every_five_minutes", "0 */5 * * * *", "Europe/Berlin"),
        ("half_past_one", "0 30 1 * * *", "America/New_York"),
    ]:
        spec = CronSpec.parse(cron, zone)
        expected: list[datetime] = []
        t = spec.next_after(start - timedelta(microseconds=1))
        while t is not None and t < end:
            expected.append(t.astimezone(UTC))
            t = spec.next_after(t)
        assert got[name] == expected, name
        if len(expected) > SEPARATE_FIRES_LIMIT:
            rules = [e for e in events[name] if "RRULE" in e]
            assert len(rules) == 2  # before and after the one change of its zone in the window
            assert len(events[name]) < SEPARATE_FIRES_LIMIT
        else:  # few fires: as before, one rule for the window or (its times touched) one event per fire
            rules = [e for e in events[name] if "RRULE" in e]
            assert len(events[name]) == (1 if rules else len(expected))
