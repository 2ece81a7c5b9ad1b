"""`symbi fmt PATHS… [--check] [--diff]`: rewrite .symbi files in the canonical style.

A file is written only when its formatted text re-parses to the same AST and formatting it again changes
nothing (`symbi_lang.fmt.format_text` guarantees both or refuses). `-` formats stdin to stdout.
Exit 0 when nothing needed (or everything was) formatted, 1 when `--check` finds unformatted files or a
file could not be formatted (syntax errors), 2 on usage or I/O errors.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Annotated

import typer

from symbi_lang.api import collect_sources
from symbi_lang.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, STDIN_NAME, fail, read_stdin
from symbi_lang.render import Format, render

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command(name="fmt")
def fmt_command(
    paths: Annotated[list[str], typer.Argument(help="Files or directories; `-` formats stdin to stdout.")],
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if any file would change.")
    ] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Write nothing; print a unified diff.")] = False,
    stdin_filename: Annotated[str | None, typer.Option("--stdin-filename", help="Name for `-`.")] = None,
    migrate: Annotated[
        bool,
        typer.Option(
            "--migrate",
            help="Rewrite upstream Symbiont schedule blocks into our dialect (nothing else); refused "
            "unless the Job IR stays the same.",
        ),
    ] = False,
) -> None:
    """Format .symbi files in the canonical style (or, with --migrate, migrate upstream schedules)."""
    from symbi_lang.fmt import format_text
    from symbi_lang.upstream.migrate import migrate_text

    transform = migrate_text if migrate else format_text

    if "-" in paths and len(paths) > 1:
        raise fail("`-` (stdin) cannot be combined with other paths")
    write = not (check or diff)
    status = EXIT_OK
    if paths == ["-"]:
        source, problem = read_stdin(stdin_filename or STDIN_NAME)
        if source is None:
            raise fail(problem.message if problem else "cannot read stdin")
        result = transform(source.text, path=source.path)
        if not result.ok:
            _refused(source.path, source.text, result.reason)
            raise typer.Exit(EXIT_PROBLEMS)
        if diff:
            sys.stdout.write(_diff(source.path, source.text, result.output))
        if check and result.changed:
            typer.echo(f"would reformat {source.path}", err=True)
            status = EXIT_PROBLEMS
        if write:
            sys.stdout.write(result.output)
        raise typer.Exit(status)

    sources, problems = collect_sources(paths)
    if problems:
        sys.stderr.write(render(problems, Format.TEXT))
        if any(p.is_error for p in problems):
            status = EXIT_USAGE
    changed = unchanged = 0
    for source in sources:
        result = transform(source.text, path=source.path)
        if not result.ok:
            _refused(source.path, source.text, result.reason)
            status = max(status, EXIT_PROBLEMS)
            continue
        if not result.changed:
            unchanged += 1
            continue
        changed += 1
        if diff:
            sys.stdout.write(_diff(source.path, source.text, result.output))
        if check:
            typer.echo(f"would reformat {source.path}", err=True)
            status = max(status, EXIT_PROBLEMS)
        if write:
            try:
                Path(source.path).write_text(result.output, encoding="utf-8")
            except OSError as e:
                typer.echo(f"symbi: error: cannot write {source.path}: {e.strerror or e}", err=True)
                status = EXIT_USAGE
                continue
            typer.echo(f"formatted {source.path}", err=True)
    verb = "would be reformatted" if not write else "reformatted"
    typer.echo(f"{changed} file{'s' if changed != 1 else ''} {verb}, {unchanged} unchanged", err=True)
    raise typer.Exit(status)


def _refused(path: str, text: str, reason: str | None) -> None:
    """A file that cannot be formatted: show its syntax errors, or why the formatter refused."""
    from symbi_lang.parser import parse

    parsed = parse(text, path=path)
    if parsed.diagnostics:
        sys.stderr.write(render(parsed.diagnostics, Format.TEXT, sources={path: text}))
        typer.echo(f"symbi: error: {path}: not formatted (fix the syntax errors first)", err=True)
    else:
        typer.echo(f"symbi: error: {path}: not formatted: {reason or 'the formatter refused'}", err=True)


def _diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )


if __name__ == "__main__":
    app()
