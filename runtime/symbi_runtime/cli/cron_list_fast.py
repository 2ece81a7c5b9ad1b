"""`symbi cron list` on its usual command lines without typer: importing typer, building the `symbi`
group and the `cron` commands cost more than reading and printing 1,000 jobs.

Only plain command lines are read here — the options of `symbi_runtime.cli.cron.list_jobs`, each given
once with a value that does not look like an option — and only the plain outcome is printed here: the
listing, exit 0. Anything else (`--help`, an unknown, repeated or odd option, shell completion) and every
failure (a bad configuration, a missing or foreign database, …) goes to the typer command, which
reads the store again and reports it: listing is read-only, so trying twice changes nothing, and help,
completion and every message keep one source. `tests/runtime/cli/test_cron_list_fast.py` pins that both
paths print the same.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from symbi_lang.cli.plain_args import read_plain
from symbi_runtime.cli.output import OutputFormat

_STATUSES = frozenset({"active", "paused", "completed", "failed", "dead_letter"})
_FORMATS = {f.value: f for f in OutputFormat}

#: Option spelling → (keyword, value kind). Flags take no value.
OPTIONS: dict[str, tuple[str, str]] = {
    "--status": ("status", "status"),
    "--agent": ("agent", "text"),
    "--format": ("fmt", "format"),
    "--wide": ("wide", "flag"),
    "--db": ("db", "text"),
    "--config": ("config", "path"),
}


def parse_list_args(args: list[str]) -> dict[str, Any] | None:
    """The keywords of a plain `symbi cron list` command line, else None."""
    parsed = read_plain(args, OPTIONS, _value, positionals=False)
    return None if parsed is None else parsed[1]


def _value(kind: str, raw: str) -> Any:
    if not raw or raw.startswith("-") or "\0" in raw:
        return None
    if kind == "status":
        return raw if raw in _STATUSES else None
    if kind == "format":
        return _FORMATS.get(raw)
    if kind == "path":
        return Path(raw)
    return raw


def list_text(
    *,
    status: str | None = None,
    agent: str | None = None,
    fmt: OutputFormat = OutputFormat.TABLE,
    wide: bool = False,
    db: str | None = None,
    config: Path | None = None,
) -> str:
    """What `symbi cron list` prints for these options (an SQLite store); raises where the typer command
    reports, and for a PostgreSQL store."""
    from symbi_runtime.cli.job_store import command_location, environment, open_store_at
    from symbi_runtime.cli.job_view import jobs_text

    location = command_location(db, config, environment())
    if location.is_postgres:
        # Not tried twice: an unreachable server would make the typer command wait for it again.
        raise _LeftToTyper("a PostgreSQL store")
    store = open_store_at(location, read_only=True)
    try:
        return jobs_text(store, status, agent, fmt, wide=wide)
    finally:
        store.close()


class _LeftToTyper(Exception):
    """A command line this module could read but leaves to the typer command."""


def run_without_typer(args: list[str]) -> None:
    """Run `symbi cron list ARGS` and exit as the typer command would on success; return (nothing
    printed) when the command line or its outcome needs the typer command."""
    options = parse_list_args(args)
    if options is None:
        return
    try:
        text = list_text(**options)
    except KeyboardInterrupt:
        sys.exit(130)  # as check_fast: typer's Exit(130), nothing printed
    except Exception:
        return  # the typer command tries again and says what went wrong, as it always has
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # As the typer command: the reader went away (`symbi cron list | head`), stop quietly, exit 1.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    sys.exit(0)
