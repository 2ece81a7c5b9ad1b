"""A failed write never leaves a finished run `running` nor makes its job skip fires (issue 8 §2).

The faults are real failures of a real database: another connection holding the write lock past the
store's busy timeout (SQLITE_BUSY; on PostgreSQL a table lock held past the store's `lock_timeout`,
SQLSTATE 55P03), and an SQLite database that cannot grow (SQLITE_FULL, the error a full disk gives,
through `PRAGMA max_page_count`). The lock tests run on both backends.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from symbi_runtime.store import SqliteStore, StoreError, TransientStoreError

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@contextmanager
def write_lock_held(db: Path | str) -> Iterator[None]:
    """Another connection holds the database's write lock for the duration (PostgreSQL: exclusive
    locks on the tables a tick writes; reads go on)."""
    if isinstance(db, str) and db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db) as pg:
            pg.execute("LOCK TABLE jobs, runs, audit IN EXCLUSIVE MODE")
            yield
            pg.rollback()
        return
    other = sqlite3.connect(db, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def short_busy_timeout(engine: Any) -> None:
    # The store waits 10 s for a lock; a test waits 50 ms (the fault is the same, only sooner).
    if engine.rt.location.is_postgres:
        engine.store.set_lock_timeout(50)
    else:
        engine.store._conn.execute("PRAGMA busy_timeout = 50")


def where(engine: Any) -> Path | str:
    return engine.rt.location.target if engine.rt.location.is_postgres else engine.rt.location.path


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_an_outcome_written_while_locked_is_kept_and_the_next_fire_runs(engine_factory, job) -> None:
    e = engine_factory()
    short_busy_timeout(e)
    e.rt.add_job(job("j", agent_id="block", max_concurrent=1))
    pipeline = e.rt.scheduler.executor
    e.start()
    await e.advance(60)  # 12:01: the first fire starts and blocks
    await e.wait(lambda: [r.status for r in e.runs("j")] == ["running"])
    [first] = e.runs("j")
    with write_lock_held(where(e)):
        e.gates["j"].set()  # the run ends while nothing can be written
        await e.wait(lambda: pipeline.unwritten_per_job() == {first.job_id: 1})
        assert e.store.get_run(first.id).status == "running"  # the store could not take it
        e.gates["j"].clear()
    # The lock is gone: the next tick writes the outcome, and the 12:02 fire is not skipped.
    await e.advance(60)
    await e.wait(lambda: len(e.runs("j")) == 2)
    assert pipeline.unwritten_per_job() == {}
    e.gates["j"].set()
    await e.wait(lambda: [r.status for r in e.runs("j")] == ["succeeded", "succeeded"])
    recorded = e.store.get_run(first.id)
    assert recorded.output == "unblocked"
    assert recorded.finished_at is not None and recorded.finished_at < e.runs("j")[1].scheduled_for
    assert e.runs("j", status="skipped") == []


async def test_a_full_database_keeps_outcomes_until_space_returns(engine_factory, job) -> None:
    e = engine_factory()
    e.rt.add_job(job("big", cron="*/10 * * * * *", agent_id="big"))
    e.rt.register_agent("big", lambda call: "x" * 200_000)  # needs new pages to be recorded
    conn = e.store._conn
    e.start()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # the disk is full from here on
    pipeline = e.rt.scheduler.executor
    await e.advance(10)
    await e.wait(lambda: sum(pipeline.unwritten_per_job().values()) == 1)
    [run] = e.runs("big")
    assert run.status == "running"
    # Later fires are still claimed (their rows are small) and are not skipped for the stuck row.
    await e.advance(10)
    await e.wait(lambda: sum(pipeline.unwritten_per_job().values()) == 2)
    assert [r.status for r in e.runs("big")] == ["running", "running"]
    conn.execute("PRAGMA max_page_count = 1073741823")  # space is back
    await e.advance(10)
    await e.wait(lambda: [r.status for r in e.runs("big")] == ["succeeded"] * 3)
    assert all(len(r.output or "") == 200_000 for r in e.runs("big"))
    assert e.store.list_audit(event_type="CronJobExecuted", limit=10) != []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_failed_claim_gives_back_its_slots(engine_factory, job) -> None:
    e = engine_factory(max_concurrent_jobs=1)
    short_busy_timeout(e)
    e.rt.add_job(job("j"))
    e.start()
    await e.settle()
    with write_lock_held(where(e)):
        for _ in range(3):  # three ticks whose claims fail, each having reserved the only slot
            e.clock.advance(60)
            e.rt.scheduler.wake()
            retry_at = e.clock.now() + timedelta(seconds=1)  # a failed tick retries a tick later
            await e.wait(lambda at=retry_at: e.rt.scheduler.last_sleep_deadline == at)
    assert e.rt.scheduler._slots.free == 1
    await e.advance(60)
    await e.wait(lambda: [r.status for r in e.runs("j")][-1:] == ["succeeded"])


def test_busy_and_full_are_transient_read_only_is_permanent(tmp_path: Path) -> None:
    """The scheduler retries what the store calls transient and stops on what it calls permanent."""
    db = tmp_path / "x.db"
    store = SqliteStore.open(db, busy_timeout_ms=50)
    with write_lock_held(db), pytest.raises(TransientStoreError, match="locked"):
        store.check_writable()
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(TransientStoreError, match="full"):
        store.append_audit("CronJobCreated", at=T0, actor="t", details={"x": "y" * 100_000})
    store.close()
    reader = SqliteStore.open_readonly(db)
    with pytest.raises(StoreError, match="read-only"):
        reader.append_audit("CronJobCreated", at=T0, actor="t")
    reader.close()
