"""A damaged row in the job store costs that job, never the scheduler, the listings or other jobs."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from symbi_runtime.store import NewRun, SqliteStore

from symbi_lang.ir import JobDefinition

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_an_unreadable_definition_fails_only_its_job(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    store = SqliteStore.open(db)
    for name in ("good", "broken"):
        store.upsert_job(JobDefinition(name=name, agent_id="a", cron_expr="0 * * * * *"), now=T0)
    store.insert_run("broken", NewRun(scheduled_for=T0, trigger="manual", status="succeeded"), now=T0)
    store.close()
    with sqlite3.connect(db) as conn:
        conn.execute("""UPDATE jobs SET definition = '{"broken": ' WHERE name = 'broken'""")
        conn.execute("UPDATE runs SET receipts = '[not json', detail = '{' ")

    store = SqliteStore.open(db)
    listed = {j.name: j for j in store.list_jobs()}
    assert listed["good"].status == "active"
    assert listed["broken"].status == "failed"
    assert "unreadable" in (listed["broken"].definition.description or "")
    due = store.due_jobs(T0 + timedelta(minutes=5))
    assert [j.name for j in due] == ["good"]
    with sqlite3.connect(db) as conn:  # persisted, and nothing deleted
        assert conn.execute("SELECT status FROM jobs WHERE name = 'broken'").fetchone() == ("failed",)
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (1,)
    [run] = store.list_runs(job="broken")
    assert (run.receipts, run.detail) == ([], {})
    store.close()

    out = subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "cron", "list", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "broken" in out.stdout and "failed" in out.stdout


def test_a_removed_job_takes_its_session_along(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path / "s.db")
    store.upsert_job(JobDefinition(name="sp", agent_id="a", cron_expr="0 * * * * *"), now=T0)
    store.save_session("job:sp", [{"role": "user", "content": "old-secret"}], now=T0)
    assert store.remove_job("sp")
    assert store.load_session("job:sp") == []
    # A run finishing after its job was removed does not bring the session back.
    store.finish_runs(
        [], now=T0, default_max_retries=3, sessions={"job:sp": [{"role": "user", "content": "x"}]}
    )
    assert store.load_session("job:sp") == []
    store.upsert_job(JobDefinition(name="sp", agent_id="a", cron_expr="0 * * * * *"), now=T0)
    store.finish_runs(
        [], now=T0, default_max_retries=3, sessions={"job:sp": [{"role": "user", "content": "y"}]}
    )
    assert store.load_session("job:sp") == [{"role": "user", "content": "y"}]
    store.close()
