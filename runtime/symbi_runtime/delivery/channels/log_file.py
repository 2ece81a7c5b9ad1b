"""The `log_file` channel: appends each run to one file per job, confined to the log directory."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path

from symbi_lang.interpolation import UnresolvedVariable, resolve
from symbi_runtime.delivery.channel import failed, succeeded
from symbi_runtime.delivery.clock import DeliveryClock
from symbi_runtime.delivery.message import DeliveryMessage, DeliveryReceipt
from symbi_runtime.delivery.settings import DeliverySettings

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_STEM = 100


class LogPathEscapes(Exception):
    """The job's log file would resolve outside the log directory (a symlink pointing out)."""


def log_file_name(job_name: str) -> str:
    """The file name for a job's log: the name itself when safe, else a sanitised form plus a hash.

    Anything outside `[A-Za-z0-9._-]` becomes `_`, a leading dot is prefixed with `_` (no hidden files,
    no `..`), and a hash of the original keeps two names that sanitise alike (`a/b`, `a_b`) apart.
    """
    stem = _UNSAFE.sub("_", job_name)
    if stem.startswith("."):
        stem = "_" + stem
    if stem == job_name and 0 < len(stem) <= _MAX_STEM:
        return f"{stem}.log"
    digest = hashlib.sha256(job_name.encode()).hexdigest()[:10]
    return f"{stem[:_MAX_STEM]}-{digest}.log"


def confined_log_path(log_dir: Path, job_name: str) -> Path:
    """Where the job's log lives; raises `LogPathEscapes` if that resolves outside `log_dir`."""
    root = log_dir.resolve()
    path = root / log_file_name(job_name)
    # The name cannot contain a separator, but the file itself may be a symlink planted to point out.
    if not path.resolve().is_relative_to(root):
        raise LogPathEscapes(f"log file for job {job_name!r} resolves outside the log directory")
    return path


class LogFileChannel:
    """Appends a timestamped record per run to `{log_dir}/{job}.log`."""

    name = "log_file"

    def __init__(self, clock: DeliveryClock) -> None:
        self._clock = clock

    async def deliver(
        self, message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str]
    ) -> DeliveryReceipt:
        try:
            log_dir = Path(resolve(str(settings.log_dir), env))
        except UnresolvedVariable as exc:
            return failed(self.name, self._clock, str(exc))
        record = f"[{self._clock.now().isoformat()}]\n{message.render_text()}\n"
        try:
            path = await asyncio.to_thread(_append, log_dir, message.job.name, record)
        except LogPathEscapes as exc:
            return failed(self.name, self._clock, str(exc))
        except OSError as exc:
            return failed(self.name, self._clock, f"cannot write the log file: {exc}", attempts=1)
        return succeeded(self.name, self._clock, f"appended to {path.name}")


def _append(log_dir: Path, job_name: str, record: str) -> Path:
    log_dir.mkdir(parents=True, exist_ok=True)
    path = confined_log_path(log_dir, job_name)
    # O_APPEND with one write per record keeps concurrent runs of a job from interleaving; O_NOFOLLOW
    # closes the gap between the check above and the open (a symlink swapped in meanwhile).
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o640)
    try:
        data = record.encode()
        while data:
            written = os.write(fd, data)
            data = data[written:]
    finally:
        os.close(fd)
    return path
