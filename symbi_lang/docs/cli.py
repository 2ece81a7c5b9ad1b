"""`symbi docs PATHS… -o DIR [--format html|md] [--now ISO]`.

Exit 0 after writing, 1 when the files have errors (the diagnostics are printed, nothing is written),
2 on usage or I/O errors.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from symbi_lang.api import CheckContext, analyze, collect_sources
from symbi_lang.cli.common import EXIT_PROBLEMS, EXIT_USAGE, fail, is_io_problem, parse_now, sources_map
from symbi_lang.diagnostics import Severity, sort_diagnostics
from symbi_lang.docs.generate import DocFormat, OutsideOutputError, render_site, write_site
from symbi_lang.docs.model import build_site
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
    site = build_site(analysis.jobset(), when, title=title)
    files = render_site(site, fmt)
    try:
        result = write_site(files, output)
    except (OSError, OutsideOutputError) as e:
        raise fail(f"cannot write to {output}: {e}") from None
    if warnings:  # the warnings themselves, as `symbi check` shows them (the site is written anyway)
        sys.stderr.write(render(warnings, "text", sources=sources_map(sources), files_checked=len(sources)))
    typer.echo(summary(len(result.written), len(site.schedules), len(result.removed), output))


def summary(written: int, pages: int, removed: int, output: Path) -> str:
    """`wrote 1 file (1 schedule page) to site; removed 2 pages of schedules that no longer exist`."""
    line = f"wrote {_count(written, 'file')} ({_count(pages, 'schedule page')}) to {output}"
    if removed:
        line += f"; removed {_count(removed, 'file')} of schedules that no longer exist"
    return line


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


if __name__ == "__main__":
    app()
