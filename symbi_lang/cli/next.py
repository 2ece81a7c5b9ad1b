"""`symbi next EXPR|FILE|DIR [-n N] [--after ISO] [--now ISO] [--tz ZONE] [--format text|json]`: upcoming
fire times.

For an expression: `{"expression", "timezone", "next": [ISO 8601 with offset, …], "offsets": [UTC offset of
each time], "dst_changes": [{"after_index", "at", "from", "to", "note"}]}`. For a file: a list of those
objects, each with the `"schedule"` it belongs to (one-shot `at:` schedules list their single fire if it is
still ahead). Times are shown in the schedule's (or `--tz`) time zone, each with its offset; a line between
two times marks a change of the zone's offset (daylight saving time) and what it does to the schedule.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from symbi_lang.cli.common import EXIT_PROBLEMS, fail, parse_now

if TYPE_CHECKING:
    from symbi_lang.cron import CronSpec
    from symbi_lang.zones import OffsetChange

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

MAX_N = 1000


class NextFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@app.command(name="next")
def next_command(
    target: Annotated[str, typer.Argument(help="A cron expression (quote it) or a .symbi file.")],
    n: Annotated[int, typer.Option("-n", "--count", help="How many fire times.", min=1, max=MAX_N)] = 5,
    after: Annotated[
        str | None, typer.Option("--after", help="Start instant (ISO 8601; naive = in --tz). Default: now.")
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option("--tz", help="IANA time zone (default: the schedule's, or UTC for an expression)."),
    ] = None,
    fmt: Annotated[NextFormat, typer.Option("--format", "-f", help="Output format.")] = NextFormat.TEXT,
    now: Annotated[
        str | None,
        typer.Option("--now", help="Treat this ISO 8601 time (naive = UTC) as now: the default --after."),
    ] = None,
) -> None:
    """Show the next fire times of a cron expression or of every schedule in a file or folder."""
    zone = _zone(tz) if tz is not None else None
    current = parse_now(now)
    start = current if after is None else _parse_after(after, zone or UTC)
    path = Path(target)
    # A folder is read like `symbi check` reads it: every *.symbi file under it.
    if target.endswith(".symbi") or path.is_file() or path.is_dir():
        entries = _file_entries(path, n, start, tz, current)
        if fmt is NextFormat.JSON:
            public = [strip_private(e) for e in entries]
            sys.stdout.write(json.dumps(public, indent=2, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write("\n".join(_text_entry(e, current) for e in entries) or "no schedules\n")
        return
    entry = _expression_entry(target, tz or "UTC", n, start)
    if fmt is NextFormat.JSON:
        sys.stdout.write(json.dumps(strip_private(entry), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_text_entry(entry, current))
    if not entry["next"]:  # like `symbi check`'s SYM203: an expression that never fires is a problem
        typer.echo(f"error: {target!r} never fires after {start.isoformat()}", err=True)
        raise typer.Exit(EXIT_PROBLEMS)


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(f"--tz {name}: unknown time zone (use an IANA name such as Europe/Berlin)") from None


def _parse_after(text: str, zone: tzinfo) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise fail(f"--after {text}: not an ISO 8601 date-time (e.g. 2026-11-24T09:00:00Z)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _iso(t: datetime, zone: str) -> str:
    return t.astimezone(ZoneInfo(zone)).isoformat()


def _expression_entry(expression: str, zone: str, n: int, start: datetime) -> dict[str, Any]:
    from symbi_lang.cron import CronError, CronErrorKind, CronSpec

    try:
        spec = CronSpec.parse(expression, zone)
    except CronError as e:
        if e.kind is CronErrorKind.BAD_TIMEZONE:
            raise fail(f"--tz {zone}: {e.message}") from None
        _print_cron_error(expression, e)
        raise typer.Exit(EXIT_PROBLEMS) from None
    times = spec.next_n(start, n)
    return {
        "expression": expression,
        "timezone": zone,
        "next": [_iso(t, zone) for t in times],
        **dst_marks(spec, zone, times, start),
        "_describe": spec.describe(),
    }


def _print_cron_error(expression: str, e: Any) -> None:
    caret = " " * e.start + "^" * max(1, e.end - e.start)
    lines = [f"error: invalid cron expression: {e.message}", f"  | {expression}", f"  | {caret}"]
    if e.help:
        lines.append(f"  = help: {e.help}")
    typer.echo("\n".join(lines), err=True)


def _file_entries(path: Path, n: int, start: datetime, tz: str | None, now: datetime) -> list[dict[str, Any]]:
    from symbi_lang.api import CheckContext
    from symbi_lang.cli.check import exit_code, run_check
    from symbi_lang.cli.common import sources_map
    from symbi_lang.cron import CronError, CronSpec
    from symbi_lang.render import Format, render

    analysis, sources = run_check([str(path)], CheckContext(now=now))
    code = exit_code(analysis.diagnostics, strict=False)
    if code:
        sys.stderr.write(render(analysis.diagnostics, Format.TEXT, sources=sources_map(sources)))
        raise typer.Exit(code)
    entries: list[dict[str, Any]] = []
    for job in analysis.jobset().jobs:
        zone = tz or job.timezone or "UTC"
        if job.cron_expr is not None:
            try:
                spec = CronSpec.parse(job.cron_expr, zone)
            except CronError as e:
                raise fail(f"schedule {job.name}: {e.message}", EXIT_PROBLEMS) from None
            # `one_shot`: the one fire it would take if loaded at `start` (the store fixes it when loading)
            times = spec.next_n(start, 1 if job.one_shot else n)
            described = spec.describe()
            entries.append(
                {
                    "schedule": job.name,
                    "expression": job.cron_expr,
                    "timezone": zone,
                    "next": [_iso(t, zone) for t in times],
                    **({"one_shot": True} if job.one_shot else {}),
                    **dst_marks(spec, zone, times, start),
                    "_describe": f"once, at the first match after loading: {described}"
                    if job.one_shot
                    else described,
                }
            )
        elif job.at is not None:
            from symbi_lang.attime import parse_at

            when = parse_at(job.at, job.timezone or "UTC")
            ahead = [when] if when > start else []
            entries.append(
                {
                    "schedule": job.name,
                    "at": job.at,
                    "timezone": zone,
                    "next": [_iso(t, zone) for t in ahead],
                    **dst_marks(None, zone, ahead),
                    "_describe": f"once, at {_iso(when, zone)}",
                }
            )
    return entries


def _relative(t: datetime, now: datetime) -> str:
    """`in 3h 2m` or, for a time already past (with `--after` in the past), `2d 4h ago`."""
    total = int((t - now).total_seconds())
    seconds = abs(total)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        span = f"{days}d {hours}h"
    elif hours:
        span = f"{hours}h {minutes}m"
    elif minutes:
        span = f"{minutes}m {secs}s"
    else:
        span = f"{secs}s"
    return f"in {span}" if total >= 0 else f"{span} ago"


def _text_entry(entry: dict[str, Any], now: datetime) -> str:
    zone = ZoneInfo(entry["timezone"])
    what = entry.get("expression") or entry.get("at")
    head = f"{entry['schedule']}: " if "schedule" in entry else ""
    lines = [f"{head}{what} ({entry['timezone']}): {entry['_describe']}"]
    if not entry["next"]:
        lines.append("  never fires again")
    changes: dict[int, list[str]] = {}
    for c in entry.get("dst_changes", []):
        changes.setdefault(c["after_index"], []).append(f"  ~ {c['note']}")
    lines.extend(changes.get(-1, []))
    for i, iso in enumerate(entry["next"]):
        t = datetime.fromisoformat(iso)
        local = t.astimezone(zone)
        offset = entry["offsets"][i]
        lines.append(f"  {local:%a %Y-%m-%d %H:%M:%S} {local.tzname()} {offset}  {_relative(t, now)}")
        lines.extend(changes.get(i, []))
    return "\n".join(lines) + "\n"


def dst_marks(
    spec: CronSpec | None, zone: str, times: list[datetime], start: datetime | None = None
) -> dict[str, Any]:
    """Each time's UTC offset, and every offset change between two consecutive times (`after_index`
    -1: between `start` and the first time) with what it does to the schedule ("…: 01:30 runs once")."""
    from symbi_lang.zones import format_offset, offset_changes

    tz = ZoneInfo(zone)
    offsets = [t.astimezone(tz).utcoffset() or timedelta(0) for t in times]
    changes: list[dict[str, Any]] = []
    bounds = ([start] if start is not None and times else []) + times
    first = -1 if start is not None and times else 0
    for i in range(len(bounds) - 1):
        a, b = bounds[i], bounds[i + 1]
        same = a.astimezone(tz).utcoffset() == b.astimezone(tz).utcoffset()
        if same and b - a < timedelta(days=200):
            continue
        for change in offset_changes(tz, a, b):
            changes.append(
                {
                    "after_index": i + first,
                    "at": change.at.isoformat(),
                    "from": format_offset(change.before),
                    "to": format_offset(change.after),
                    "note": f"{change.describe()}{_effect(spec, change)}",
                }
            )
    return {"offsets": [format_offset(o) for o in offsets], "dst_changes": changes}


def _effect(spec: CronSpec | None, change: OffsetChange) -> str:
    """What the change does to this schedule, when it touches one of its times of day."""
    from symbi_lang.zones import times_touched

    if spec is None:
        return ""
    touched = times_touched(spec, change)
    if not touched:
        return ""
    hi = max(
        (change.at + change.before).replace(tzinfo=None), (change.at + change.after).replace(tzinfo=None)
    )
    first = touched[0].strftime("%H:%M:%S")
    if change.forward:
        if spec.is_fixed_time:
            return f": {first} does not exist that day, so it runs once at {hi:%H:%M:%S}"
        return f": its {len(touched)} time(s) from {first} do not exist that day and are skipped"
    if spec.is_fixed_time:
        return f": {first} happens twice, and it runs once (the first time)"
    return f": its {len(touched)} time(s) from {first} happen twice, and it runs at both"


def strip_private(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if not k.startswith("_")}


if __name__ == "__main__":
    app()
