"""Small helpers shared by the language-side commands (check, fmt, compile, next, docs)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from symbi_lang import codes
from symbi_lang.api import Source
from symbi_lang.diagnostics import Diagnostic
from symbi_lang.span import Position, Span

if TYPE_CHECKING:
    import typer

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2

STDIN_NAME = "<stdin>"


class ColorMode(StrEnum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


def use_color(mode: ColorMode, stream: object = None) -> bool:
    """Colour only on a terminal, never when NO_COLOR is set (https://no-color.org), unless `always`."""
    if mode is ColorMode.ALWAYS:
        return True
    if mode is ColorMode.NEVER or os.environ.get("NO_COLOR", ""):
        return False
    target = stream if stream is not None else sys.stdout
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty())


def parse_now(text: str | None) -> datetime:
    """`--now`: an ISO 8601 instant (naive = UTC); the real time when not given. Tests and CI pin it so
    that what a file means (a passed `at`, a cron that ran out) never depends on the day they run."""
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


NOW_HELP = (
    "Judge time-dependent checks (a passed `at`, an exhausted cron) at this ISO 8601 time (naive = UTC)."
)


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print `symbi: error: message` on stderr and return the Exit to raise. typer is imported here,
    not at the top: `symbi check` reaches this module without it (symbi_lang.cli.check_fast)."""
    import typer

    typer.echo(f"symbi: error: {message}", err=True)
    return typer.Exit(code)


def load_env(env_file: Path | None) -> dict[str, str]:
    """The process environment, overlaid with `KEY=VALUE` lines from `env_file` (dotenv syntax)."""
    env = dict(os.environ)
    if env_file is None:
        return env
    if not env_file.is_file():
        raise fail(f"--env-file {env_file}: no such file")
    import logging

    from dotenv import dotenv_values

    problems: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            problems.append(record.getMessage())

    logger = logging.getLogger("dotenv.main")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        values = dotenv_values(env_file, interpolate=False)
    except (OSError, UnicodeDecodeError) as e:
        raise fail(f"--env-file {env_file}: cannot read: {e}") from None
    finally:
        logger.removeHandler(handler)
    if problems:
        raise fail(f"--env-file {env_file}: {problems[0]}")
    env.update({k: v for k, v in values.items() if v is not None})
    return env


def read_stdin(name: str) -> tuple[Source | None, Diagnostic | None]:
    """Read standard input as one source called `name`; undecodable bytes become a diagnostic."""
    data = sys.stdin.buffer.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        start = Position(1, 1, 0)
        return None, codes.NOT_UTF8.at(Span(name, start, start), path=name)
    return Source(name, text.removeprefix("\ufeff")), None


def sources_map(sources: list[Source]) -> Mapping[str, str]:
    return {s.path: s.text for s in sources}


def is_io_problem(d: Diagnostic) -> bool:
    """I/O diagnostics (SYM9xx errors) make a command exit 2 rather than 1."""
    return d.is_error and d.code.startswith("SYM9")
