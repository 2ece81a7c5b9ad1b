"""`symbi logs [--filter COMPONENT] [--level LEVEL] [--follow]`: read the log `symbi up` writes beside
the job store (`symbi_runtime.logfile`).

Lines print as `2026-03-02 12:00:00.123Z INFO    scheduler: message`. `--filter` keeps one part of symbi
(`scheduler`, `delivery`, `pipeline`, `store`, `http_api`, …; a library's name such as `httpx`);
`--level` is the least severity shown; `--lines N` the last N records; `--follow` keeps printing new
records (across rotation) until Ctrl-C. Exit codes: 0 shown, 1 no log file yet, 2 usage errors.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Iterable
from datetime import UTC
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from symbi_runtime.cli.common import DB_HELP, EXIT_PROBLEMS, EXIT_USAGE, environment, load_cli_config
from symbi_runtime.logfile import LEVELS, LogRecordLine, log_path_for, parse_line, read_records

#: Seconds between looks at the file with --follow.
FOLLOW_INTERVAL = 0.5

app = typer.Typer(add_completion=False, rich_markup_mode=None)


class Level(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"symbi logs: {message}", err=True)
    raise typer.Exit(code)


def line_text(record: LogRecordLine) -> str:
    """A record as one terminal line (a multi-line message continues on indented lines)."""
    if record.raw is not None:
        return record.raw
    at = "-" if record.at is None else record.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"
    message = record.message.replace("\n", "\n    ")
    return f"{at} {record.level.upper():<8} {record.component}: {message}"


def wanted(record: LogRecordLine, component: str | None, least: int) -> bool:
    """Whether a record passes `--filter` and `--level` (lines that are not records always pass)."""
    if record.raw is not None:
        return True
    if component is not None and record.component != component and not record.logger.startswith(component):
        return False
    return record.severity >= least


@app.command()
def logs(
    component: Annotated[
        str | None,
        typer.Option(
            "--filter", metavar="COMPONENT", help="Only this part of symbi: scheduler, delivery, pipeline, …"
        ),
    ] = None,
    level: Annotated[Level, typer.Option("--level", help="Least severity shown.")] = Level.INFO,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new records until Ctrl-C.")
    ] = False,
    lines: Annotated[int, typer.Option("--lines", "-n", min=0, help="Show the last N records first.")] = 200,
    db: Annotated[
        str | None, typer.Option("--db", help=DB_HELP + " Its log is beside it: symbi.log.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="symbi.toml to use (default: ./symbi.toml if present).")
    ] = None,
) -> None:
    """Show the log `symbi up` writes beside the job store."""
    from symbi_runtime.store import StoreError, resolve_location

    env = environment()
    try:
        path = log_path_for(resolve_location(db, load_cli_config("logs", config, env), env))
    except StoreError as e:
        _fail(str(e), EXIT_USAGE)
    if not path.is_file() and not follow:
        _fail(f"no log at {path} yet (`symbi up` writes it there)", EXIT_PROBLEMS)
    least = LEVELS.index(level.value)
    position, identity = _end(path)  # what is shown now; --follow carries on from there
    try:
        records = read_records(path, upto=position)
        last = deque((r for r in records if wanted(r, component, least)), maxlen=lines)
    except OSError as e:
        _fail(f"cannot read {path}: {e}", EXIT_USAGE)
    _emit(last)
    if follow:
        try:
            _follow(path, component, least, position, identity)
        except KeyboardInterrupt:
            pass


def _emit(records: Iterable[LogRecordLine]) -> None:
    try:
        for record in records:
            sys.stdout.write(line_text(record) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `symbi logs | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(0) from None


def _follow(path: Path, component: str | None, least: int, position: int, identity: tuple[int, int]) -> None:
    """Print records appended to `path` after `position`; start again at the top when it is rotated
    or truncated."""
    pending = b""
    while True:
        time.sleep(FOLLOW_INTERVAL)
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue  # between a rotation's rename and the new file
        if (stat.st_dev, stat.st_ino) != identity or stat.st_size < position:
            position, identity, pending = 0, (stat.st_dev, stat.st_ino), b""
        if stat.st_size == position:
            continue
        with path.open("rb") as f:
            f.seek(position)
            pending += f.read()
            position = f.tell()
        *complete, pending = pending.split(b"\n")  # a half-written last line waits for its end
        records = (parse_line(line.decode("utf-8", "replace")) for line in complete if line.strip())
        _emit(r for r in records if wanted(r, component, least))


def _end(path: Path) -> tuple[int, tuple[int, int]]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return 0, (0, 0)
    return stat.st_size, (stat.st_dev, stat.st_ino)


if __name__ == "__main__":
    app()
