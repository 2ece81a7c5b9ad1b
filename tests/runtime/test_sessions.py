"""Session modes against a real SQLite store: what each agent call receives, what each run leaves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from symbi_runtime.agents import Message
from symbi_runtime.clock import FakeClock
from symbi_runtime.sessions import SessionManager, session_key, summarize
from symbi_runtime.store import SqliteStore, Store

from symbi_lang.ir import JobDefinition, SessionMode

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    s = SqliteStore.open(tmp_path / "symbi.db")
    yield s
    s.close()


def job(mode: SessionMode, name: str = "report") -> JobDefinition:
    return JobDefinition(name=name, agent_id="bot", cron_expr="0 0 9 * * *", session_mode=mode)


async def test_fully_ephemeral_receives_nothing_and_stores_nothing(db: Store) -> None:
    sessions = SessionManager(db, clock=FakeClock(T0))
    j = job(SessionMode.FULLY_EPHEMERAL)
    assert await sessions.prepare(j, "r1") == ()
    await sessions.finish(j, "r1", "in", "out")
    assert await sessions.prepare(j, "r2") == ()
    assert db.load_session(session_key("report")) == []


async def test_ephemeral_with_summary_carries_one_summary_of_the_previous_run(db: Store) -> None:
    sessions = SessionManager(db, clock=FakeClock(T0))
    j = job(SessionMode.EPHEMERAL_WITH_SUMMARY)
    assert await sessions.prepare(j, "r1") == ()
    await sessions.finish(j, "r1", "check the disks", "disk /var is 91% full")
    (context,) = await sessions.prepare(j, "r2")
    assert context.role == "system"
    assert context.content == (
        "Summary of the previous run (r1).\nInput: check the disks\nOutput: disk /var is 91% full"
    )
    await sessions.finish(j, "r2", "", "all clear " * 200)
    (context,) = await sessions.prepare(j, "r3")
    assert "(r2)" in context.content and "r1" not in context.content  # replaced, not accumulated
    assert "Input:" not in context.content  # empty input is left out
    assert len(context.content) < 600 and context.content.endswith("…")


async def test_shared_persistent_accumulates_turns_bounded(db: Store) -> None:
    sessions = SessionManager(db, clock=FakeClock(T0), max_messages=6)
    j = job(SessionMode.SHARED_PERSISTENT)
    for i in range(1, 6):
        assert len(await sessions.prepare(j, f"r{i}")) == min(2 * (i - 1), 6)
        await sessions.finish(j, f"r{i}", f"q{i}", f"a{i}")
    context = await sessions.prepare(j, "r6")
    assert context == (
        Message("user", "q3"),
        Message("assistant", "a3"),
        Message("user", "q4"),
        Message("assistant", "a4"),
        Message("user", "q5"),
        Message("assistant", "a5"),
    )


async def test_sessions_survive_reopening_the_database(tmp_path: Path) -> None:
    path = tmp_path / "symbi.db"
    j = job(SessionMode.SHARED_PERSISTENT)
    with SqliteStore.open(path) as first:
        await SessionManager(first, clock=FakeClock(T0)).finish(j, "r1", "q", "a")
    with SqliteStore.open(path) as second:
        context = await SessionManager(second).prepare(j, "r2")
    assert context == (Message("user", "q"), Message("assistant", "a"))


async def test_sessions_are_per_job_and_clear_forgets(db: Store) -> None:
    sessions = SessionManager(db, clock=FakeClock(T0))
    a, b = job(SessionMode.SHARED_PERSISTENT, "a"), job(SessionMode.SHARED_PERSISTENT, "b")
    await sessions.finish(a, "r1", "qa", "aa")
    assert await sessions.prepare(b, "r2") == ()
    await sessions.clear("a")
    assert await sessions.prepare(a, "r3") == ()


async def test_switching_mode_does_not_leak_summaries_into_turns(db: Store) -> None:
    sessions = SessionManager(db, clock=FakeClock(T0))
    await sessions.finish(job(SessionMode.EPHEMERAL_WITH_SUMMARY), "r1", "q", "a")
    shared = job(SessionMode.SHARED_PERSISTENT)
    await sessions.finish(shared, "r2", "q2", "a2")
    assert await sessions.prepare(shared, "r3") == (Message("user", "q2"), Message("assistant", "a2"))


def test_summarize_cuts_at_a_word_boundary() -> None:
    assert summarize("  a   b\n c ") == "a b c"
    text = "word " * 300
    cut = summarize(text, 50)
    assert cut.endswith("…") and len(cut) <= 51 and not cut[:-1].endswith(" ")


def test_max_messages_must_hold_a_turn(db: Store) -> None:
    with pytest.raises(ValueError):
        SessionManager(db, max_messages=1)


async def test_runtime_runs_receive_the_documented_context(tmp_path: Path) -> None:
    """Through the real pipeline: what the agent receives on consecutive runs, per mode."""
    from symbi_runtime.agents import AgentCall
    from symbi_runtime.runtime import Runtime

    seen: dict[str, list[tuple[Message, ...]]] = {}

    def agent(call: AgentCall) -> str:
        seen.setdefault(call.job_name or "", []).append(call.messages)
        return f"answer to {call.input}"

    async with Runtime(db_path=tmp_path / "symbi.db", env={}) as rt:
        rt.register_agent("bot", agent)
        for mode in SessionMode:
            rt.add_job(job(mode, name=str(mode)))
            for text in ("q1", "q2", "q3"):
                run = await rt.run_job_now(str(mode), input=text)
                assert run.status == "succeeded", run.error

    assert seen["fully_ephemeral"] == [(), (), ()]
    assert seen["shared_persistent"] == [
        (),
        (Message("user", "q1"), Message("assistant", "answer to q1")),
        (
            Message("user", "q1"),
            Message("assistant", "answer to q1"),
            Message("user", "q2"),
            Message("assistant", "answer to q2"),
        ),
    ]
    first, second, third = seen["ephemeral_with_summary"]
    assert first == ()
    assert len(second) == 1 and second[0].role == "system"
    assert second[0].content.endswith("Input: q1\nOutput: answer to q1")
    assert len(third) == 1 and third[0].content.endswith("Input: q2\nOutput: answer to q2")


async def test_a_failed_run_leaves_the_session_unchanged(tmp_path: Path) -> None:
    from symbi_runtime.agents import AgentCall
    from symbi_runtime.runtime import Runtime

    seen: list[tuple[Message, ...]] = []

    def agent(call: AgentCall) -> str:
        seen.append(call.messages)
        if call.input == "fail":
            raise RuntimeError("upstream down")
        return "ok"

    async with Runtime(db_path=tmp_path / "symbi.db", env={}) as rt:
        rt.register_agent("bot", agent)
        rt.add_job(job(SessionMode.SHARED_PERSISTENT))
        assert (await rt.run_job_now("report", input="one")).status == "succeeded"
        failed = await rt.run_job_now("report", input="fail")
        assert (failed.status, failed.error) == ("failed", "RuntimeError: upstream down")
        assert (await rt.run_job_now("report", input="two")).status == "succeeded"
    assert seen[2] == (Message("user", "one"), Message("assistant", "ok"))
