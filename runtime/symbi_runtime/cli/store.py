"""`symbi store copy --from X --to Y`: move a job store to another database (typically SQLite → PostgreSQL).

Both sides are a file path or a postgresql:// URL. The target must be empty (it is created when it is a
new SQLite file or an empty PostgreSQL database); stop every `symbi up` on the source first, so no run
finishes after its row was copied. Exit codes: 0 copied, 1 refused or failed (no source, a non-empty
target, a database error), 2 usage errors. Passwords in URLs are never printed.
"""

from __future__ import annotations

from typing import Annotated

import typer

from symbi_runtime.cli.common import EXIT_PROBLEMS, EXIT_USAGE

app = typer.Typer(add_completion=False, rich_markup_mode=None, no_args_is_help=True)


@app.callback()
def store() -> None:
    """Job store maintenance."""


@app.command("copy")
def copy(
    source: Annotated[
        str, typer.Option("--from", help="The store to copy: a file path or a postgresql:// URL.")
    ],
    target: Annotated[
        str, typer.Option("--to", help="The empty store to fill: a file path or a postgresql:// URL.")
    ],
) -> None:
    """Copy jobs, runs, sessions, heartbeat iterations and the audit log into an empty store."""
    from symbi_runtime.store import StoreError, parse_location
    from symbi_runtime.store.copy import copy_store

    try:
        src, dst = parse_location(source), parse_location(target)
    except StoreError as e:
        typer.echo(f"symbi store copy: error: {e}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if not src.exists():
        typer.echo(f"symbi store copy: error: no job store at {src}", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    try:
        counts = copy_store(src, dst)
    except StoreError as e:
        typer.echo(f"symbi store copy: error: {e}", err=True)
        raise typer.Exit(EXIT_PROBLEMS) from None
    shown = ", ".join(f"{n} {table}" for table, n in counts.items())
    typer.echo(f"copied {src} → {dst}: {shown}")


if __name__ == "__main__":
    app()
