"""`symbi simulate PATHS… [--from ISO] [--days N] [--format text|json|svg] [--duration NAME=SECONDS]
[--iterations NAME=N] [--down-since ISO] [--db STORE] [--seed N]`.

A pure function of the files, `symbi.toml` and the options: no agent runs, and no database is opened
unless `--db` asks for the pending backfills of a store (read only; see `symbi_runtime/simulate.py`).
Exit 0 after reporting, 1 when the files have errors, 2 on usage errors (and a store that cannot be read).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from symbi_lang.ir import JobDefinition
from symbi_runtime.cli.common import environment, fail, load_cli_config
from symbi_runtime.simulate import PendingBackfill, Simulation, SimulationTooLarge, simulate

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

COMMAND = "simulate"
_BAR_WIDTH = 40


class SimulateFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    SVG = "svg"


@app.command(name=COMMAND)
def simulate_command(
    paths: Annotated[list[str], typer.Argument(help="Files or directories (searched for *.symbi).")],
    start_text: Annotated[
        str | None, typer.Option("--from", help="Start of the window (ISO 8601; naive = UTC). Default: now.")
    ] = None,
    days: Annotated[
        float, typer.Option("--days", help="Length of the window in days.", min=0.001, max=366)
    ] = 7,
    fmt: Annotated[
        SimulateFormat, typer.Option("--format", "-f", help="Output format.")
    ] = SimulateFormat.TEXT,
    duration: Annotated[
        list[str] | None,
        typer.Option("--duration", help="NAME=SECONDS: how long a schedule's (or agent's) runs take."),
    ] = None,
    iterations: Annotated[
        list[str] | None,
        typer.Option(
            "--iterations",
            help="NAME=N: iterations a heartbeat schedule's (or agent's) runs take (default max_iterations); "
            "its --duration is then per iteration.",
        ),
    ] = None,
    down_since_text: Annotated[
        str | None,
        typer.Option(
            "--down-since",
            help="No scheduler ran from this instant until --from: replay the catch-up a scheduler "
            "started at --from would do (ISO 8601; naive = UTC).",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Also replay the pending backfills of this job store (a file or postgresql:// URL, "
            "opened read only), started at --from. Default: no store is read.",
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="symbi.toml (default: ./symbi.toml).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the jitter draws.")] = 0,
) -> None:
    """Replay schedules over a window with the runtime's rules and report load, skips and denials."""
    from symbi_lang.api import CheckContext
    from symbi_lang.cli.check import exit_code, run_check
    from symbi_lang.cli.common import sources_map
    from symbi_lang.cli.export import parse_instant
    from symbi_lang.render import Format, render

    env = environment()
    cfg = load_cli_config(COMMAND, config, env)
    durations = _pairs(duration or [], "--duration", "NAME=SECONDS (e.g. nightly_report=120)", float)
    counts = {
        k: int(v) for k, v in _pairs(iterations or [], "--iterations", "NAME=N (e.g. watcher=5)", int).items()
    }
    start = parse_instant(start_text, "--from")
    down_since = parse_instant(down_since_text, "--down-since") if down_since_text else None
    if down_since is not None and down_since > start:
        fail(
            COMMAND,
            f"--down-since {down_since_text} is after --from: the downtime must end where the window starts",
        )
    analysis, sources = run_check(paths, CheckContext(env=dict(env), now=start))
    code = exit_code(analysis.diagnostics, strict=False)
    if code:
        sys.stderr.write(render(analysis.diagnostics, Format.TEXT, sources=sources_map(sources)))
        raise typer.Exit(code)
    if not sources:
        fail(COMMAND, "no .symbi files found in the given paths")
    jobs = analysis.jobset().jobs
    names = {j.name for j in jobs} | {j.agent_id for j in jobs}
    for option, given in (("--duration", durations), ("--iterations", counts)):
        unknown = sorted(set(given) - names)
        if unknown:
            fail(COMMAND, f"{option} {unknown[0]}: no schedule or agent of that name")
    beating = {j.name for j in jobs if j.heartbeat is not None and j.heartbeat.enabled}
    beating |= {j.agent_id for j in jobs if j.name in beating}
    not_beating = sorted(set(counts) - beating)
    if not_beating:
        fail(COMMAND, f"--iterations {not_beating[0]}: not a heartbeat schedule (or its agent)")
    backfills = _stored_backfills(db, config) if db is not None else []
    try:
        sim = simulate(
            jobs,
            start,
            days,
            cfg.scheduler,
            durations=durations,
            iterations=counts,
            down_since=down_since,
            backfills=backfills,
            seed=seed,
        )
    except SimulationTooLarge as e:
        fail(COMMAND, str(e))
    if fmt is SimulateFormat.JSON:
        sys.stdout.write(json.dumps(to_json(sim), indent=2) + "\n")
    elif fmt is SimulateFormat.SVG:
        sys.stdout.write(to_svg(sim))
    else:
        sys.stdout.write(to_text(sim))


def _stored_backfills(db: str, config: Path | None) -> list[PendingBackfill]:
    """The store's pending backfilled runs (read only); a store that cannot be read is exit 2."""
    from symbi_runtime.cli import cron
    from symbi_runtime.simulate import pending_backfills

    with cron._errors(), cron._store(db, config, read_only=True) as store:
        return pending_backfills(store)


