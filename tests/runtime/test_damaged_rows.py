"""A damaged row in the job store costs that job, never the scheduler, the listings or other jobs
(on both backends where the damage can exist on both)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from symbi_runtime.store import NewRun, SqliteStore, open_store

from symbi_lang.ir import JobDefinition
from tests.runtime.rawsql import execute

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_unreadable_definition_fails_only_its_job(db_location: str) -> None:
    db = db_location
    store = open_store(db)
    for name in ("good", "broken"):
        store.upsert_job(JobDefinition(name=name, agent_id="a", cron_expr="0 * * * * *"), now=T0)
    store.insert_run("broken", NewRun(scheduled_for=T0, trigger="manual", status="succeeded"), now=T0)
    store.close()
    execute(db, """UPDATE jobs SET definition = '{"broken": ' WHERE name = 'broken'""")
    execute(db, "UPDATE runs SET receipts = '[not json', detail = '{' ")

    store = open_store(db)
    listed = {j.name: j for j in store.list_jobs()}
    assert listed["good"].status == "active"
    assert listed["broken"].status == "failed"
    assert "unreadable" in (listed["broken"].definition.description or "")
    due = store.due_jobs(T0 + timedelta(minutes=5))
    assert [j.name for j in due] == ["good"]
    # persisted, and nothing deleted
    assert execute(db, "SELECT status FROM jobs WHERE name = 'broken'") == [("failed",)]
    assert execute(db, "SELECT count(*) FROM runs") == [(1,)]
    [run] = store.list_runs(job="broken")
    assert (run.receipts, run.detail) == ([], {})
    store.close()

    out = subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "cron", "list", "--db", db],
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


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_row_that_cannot_be_bound_fails_only_its_job(engine_factory, job, db_location) -> None:
    """An `input` stored as a JSON object (as the HTTP API once let through) made every claim fail."""
    import json

    e = engine_factory()
    for name in ("a_good", "bad", "z_good"):
        e.rt.add_job(job(name, input="hello"))
    [(text,)] = execute(db_location, "SELECT definition FROM jobs WHERE name = 'bad'")
    definition = json.loads(text)
    definition["input"] = {"prompt": "hello"}
    execute(db_location, "UPDATE jobs SET definition = ? WHERE name = 'bad'", [(json.dumps(definition),)])
    e.start()
    for fires in (1, 2):
        await e.advance(60)
        await e.wait(
            lambda n=fires: (
                len(e.runs("a_good", "succeeded")) == n and len(e.runs("z_good", "succeeded")) == n
            )
        )
    bad = e.store.get_job("bad")
    assert bad is not None and bad.status == "failed" and bad.next_fire_at is None
    assert e.runs("bad") == []
    [event] = e.store.list_audit(event_type="CronJobFailed", job="bad")
    assert "input" in event.details["reason"] and "dict" in event.details["reason"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_an_output_postgresql_cannot_store_costs_nothing(engine_factory, job) -> None:
    """A NUL character in an agent's output (PostgreSQL text refuses it) must not make the batch's
    write fail for every run: it is stored as U+FFFD there, as is on SQLite."""
    e = engine_factory()
    e.rt.register_agent("nul", lambda call: "a\x00b")
    e.rt.add_job(job("nul", agent_id="nul"))
    e.rt.add_job(job("plain"))
    e.start()
    await e.advance(60)
    await e.wait(lambda: len(e.runs("nul", "succeeded")) == 1 and len(e.runs("plain", "succeeded")) == 1)
    [run] = e.runs("nul")
    assert (run.output or "").replace("\ufffd", "\x00") == "a\x00b"
    assert e.rt.scheduler.executor.unwritten_per_job() == {}
