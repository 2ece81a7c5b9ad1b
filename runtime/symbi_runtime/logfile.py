"""The scheduler's log file: `symbi up` writes it beside the job store, `symbi logs` reads it.

One JSON object per line (`{"at", "level", "component", "logger", "message"}`), so that reading back
never has to guess where a multi-line message ends. The file rotates at `MAX_BYTES` keeping `BACKUPS`
old files (`symbi.log.1` …). It records DEBUG and up from symbi's own loggers whatever `--log-level`
says for the terminal (so `symbi logs --level debug` has something to show), and INFO and up from
libraries (httpx and friends are chatty at DEBUG).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from symbi_runtime.config import DEFAULT_DB_PATH

if TYPE_CHECKING:
    from symbi_runtime.store.location import StoreLocation

__all__ = [
    "BACKUPS",
    "LEVELS",
    "MAX_BYTES",
    "LogRecordLine",
    "attach",
    "component_of",
    "log_path",
    "log_path_for",
    "parse_line",
    "read_records",
]

MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 3
#: Level names in the order of their severity (the `--level` choices).
LEVELS = ("debug", "info", "warning", "error", "critical")
_OWN_LOGGERS = ("symbi_runtime", "symbi_lang", "symbi_lsp")


def log_path(db_path: Path) -> Path:
    """The log file beside the store: `.symbi/symbi.db` → `.symbi/symbi.log`."""
    return db_path.with_name(db_path.stem + ".log")


def log_path_for(location: StoreLocation) -> Path:
    """The log of the scheduler using `location`: beside an SQLite file; for a PostgreSQL store (no
    file to sit beside) in the default state directory, `.symbi/symbi.log`."""
    if location.is_postgres:
        return log_path(DEFAULT_DB_PATH)
    return log_path(location.path)


def component_of(logger_name: str) -> str:
    """The part of symbi a logger belongs to, in the words `--filter` takes: `symbi_runtime.scheduler`
    → `scheduler`, `symbi_runtime.delivery.channels.slack` → `delivery`, `httpx` → `httpx`."""
    parts = logger_name.split(".")
    if parts[0] in _OWN_LOGGERS:
        return parts[1] if len(parts) > 1 else "runtime"
    return parts[0]


@dataclass(frozen=True, slots=True)
class LogRecordLine:
    """One record read back from the file; `raw` keeps a line that was not a record (shown as is)."""

    at: datetime | None
    level: str
    component: str
    logger: str
    message: str
    raw: str | None = None

    @property
    def severity(self) -> int:
        return LEVELS.index(self.level) if self.level in LEVELS else len(LEVELS)


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        document = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "component": component_of(record.name),
            "logger": record.name,
            "message": message,
        }
        return json.dumps(document, ensure_ascii=False)


class _OwnDebugOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO or record.name.split(".")[0] in _OWN_LOGGERS


def attach(path: Path, terminal_level: int) -> logging.Handler:
    """Add the rotating log file handler writing `path` to the root logger (the terminal handler keeps
    `terminal_level`). Raises OSError when the file cannot be opened (the caller says so and runs
    without it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(_JsonLines())
    handler.setLevel(logging.DEBUG)
    handler.addFilter(_OwnDebugOnly())
    root = logging.getLogger()
    for existing in root.handlers:
        if existing.level == logging.NOTSET:
            existing.setLevel(terminal_level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    return handler


def parse_line(line: str) -> LogRecordLine:
    """A line of the file as a record; anything else (a cut-off last line, text written by hand) is kept
    as `raw` rather than dropped."""
    text = line.rstrip("\n")
    try:
        doc = json.loads(text)
        at = datetime.fromisoformat(doc["at"])
        return LogRecordLine(
            at, str(doc["level"]), str(doc["component"]), str(doc["logger"]), str(doc["message"])
        )
    except (ValueError, KeyError, TypeError):
        return LogRecordLine(None, "", "", "", "", raw=text)


def read_records(path: Path, upto: int | None = None) -> Iterator[LogRecordLine]:
    """Every record of the log, oldest first: the rotated files (`.3` … `.1`), then the current one
    (only its first `upto` bytes, when given: where a follower will carry on)."""
    for i in range(BACKUPS, 0, -1):
        backup = path.with_name(f"{path.name}.{i}")
        if backup.is_file():
            yield from _lines(backup, None)
    if path.is_file():
        yield from _lines(path, upto)


def _lines(path: Path, upto: int | None) -> Iterable[LogRecordLine]:
    with path.open("rb") as f:
        data = f.read() if upto is None else f.read(upto)
    for line in data.decode("utf-8", "replace").splitlines():
        if line.strip():
            yield parse_line(line)
