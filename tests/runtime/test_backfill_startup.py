"""Backfilled runs written while no scheduler runs: a scheduler started later runs them all, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from symbi_runtime.backfill import BackfillAction, Overlap, apply_backfill

from .conftest import T0


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_a_scheduler_started_after_the_backfill_runs_it_however_old_the_fires(
    engine_factory: Any, job: Any, clock: Any
) -> None:
    e = engine_factory(catchup_window_seconds=3600)
    e.rt.add_job(job("hourly", cron="0 0 * * * *", input="old"))
    clock.set(T0 + timedelta(hours=1))
    record = e.store.get_job("hourly")
    assert record is not None
    rows = apply_backfill(
        e.store,
        record,
        T0 - timedelta(hours=6),
        T0 - timedelta(hours=4),
        now=clock.now(),
        overlap=Overlap.QUEUE,
        dry_run=False,
        actor="ops",
    )
    assert [r.action for r in rows] == [BackfillAction.CREATED] * 3
    e.start()
    await e.settle()
    await e.wait(lambda: len(e.runs("hourly", status="succeeded")) == 3, limit=30)
    runs = e.runs("hourly")
    # 06:00-08:00 are far outside the one-hour catch-up window: a backfill runs them anyway (it asked
    # for exactly those fires). They queue on max_concurrent 1 (--overlap queue), so the 13:00 fire,
    # due while they are in flight, is skipped like any fire of a busy job.
    assert sorted((r.scheduled_for.hour, r.trigger, r.status) for r in runs) == [
        (6, "backfill", "succeeded"),
        (7, "backfill", "succeeded"),
        (8, "backfill", "succeeded"),
        (13, "schedule", "skipped"),
    ]
    [event] = e.store.list_audit(event_type="CronJobBackfilled")
    assert event.actor == "ops" and event.details["created"] == 3
