"""The run pipeline as the scheduler drives it: policy gate, delivery receipts, sessions, heartbeat."""

from __future__ import annotations

from typing import Any

import pytest
from symbi_runtime.delivery import DeliveryMessage, DeliveryReceipt

from symbi_lang.ir import Heartbeat, Policy, SessionMode


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """These behaviour tests run against every store backend."""
    return str(request.param)


async def test_denied_by_environment_records_reason_and_audit(engine_factory, job) -> None:
    e = engine_factory(environment="staging")
    e.rt.add_job(job("prod-only", policy=Policy(allowed_environments=("production",))))
    run = await e.rt.run_job_now("prod-only")
    assert run.status == "denied"
    assert "production" in (run.error or "") and "staging" in (run.error or "")
    assert e.calls == []  # the agent never ran
    [event] = e.store.list_audit(event_type="CronJobDenied")
    assert event.run_id == run.id


async def test_delivery_receipts_are_stored_and_a_failing_channel_keeps_the_output(
    engine_factory, job
) -> None:
    e = engine_factory()
    seen: list[DeliveryMessage] = []

    async def good(message: DeliveryMessage, settings: Any, env: Any) -> None:
        seen.append(message)

    async def bad(message: DeliveryMessage, settings: Any, env: Any) -> DeliveryReceipt:
        raise RuntimeError("channel down")

    e.rt.register_channel("good", good)
    e.rt.register_channel("bad", bad)
    e.rt.add_job(job("report", input="q", delivery=("good", "bad")))
    run = await e.rt.run_job_now("report")
    assert run.status == "succeeded" and run.output == "echo: q"
    assert [(r["channel"], r["ok"]) for r in run.receipts] == [("good", True), ("bad", False)]
    assert "channel down" in run.receipts[1]["error"]
    assert seen[0].output == "echo: q" and seen[0].run_id == run.id
    stored = e.store.get_run(run.id)
    assert stored is not None and stored.receipts == run.receipts


async def test_shared_persistent_session_reaches_the_next_run(engine_factory, job) -> None:
    e = engine_factory()
    e.rt.add_job(job("chat", session_mode=SessionMode.SHARED_PERSISTENT))
    await e.rt.run_job_now("chat", input="one")
    await e.rt.run_job_now("chat", input="two")
    second = e.calls[-1]
    assert [(m.role, m.content) for m in second.messages] == [("user", "one"), ("assistant", "echo: one")]


async def test_heartbeat_jobs_iterate_until_sleep_and_record_iterations(engine_factory, job) -> None:
    e = engine_factory()
    answers = iter(["checked disk", "restarted nginx", "all good\nsleep"])

    async def monitor(call: Any) -> str:
        return next(answers)

    e.rt.register_agent("monitor", monitor)
    e.rt.add_job(job("hb", agent_id="monitor", heartbeat=Heartbeat(enabled=True, max_iterations=10)))
    run = await e.rt.run_job_now("hb")
    assert run.status == "succeeded" and run.output == "all good"
    assert [i["iteration"] for i in e.store.list_iterations(run.id)] == [1, 2, 3]


async def test_metrics_count_runs_by_status(engine_factory, job) -> None:
    e = engine_factory()
    e.rt.add_job(job("ok"))
    e.rt.add_job(job("bad", agent_id="fail"))
    await e.rt.run_job_now("ok")
    await e.rt.run_job_now("bad")
    text = e.rt.metrics.render().decode()
    assert 'symbiont_cron_runs_total{job_name="ok",status="succeeded"} 1.0' in text
    assert 'symbiont_cron_runs_total{job_name="bad",status="failed"} 1.0' in text
    assert "symbiont_cron_in_flight_jobs 0.0" in text


async def test_shutdown_during_delivery_keeps_the_runs_outcome(engine_factory, job) -> None:
    import asyncio

    e = engine_factory(shutdown_timeout_seconds=5)
    entered = asyncio.Event()

    async def slow_channel(message: DeliveryMessage, settings: Any, env: Any) -> None:
        entered.set()
        await asyncio.Event().wait()

    e.rt.register_channel("slow", slow_channel)
    e.rt.add_job(job("r", input="x", delivery=("slow",)))
    e.start()
    await e.advance(60)
    await asyncio.wait_for(entered.wait(), 5)
    await e.halt()
    [run] = e.store.list_runs(job="r")
    assert (run.status, run.output) == ("succeeded", "echo: x")


async def test_session_is_stored_with_the_run_record(engine_factory, job) -> None:
    from symbi_runtime.sessions import session_key

    e = engine_factory()
    e.rt.add_job(job("sum", input="first"))
    run = await e.rt.run_job_now("sum")
    [summary] = e.store.load_session(session_key("sum"))  # on disk once the run is recorded
    assert (
        summary["role"] == "system" and "echo: first" in summary["content"] and run.id in summary["content"]
    )
