"""Retention (issue 8 §2): runs kept N days and at least the newest N per job, audit kept separately,
pruned in small batches (`symbi cron prune [--dry-run]`, and a background thread in `symbi up`).
Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from symbi_runtime.store import open_store
from symbi_runtime.store.retention import BackgroundPruner, RetentionPolicy, open_pruning

from symbi_lang.ir import JobDefinition
from tests.runtime.rawsql import execute

CONFIG = """[scheduler]
retention_runs_days = 30
retention_runs_keep_last = 5
retention_audit_days = 100
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def build(db: str, now: datetime) -> dict[str, list[str]]:
    """Jobs `busy` (200 old runs, 10 recent, one old run still running) and `rare` (3 old runs)."""
    store = open_store(db)
    for name in ("busy", "rare"):
        store.upsert_job(JobDefinition(name=name, agent_id="a", cron_expr="0 0 * * * *"), now=now)
    ids = {j.name: j.id for j in store.list_jobs()}
    store.close()
    made: dict[str, list[str]] = {"old": [], "recent": [], "rare": [], "open": []}
    rows: list[tuple[Any, ...]] = []

    def add(kind: str, job: str, when: datetime, status: str = "succeeded") -> None:
        run_id = str(uuid.uuid4())
        made[kind].append(run_id)
        rows.append((run_id, ids[job], when, "schedule", status))

    for i in range(200):
        add("old", "busy", now - timedelta(days=60, hours=i))
    for i in range(10):
        add("recent", "busy", now - timedelta(hours=i + 1))
    add("open", "busy", now - timedelta(days=90), "running")
    for i in range(3):
        add("rare", "rare", now - timedelta(days=400 + i))
    execute(db, "INSERT INTO runs (id, job_id, scheduled_for, trigger, status) VALUES (?,?,?,?,?)", rows)
    execute(
        db,
        "INSERT INTO iterations (run_id, iteration, action, output, at) VALUES (?, 1, 'continue', 'x', ?)",
        [(made["old"][0], now - timedelta(days=60))],
    )
    execute(
        db,
        "INSERT INTO audit (event_type, at, actor, details) VALUES ('CronJobExecuted', ?, 't', '{}')",
        [(now - timedelta(days=d),) for d in (5, 50, 150, 300)],
    )
    return made


def symbi(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", *args],
        capture_output=True, text=True, timeout=60, check=False, cwd=cwd, env=dict(os.environ),
    )  # fmt: skip


def remaining(db: str) -> tuple[set[str], int, int]:
    runs = {r[0] for r in execute(db, "SELECT id FROM runs")}
    audit = execute(db, "SELECT count(*) FROM audit WHERE actor = 't'")[0][0]
    iterations = execute(db, "SELECT count(*) FROM iterations")[0][0]
    return runs, audit, iterations


def test_cron_prune_dry_run_then_prune(tmp_path: Path, db_location: str) -> None:
    db = db_location
    (tmp_path / "symbi.toml").write_text(CONFIG, encoding="utf-8")
    made = build(db, datetime.now(UTC))
    before = remaining(db)

    dry = symbi("cron", "prune", "--dry-run", "--format", "json", "--db", str(db), cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout) == {"dry_run": True, "runs": 200, "audit_events": 2}
    assert remaining(db) == before  # nothing removed

    done = symbi("cron", "prune", "--db", str(db), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("removed 200 run(s) and 2 audit event(s) (runs older than 30 days")
    runs, audit, iterations = remaining(db)
    # Recent runs, the old run still open, and `rare`'s runs (fewer than keep_last) all stay.
    assert runs == set(made["recent"]) | set(made["open"]) | set(made["rare"])
    assert (audit, iterations) == (2, 0)  # audit by its own limit; the pruned run's iterations went too
    again = symbi("cron", "prune", "--db", str(db), cwd=tmp_path)
    assert again.stdout.startswith("removed 0 run(s) and 0 audit event(s)")


def test_pruning_goes_in_small_batches(db_location: str) -> None:
    db = db_location
    now = datetime.now(UTC)
    build(db, now)
    policy = RetentionPolicy(runs_days=30, runs_keep_last=5, audit_days=100, batch_size=50)
    pruning = open_pruning(db)
    sizes = []
    try:
        while True:
            done = pruning.prune_batch(policy, now)
            sizes.append(done.runs)
            if not done.runs:
                break
    finally:
        pruning.close()
    assert sizes == [50, 50, 50, 50, 0]


def test_the_background_pruner_prunes_while_the_store_is_in_use(db_location: str) -> None:
    db = db_location
    now = datetime.now(UTC)
    made = build(db, now)
    store = open_store(db)  # the runtime's own connection stays usable throughout
    policy = RetentionPolicy(runs_days=30, runs_keep_last=5, audit_days=100, batch_size=20)
    pruner = BackgroundPruner(db, policy, lambda: now, interval_seconds=0.01, gap_seconds=0.001)
    pruner.start()
    try:
        deadline = time.monotonic() + 30
        while pruner.pruned.runs < 200:
            assert time.monotonic() < deadline, f"pruned only {pruner.pruned}"
            assert store.get_job("busy") is not None
            time.sleep(0.01)
    finally:
        pruner.stop()
    assert len(store.list_runs(job="busy", limit=1000)) == len(made["recent"]) + 1
    store.close()
