"""Shared pieces for the `symbi docs` tests: a fixed generation time and the fixture schedules."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from symbi_lang.api import analyze_paths
from symbi_lang.checks.context import CheckContext
from symbi_lang.ir import JobSet

HERE = Path(__file__).parent
REPO = HERE.parents[2]
FIXTURES = HERE / "fixtures"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NOW_ISO = "2026-11-25T12:00:00Z"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def run_symbi(*args: str, cwd: Path) -> Result:
    """The real `symbi` entry point in a subprocess."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    proc = subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


@pytest.fixture
def now() -> datetime:
    """The fixed generation time of these tests (a Wednesday)."""
    return NOW


@pytest.fixture(scope="session")
def fleet() -> JobSet:
    """The fixture schedules, lowered through the real pipeline."""
    analysis = analyze_paths([FIXTURES / "fleet.symbi"], CheckContext(now=NOW))
    assert analysis.ok, analysis.diagnostics
    return analysis.jobset()
