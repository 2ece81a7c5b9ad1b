"""`symbi cron`: manage scheduled jobs in the job store (list, add, remove, pause, resume, status, run,
history, reset, approve, deny).

Every command takes `--db PATH|URL` (an SQLite file or a postgresql:// URL; else `SYMBI_DB`, else
`[scheduler] job_store_path` of the config, else `.symbi/symbi.db`) and `--config F` (else
`./symbi.toml` when present). The database may be in use by a running `symbi up` at the same time.
Exit codes: 0 done, 1 the request failed (no such job, bad JSON, a file with errors, a failed `run` or
one whose output a delivery channel did not take),
2 usage and I/O errors (bad options, a bad configuration, a missing, unreadable, corrupt or foreign
database); errors are one line on stderr. `add` is all-or-nothing: one transaction for every job it
writes, and the only command that creates a database (and its directory); `list`, `status` and
`history` open the database read-only.

`--format json` documents (stable; times are ISO 8601 UTC with offset, absent values are null;
`${VAR}` references are shown as written, never resolved):
- job: `{"id", "name", "agent", "status", "schedule", "cron_expr", "at", "timezone", "next_fire_at",
  "last_run_at", "last_status", "consecutive_failures", "max_retries", "run_count", "session_mode",
  "delivery", "max_concurrent", "heartbeat", "description", "created_at", "updated_at"}`
  (`list` prints a list of jobs; `status` prints `{"job": job + {"definition": <Job IR>}, "runs": [run…]}`)
- run: `{"id", "job", "job_id", "scheduled_for", "trigger", "status", "started_at", "finished_at",
  "duration_seconds", "jitter_seconds", "input", "output", "error", "decision", "decision_reason",
  "approver", "expires_at", "receipts", "detail", "iterations"}` (`iterations`: the heartbeat
  iterations, `[{"iteration", "action", "output", "at"}]`, empty for other jobs); `history` prints a
  list of runs, `run`, `approve` and `deny` print one run
- `add` prints `[{"name", "id", "outcome": "created"|"updated"|"unchanged", "status", "next_fire_at"}]`;
  `remove`, `pause`, `resume`, `reset` print the job (`remove`: `{"name", "id", "removed": true}`).
"""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from symbi_runtime.cli.common import DB_HELP
from symbi_runtime.cli.job_view import job_json, jobs_text, schedule_text
from symbi_runtime.cli.output import (
    Column,
    Fit,
    OutputFormat,
    iso,
    key_values,
    one_line,
    render,
    render_diagnostics,
    short_time,
    to_json,
)

if TYPE_CHECKING:
    from symbi_lang.ir import JobDefinition
    from symbi_runtime.config import Config
    from symbi_runtime.store import JobRecord, RunRecord, Store, StoreLocation

EXIT_FAILED = 1
EXIT_USAGE = 2
WATCH_INTERVAL_SECONDS = 5.0
ALL_RUNS = 1_000_000

