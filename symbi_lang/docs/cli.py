"""`symbi docs PATHS… -o DIR [--format html|md] [--now ISO]`.

Exit 0 after writing, 1 when the files have errors (the diagnostics are printed, nothing is written),
2 on usage or I/O errors.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from symbi_lang.api import CheckContext, analyze, collect_sources
from symbi_lang.cli.common import EXIT_PROBLEMS, EXIT_USAGE, fail, is_io_problem, parse_now, sources_map
from symbi_lang.diagnostics import Severity, sort_diagnostics
from symbi_lang.docs.generate import DocFormat, OutsideOutputError, StreamedPage, site_pages, write_site
from symbi_lang.docs.model import build_site
from symbi_lang.ir import JobDefinition
from symbi_lang.render import render

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command(name="docs")
def docs_command(
    paths: Annotated[
        list[str], typer.Argument(help="Files or directories (searched recursively for *.symbi).")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory to write the documentation to.")],
    fmt: Annotated[DocFormat, typer.Option("--format", "-f", help="Output format.")] = DocFormat.HTML,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            help="Compute next runs and heat maps from this ISO 8601 time (naive = UTC), not the clock.",
        ),
    ] = None,
    title: Annotated[str, typer.Option("--title", help="Title of the index page.")] = "Schedules",
    with_ics: Annotated[
        bool,
        typer.Option(
            "--with-ics", help="Also write calendar/<schedule>.ics and calendar/all.ics and link them."
        ),
    ] = False,
    with_simulate: Annotated[
        bool,
        typer.Option(
            "--with-simulate",
            help="Also write simulate/<schedule>.svg and .json (symbi simulate over the heat maps' week, "
            "with ./symbi.toml) and simulate/all.*, and link them.",
        ),
    ] = False,
) -> None:
    """Generate HTML or Markdown documentation of schedules."""
    when = parse_now(now)
    if output.exists() and not output.is_dir():
        raise fail(f"--output {output}: exists and is not a directory")
    sources, problems = collect_sources(paths)
    analysis = analyze(sources, CheckContext(env=dict(os.environ), now=when))
    diagnostics = sort_diagnostics([*problems, *analysis.diagnostics])
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        sys.stderr.write(
            render(diagnostics, "text", sources=sources_map(sources), files_checked=len(sources))
        )
        typer.echo("symbi docs: nothing written (fix the errors above first)", err=True)
        raise typer.Exit(EXIT_USAGE if any(is_io_problem(d) for d in errors) else EXIT_PROBLEMS)
    warnings = [d for d in diagnostics if d.severity is Severity.WARNING]
    # Shown after the site is written (as `symbi check` shows them), rendered now: the syntax trees and
    # texts are not needed for the pages, so they are freed before the site is built.
    warning_text = (
        render(warnings, "text", sources=sources_map(sources), files_checked=len(sources)) if warnings else ""
    )
    jobset = analysis.jobset()
    del analysis, sources
    gc.collect()
    # The IR, and then the site model, live until the end: collections during the build and the 10,000
    # page renders need not walk them every time (most of the renders' garbage is short-lived).
    gc.freeze()
    site = build_site(jobset, when, title=title)
    pages = site_pages(site, fmt, with_ics=with_ics, with_simulate=with_simulate)
    if with_simulate:
        for path, text in _simulations(jobset.jobs, {s.name: s.slug for s in site.schedules}, when).items():
            pages[path] = functools.partial(str, text)
    if with_ics:
        pages.update(_calendars(jobset.jobs, {s.name: s.slug for s in site.schedules}, when))
    gc.freeze()
    try:
        result = write_site(pages, output)  # rendered and written one page at a time
    except (OSError, OutsideOutputError) as e:
        raise fail(f"cannot write to {output}: {e}") from None
    if warnings:  # the warnings themselves, as `symbi check` shows them (the site is written anyway)
        sys.stderr.write(warning_text)
    typer.echo(summary(len(result.written), len(site.schedules), len(result.removed), output))


def summary(written: int, pages: int, removed: int, output: Path) -> str:
    """`wrote 1 file (1 schedule page) to site; removed 2 pages of schedules that no longer exist`."""
    line = f"wrote {_count(written, 'file')} ({_count(pages, 'schedule page')}) to {output}"
    if removed:
        line += f"; removed {_count(removed, 'file')} of schedules that no longer exist"
    return line


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _calendars(
    jobs: Sequence[JobDefinition], slugs: dict[str, str], when: datetime
) -> dict[str, Callable[[], str]]:
    """One calendar per schedule and one of them all, over the heat maps' window; each made only when
    its file is written, the one of them all in pieces (a large fleet's is hundreds of MB)."""
    from symbi_lang.cli.export import ics_events, ics_text
    from symbi_lang.docs.model import WINDOW
    from symbi_lang.ics import calendar_chunks

    end = when + WINDOW
    everything = list(jobs)
    out: dict[str, Callable[[], str]] = {
        "calendar/all.ics": StreamedPage(
            lambda: calendar_chunks(ics_events(everything, when, end), end=end, stamp=when)
        )
    }
    for job in jobs:
        if job.name in slugs:
            out[f"calendar/{slugs[job.name]}.ics"] = functools.partial(ics_text, [job], when, end)
    return out


def _simulations(jobs: Sequence[JobDefinition], slugs: dict[str, str], when: datetime) -> dict[str, str]:
    """`symbi simulate` over the heat maps' window, with the runtime's configuration (./symbi.toml)."""
    from symbi_runtime.cli.common import load_cli_config
    from symbi_runtime.cli.simulate import simulation_files
    from symbi_runtime.simulate import SimulationTooLarge

    from symbi_lang.docs.model import WINDOW

    config = load_cli_config("docs", None)
    try:
        return simulation_files(jobs, slugs, when, WINDOW.total_seconds() / 86400, config.scheduler)
    except SimulationTooLarge as e:
        raise fail(f"--with-simulate: {e}") from None


if __name__ == "__main__":
    app()
