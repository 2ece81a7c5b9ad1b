"""Shared pieces of the runtime CLIs: configuration and database resolution, and one-line failures.

Exit codes follow the `symbi` convention: 1 for problems found (bad schedules, failed runs), 2 for
usage, configuration and I/O errors. Failures print one line (`symbi <cmd>: <message>`) to stderr,
never a traceback.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

import typer

from symbi_runtime.config import Config, ConfigError, load_config, resolve_db_path

EXIT_PROBLEMS = 1
EXIT_USAGE = 2

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def environment() -> Mapping[str, str]:
    """The process environment, as the runtime reads it."""
    return dict(os.environ)


def fail(command: str, message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print `symbi <command>: <message>` to stderr and exit with `code`."""
    typer.echo(f"symbi {command}: {message}", err=True)
    raise typer.Exit(code)


def load_cli_config(command: str, path: Path | None, env: Mapping[str, str] | None = None) -> Config:
    """`load_config` with a configuration error turned into a one-line exit 2."""
    try:
        return load_config(path, env if env is not None else environment())
    except ConfigError as e:
        fail(command, str(e))


def cli_db_path(db: Path | None, config: Config, env: Mapping[str, str] | None = None) -> Path:
    """--db > SYMBI_DB > [scheduler] job_store_path > .symbi/symbi.db."""
    return resolve_db_path(db, config, env if env is not None else environment())


def configure_logging(level: str = "INFO") -> None:
    """One-line log records on stderr (`time LEVEL logger: message`)."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise typer.BadParameter(f"unknown log level {level!r} (use debug, info, warning or error)")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