app = typer.Typer(
    name="cron",
    help="Manage scheduled jobs in the job store.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


class JobStatusChoice(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    DEAD_LETTER = "dead_letter"


class RunStatusChoice(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    SKIPPED = "skipped"
    DENIED = "denied"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    CANCELLED = "cancelled"
    ABANDONED = "abandoned"
    MISSED = "missed"


class SimpleFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


DbOption = Annotated[str | None, typer.Option("--db", help=DB_HELP)]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="symbi.toml to use (default: ./symbi.toml if present).")
]
ListFormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")]
SimpleFormatOption = Annotated[SimpleFormat, typer.Option("--format", help="table or json.")]
WideOption = Annotated[
    bool, typer.Option("--wide", help="Show every column in full (tables fit the terminal otherwise).")
]


# --- plumbing -------------------------------------------------------------------------------------


class CliFailure(Exception):
    """A request that failed in a way the user can act on; printed as one line, exit 1."""


def _fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    typer.echo(f"symbi cron: error: {message}", err=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Turn every expected failure into one line on stderr and exit 1 (never a traceback)."""
    from symbi_runtime.store import (
        PermanentStoreError,
        StoreError,
        StoreLocationError,
        TransientStoreError,
    )

    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except (PermanentStoreError, TransientStoreError, StoreLocationError) as e:
        _fail(str(e), EXIT_USAGE)  # missing, unreadable, corrupt, foreign, busy database: I/O, exit 2
    except (CliFailure, StoreError) as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"{e.strerror or e}{f': {e.filename}' if e.filename else ''}", EXIT_USAGE)


def _config(config: Path | None) -> Config:
    """The configuration; a bad file or value is a usage error (exit 2), as for every runtime CLI."""
    from symbi_runtime.cli.common import environment
    from symbi_runtime.config import ConfigError, load_config

    try:
        return load_config(config, environment())
    except ConfigError as e:
        _fail(str(e), EXIT_USAGE)


def _location(db: str | None, cfg: Config) -> StoreLocation:
    from symbi_runtime.cli.common import environment
    from symbi_runtime.store import resolve_location

    return resolve_location(db, cfg, environment())


@contextlib.contextmanager
def _store(
    db: str | None, config: Path | None, *, create: bool = False, read_only: bool = False
) -> Iterator[Store]:
    """Open the job store (symbi_runtime.cli.job_store); a bad configuration is a usage error (exit 2)."""
    from symbi_runtime.cli.job_store import environment, open_command_store
    from symbi_runtime.config import ConfigError

    try:
        store = open_command_store(db, config, environment(), create=create, read_only=read_only)
    except ConfigError as e:
        _fail(str(e), EXIT_USAGE)
    try:
        yield store
    finally:
        store.close()


def _now() -> datetime:
    return datetime.now(UTC)


def _actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}"


def _require_job(store: Store, name: str) -> JobRecord:
    job = store.get_job(name)
    if job is None:
        raise CliFailure(f"no job named {name!r}")
    return job


def _print(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`symbi cron list | head`): stop quietly, as other Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(EXIT_FAILED) from None


# --- JSON shapes ----------------------------------------------------------------------------------


def run_json(run: RunRecord, iterations: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The JSON form of a run; `iterations` are the heartbeat iterations the store recorded for it."""
    return {
        "id": run.id,
        "job": run.job_name,
        "job_id": run.job_id,
        "scheduled_for": iso(run.scheduled_for),
        "trigger": run.trigger,
        "status": run.status,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "duration_seconds": run.duration_seconds,
        "jitter_seconds": run.jitter_seconds,
        "input": run.input,
        "output": run.output,
        "error": run.error,
        "decision": run.decision,
        "decision_reason": run.decision_reason,
        "approver": run.approver,
        "expires_at": iso(run.expires_at),
        "receipts": list(run.receipts),
        "detail": dict(run.detail),
        "iterations": [
            {
                "iteration": it["iteration"],
                "action": it["action"],
                "output": it["output"],
                "at": iso(it["at"]),
            }
            for it in iterations
        ],
    }


# On a narrow terminal DURATION goes first, then TRIGGER and OUTPUT / ERROR.
RUN_COLUMNS = (
    Column("id", "RUN", lambda v: str(v)[:8]),
    Column("scheduled_for", "SCHEDULED (UTC)", short_time),
    Column("trigger", "TRIGGER", drop=2),
    Column("status", "STATUS"),
    Column("duration_seconds", "DURATION", lambda v: "-" if v is None else f"{v:.2f}s", drop=1),
    Column("output", "OUTPUT / ERROR", lambda v: one_line(v, 200), fit=Fit.ELLIPSIS, drop=3, min_width=16),
)
RUN_CSV_COLUMNS = tuple(
    Column(k, k)
    for k in (
        "id",
        "job",
        "scheduled_for",
        "trigger",
        "status",
        "started_at",
        "finished_at",
        "duration_seconds",
        "jitter_seconds",
        "input",
        "output",
        "error",
        "decision",
        "decision_reason",
        "approver",
    )
)


def _run_rows(store: Store, runs: Sequence[RunRecord]) -> list[dict[str, Any]]:
    return [run_json(run, store.list_iterations(run.id)) for run in runs]


def _run_table_rows(runs: Sequence[RunRecord]) -> list[dict[str, Any]]:
    rows = []
    for run in runs:
        row = run_json(run)
        row["output"] = _outcome_text(run)
        rows.append(row)
    return rows


def failed_deliveries(run: RunRecord) -> list[dict[str, Any]]:
    """The receipts of channels the run's output did not reach."""
    return [r for r in run.receipts if isinstance(r, dict) and not r.get("ok", True)]


def _delivery_marker(run: RunRecord) -> str:
    failed = failed_deliveries(run)
    if not failed:
        return ""
    return "[delivery failed: " + ", ".join(str(r.get("channel")) for r in failed) + "] "


def _outcome_text(run: RunRecord) -> str:
    marker = _delivery_marker(run)
    if marker:
        return marker + _plain_outcome(run)
    return _plain_outcome(run)


def _plain_outcome(run: RunRecord) -> str:
    if run.error:
        return f"error: {run.error}"
    if run.status == "missed" and run.detail.get("missed_count"):
        return f"{run.detail['missed_count']} fires missed"
    return run.output or ""


# --- list -----------------------------------------------------------------------------------------


@app.command("list")
def list_jobs(
    status: Annotated[
        JobStatusChoice | None, typer.Option("--status", help="Only jobs in this state.")
    ] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Only jobs of this agent.")] = None,
    fmt: ListFormatOption = OutputFormat.TABLE,
    wide: WideOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """List jobs with their schedule, state and next run."""
    with _errors():
        with _store(db, config, read_only=True) as store:
            text = jobs_text(store, None if status is None else status.value, agent, fmt, wide=wide)
        _print(text)


# --- add ------------------------------------------------------------------------------------------


@app.command("add")
def add(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="[FILE]...", help=".symbi files or directories (as for `symbi check`)."),
    ] = None,
    file_options: Annotated[
        list[Path] | None, typer.Option("--file", "-f", help="A .symbi file or directory (repeatable).")
    ] = None,
    schedule: Annotated[
        str | None, typer.Option("--schedule", help="Add only the schedule of this name from the files.")
    ] = None,
    json_text: Annotated[
        str | None,
        typer.Option("--json", help="A job as JSON (Job IR object, or a JobSet); '-' reads stdin."),
    ] = None,
    fmt: SimpleFormatOption = SimpleFormat.TABLE,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Add or update jobs from .symbi files or JSON (idempotent: unchanged jobs stay as they are)."""
    files = [*(paths or []), *(file_options or [])]
    if bool(files) == (json_text is not None):
        _fail("give either FILE… (or --file F) or --json '{…}'", EXIT_USAGE)
    if schedule is not None and not files:
        _fail("--schedule selects a schedule from --file", EXIT_USAGE)
    from symbi_runtime.gcpause import no_cyclic_gc

    # Everything built here (syntax trees, IR, rows) lives until the jobs are stored: cyclic collections
    # in between only walk it again, and the collector's counts decide when (measured 0.4-1.9 s of
    # reloading 10,000 jobs, depending on what the imports before had allocated).
    with _errors(), no_cyclic_gc():
        if files:
            jobs = _jobs_from_files(files, schedule, _config(config), _stored_names(db, config))
        else:
            assert json_text is not None
            jobs = _jobs_from_json(
                sys.stdin.read() if json_text == "-" else json_text,
                _config(config),
                _stored_names(db, config),
            )
        from symbi_runtime.timing import ScheduleError, first_fire

        now = _now()
        for job in jobs:  # name the job whose schedule cannot be evaluated, before writing anything
            try:
                first_fire(job, now)
            except ScheduleError as e:
                raise CliFailure(f"job {job.name!r}: {e}") from None
        from symbi_runtime.loading import duplicate_names

        dupes = duplicate_names(jobs)
        if dupes:
            raise CliFailure(f"duplicate schedule name(s): {', '.join(dupes)}; nothing added")
        with _store(db, config, create=True) as store:
            upserted = store.upsert_jobs(jobs, now=now, actor=_actor())  # one transaction: all or none
        results = [
            {
                "name": record.name,
                "id": record.id,
                "outcome": outcome,
                "status": record.status,
                "next_fire_at": iso(record.next_fire_at),
            }
            for record, outcome in upserted
        ]
        if fmt is SimpleFormat.JSON:
            _print(to_json(results))
        else:
            for r in results:
                nxt = short_time(r["next_fire_at"]) if r["next_fire_at"] else f"none ({r['status']})"
                _print(f"{r['outcome']:<9} {r['name']}  (next run: {nxt})\n")


def _stored_names(db: str | None, config: Path | None) -> frozenset[str]:
    """Names of the jobs already in the store (none when there is no store yet)."""
    cfg = _config(config)
    if not _location(db, cfg).exists():
        return frozenset()
    with _store(db, config, read_only=True) as store:
        return frozenset(store.job_names())


def _jobs_from_files(
    files: Sequence[Path], schedule: str | None, cfg: Config, stored: frozenset[str] = frozenset()
) -> list[JobDefinition]:
    """The jobs of `files`, checked as the runtime would load them (refusing files with errors)."""
    from symbi_lang.api import analyze_paths
    from symbi_runtime.loading import check_context_for, tolerate_passed_times

    analysis = analyze_paths(list(files), check_context_for(cfg, os.environ))
    diagnostics = tolerate_passed_times(analysis.diagnostics, analysis.modules, stored.__contains__)
    errors = [d for d in diagnostics if d.is_error]
    warnings = [d for d in diagnostics if not d.is_error]
    if warnings and not errors:
        typer.echo(render_diagnostics(warnings), err=True)
    if errors:
        from symbi_lang.cli.common import is_io_problem

        if all(is_io_problem(d) for d in errors):  # a missing or unreadable file: I/O, exit 2
            _fail("; ".join(d.message for d in errors) + "; nothing added", EXIT_USAGE)
        typer.echo(render_diagnostics(diagnostics), err=True)
        shown = ", ".join(str(f) for f in files)
        s = "s" if len(errors) != 1 else ""
        raise CliFailure(f"{shown}: {len(errors)} error{s}; nothing added")
    from symbi_runtime.loading import absolute_sources

    jobset = absolute_sources(analysis.jobset())
    jobs = list(jobset.jobs)
    from symbi_runtime.agent_bindings import unbound_agents

    for unbound in unbound_agents(jobs, {a.name: a for a in jobset.agents}):
        # Loud, not refused: a program using the Runtime API may register the agent in-process.
        typer.echo(f"symbi cron: warning: {unbound.message()}", err=True)
    shown = ", ".join(str(f) for f in files)
    if schedule is not None:
        chosen = [j for j in jobs if j.name == schedule]
        if not chosen:
            known = ", ".join(j.name for j in jobs) or "none"
            raise CliFailure(f"no schedule named {schedule!r} in {shown} (schedules: {known})")
        return chosen
    if not jobs:
        raise CliFailure(f"no schedules in {shown}")
    return jobs


def _jobs_from_json(text: str, cfg: Config, stored: frozenset[str] = frozenset()) -> list[JobDefinition]:
    """Jobs given as JSON (a Job IR object, a list of them, or a JobSet), checked as `symbi check`
    checks the equivalent file (symbi_lang.json_jobs): same codes and messages, nothing added on error."""
    from symbi_lang.json_jobs import check_json_job
    from symbi_runtime.loading import check_context_for, tolerate_passed_times

    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise CliFailure(f"--json: invalid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    if isinstance(data, dict) and "jobs" in data:
        if not isinstance(data["jobs"], list):
            raise CliFailure("--json: 'jobs' must be a list of job objects")
        items: list[Any] = data["jobs"]
    else:
        items = data if isinstance(data, list) else [data]
    if not items:
        what = "job set" if isinstance(data, dict) else "list"
        raise CliFailure(f"--json: the {what} is empty: no jobs to add")
    ctx = check_context_for(cfg, os.environ)

    def adjust(diagnostics: Any, modules: Any) -> list[Any]:
        return tolerate_passed_times(diagnostics, modules, stored.__contains__)

    jobs, failures = [], []
    for i, item in enumerate(items):
        where = f"--json item {i + 1}" if len(items) > 1 or isinstance(data, list) else "--json"
        if not isinstance(item, dict):
            raise CliFailure(f"{where}: expected a JSON object, got {type(item).__name__}")
        result = check_json_job(item, ctx, adjust=adjust)
        for p in (*result.errors, *(w for w in result.warnings if w.severity == "warning")):
            at = f" ({p.field})" if p.field else ""
            line = f"{where}{at}: {p.severity}[{p.code}]: {p.message}"
            typer.echo(line + (f"\n  = help: {p.help}" if p.help else ""), err=True)
        if result.job is None:
            failures.append(where)
        else:
            jobs.append(result.job)
    if failures:
        raise CliFailure(f"{', '.join(failures)}: errors; nothing added")
    return jobs


# --- remove / pause / resume / reset ----------------------------------------------------------------


@app.command("remove")
def remove(
    job: Annotated[str | None, typer.Argument(help="Job name or id.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Job name (instead of the argument).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Do not ask for confirmation.")] = False,
    fmt: SimpleFormatOption = SimpleFormat.TABLE,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Remove a job and its run history (asks first on a terminal, unless --force)."""
    if (job is None) == (name is None):
        _fail("give the job as an argument or with --name (one of them)", EXIT_USAGE)
    target = job or name
    assert target is not None
    with _errors(), _store(db, config) as store:
        record = _require_job(store, target)
        if not force and sys.stdin.isatty():
            runs = len(store.list_runs(job=record.id, limit=ALL_RUNS))
            if not typer.confirm(f"Remove job {record.name!r} and its {runs} run record(s)?", default=False):
                _fail("not removed")
        if not store.remove_job(record.id, now=_now(), actor=_actor()):
            raise CliFailure(f"no job named {target!r}")
        from symbi_runtime.sessions import session_key

        store.delete_session(session_key(record.name))
    if fmt is SimpleFormat.JSON:
        _print(to_json({"name": record.name, "id": record.id, "removed": True}))
    else:
        _print(f"removed {record.name}\n")


def _transition(
    job: str,
    fmt: SimpleFormat,
    db: str | None,
    config: Path | None,
    verb: str,
    change: Callable[[Store, str], JobRecord],
) -> None:
    with _errors(), _store(db, config) as store:
        _require_job(store, job)
        record = change(store, job)
    if fmt is SimpleFormat.JSON:
        _print(to_json(job_json(record)))
    else:
        active = record.status == "active" and record.next_fire_at is not None
        nxt = short_time(iso(record.next_fire_at)) if active else "none"
        _print(f"{verb} {record.name}  (status: {record.status}, next run: {nxt})\n")


@app.command("pause")
def pause(
    job: Annotated[str, typer.Argument(help="Job name or id.")],
    fmt: SimpleFormatOption = SimpleFormat.TABLE,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Pause a job: it stops firing and keeps its state and history."""
    _transition(
        job, fmt, db, config, "paused", lambda s, j: s.set_job_status(j, "paused", now=_now(), actor=_actor())
    )


@app.command("resume")
def resume(
    job: Annotated[str, typer.Argument(help="Job name or id.")],
    fmt: SimpleFormatOption = SimpleFormat.TABLE,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Resume a paused job: the next run is computed from now (no backlog)."""
    _transition(
        job,
        fmt,
        db,
        config,
        "resumed",
        lambda s, j: s.set_job_status(j, "active", now=_now(), actor=_actor()),
    )


@app.command("reset")
def reset(
    job: Annotated[str, typer.Argument(help="Job name or id.")],
    fmt: SimpleFormatOption = SimpleFormat.TABLE,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Return a dead-lettered or failed job to active: failure count 0, next run from now."""
    _transition(job, fmt, db, config, "reset", lambda s, j: s.reset_job(j, now=_now(), actor=_actor()))


# --- status ---------------------------------------------------------------------------------------


@app.command("status")
def status(
    job: Annotated[str, typer.Argument(help="Job name or id.")],
    history: Annotated[int, typer.Option("--history", min=0, help="Include the last N runs.")] = 0,
    watch: Annotated[bool, typer.Option("--watch", help="Refresh until Ctrl-C.")] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.0, help="Seconds between refreshes with --watch.")
    ] = WATCH_INTERVAL_SECONDS,
    iterations: Annotated[int | None, typer.Option("--iterations", min=1, hidden=True)] = None,
    fmt: SimpleFormatOption = SimpleFormat.TABLE,
    wide: WideOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Show a job: schedule, state, next run, failures, and optionally its recent runs."""
    with _errors(), _store(db, config, read_only=True) as store:
        if not watch:
            _print(_status_text(store, job, history, fmt, wide=wide))
            return
        tty = sys.stdout.isatty()
        count = 0
        try:
            while True:
                text = _status_text(store, job, history, fmt, wide=wide)
                if fmt is SimpleFormat.TABLE:
                    text = _watch_header(interval, _now()) + text
                if tty:
                    _print("\x1b[2J\x1b[H")  # clear the screen, cursor home
                elif count:
                    _print("\n")
                _print(text)
                count += 1
                if iterations is not None and count >= iterations:
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            _print("\n" if tty else "")


def _watch_header(interval: float, now: datetime) -> str:
    """The first line of each `status --watch` screen: how often it refreshes and when it last did."""
    return f"refreshing every {interval:g}s · last refresh {short_time(iso(now))} · Ctrl-C stops\n\n"


def _status_text(store: Store, name: str, history: int, fmt: SimpleFormat, *, wide: bool = False) -> str:
    job = _require_job(store, name)
    runs = store.list_runs(job=job.id, limit=history) if history else []
    if fmt is SimpleFormat.JSON:
        document = {
            "job": {**job_json(job), "definition": job.definition.to_dict()},
            "runs": _run_rows(store, runs),
        }
        return to_json(document)
    d = job.definition
    now = _now()
    pairs = [
        ("name", job.name),
        ("id", job.id),
        ("agent", d.agent_id),
        ("status", job.status),
        ("schedule", schedule_text(d)),
        ("next run", _next_run_text(job.next_fire_at if job.status == "active" else None, now)),
        ("last run", _when(job.last_run_at, now) + (f" ({job.last_status})" if job.last_status else "")),
        ("failures", f"{job.consecutive_failures} consecutive (max_retries: {_max_retries(d)})"),
    ]
    latest = store.list_runs(job=job.id, limit=1)
    if latest and latest[0].error and latest[0].status not in ("succeeded", "running", "pending"):
        pairs.append(("last error", one_line(latest[0].error, 200)))
    pairs += [
        ("runs", str(job.run_count)),
        ("session", str(d.session_mode)),
        ("delivery", ", ".join(d.delivery) or "-"),
        ("max concurrent", str(d.max_concurrent)),
    ]
    if d.heartbeat is not None and d.heartbeat.enabled:
        pairs.append(
            ("heartbeat", f"{d.heartbeat.context_mode}, at most {d.heartbeat.max_iterations} iterations")
        )
    policy = _policy_text(d)
    if policy:
        pairs.append(("policy", policy))
    if d.description:
        pairs.append(("description", d.description))
    text = key_values(pairs, wide=wide)
    if history:
        rows = _run_table_rows(runs)
        text += "\n" + render(rows, RUN_COLUMNS, OutputFormat.TABLE, empty="no runs yet", wide=wide)
    return text


def _max_retries(d: JobDefinition) -> str:
    return "config default" if d.max_retries is None else str(d.max_retries)


def _policy_text(d: JobDefinition) -> str:
    p = d.policy
    parts = []
    if p.require_approval:
        parts.append("approval required" + (f" ({p.approver})" if p.approver else ""))
    if p.max_runtime:
        parts.append(f"max_runtime {p.max_runtime}")
    if p.allowed_hours is not None:
        parts.append(f"hours {p.allowed_hours.start}-{p.allowed_hours.end}")
    if p.allowed_environments:
        parts.append("environments " + ", ".join(p.allowed_environments))
    if p.require_capabilities:
        parts.append("capabilities " + ", ".join(p.require_capabilities))
    if p.require_agent_pin:
        parts.append("AgentPin required")
    return "; ".join(parts)


#: How late a next run may be before `status` calls it overdue (a running scheduler fires within ~1 s).
OVERDUE_AFTER_SECONDS = 5.0


def _next_run_text(t: datetime | None, now: datetime) -> str:
    """The next run; one that has gone by means nothing is firing jobs from this store."""
    if t is not None and (now - t).total_seconds() > OVERDUE_AFTER_SECONDS:
        return f"{short_time(iso(t))} (overdue — is a scheduler running on this store?)"
    return _when(t, now)


def _when(t: datetime | None, now: datetime) -> str:
    if t is None:
        return "-"
    seconds = (t - now).total_seconds()
    rel = _duration(abs(seconds))
    return f"{short_time(iso(t))} ({'in ' + rel if seconds >= 0 else rel + ' ago'})"


def _duration(seconds: float) -> str:
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


# --- history --------------------------------------------------------------------------------------


@app.command("history")
def history_command(
    job: Annotated[str, typer.Argument(help="Job name or id.")],
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most N runs (newest first).")] = 20,
    status: Annotated[
        RunStatusChoice | None, typer.Option("--status", help="Only runs in this state.")
    ] = None,
    fmt: ListFormatOption = OutputFormat.TABLE,
    wide: WideOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Show a job's runs, newest first."""
    with _errors(), _store(db, config, read_only=True) as store:
        record = _require_job(store, job)
        runs = store.list_runs(job=record.id, status=None if status is None else status.value, limit=limit)
        rows = _run_table_rows(runs) if fmt is OutputFormat.TABLE else _run_rows(store, runs)
    columns = RUN_COLUMNS if fmt is OutputFormat.TABLE else RUN_CSV_COLUMNS
    _print(render(rows, columns, fmt, empty="no runs", wide=wide))


# --- run ------------------------------------------------------------------------------------------


@app.command("run")
def run_now(
    job: Annotated[str, typer.Argument(help="Job name or id.")],
    input_text: Annotated[str | None, typer.Option("--input", help="Input for this run.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Run even if the job is at max_concurrent.")] = False,
    fmt: SimpleFormatOption = SimpleFormat.TABLE,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Run a job now through the full pipeline (policy, agent, delivery); the schedule is unchanged."""

    with _errors():
        cfg = _config(config)
        location = _location(db, cfg)
        with _store(db, config) as store:
            delivered_to_stdout = "stdout" in _require_job(store, job).definition.delivery
        try:
            from symbi_runtime.runtime import Runtime
        except ImportError as e:
            raise CliFailure(f"cron run needs the runtime, which could not be loaded: {e}") from None

        # The outcome is printed below; keep the runtime's own warnings from repeating it on stderr.
        logging.getLogger("symbi_runtime").addHandler(logging.NullHandler())

        async def go() -> tuple[RunRecord, list[dict[str, Any]]]:
            async with Runtime(cfg, db_path=location.target) as rt:
                done = await rt.run_job_now(job, input=input_text, force=force)
                return done, rt.store.list_iterations(done.id)

        from symbi_runtime.cli.common import Terminated, run_cancellable

        try:
            run, iterations = run_cancellable(go())
        except KeyboardInterrupt:
            typer.echo("symbi cron: interrupted", err=True)
            raise typer.Exit(130) from None
        except Terminated:
            typer.echo("symbi cron: terminated (SIGTERM): the run was cancelled", err=True)
            raise typer.Exit(143) from None
    _print_run(run, fmt, iterations, output_shown=delivered_to_stdout)
    if run.status not in ("succeeded", "awaiting_approval", "approved", "pending"):
        raise typer.Exit(EXIT_FAILED)
    if failed_deliveries(run):  # the agent answered, but its output did not arrive: a failed run for a script
        raise typer.Exit(EXIT_FAILED)


def _print_run(
    run: RunRecord, fmt: SimpleFormat, iterations: Sequence[Mapping[str, Any]], *, output_shown: bool = False
) -> None:
    """The run's outcome; its output too unless the job's `stdout` channel already printed it."""
    if fmt is SimpleFormat.JSON:
        _print(to_json(run_json(run, iterations)))
        return
    line = f"run {run.id} of {run.job_name}: {run.status}"
    if run.duration_seconds is not None:
        line += f" in {run.duration_seconds:.2f}s"
    _print(line + "\n")
    if run.status == "awaiting_approval":
        who = f" by {run.approver}" if run.approver else ""
        _print(f"approval needed{who}: symbi cron approve {run.id}  |  symbi cron deny {run.id} --reason …\n")
    if iterations:
        _print(
            f"heartbeat: {len(iterations)} iteration(s): "
            + ", ".join(str(i["action"]) for i in iterations)
            + "\n"
        )
    if run.error:
        typer.echo(f"error: {run.error}", err=True)
    for receipt in failed_deliveries(run):
        attempts = receipt.get("attempts")
        tries = f" after {attempts} attempt(s)" if attempts else ""
        why = receipt.get("error") or receipt.get("detail") or "not delivered"
        typer.echo(f"delivery failed: {receipt.get('channel')}{tries}: {why}", err=True)
    if run.output and not output_shown:
        _print(run.output if run.output.endswith("\n") else run.output + "\n")


# --- approvals ------------------------------------------------------------------------------------


@app.command("approve")
def approve(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix of 6+ characters).")],
    actor: Annotated[str | None, typer.Option("--actor", help="Who approves (default: cli:<user>).")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded).")] = None,
    fmt: SimpleFormatOption = SimpleFormat.TABLE,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Approve a run awaiting approval: the scheduler executes it with its original input."""
    with _errors(), _store(db, config) as store:
        run = store.decide_approval(run_id, approve=True, actor=actor or _actor(), reason=reason, now=_now())
    if fmt is SimpleFormat.JSON:
        _print(to_json(run_json(run)))
    else:
        _print(f"approved run {run.id} of {run.job_name}; the scheduler will execute it\n")


@app.command("deny")
def deny(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix of 6+ characters).")],
    reason: Annotated[str, typer.Option("--reason", help="Why the run is denied (recorded).")],
    actor: Annotated[str | None, typer.Option("--actor", help="Who denies (default: cli:<user>).")] = None,
    fmt: SimpleFormatOption = SimpleFormat.TABLE,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Deny a run awaiting approval; it is recorded `denied` with the reason."""
    if not reason.strip():
        _fail("--reason must not be empty", EXIT_USAGE)
    with _errors(), _store(db, config) as store:
        run = store.decide_approval(run_id, approve=False, actor=actor or _actor(), reason=reason, now=_now())
    if fmt is SimpleFormat.JSON:
        _print(to_json(run_json(run)))
    else:
        _print(f"denied run {run.id} of {run.job_name}: {reason}\n")


# --- prune ----------------------------------------------------------------------------------------


@app.command("prune")
def prune(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be removed.")] = False,
    fmt: SimpleFormatOption = SimpleFormat.TABLE,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Remove run history and audit events past the retention set in [scheduler] retention_*."""
    from symbi_runtime.runtime import retention_policy
    from symbi_runtime.store.retention import open_pruning, prune_all
    from symbi_runtime.store.sqlite import BUSY_TIMEOUT_MS, SqliteStore

    with _errors():
        cfg = _config(config)
        policy = retention_policy(cfg)
        location = _location(db, cfg)
        with _store(db, config, read_only=dry_run) as store:
            now = _now()
            if dry_run and isinstance(store, SqliteStore):  # read-only: works in a read-only folder
                counts = store.prunable(policy, now)
            else:
                pruning = open_pruning(location, busy_timeout_ms=BUSY_TIMEOUT_MS)
                try:
                    counts = (
                        pruning.count_prunable(policy, now) if dry_run else prune_all(pruning, policy, now)
                    )
                finally:
                    pruning.close()
    if fmt is SimpleFormat.JSON:
        _print(to_json({"dry_run": dry_run, "runs": counts.runs, "audit_events": counts.audit}))
        return
    rule = (
        f"runs older than {policy.runs_days:g} days beyond the newest {policy.runs_keep_last} per job"
        if policy.runs_days > 0
        else "runs: kept forever"
    )
    audit_rule = (
        f"audit events older than {policy.audit_days:g} days"
        if policy.audit_days > 0
        else "audit: kept forever"
    )
    verb = "would remove" if dry_run else "removed"
    _print(f"{verb} {counts.runs} run(s) and {counts.audit} audit event(s) ({rule}; {audit_rule})\n")


# `cron backfill` and `cron explain` live in their own modules (issue 12).
from symbi_runtime.cli.backfill import backfill_command  # noqa: E402
from symbi_runtime.cli.explain import explain_command  # noqa: E402

app.command("backfill")(backfill_command)
app.command("explain")(explain_command)


if __name__ == "__main__":
    app()


# --- nodes (PostgreSQL: several `symbi up` on one database) ----------------------------------------

NODE_COLUMNS = [
    Column("id", "NODE", no_wrap=True),
    Column("status", "STATUS"),
    Column("epoch", "EPOCH"),
    Column("running", "RUNNING"),
    Column("started_at", "STARTED", short_time),
    Column("heartbeat_at", "LAST HEARTBEAT", short_time),
    Column("lease_until", "LEASE UNTIL", short_time),
]


@app.command("nodes")
def nodes(
    fmt: ListFormatOption = OutputFormat.TABLE,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """List the `symbi up` nodes sharing a PostgreSQL store, with their leases (alive, expired, dead,
    stopped) and running runs. An SQLite store has no nodes: one `symbi up` runs it."""
    with _errors(), _store(db, config) as store:
        listed = store.list_nodes()
        rows = [{k: iso(v) if isinstance(v, datetime) else v for k, v in n.items()} for n in listed]
        empty = (
            "no nodes have joined this store"
            if _is_shared(store.where)
            else f"{store.where} is an SQLite store: it has no nodes (one `symbi up` runs it; "
            "several nodes need PostgreSQL, see README 'Running several nodes')"
        )
    _print(render(rows, NODE_COLUMNS, fmt, empty=empty))


def _is_shared(where: str) -> bool:
    """A store several nodes can share (a PostgreSQL URL as `Store.where` shows it)."""
    from symbi_runtime.store import parse_location

    return parse_location(where).is_postgres
