"""The in-process embedding API: the agent decorator, job operations, run events, and the runnable example."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import symbi_runtime
from symbi_runtime import JobNotFound, Lagged, RunEvent, RunEventKind
from symbi_runtime.events import EventHub

from symbi_lang.ir import Policy

REPO = Path(__file__).resolve().parents[2]


def kinds(events: list[Any]) -> list[str]:
    return [e.kind.value if isinstance(e, RunEvent) else f"lagged:{e.dropped}" for e in events]


def drain(sub: Any) -> list[Any]:
    """Everything queued for `sub` right now (without waiting)."""

    async def take() -> list[Any]:
        got: list[Any] = []
        while True:
            try:
                got.append(await asyncio.wait_for(sub.__anext__(), 0.01))
            except (TimeoutError, StopAsyncIteration):
                return got

    return take()  # type: ignore[return-value]


def test_the_example_runs_and_exits_by_itself() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "runtime"), str(REPO / "lsp")])}
    proc = subprocess.run(
        [sys.executable, str(REPO / "examples" / "embedding.py")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "manual run succeeded: report #1 on on demand" in proc.stdout
    assert "paused: paused" in proc.stdout and "resumed: active" in proc.stdout
    assert "3 scheduled runs succeeded" in proc.stdout
    assert proc.stdout.count("event: status-report succeeded (schedule)") == 3
    assert "Traceback" not in proc.stderr


def test_public_names_come_from_the_package_roots() -> None:
    import symbi_lang

    for name in symbi_runtime.__all__:
        assert getattr(symbi_runtime, name) is not None, name
    for name in symbi_lang.__all__:
        assert getattr(symbi_lang, name) is not None, name
    with pytest.raises(AttributeError):
        _ = symbi_runtime.NoSuchThing  # type: ignore[attr-defined]
    for package in ("symbi_lang", "symbi_runtime", "symbi_lsp"):
        marker = Path(__import__(package).__file__).parent / "py.typed"
        assert marker.exists(), package


async def test_agent_decorator_takes_sync_and_async_functions_and_returns_them(engine_factory, job) -> None:
    e = engine_factory()

    @e.rt.agent("shout")
    def shout(call: Any) -> str:
        return call.input.upper()

    @e.rt.agent("whisper")
    async def whisper(call: Any) -> str:
        return call.input.lower()

    assert shout.__name__ == "shout" and callable(whisper)  # returned unchanged
    e.rt.add_job(job("a", agent_id="shout", input="Hello"))
    e.rt.add_job(job("b", agent_id="whisper", input="Hello"))
    a = await e.rt.run_now("a")
    b = await e.rt.run_now("b", input="QUIET")
    assert (a.status, a.output, a.trigger) == ("succeeded", "HELLO", "manual")
    assert (b.status, b.output, b.input) == ("succeeded", "quiet", "QUIET")


async def test_job_operations_match_the_store_and_are_audited(engine_factory, job) -> None:
    e = engine_factory()
    e.rt.add_job(job("report", input="x"))
    e.rt.add_job(job("other", agent_id="fail"))
    assert [j.name for j in e.rt.jobs()] == ["other", "report"]
    assert [j.name for j in e.rt.jobs(agent="fail")] == ["other"]
    assert e.rt.job("report") == e.store.get_job("report")

    paused = e.rt.pause("report", actor="ops-bot")
    assert paused.status == "paused" and paused.next_fire_at is not None
    assert [j.name for j in e.rt.jobs(status="paused")] == ["report"]
    resumed = e.rt.resume("report")
    assert resumed.status == "active"
    audit = e.store.list_audit(job="report")
    assert [
        (a.event_type, a.actor) for a in audit if a.event_type in ("CronJobPaused", "CronJobResumed")
    ] == [
        ("CronJobResumed", "runtime"),
        ("CronJobPaused", "ops-bot"),
    ]

    first = await e.rt.run_now("report")
    second = await e.rt.run_now("report", input="y")
    history = e.rt.history("report")
    assert [r.id for r in history] == [r.id for r in e.store.list_runs(job="report")]
    assert {r.id for r in history} == {first.id, second.id}
    assert [r.id for r in e.rt.history("report", limit=1)] == [history[0].id]

    failed = await e.rt.run_now("other")
    assert failed.status == "failed" and "it broke" in (failed.error or "")
    assert [r.status for r in e.rt.history("other", status="failed")] == ["failed"]

    for call in (e.rt.job, e.rt.history, e.rt.pause, e.rt.resume):
        with pytest.raises(JobNotFound, match="no job named 'nope'"):
            call("nope")
    with pytest.raises(JobNotFound):
        await e.rt.run_now("nope")
    assert e.rt.remove("other") is True and e.rt.remove("other") is False


async def test_events_follow_a_run_from_claim_to_its_outcome(engine_factory, job) -> None:
    e = engine_factory()
    seen: list[Any] = []

    async def channel(message: Any, settings: Any, env: Any) -> None:
        return None

    e.rt.register_channel("memo", channel)
    e.rt.add_job(job("tick", cron="0 * * * * *", input="q", delivery=("memo",)))
    sub = e.rt.events()
    e.start()
    await e.advance(60)
    await e.wait(lambda: len(e.runs("tick", "succeeded")) == 1)
    seen += await drain(sub)
    [run] = e.runs("tick")
    assert kinds(seen) == ["claimed", "started", "delivered", "succeeded"]
    assert {ev.run_id for ev in seen} == {run.id}
    assert all(ev.job_name == "tick" and ev.trigger == "schedule" for ev in seen)
    assert seen[2].channel == "memo" and seen[2].ok is True
    assert seen[-1].status == "succeeded" and seen[-1].kind.is_final
    assert seen[0].at == e.clock.now()


async def test_events_for_failure_denial_and_skips(engine_factory, job) -> None:
    e = engine_factory(environment="staging", default_max_retries=1)
    e.rt.add_job(job("broken", agent_id="fail"))
    e.rt.add_job(job("prod-only", policy=Policy(allowed_environments=("production",))))
    sub = e.rt.events()
    await e.rt.run_now("broken")
    denied = await e.rt.run_now("prod-only")
    got = [ev for ev in await drain(sub) if isinstance(ev, RunEvent)]
    by_kind = {ev.kind: ev for ev in got}
    assert by_kind[RunEventKind.FAILED].error == "it broke"
    assert by_kind[RunEventKind.FAILED].dead_lettered is True  # max_retries 1: this failure dead-letters
    assert by_kind[RunEventKind.DENIED].run_id == denied.id
    assert "production" in (by_kind[RunEventKind.DENIED].error or "")


async def test_a_full_queue_yields_lagged_with_the_count_and_never_blocks_runs(engine_factory, job) -> None:
    e = engine_factory()
    e.rt.add_job(job("busy"))
    slow = e.rt.events(maxsize=2)  # never read while the runs happen
    for _ in range(5):
        run = await e.rt.run_now("busy")
        assert run.status == "succeeded"  # the full queue did not hold the run up
    got = await drain(slow)
    # 5 runs x (claimed, started, succeeded) = 15 events; the queue kept the first 2.
    assert isinstance(got[0], Lagged) and got[0].dropped == 13
    assert kinds(got[1:]) == ["claimed", "started"]
    assert len(e.rt.history("busy")) == 5


async def test_subscriptions_end_when_closed_or_when_the_runtime_closes(engine_factory, job) -> None:
    e = engine_factory()
    with e.rt.events() as early:
        pass
    assert [x async for x in early] == []
    live = e.rt.events()
    consumer = asyncio.create_task(anext(live, None))
    await asyncio.sleep(0)
    e.rt.close()
    assert await asyncio.wait_for(consumer, 1) is None


def test_hub_fans_out_to_every_subscriber_independently() -> None:
    async def go() -> None:
        hub = EventHub()
        a, b = hub.subscribe(1), hub.subscribe(10)
        from datetime import UTC, datetime

        for i in range(3):
            hub.emit(
                RunEvent(RunEventKind.CLAIMED, "j", f"r{i}", datetime(2030, 1, 1, tzinfo=UTC), "pending")
            )
        got_a, got_b = await drain(a), await drain(b)
        assert kinds(got_a) == ["lagged:2", "claimed"] and got_a[1].run_id == "r0"
        assert [ev.run_id for ev in got_b] == ["r0", "r1", "r2"]
        a.close()
        assert hub.subscriber_count == 1
        with pytest.raises(ValueError):
            hub.subscribe(0)

    asyncio.run(go())


def test_the_readme_shows_the_example_script_verbatim() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    script = (REPO / "examples" / "embedding.py").read_text(encoding="utf-8")
    assert f"```python\n{script}```" in readme


def test_every_export_is_listed_in_all() -> None:
    import symbi_lang

    assert set(symbi_runtime.__all__) == set(symbi_runtime._EXPORTS)
    assert set(symbi_lang.__all__) == {"__version__", *symbi_lang._EXPORTS}
