"""The heartbeat loop against a real store: the sleep protocol, context modes, iteration records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from symbi_runtime.agents import AgentCall, AgentError, CallableAgent, Message
from symbi_runtime.clock import FakeClock
from symbi_runtime.heartbeat import interpret, run_heartbeat
from symbi_runtime.store import NewRun, SqliteStore, Store

from symbi_lang.ir import Heartbeat, JobDefinition, SessionMode

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    s = SqliteStore.open(tmp_path / "symbi.db")
    yield s
    s.close()


def hb_job(mode: SessionMode = SessionMode.EPHEMERAL_WITH_SUMMARY, max_iterations: int = 10) -> JobDefinition:
    return JobDefinition(
        name="monitor",
        agent_id="watcher",
        cron_expr="0 */5 * * * *",
        heartbeat=Heartbeat(enabled=True, context_mode=mode, max_iterations=max_iterations),
    )


def new_run(db: Store, job: JobDefinition) -> str:
    db.upsert_job(job, now=T0)
    return db.insert_run(job.name, NewRun(T0, "manual", "running"), now=T0).id


class Scripted:
    """Answers from a script and remembers every call it got."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.calls: list[AgentCall] = []

    def __call__(self, call: AgentCall) -> str:
        self.calls.append(call)
        return self.answers.pop(0)


@pytest.mark.parametrize(
    ("output", "action", "text"),
    [
        ("sleep", "sleep", ""),
        ("SLEEP.", "sleep", ""),
        ("All services healthy.\nsleep", "sleep", "All services healthy."),
        ("sleep\nnothing to do", "sleep", "nothing to do"),
        ('{"action": "sleep", "summary": "quiet"}', "sleep", "quiet"),
        ('{"action": "Restart", "output": "restarted nginx"}', "restart", "restarted nginx"),
        ("restarted nginx; will sleep later", "act", "restarted nginx; will sleep later"),
        ('{"not": "an action"}', "act", '{"not": "an action"}'),
        ("{broken json", "act", "{broken json"),
    ],
)
def test_interpret(output: str, action: str, text: str) -> None:
    answer = interpret(output)
    assert (answer.action, answer.text) == (action, text)


async def test_loop_runs_until_sleep_and_records_each_iteration(db: Store) -> None:
    job = hb_job()
    run_id = new_run(db, job)
    script = Scripted("cpu at 97%: restarted worker", "cpu at 40%", "Recovered after restart.\nsleep")
    clock = FakeClock(T0)
    out = await run_heartbeat(
        CallableAgent(script), job, AgentCall("watcher", "check the fleet"), db, run_id, clock
    )
    assert out == "Recovered after restart."
    assert [c.iteration for c in script.calls] == [1, 2, 3]
    assert all(c.input == "check the fleet" and c.run_id == run_id for c in script.calls)
    rows = db.list_iterations(run_id)
    assert [(r["iteration"], r["action"]) for r in rows] == [(1, "act"), (2, "act"), (3, "sleep")]
    assert rows[0]["output"] == "cpu at 97%: restarted worker"
    assert rows[2]["at"] == T0


async def test_max_iterations_stops_the_loop(db: Store) -> None:
    job = hb_job(max_iterations=3)
    run_id = new_run(db, job)
    script = Scripted(*[f"still busy {i}" for i in range(1, 10)])
    out = await run_heartbeat(CallableAgent(script), job, AgentCall("watcher", ""), db, run_id, FakeClock(T0))
    assert len(script.calls) == 3
    assert out == "still busy 3"
    assert len(db.list_iterations(run_id)) == 3


async def test_ephemeral_with_summary_context_carries_only_the_previous_iteration(db: Store) -> None:
    job = hb_job(SessionMode.EPHEMERAL_WITH_SUMMARY)
    run_id = new_run(db, job)
    script = Scripted("first", "second", "sleep")
    session = (Message("system", "Summary of the previous run."),)
    await run_heartbeat(
        CallableAgent(script), job, AgentCall("watcher", "go", messages=session), db, run_id, FakeClock(T0)
    )
    assert script.calls[0].messages == session
    assert script.calls[1].messages == (
        *session,
        Message("system", "Summary of heartbeat iteration 1 (action: act): first"),
    )
    assert script.calls[2].messages == (
        *session,
        Message("system", "Summary of heartbeat iteration 2 (action: act): second"),
    )


async def test_shared_persistent_context_accumulates_every_iteration(db: Store) -> None:
    job = hb_job(SessionMode.SHARED_PERSISTENT)
    run_id = new_run(db, job)
    script = Scripted("first", "second", "sleep")
    await run_heartbeat(CallableAgent(script), job, AgentCall("watcher", "go"), db, run_id, FakeClock(T0))
    assert script.calls[2].messages == (
        Message("user", "go"),
        Message("assistant", "first"),
        Message("user", "go"),
        Message("assistant", "second"),
    )


async def test_fully_ephemeral_context_has_no_carryover(db: Store) -> None:
    job = hb_job(SessionMode.FULLY_EPHEMERAL)
    run_id = new_run(db, job)
    script = Scripted("first", "second", "sleep")
    await run_heartbeat(CallableAgent(script), job, AgentCall("watcher", "go"), db, run_id, FakeClock(T0))
    assert [c.messages for c in script.calls] == [(), (), ()]


async def test_an_iteration_error_is_recorded_and_fails_the_run(db: Store) -> None:
    job = hb_job()
    run_id = new_run(db, job)
    answers = iter(["looked around"])

    def agent(call: AgentCall) -> str:
        for answer in answers:
            return answer
        raise RuntimeError("metrics API down")

    with pytest.raises(AgentError, match="RuntimeError: metrics API down"):
        await run_heartbeat(CallableAgent(agent), job, AgentCall("watcher", ""), db, run_id, FakeClock(T0))
    rows = db.list_iterations(run_id)
    assert [(r["action"], r["output"]) for r in rows] == [
        ("act", "looked around"),
        ("error", "RuntimeError: metrics API down"),
    ]


async def test_sleep_without_summary_returns_the_last_report(db: Store) -> None:
    job = hb_job()
    run_id = new_run(db, job)
    script = Scripted("rotated logs", "sleep")
    out = await run_heartbeat(CallableAgent(script), job, AgentCall("watcher", ""), db, run_id, FakeClock(T0))
    assert out == "rotated logs"


async def test_heartbeat_job_through_the_runtime_records_iterations(tmp_path: Path) -> None:
    from symbi_runtime.runtime import Runtime

    script = Scripted("disk 95%: rotated logs", "disk 60%", "Disk pressure resolved.\nsleep")
    async with Runtime(db_path=tmp_path / "symbi.db", env={}) as rt:
        rt.register_agent("watcher", script)
        rt.add_job(hb_job(SessionMode.FULLY_EPHEMERAL))
        run = await rt.run_job_now("monitor", input="check disks")
        assert (run.status, run.output) == ("succeeded", "Disk pressure resolved.")
        rows = rt.store.list_iterations(run.id)
    assert [(r["iteration"], r["action"]) for r in rows] == [(1, "act"), (2, "act"), (3, "sleep")]
    assert [c.input for c in script.calls] == ["check disks"] * 3
