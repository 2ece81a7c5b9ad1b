"""`one_shot: true` with `cron` (issue 11): one fire, at the first match after loading, then `completed`.

Every test runs on both store backends, on a fake clock, with the schedule loaded from `.symbi` text the
way `symbi up` loads a file, so "reloading the unchanged file" is the real path.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _file(*, cron: str = "0 */5 * * * *", agent: str = "echo", extra: str = "") -> str:
    return (
        f'schedule {{\n  name: "launch"\n  agent: "{agent}"\n  cron: "{cron}"\n  one_shot: true\n{extra}}}\n'
    )


def _loaded(e: Any, text: str) -> tuple[str, str, datetime | None]:
    [loaded] = e.rt.load_text(text, path="launch.symbi")
    record = e.store.get_job("launch")
    return loaded.outcome, record.status, record.next_fire_at


async def test_fires_once_and_never_again_across_restarts_and_reloads(engine_factory) -> None:
    e = engine_factory()
    assert _loaded(e, _file()) == ("created", "active", T0 + timedelta(minutes=5))
    e.start()
    await e.advance(300)
    await e.wait(lambda: [r.status for r in e.runs("launch")] == ["succeeded"])
    run = e.runs("launch")[0]
    assert run.scheduled_for == T0 + timedelta(minutes=5) and run.trigger == "schedule"
    record = e.store.get_job("launch")
    assert (record.status, record.next_fire_at) == ("completed", None)
    for _ in range(3):  # the expression matches every 5 minutes; the job does not fire again
        await e.advance(300)
    assert len(e.runs("launch")) == 1
    await e.stop()

    again = engine_factory()  # a restart: same store, the clock has moved on
    assert _loaded(again, _file()) == ("unchanged", "completed", None)
    again.start()
    await again.advance(3600)
    assert len(again.runs("launch")) == 1
    # an edit that does not touch when it fires keeps it done
    assert _loaded(again, _file(extra='  description: "launch day"\n')) == ("updated", "completed", None)
    await again.advance(600)
    assert len(again.runs("launch")) == 1
    await again.stop()


async def test_a_new_cron_schedules_it_once_more_from_now(engine_factory) -> None:
    e = engine_factory()
    _loaded(e, _file())
    e.start()
    await e.advance(300)
    await e.wait(lambda: len(e.runs("launch")) == 1 and e.runs("launch")[0].status == "succeeded")
    outcome, status, nxt = _loaded(e, _file(cron="0 0 * * * *"))
    assert (outcome, status, nxt) == ("updated", "active", T0 + timedelta(hours=1))
    e.rt.scheduler.wake()
    await e.advance(3300)
    await e.wait(lambda: [r.status for r in e.runs("launch")] == ["succeeded", "succeeded"])
    assert e.runs("launch")[1].scheduled_for == T0 + timedelta(hours=1)
    await e.advance(7200)
    assert len(e.runs("launch")) == 2 and e.store.get_job("launch").status == "completed"


async def test_turning_one_shot_off_makes_it_repeat(engine_factory) -> None:
    e = engine_factory()
    _loaded(e, _file())
    e.start()
    await e.advance(300)
    await e.wait(lambda: [r.status for r in e.runs("launch")] == ["succeeded"])
    repeating = _file().replace("  one_shot: true\n", "")
    assert _loaded(e, repeating) == ("updated", "active", T0 + timedelta(minutes=10))
    e.rt.scheduler.wake()
    for n in (2, 3):
        await e.advance(300)
        await e.wait(lambda n=n: len([r for r in e.runs("launch") if r.status == "succeeded"]) == n)


@pytest.mark.parametrize(
    ("agent", "extra", "outcome"),
    [
        ("fail", "  max_retries: 3\n", "failed"),
        ("echo", '  policy {\n    allowed_hours: { start: "00:00", end: "06:00" }\n  }\n', "denied"),
    ],
)
async def test_the_fire_is_spent_whatever_its_outcome(
    engine_factory, agent: str, extra: str, outcome: str
) -> None:
    e = engine_factory()
    _loaded(e, _file(agent=agent, extra=extra))
    e.start()
    await e.advance(300)
    await e.wait(lambda: [r.status for r in e.runs("launch")] == [outcome])
    await e.advance(3600)
    assert len(e.runs("launch")) == 1
    assert e.store.get_job("launch").status == "completed"
    # `reset` (or resume) of a one-shot that has fired keeps it done, as for an `at` job
    assert e.store.reset_job("launch", now=e.clock.now()).status == "completed"


async def test_a_skipped_fire_is_spent_too(engine_factory) -> None:
    e = engine_factory()
    _loaded(e, _file(agent="block"))
    e.start()
    # a manual run in flight when the fire comes: max_concurrent 1 skips the fire
    manual = asyncio.create_task(e.rt.run_job_now("launch"))
    await e.wait(lambda: [r.status for r in e.runs("launch")] == ["running"])
    await e.advance(300)
    await e.wait(lambda: [r.status for r in e.runs("launch") if r.trigger == "schedule"] == ["skipped"])
    e.gates["launch"].set()
    assert (await manual).status == "succeeded"
    await e.advance(3600)
    assert [r.trigger for r in e.runs("launch")] == ["manual", "schedule"]
    assert e.store.get_job("launch").status == "completed"


async def test_a_fire_missed_while_down_is_caught_up_once_or_recorded_missed(engine_factory) -> None:
    e = engine_factory(catchup_window_seconds=3600)
    _loaded(e, _file())
    await e.halt()  # loaded, then the scheduler is down across its fire
    e.clock.advance(600)
    up = engine_factory(catchup_window_seconds=3600)
    assert _loaded(up, _file())[0] == "unchanged"
    up.start()
    await up.settle()
    await up.wait(lambda: [r.status for r in up.runs("launch")] == ["succeeded"])
    run = up.runs("launch")[0]
    assert (run.trigger, run.scheduled_for) == ("catchup", T0 + timedelta(minutes=5))
    await up.advance(3600)
    assert len(up.runs("launch")) == 1 and up.store.get_job("launch").status == "completed"


async def test_a_fire_past_the_catchup_window_is_missed_and_the_job_done(engine_factory) -> None:
    e = engine_factory(catchup_window_seconds=60)
    _loaded(e, _file())
    await e.halt()
    e.clock.advance(7200)
    up = engine_factory(catchup_window_seconds=60)
    _loaded(up, _file())
    up.start()
    await up.settle()
    await up.wait(lambda: [r.status for r in up.runs("launch")] == ["missed"])
    assert up.runs("launch")[0].detail["missed_count"] == 1
    await up.advance(3600)
    assert len(up.runs("launch")) == 1 and up.store.get_job("launch").status == "completed"


async def test_pause_before_the_fire_then_resume_waits_for_the_next_match(engine_factory) -> None:
    e = engine_factory()
    _loaded(e, _file())
    e.store.set_job_status("launch", "paused", now=T0)
    e.start()
    await e.advance(420)  # 12:07: the 12:05 match passed while paused
    assert e.runs("launch") == []
    resumed = e.store.set_job_status("launch", "active", now=e.clock.now())
    assert (resumed.status, resumed.next_fire_at) == ("active", T0 + timedelta(minutes=10))
    e.rt.scheduler.wake()
    await e.advance(180)
    await e.wait(lambda: [r.status for r in e.runs("launch")] == ["succeeded"])
    await e.advance(900)
    assert len(e.runs("launch")) == 1 and e.store.get_job("launch").status == "completed"


async def test_backfill_and_explain_walk_the_pinned_fire_not_the_expression(engine_factory) -> None:
    from symbi_runtime.backfill import BackfillAction, Overlap, apply_backfill
    from symbi_runtime.config import Config
    from symbi_runtime.explain import explain

    e = engine_factory()
    _loaded(e, _file())  # pinned to T0+5min; the expression matches every 5 minutes
    pinned = T0 + timedelta(minutes=5)
    now = T0 + timedelta(hours=1)
    record = e.store.get_job("launch")
    # Nobody ran it (no scheduler): a backfill of the hour would create its one fire, not twelve.
    rows = apply_backfill(
        e.store, record, T0, now, now=now, overlap=Overlap.QUEUE, dry_run=True, actor="test"
    )
    assert [(r.scheduled_for, r.action) for r in rows] == [(pinned, BackfillAction.WOULD_CREATE)]
    # Explain at a later match of the expression points at the pinned fire, the only one there is.
    why = explain(e.store, record, T0 + timedelta(minutes=30), now, Config())
    assert why.fire == pinned

    e.start()
    await e.advance(300)
    await e.wait(lambda: [r.status for r in e.runs("launch")] == ["succeeded"])
    record = e.store.get_job("launch")
    assert record.next_fire_at is None
    rows = apply_backfill(
        e.store, record, T0, now, now=now, overlap=Overlap.QUEUE, dry_run=False, actor="test"
    )
    assert [(r.scheduled_for, r.action) for r in rows] == [(pinned, BackfillAction.ALREADY_RECORDED)]
    assert len(e.runs("launch")) == 1
    why = explain(e.store, record, T0 + timedelta(minutes=45), now, Config())
    assert why.fire == pinned and why.run is not None and why.run.status == "succeeded"
