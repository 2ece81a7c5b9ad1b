"""CronScheduler behaviours (issue 3, 1–13), each on a fake clock and a real SQLite file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from symbi_runtime.store import NewRun, PermanentStoreError, TransientStoreError

from symbi_lang.ir import Catchup, Policy

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """These behaviour tests run against every store backend."""
    return str(request.param)


# 1 -------------------------------------------------------------------------------------------------


async def test_sleeps_until_earliest_fire_at_most_tick_and_wakes_on_add(engine_factory, job) -> None:
    e = engine_factory(tick_interval_seconds=60)
    e.rt.add_job(job("slow", cron="0 */5 * * * *"))
    e.start()
    await e.settle()
    sched = e.rt.scheduler
    assert sched.last_sleep_deadline == T0 + timedelta(seconds=60)  # next fire 12:05, capped by the tick
    assert T0 + timedelta(seconds=60) in e.clock.sleepers
    e.rt.add_job(job("soon", cron="10 * * * * *"))  # wakes the loop early
    await e.wait(lambda: sched.last_sleep_deadline == T0 + timedelta(seconds=10))
    e.clock.advance(10)
    await e.wait(lambda: [r.status for r in e.runs("soon")] == ["succeeded"])
    assert e.runs("soon")[0].scheduled_for == T0 + timedelta(seconds=10)
    assert e.runs("slow") == []


# 2 -------------------------------------------------------------------------------------------------


async def test_per_job_max_concurrent_skips_and_records(engine_factory, job) -> None:
    e = engine_factory()
    e.rt.add_job(job("j", agent_id="block", max_concurrent=1))
    e.start()
    await e.advance(60)
    await e.wait(lambda: [r.status for r in e.runs("j")] == ["running"])
    await e.advance(60)
    runs = e.runs("j")
    assert [r.status for r in runs] == ["running", "skipped"]
    assert "max_concurrent = 1" in (runs[1].error or "")
    assert e.store.list_audit(event_type="CronJobSkipped")[0].run_id == runs[1].id
    e.gates["j"].set()
    await e.wait(lambda: [r.status for r in e.runs("j")] == ["succeeded", "skipped"])


async def test_max_concurrent_two_allows_two_overlapping_runs(engine_factory, job) -> None:
    e = engine_factory()
    e.rt.add_job(job("j", agent_id="block", max_concurrent=2))
    e.start()
    for _ in range(3):
        await e.advance(60)
    await e.wait(lambda: [r.status for r in e.runs("j")] == ["running", "running", "skipped"])


# 3 -------------------------------------------------------------------------------------------------


async def test_global_limit_queues_instead_of_dropping(engine_factory, job) -> None:
    e = engine_factory(max_concurrent_jobs=1)
    e.rt.add_job(job("a", agent_id="block"))
    e.rt.add_job(job("b", agent_id="block"))
    e.start()
    await e.advance(60)
    await e.wait(lambda: sorted(r.status for n in "ab" for r in e.runs(n)) == ["pending", "running"])
    first = "a" if e.runs("a")[0].status == "running" else "b"
    second = "b" if first == "a" else "a"
    assert e.rt.scheduler.in_flight() == 2
    e.gates[first].set()
    await e.wait(lambda: [r.status for r in e.runs(second)] == ["running"])
    e.gates[second].set()
    await e.wait(lambda: [r.status for n in "ab" for r in e.runs(n)] == ["succeeded", "succeeded"])


# 4 -------------------------------------------------------------------------------------------------


async def test_one_run_per_fire_even_if_the_fire_was_recorded_but_not_advanced(engine_factory, job) -> None:
    e = engine_factory()
    rec = e.rt.add_job(job("j")).record
    fire = rec.next_fire_at
    assert fire is not None
    # A previous process recorded the run for this fire but (hypothetically) died before advancing.
    e.store.insert_run("j", NewRun(fire, "schedule", "succeeded"), now=fire)
    e.clock.set(fire)
    e.start()
    await e.settle()
    runs = e.runs("j")
    assert [(r.scheduled_for, r.status) for r in runs] == [(fire, "succeeded")]
    assert e.store.get_job("j").next_fire_at == fire + timedelta(minutes=1)  # type: ignore[union-attr]
    await e.advance(60)
    await e.wait(lambda: len(e.runs("j")) == 2 and e.runs("j")[1].status == "succeeded")
    assert e.runs("j")[1].scheduled_for == fire + timedelta(minutes=1)


# 5 -------------------------------------------------------------------------------------------------


async def test_running_runs_become_abandoned_before_new_runs(engine_factory, job) -> None:
    e = engine_factory()
    rec = e.rt.add_job(job("j")).record
    stale = e.store.insert_run("j", NewRun(T0, "manual", "running"), now=T0)
    assert rec.next_fire_at is not None
    e.clock.set(rec.next_fire_at)
    e.start()
    await e.settle()
    await e.wait(lambda: e.runs("j")[-1].status == "succeeded")
    assert e.store.get_run(stale.id).status == "abandoned"  # type: ignore[union-attr]
    new = e.runs("j")[-1]
    audit = list(reversed(e.store.list_audit(job="j")))
    abandoned_at = next(i for i, a in enumerate(audit) if a.event_type == "CronJobAbandoned")
    started_at = next(
        i for i, a in enumerate(audit) if a.event_type == "CronJobStarted" and a.run_id == new.id
    )
    assert abandoned_at < started_at


# 6 -------------------------------------------------------------------------------------------------


async def test_per_second_job_down_30_days_records_one_summarised_missed_run(engine_factory, job) -> None:
    e = engine_factory()
    e.rt.add_job(job("tick", cron="* * * * * *"))
    e.clock.set(T0 + timedelta(days=30))
    e.start()
    await e.settle()
    await e.wait(lambda: any(r.status == "succeeded" for r in e.runs("tick")))
    runs = e.runs("tick")
    missed = [r for r in runs if r.status == "missed"]
    ran = [r for r in runs if r.status == "succeeded"]
    assert len(missed) == 1 and len(ran) == 1
    assert missed[0].detail["missed_count"] == 30 * 86400 - 1
    assert missed[0].scheduled_for == T0 + timedelta(seconds=1)
    assert ran[0].scheduled_for == T0 + timedelta(days=30)
    assert ran[0].trigger == "catchup"
    assert e.store.get_job("tick").next_fire_at == T0 + timedelta(days=30, seconds=1)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("policy", "ran_offsets_min", "missed"),
    [
        (Catchup.LATEST, [180], 179),
        (Catchup.EARLIEST, [120], 179),
        (Catchup.ALL, list(range(171, 181)), 170),
        (Catchup.NONE, [], 180),
    ],
)
async def test_catchup_policies_within_the_window(
    engine_factory, job, policy: Catchup, ran_offsets_min: list[int], missed: int
) -> None:
    # The policies themselves: no regular fire supersedes the replays here.
    e = engine_factory(catchup_window_seconds=3600, catchup_max_runs=10, catchup_skip_within_seconds=0)
    e.rt.add_job(job("m", cron="0 * * * * *", catchup=policy))
    e.clock.set(T0 + timedelta(hours=3))
    e.start()
    await e.settle()
    await e.wait(lambda: all(r.status in ("succeeded", "missed") for r in e.runs("m")))
    runs = e.runs("m")
    assert sorted(r.scheduled_for for r in runs if r.status == "succeeded") == [
        T0 + timedelta(minutes=m) for m in ran_offsets_min
    ]
    [summary] = [r for r in runs if r.status == "missed"]
    assert summary.detail["missed_count"] == missed
    assert summary.detail["catchup"] == policy.value
    assert e.store.list_audit(event_type="CronJobMissed")[0].details["missed_count"] == missed


# 7 -------------------------------------------------------------------------------------------------


async def test_jitter_is_stored_bounded_and_never_rerolled_after_restart(engine_factory, job) -> None:
    e = engine_factory(max_jitter_seconds=30)
    e.rt.add_job(job("j", cron="0 * * * * *"))
    e.rt.add_job(job("fast", cron="*/10 * * * * *"))
    e.start()
    await e.advance(60)
    [run] = e.runs("j")
    assert run.status == "pending"
    assert 0 < run.jitter_seconds < 30
    for r in e.runs("fast"):
        assert r.jitter_seconds < 10  # below the gap to the next fire
    await e.stop()

    again = engine_factory(max_jitter_seconds=30)
    again.rt.scheduler.rng.seed(12345)  # a different generator: a re-roll would show
    again.start()
    await again.settle()
    assert [(r.id, r.jitter_seconds, r.status) for r in again.runs("j")] == [
        (run.id, run.jitter_seconds, "pending")
    ]
    again.clock.set(run.scheduled_for + timedelta(seconds=run.jitter_seconds))
    await again.wait(lambda: again.runs("j")[0].status == "succeeded")
    done = again.runs("j")[0]
    assert done.started_at == run.scheduled_for + timedelta(seconds=run.jitter_seconds)
    assert len(again.runs("j")) == 1


async def test_job_jitter_overrides_config(engine_factory, job) -> None:
    e = engine_factory(max_jitter_seconds=0)
    e.rt.add_job(job("j", jitter=20))
    e.start()
    await e.advance(60)
    assert 0 < e.runs("j")[0].jitter_seconds < 20


# 8 -------------------------------------------------------------------------------------------------


async def test_consecutive_failures_dead_letter_then_reset_resumes_from_now(engine_factory, job) -> None:
    e = engine_factory(default_max_retries=5)
    e.rt.add_job(job("flaky", agent_id="fail", max_retries=2))
    e.start()
    await e.advance(60)
    await e.wait(lambda: [r.status for r in e.runs("flaky")] == ["failed"])
    await e.advance(60)
    await e.wait(lambda: e.store.get_job("flaky").status == "dead_letter")  # type: ignore[union-attr]
    runs = e.runs("flaky")
    assert [r.status for r in runs] == ["failed", "failed"]
    assert runs[0].error == "it broke"
    await e.advance(600)
    assert len(e.runs("flaky")) == 2  # dead-lettered jobs never fire
    reset = e.store.reset_job("flaky", now=e.clock.now())
    assert reset.status == "active" and reset.consecutive_failures == 0
    assert reset.next_fire_at == e.clock.now() + timedelta(minutes=1)
    e.rt.scheduler.wake()
    await e.advance(60)
    await e.wait(lambda: len(e.runs("flaky")) == 3)


# 9 -------------------------------------------------------------------------------------------------


async def test_one_shot_fires_once_completes_and_never_again_after_restart(engine_factory, job) -> None:
    e = engine_factory()
    e.rt.add_job(job("once", cron=None, at="2026-03-02T12:00:30Z"))
    e.start()
    await e.advance(30)
    await e.wait(lambda: [r.status for r in e.runs("once")] == ["succeeded"])
    assert e.store.get_job("once").status == "completed"  # type: ignore[union-attr]
    await e.stop()
    again = engine_factory()
    again.rt.add_job(job("once", cron=None, at="2026-03-02T12:00:30Z"))  # reloading the same file
    again.start()
    await again.advance(3600)
    assert len(again.runs("once")) == 1
    assert again.store.get_job("once").status == "completed"  # type: ignore[union-attr]


async def test_past_at_runs_once_within_window_else_missed(engine_factory, job) -> None:
    e = engine_factory(catchup_window_seconds=3600)
    e.rt.add_job(job("recent", cron=None, at="2026-03-02T11:50:00Z"))
    e.rt.add_job(job("old", cron=None, at="2026-03-02T09:00:00Z"))
    e.start()
    await e.settle()
    await e.wait(lambda: [r.status for r in e.runs("recent")] == ["succeeded"])
    assert e.runs("recent")[0].trigger == "catchup"
    assert [r.status for r in e.runs("old")] == ["missed"]
    assert e.runs("old")[0].detail["missed_count"] == 1
    for name in ("recent", "old"):
        assert e.store.get_job(name).status == "completed"  # type: ignore[union-attr]


# 10 ------------------------------------------------------------------------------------------------


async def test_exhausted_cron_completes(engine_factory, job) -> None:
    e = engine_factory()
    e.rt.add_job(job("last", cron="30 0 12 2 3 * 2026"))
    e.start()
    await e.advance(30)
    await e.wait(lambda: [r.status for r in e.runs("last")] == ["succeeded"])
    rec = e.store.get_job("last")
    assert rec is not None and rec.status == "completed" and rec.next_fire_at is None


# 11 ------------------------------------------------------------------------------------------------


async def test_paused_never_fires_and_resume_has_no_backlog(engine_factory, job) -> None:
    e = engine_factory()
    e.rt.add_job(job("p"))
    e.store.set_job_status("p", "paused", now=T0)
    e.start()
    for _ in range(5):
        await e.advance(60)
    assert e.runs("p") == []
    e.store.set_job_status("p", "active", now=e.clock.now())
    await e.settle()
    assert e.runs("p") == []  # nothing caught up
    await e.advance(60)
    await e.wait(lambda: [r.status for r in e.runs("p")] == ["succeeded"])
    assert e.runs("p")[0].scheduled_for == T0 + timedelta(minutes=6)


# 12 ------------------------------------------------------------------------------------------------


async def test_max_runtime_cancels_agent_and_records_timed_out(engine_factory, job) -> None:
    e = engine_factory()
    cancelled = asyncio.Event()

    async def stuck(call: object) -> str:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    e.rt.register_agent("stuck", stuck)
    e.rt.add_job(job("slow", agent_id="stuck", policy=Policy(max_runtime="30s", max_runtime_seconds=30)))
    e.start()
    await e.advance(60)
    await e.wait(lambda: [r.status for r in e.runs("slow")] == ["running"])
    await e.advance(30)
    await e.wait(lambda: [r.status for r in e.runs("slow")] == ["timed_out"])
    assert cancelled.is_set()
    run = e.runs("slow")[0]
    assert "exceeded max_runtime (30s)" in (run.error or "")
    assert run.duration_seconds == 30.0


# 13 ------------------------------------------------------------------------------------------------


async def test_graceful_shutdown_waits_then_cancels(engine_factory, job) -> None:
    e = engine_factory(shutdown_timeout_seconds=10)
    e.rt.add_job(job("long", agent_id="block"))
    e.rt.add_job(job("quick", agent_id="block"))
    e.start()
    await e.advance(60)
    await e.wait(lambda: [r.status for n in ("long", "quick") for r in e.runs(n)] == ["running", "running"])
    e.rt.stop()
    await e.wait(lambda: e.clock.now() + timedelta(seconds=10) in e.clock.sleepers, limit=2)
    e.gates["quick"].set()  # finishes within the timeout
    await e.wait(lambda: e.runs("quick")[0].status == "succeeded")
    ticks = e.rt.scheduler.ticks
    e.clock.advance(10)
    await e.task
    assert e.rt.scheduler.ticks == ticks  # nothing claimed after stop
    assert [r.status for r in e.runs("long")] == ["cancelled"]
    assert e.runs("long")[0].error == "cancelled by runtime shutdown"


# approvals and manual runs ----------------------------------------------------------------------------


async def test_approval_parks_then_executes_with_original_input_or_expires(engine_factory, job) -> None:
    e = engine_factory(approval_timeout_seconds=600)
    e.rt.add_job(job("deploy", input="ship v2", policy=Policy(require_approval=True, approver="ops")))
    e.start()
    await e.advance(60)
    await e.wait(lambda: [r.status for r in e.runs("deploy")] == ["awaiting_approval"])
    first = e.runs("deploy")[0]
    assert first.approver == "ops" and first.expires_at == e.clock.now() + timedelta(seconds=600)
    e.store.decide_approval(first.id, approve=True, actor="alice", reason="go", now=e.clock.now())
    await e.settle()
    await e.wait(lambda: e.store.get_run(first.id).status == "succeeded")  # type: ignore[union-attr]
    done = e.store.get_run(first.id)
    assert done is not None and done.output == "echo: ship v2" and done.decision == "approved"

    await e.advance(60)
    await e.wait(lambda: e.runs("deploy")[-1].status == "awaiting_approval")
    second = e.runs("deploy")[-1]
    e.store.set_job_status("deploy", "paused", now=e.clock.now())
    await e.advance(600)
    assert e.store.get_run(second.id).status == "missed"  # type: ignore[union-attr]


async def test_run_job_now_goes_through_pipeline_without_moving_next_fire(engine_factory, job) -> None:
    e = engine_factory()
    before = e.rt.add_job(job("j", input="default")).record
    run = await e.rt.run_job_now("j", input="custom")
    assert (run.status, run.trigger, run.output) == ("succeeded", "manual", "echo: custom")
    assert run.scheduled_for == T0
    assert e.store.get_job("j").next_fire_at == before.next_fire_at  # type: ignore[union-attr]
    default = await e.rt.run_job_now("j")
    assert default.output == "echo: default"


async def test_run_job_now_respects_max_concurrent_unless_forced(engine_factory, job) -> None:
    e = engine_factory()
    e.rt.add_job(job("b", agent_id="block"))
    e.start()
    await e.advance(60)
    await e.wait(lambda: [r.status for r in e.runs("b")] == ["running"])
    skipped = await e.rt.run_job_now("b")
    assert skipped.status == "skipped" and "use --force" in (skipped.error or "")
    forced = asyncio.create_task(e.rt.run_job_now("b", force=True))
    await e.wait(lambda: sum(r.status == "running" for r in e.runs("b")) == 2)
    e.gates["b"].set()
    assert (await forced).status == "succeeded"


async def test_unknown_agent_fails_the_run_with_a_clear_error(engine_factory, job) -> None:
    e = engine_factory()
    e.rt.add_job(job("x", agent_id="nobody"))
    run = await e.rt.run_job_now("x")
    assert run.status == "failed"
    assert run.error == "agent 'nobody' has no executor: define handler/command/endpoint or register it"


async def test_pausing_a_job_while_its_run_waits_for_jitter_skips_that_run(engine_factory, job) -> None:
    e = engine_factory(max_jitter_seconds=30)
    e.rt.add_job(job("j"))
    e.start()
    await e.advance(60)
    [run] = e.runs("j")
    assert run.status == "pending"
    e.store.set_job_status("j", "paused", now=e.clock.now())
    e.clock.advance(run.jitter_seconds)
    await e.wait(lambda: e.runs("j")[0].status == "skipped")
    assert e.runs("j")[0].error == "job was paused before the run started"
    assert e.calls == []


async def test_a_failing_tick_is_logged_and_retried(engine_factory, job, caplog) -> None:
    e = engine_factory()
    e.rt.add_job(job("j"))
    store = e.store
    real = store.due_jobs
    failures = [TransientStoreError("database is locked")]

    def flaky(now, *, limit=1000):  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()
        return real(now, limit=limit)

    store.due_jobs = flaky  # type: ignore[method-assign]
    e.start()
    await e.wait(lambda: "scheduler tick failed: TransientStoreError: database is locked" in caplog.text)
    await e.advance(60)
    await e.wait(lambda: [r.status for r in e.runs("j")] == ["succeeded"])


async def test_an_unusable_store_stops_the_scheduler_with_its_reason(engine_factory, job, caplog) -> None:
    e = engine_factory()
    e.rt.add_job(job("j"))

    def unusable(now, *, limit=1000):  # type: ignore[no-untyped-def]
        raise PermanentStoreError("database x.db: the database is read-only")

    e.store.due_jobs = unusable  # type: ignore[method-assign]
    with pytest.raises(PermanentStoreError, match="read-only"):
        await asyncio.wait_for(e.rt.scheduler.run(), 10)
    assert "the job store cannot be used: database x.db: the database is read-only" in caplog.text
    assert e.runs("j") == []


async def test_catchup_disabled_in_config_records_everything_missed(engine_factory, job) -> None:
    e = engine_factory(enable_missed_run_catchup=False)
    e.rt.add_job(job("m", catchup=Catchup.ALL))
    e.clock.set(T0 + timedelta(minutes=30))
    e.start()
    await e.settle()
    [summary] = e.runs("m")
    assert summary.status == "missed" and summary.detail["missed_count"] == 30
    assert summary.detail["catchup"] == "none"


async def test_a_restart_does_not_cost_the_next_on_time_fire(engine_factory, job) -> None:
    """Issue 8: a catch-up run started at start-up was still running when the next fire came due, so
    that on-time fire was `skipped` (max_concurrent = 1). A late fire whose next regular fire is due
    within `catchup_skip_within_seconds` is recorded missed (superseded) instead of replayed."""
    e = engine_factory()
    e.rt.add_job(job("m", cron="0 * * * * *", agent_id="block"))
    e.clock.set(T0 + timedelta(seconds=90))  # down over the 12:01 fire; 12:02 is 30 s away
    e.start()
    await e.settle()
    [missed] = e.runs("m")
    assert missed.status == "missed" and missed.scheduled_for == T0 + timedelta(minutes=1)
    assert missed.detail["superseded_by"] == (T0 + timedelta(minutes=2)).isoformat()
    assert "not caught up" in (missed.error or "")
    await e.advance(30)
    await e.wait(lambda: [r.status for r in e.runs("m")] == ["missed", "running"])
    e.gates["m"].set()
    await e.wait(lambda: [r.status for r in e.runs("m")] == ["missed", "succeeded"])
    assert e.runs("m")[1].trigger == "schedule"


async def test_a_late_fire_far_from_the_next_one_is_still_caught_up(engine_factory, job) -> None:
    e = engine_factory()
    e.rt.add_job(job("h", cron="0 0 * * * *"))
    e.clock.set(T0 + timedelta(hours=1, minutes=10))  # 13:00 missed by 10 min; 14:00 is 50 min away
    e.start()
    await e.settle()
    await e.wait(lambda: [r.status for r in e.runs("h")] == ["succeeded"])
    assert e.runs("h")[0].trigger == "catchup"


# claim batches --------------------------------------------------------------------------------------


async def test_a_tick_claims_every_due_fire_in_several_batches(engine_factory, job, monkeypatch) -> None:
    """More jobs are due than one claim transaction takes: the tick claims them batch after batch, each
    fire once, before any run starts; a global limit smaller than the batch queues the rest."""
    e = engine_factory(max_concurrent_jobs=4)
    monkeypatch.setattr(type(e.store), "claim_batch", 3)
    names = [f"j{i}" for i in range(8)]
    for name in names:
        e.rt.add_job(job(name))
    e.start()
    await e.settle()
    ticks = e.rt.scheduler.ticks
    await e.advance(60)
    await e.wait(lambda: all([r.status for r in e.runs(n)] == ["succeeded"] for n in names))
    assert {e.runs(n)[0].scheduled_for for n in names} == {T0 + timedelta(seconds=60)}
    assert e.rt.scheduler.ticks >= ticks + 1
    assert len(e.store.list_audit(event_type="CronJobStarted")) == 8