def _pairs(items: list[str], option: str, expected: str, kind: type[float] | type[int]) -> dict[str, float]:
    """`NAME=VALUE` options as a mapping; a bad one is a usage error naming the option."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            number: float = kind(value)
        except ValueError:
            number = -1
        if not sep or not name or number < 0 or (kind is int and number < 1):
            fail(COMMAND, f"{option} {item}: expected {expected}")
        out[name] = number
    return out


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat()


def to_json(sim: Simulation) -> dict[str, Any]:
    """The simulation for tools: every run, fires per hour, the peak second, concurrency, what did not run."""
    when, many = sim.peak_second()
    peak, p99, peak_at = sim.concurrency()
    return {
        "from": _iso(sim.start),
        "to": _iso(sim.end),
        "max_concurrent_jobs": sim.max_concurrent_jobs,
        "fires_per_hour": sim.fires_per_hour(),
        "peak_second": {"at": _iso(when), "fires": many},
        "concurrency": {"peak": peak, "p99": p99, "peak_at": _iso(peak_at)},
        "not_run": [
            {
                "schedule": r.job,
                "scheduled_for": _iso(r.scheduled_for),
                "status": r.status,
                "reason": r.reason,
            }
            for r in sim.not_run()
        ],
        "runs": [
            {
                "schedule": r.job,
                "scheduled_for": _iso(r.scheduled_for),
                "trigger": r.trigger,
                "status": r.status,
                "jitter_seconds": r.jitter_seconds,
                "started_at": _iso(r.started_at),
                "finished_at": _iso(r.finished_at),
                "iterations": r.iterations,
                "reason": r.reason,
            }
            for r in sim.runs
        ],
    }


def to_text(sim: Simulation) -> str:
    """A summary and a terminal bar chart of fires per hour (rich renders the bars)."""
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    when, many = sim.peak_second()
    peak, p99, peak_at = sim.concurrency()
    not_run = sim.not_run()
    out = StringIO()
    console = Console(file=out, width=100, color_system=None, highlight=False, soft_wrap=True)
    console.print(
        f"window {sim.start:%Y-%m-%d %H:%M:%S}Z → {sim.end:%Y-%m-%d %H:%M:%S}Z: {len(sim.runs)} run(s)"
    )
    if when is not None:
        console.print(f"peak second: {many} fire(s) at {when:%Y-%m-%d %H:%M:%S}Z")
    at = f" (from {peak_at:%Y-%m-%d %H:%M:%S}Z)" if peak_at else ""
    console.print(
        f"concurrency: peak {peak}{at}, p99 {p99} (max_concurrent_jobs = {sim.max_concurrent_jobs})"
    )
    hours = sim.fires_per_hour()
    if hours:
        top = max(hours.values())
        table = Table(title="fires per hour (UTC)", show_edge=False, box=None, pad_edge=False)
        table.add_column("hour")
        table.add_column("fires", justify="right")
        table.add_column("")
        for hour, n in hours.items():
            table.add_row(hour.replace("T", " ") + ":00", str(n), "█" * max(1, round(_BAR_WIDTH * n / top)))
        console.print(table)
    beats = [r for r in sim.runs if r.iterations is not None]
    if beats:
        per_job: dict[str, list[int]] = {}
        for r in beats:
            per_job.setdefault(r.job, []).append(r.iterations or 0)
        for name, counts in sorted(per_job.items()):
            console.print(f"heartbeat {name}: {len(counts)} run(s), {sum(counts)} iteration(s)")
    if not_run:
        console.print(f"{len(not_run)} fire(s) would not run:")
        for r in not_run:
            console.print(f"  {r.scheduled_for:%Y-%m-%d %H:%M:%S}Z  {r.job}  {r.status}: {r.reason or ''}")
    else:
        console.print("every fire would run")
    return out.getvalue()


def simulation_files(
    jobs: Sequence[JobDefinition], slugs: Mapping[str, str], start: datetime, days: float, config: Any
) -> dict[str, str]:
    """`symbi docs --with-simulate`: the fleet simulated once (schedules share the global slots), written
    as `simulate/all.{json,svg}` and, per schedule, its own runs as `simulate/<slug>.{json,svg}`."""
    from dataclasses import replace

    sim = simulate(list(jobs), start, days, config)
    out = {"simulate/all.json": json.dumps(to_json(sim), indent=2) + "\n", "simulate/all.svg": to_svg(sim)}
    for job in jobs:
        slug = slugs.get(job.name)
        if slug is None:
            continue
        own = replace(sim, runs=tuple(r for r in sim.runs if r.job == job.name))
        out[f"simulate/{slug}.json"] = json.dumps(to_json(own), indent=2) + "\n"
        out[f"simulate/{slug}.svg"] = to_svg(own, job.name)
    return out


def to_svg(sim: Simulation, name: str | None = None) -> str:
    """The fires as a weekday × hour heat map in the style of `symbi docs`."""
    from symbi_lang.docs.generate import DocFormat, make_environment
    from symbi_lang.docs.heatmap import count_instants
    from symbi_lang.docs.svg import picture

    counts = count_instants((r.scheduled_for for r in sim.runs), "UTC", sim.start, sim.end)
    env = make_environment(DocFormat.HTML)  # SVG is XML: autoescaped, so a schedule name cannot break it
    title = f"simulated fires {sim.start:%Y-%m-%d} – {sim.end:%Y-%m-%d} (UTC)"
    if name is not None:
        title = f"{name}: {title}"
    return env.get_template("heatmap.svg.j2").render(pic=picture(counts, title), id="simulate") + "\n"


if __name__ == "__main__":
    app()
