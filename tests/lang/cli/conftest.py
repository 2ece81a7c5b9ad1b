"""Helpers for driving the real `symbi` console script in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


Symbi = Callable[..., Result]


def run_symbi(
    *args: str, cwd: Path, stdin: str | bytes | None = None, env: dict[str, str] | None = None
) -> Result:
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full_env.update(env or {})
    data = stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", *args],
        cwd=cwd,
        input=data,
        capture_output=True,
        env=full_env,
        timeout=60,
        check=False,
    )
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


@pytest.fixture
def symbi(tmp_path: Path) -> Symbi:
    """Run `symbi ARGS…` with the temporary directory as working directory."""

    def run(*args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
        return run_symbi(*args, cwd=tmp_path, stdin=stdin, env=env)

    return run
