"""`symbi check PATHS… [--format text|json|github|sarif] [--strict] [--env-file F]`.

Exit 0 when clean (warnings allowed), 1 when there are errors (or warnings with `--strict`), 2 on usage or
I/O errors. The report goes to standard output in every format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from symbi_lang.cli.check_run import (
    InstalledChannels,
    build_context,
    check_files,
    exit_code,
    run_check,
)
from symbi_lang.cli.common import NOW_HELP, ColorMode
from symbi_lang.render import Format

__all__ = ["InstalledChannels", "app", "build_context", "check_command", "exit_code", "run_check"]

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command(name="check")
def check_command(
    paths: Annotated[
        list[str],
        typer.Argument(help="Files or directories (searched recursively for *.symbi); `-` reads stdin."),
    ],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.TEXT,
    strict: Annotated[
        bool, typer.Option("--strict", help="Treat warnings as errors (unset ${VAR}s become errors).")
    ] = False,
    env_file: Annotated[
        Path | None, typer.Option("--env-file", help="KEY=VALUE file supplying ${VAR} values.")
    ] = None,
    stdin_filename: Annotated[
        str | None, typer.Option("--stdin-filename", help="Name to report for `-` (stdin).")
    ] = None,
    color: Annotated[ColorMode, typer.Option("--color", help="Colour the text report.")] = ColorMode.AUTO,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="symbi.toml to read delivery defaults from (default: ./symbi.toml)."),
    ] = None,
    now: Annotated[str | None, typer.Option("--now", help=NOW_HELP)] = None,
) -> None:
    """Check .symbi files and report every problem with its location."""
    code = check_files(
        paths,
        fmt=fmt,
        strict=strict,
        env_file=env_file,
        stdin_filename=stdin_filename,
        color=color,
        config=config,
        now=now,
    )
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
