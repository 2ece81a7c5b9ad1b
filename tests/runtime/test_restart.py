"""Crash recovery: SIGKILL `symbi up` in the middle of a run, restart it, and check the store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from symbi_runtime.store import RunRecord, Store, open_store

T = TypeVar("T")

SCHEDULE = """
agent worker {
  handler: "workmod:run"
}

schedule {
  name: "work"
  agent: "worker"
  cron: "* * * * * *"
}
"""

# The first run blocks (so the process can be killed during it); every later run is instant.
WORKMOD = """
import os, time
from pathlib import Path

def run(text: str) -> str:
    marker = Path(os.environ["WORK_MARKER"])
    if not marker.exists():
        marker.write_text("started")
        time.sleep(600)
    return "done"
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Crash recovery holds on every store backend."""
    return str(request.param)


def start(cwd: Path, db: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "symbi_lang.cli.main", "up", "work.symbi", "--db", db],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def poll(db: str, read: Callable[[Store], T], predicate: Callable[[T], bool], limit: float = 30.0) -> T:
    """Read the store (written by another process) until `predicate` holds."""
    deadline = time.monotonic() + limit
    while True:
        with open_store(db) as store:
            value = read(store)
        if predicate(value):
            return value
        assert time.monotonic() < deadline, f"condition not met; last value: {value!r}"
        time.sleep(0.05)


def test_sigkill_mid_run_then_restart(tmp_path: Path, db_location: str) -> None:
    (tmp_path / "work.symbi").write_text(SCHEDULE)
    (tmp_path / "workmod.py").write_text(WORKMOD)
    db = db_location
    env = {**os.environ, "WORK_MARKER": str(tmp_path / "marker")}

    first = start(tmp_path, db, env)
    try:
        [killed] = poll(db, lambda s: s.list_runs(status="running"), lambda runs: len(runs) == 1)
        deadline = time.monotonic() + 30
        while not (tmp_path / "marker").exists():  # wait until the agent is inside its run
            assert time.monotonic() < deadline, "the agent never started"
            time.sleep(0.02)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    with open_store(db) as store:
        assert store.integrity_check() == "ok"
        assert store.get_run(killed.id).status == "running"  # type: ignore[union-attr]

    second = start(tmp_path, db, env)
    try:
        poll(db, lambda s: s.get_run(killed.id), lambda run: run is not None and run.status == "abandoned")

        def later(store: Store) -> list[RunRecord]:
            return [
                r
                for r in store.list_runs(job="work", status="succeeded", limit=1000)
                if r.trigger == "schedule" and r.scheduled_for > killed.scheduled_for
            ]

        assert len(poll(db, later, lambda runs: len(runs) >= 2)) >= 2
    finally:
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=30)
    assert second.returncode == 0, err.decode()

    with open_store(db) as store:
        assert store.integrity_check() == "ok"
        runs = [r for r in store.list_runs(limit=100_000) if r.trigger != "manual"]
        fires = [(r.job_id, r.scheduled_for) for r in runs]
        assert len(fires) == len(set(fires))  # no fire ran twice
        assert [r.id for r in runs if r.scheduled_for == killed.scheduled_for] == [killed.id]
        assert store.list_runs(status="running") == []
        abandoned = [
            a.event_type for a in store.list_audit(job="work", limit=100_000) if a.run_id == killed.id
        ]
        assert "CronJobAbandoned" in abandoned
