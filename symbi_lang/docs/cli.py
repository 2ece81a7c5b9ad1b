"""`symbi docs PATHS… -o DIR [--format html|md] [--now ISO]`.

Exit 0 after writing, 1 when the files have errors (the diagnostics are printed, nothing is written),
2 on usage or I/O errors.
"""

from __future__ import annotations

import gc
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from symbi_lang.api import CheckContext, analyze, collect_sources
from symbi_lang.cli.common import EXIT_PROBLEMS, EXIT_USAGE, fail, is_io_problem, sources_map
from symbi_lang.diagnostics import Severity, sort_diagnostics
from symbi_lang.docs.generate import DocFormat, OutsideOutputError, site_pages, write_site
from symbi_lang.docs.model import build_site
from symbi_lang.render import render

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


def parse_now(text: str | None) -> datetime:
    """`--now`: an ISO 8601 instant (naive = UTC); the real time when not given."""
    if text is None:
        return datetime.now(UTC)
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--now {text!r}: not an ISO 8601 date-time (e.g. 2026-11-25T12:00:00Z)") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


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
    warnings = sum(1 for d in diagnostics if d.severity is Severity.WARNING)
    jobset = analysis.jobset()
    # The syntax trees and texts are not needed for the pages: free them before building the site.
    del analysis, sources
    gc.collect()
    site = build_site(jobset, when, title=title)
    try:
        written = write_site(site_pages(site, fmt), output)  # rendered and written one page at a time
    except (OSError, OutsideOutputError) as e:
        raise fail(f"cannot write to {output}: {e}") from None
    if warnings:
        noun = "warning" if warnings == 1 else "warnings"
        typer.echo(f"symbi docs: {warnings} {noun}; `symbi check` shows them", err=True)
    pages = len(site.schedules)
    typer.echo(f"wrote {len(written)} files ({pages} schedule page{'' if pages == 1 else 's'}) to {output}")


if __name__ == "__main__":
    app()
