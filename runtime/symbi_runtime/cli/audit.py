"""`symbi audit`: list the audit events the scheduler recorded, newest first.

`symbi audit CronJobFailed` and `symbi audit --type CronJobFailed` are the same (type names are matched
case-insensitively). `--since` takes an ISO 8601 time (UTC if naive) or an age such as `90m`, `24h`,
`7d`. The database is found as by `symbi cron`: `--db`, `SYMBI_DB`, the config's `job_store_path`,
`.symbi/symbi.db`. `--format json` prints a list of `{"id", "type", "at", "actor", "job", "job_id",
"run_id", "details"}` (times ISO 8601 UTC with offset). Exit codes: 0 listed (possibly nothing), 1 the
store cannot be read, 2 usage errors (unknown type, bad --since).
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from symbi_runtime.cli.common import DB_HELP
from symbi_runtime.cli.output import Column, OutputFormat, iso, one_line, render, short_time

if TYPE_CHECKING:
    from symbi_runtime.store import AuditRecord

EXIT_FAILED = 1
EXIT_USAGE = 2

app = typer.Typer(name="audit", add_completion=False, rich_markup_mode=None)


class AuditFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


_AGE = re.compile(r"(?P<n>\d+)\s*(?P<unit>s|m|h|d|w)\Z")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

COLUMNS = [
    Column("at", "TIME", short_time, no_wrap=True),
    Column("type", "EVENT", no_wrap=True),
    Column("job", "JOB"),
    Column("run_id", "RUN"),
    Column("actor", "ACTOR"),
    Column("details", "DETAILS", lambda d: one_line(_details_text(d), 80)),
]


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"symbi audit: error: {message}", err=True)
    raise typer.Exit(code)


def event_type_named(name: str) -> str:
    """The canonical event type for `name` (case-insensitive); exit 2 with a suggestion otherwise."""
    from symbi_runtime.audit import SecurityEventType

    names = [str(t) for t in SecurityEventType]
    for known in names:
        if known.lower() == name.strip().lower():
            return known
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else f"; known types: {', '.join(names)}"
    _fail(f"unknown event type {name!r}{hint}", EXIT_USAGE)


def parse_since(text: str, now: datetime) -> datetime:
    """An ISO 8601 time (UTC if naive) or an age back from `now` (`90m`, `24h`, `7d`)."""
    age = _AGE.match(text.strip().lower())
    if age:
        return now - timedelta(**{_UNITS[age["unit"]]: int(age["n"])})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        _fail(f"--since: {text!r} is neither an ISO 8601 time nor an age like 24h or 7d", EXIT_USAGE)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def event_json(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "type": record.event_type,
        "at": iso(record.at),
        "actor": record.actor,
        "job": record.job_name,
        "job_id": record.job_id,
        "run_id": record.run_id,
        "details": record.details,
    }


def _details_text(details: Any) -> str:
    if not isinstance(details, dict) or not details:
        return "-"
    return " ".join(f"{k}={v}" for k, v in details.items() if v is not None and v != "")


@app.command()
def audit(
    event_type: Annotated[
        str | None, typer.Argument(metavar="[TYPE]", help="Only events of this type (e.g. CronJobFailed).")
    ] = None,
    type_option: Annotated[str | None, typer.Option("--type", help="Same as TYPE.")] = None,
    job: Annotated[str | None, typer.Option("--job", help="Only events of this job (name or id).")] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only events at or after this ISO time, or this age (24h, 7d)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many events.")] = 200,
    fmt: Annotated[AuditFormat, typer.Option("--format", help="table or json.")] = AuditFormat.TABLE,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="symbi.toml to use (default: ./symbi.toml if present).")
    ] = None,
) -> None:
    """List audit events recorded by the scheduler, newest first."""
    from symbi_runtime.config import ConfigError, load_config
    from symbi_runtime.store import StoreError, open_store, resolve_location

    if event_type is not None and type_option is not None and event_type != type_option:
        _fail("give the event type once (as TYPE or with --type)", EXIT_USAGE)
    wanted = event_type if event_type is not None else type_option
    canonical = None if wanted is None else event_type_named(wanted)
    start = None if since is None else parse_since(since, datetime.now(UTC))

    env = dict(os.environ)
    try:
        location = resolve_location(db, load_config(config, env), env)
    except (ConfigError, StoreError) as exc:
        _fail(str(exc), EXIT_FAILED)
    if not location.is_postgres and not location.path.is_file():
        _fail(f"no job store at {location} (nothing has been recorded yet)", EXIT_FAILED)
    try:
        store = open_store(location)
        try:
            records = store.list_audit(event_type=canonical, job=job, since=start, limit=limit)
        finally:
            store.close()
    except (StoreError, OSError) as exc:
        _fail(f"cannot read the job store {location}: {exc}", EXIT_FAILED)

    rows = [event_json(r) for r in records]
    output_format = OutputFormat.JSON if fmt is AuditFormat.JSON else OutputFormat.TABLE
    sys.stdout.write(render(rows, COLUMNS, output_format, empty="no audit events"))
    sys.stdout.flush()


if __name__ == "__main__":
    app()
