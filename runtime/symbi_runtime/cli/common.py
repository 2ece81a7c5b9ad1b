"""Shared pieces of the runtime CLIs: configuration and database resolution, and one-line failures.

Exit codes follow the `symbi` convention: 1 for problems found (bad schedules, failed runs), 2 for
usage, configuration and I/O errors. Failures print one line (`symbi <cmd>: <message>`) to stderr,
never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer

from symbi_runtime.config import Config, ConfigError, load_config

EXIT_PROBLEMS = 1
EXIT_USAGE = 2
DB_HELP = (
    "Job store: a file path (SQLite) or a postgresql:// URL "
    "(default: $SYMBI_DB, config job_store_path, .symbi/symbi.db)."
)

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


T = TypeVar("T")


class Terminated(Exception):
    """The command was asked to stop by SIGTERM (its work was cancelled cleanly)."""


def run_cancellable(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coro)`, with SIGTERM cancelling it like Ctrl-C does: the run pipeline then records
    the run as cancelled and kills a command agent's process group instead of orphaning it.
    asyncio is imported here: commands that only read the store (`cron list`) never need it."""
    import asyncio

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        terminated = False

        def on_term() -> None:
            nonlocal terminated
            terminated = True
            if task is not None:
                task.cancel()

        try:
            loop.add_signal_handler(signal.SIGTERM, on_term)
        except (NotImplementedError, RuntimeError):  # not the main thread, or no signal support
            pass
        try:
            return await coro
        except asyncio.CancelledError:
            if terminated:
                raise Terminated() from None
            raise
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGTERM)

    return asyncio.run(main())
