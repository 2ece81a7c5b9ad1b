"""`symbi export --ics PATHS… [--days N] [--from ISO] -o FILE`: the schedules' fires as an iCalendar file.

The files are checked first (errors: exit 1, nothing written). `--from` (default now) starts the window;
`-o -` writes to standard output. See `symbi_lang/ics.py` for when a schedule becomes an RRULE.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from symbi_lang.cli.common import EXIT_PROBLEMS, fail

if TYPE_CHECKING:
    from symbi_lang.ics import CalendarEvent

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

MAX_DAYS = 3660


@app.command(name="export")
def export_command(
    paths: Annotated[list[str], typer.Argument(help="Files or directories (searched for *.symbi).")],
    output: Annotated[str, typer.Option("-o", "--output", help="File to write; `-` for standard output.")],
    ics: Annotated[bool, typer.Option("--ics", help="Write an RFC 5545 calendar (the only format).")] = False,
    days: Annotated[int, typer.Option("--days", help="Length of the window.", min=1, max=MAX_DAYS)] = 30,
    start_text: Annotated[
        str | None, typer.Option("--from", help="Start of the window (ISO 8601; naive = UTC). Default: now.")
    ] = None,
) -> None:
    """Export schedules' fire times as an iCalendar (.ics) file."""
    from symbi_lang.api import CheckContext
    from symbi_lang.cli.check import exit_code, run_check
    from symbi_lang.cli.common import sources_map
    from symbi_lang.render import Format, render

    if not ics:
        raise fail("choose a format: --ics (an RFC 5545 calendar) is the one there is")
    start = parse_instant(start_text, "--from")
    end = start + timedelta(days=days)
    analysis, sources = run_check(paths, CheckContext(now=start))
    code = exit_code(analysis.diagnostics, strict=False)
    if code:
        sys.stderr.write(render(analysis.diagnostics, Format.TEXT, sources=sources_map(sources)))
        raise typer.Exit(code)
    if not sources:
        raise fail("no .symbi files found in the given paths")
    text = ics_text(analysis.jobset().jobs, start, end)
    if output == "-":
        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8", newline="")
    except OSError as e:
        raise fail(f"-o {output}: cannot write: {e.strerror or e}") from None
    typer.echo(f"wrote {output}", err=True)


def ics_text(jobs: object, start: datetime, end: datetime) -> str:
    """The calendar of `jobs` (lowered JobDefinitions) over [start, end)."""
    from symbi_lang.ics import calendar

    return calendar(ics_events(jobs, start, end), end=end, stamp=start)


def ics_events(jobs: object, start: datetime, end: datetime) -> list[CalendarEvent]:
    """The calendar entries of `jobs` (lowered JobDefinitions) over [start, end), in their order."""
    from symbi_lang.attime import parse_at
    from symbi_lang.cron import CronError, CronSpec
    from symbi_lang.ics import events_for
    from symbi_lang.ir import JobDefinition

    events: list[CalendarEvent] = []
    assert isinstance(jobs, tuple | list)
    for job in jobs:
        assert isinstance(job, JobDefinition)
        zone = job.timezone or "UTC"
        when: CronSpec | datetime
        if job.cron_expr is not None:
            try:
                when = CronSpec.parse(job.cron_expr, zone)
            except CronError as e:
                raise fail(f"schedule {job.name}: {e.message}", EXIT_PROBLEMS) from None
            if job.one_shot:  # one event: the fire it takes if loaded at the calendar's start
                first = when.next_after(start)
                if first is None:
                    continue
                when = first.astimezone(UTC)
        elif job.at is not None:
            when = parse_at(job.at, zone).astimezone(UTC)
        else:
            continue
        runtime = job.policy.max_runtime_seconds if job.policy is not None else None
        events += events_for(
            job.name, job.agent_id, job.description, when, zone, start, end, int(runtime) if runtime else None
        )
    return events


def parse_instant(text: str | None, option: str) -> datetime:
    """An ISO 8601 instant for `option` (naive = UTC; None = now), whole seconds."""
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise fail(f"{option} {text}: not an ISO 8601 date-time (e.g. 2027-03-22T00:00:00Z)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


if __name__ == "__main__":
    app()
