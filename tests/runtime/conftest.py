"""Shared fixtures for the runtime engine tests: a real SQLite store in tmp_path and a fake clock."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from symbi_runtime.clock import FakeClock
from symbi_runtime.store import SqliteStore, Store

from symbi_lang.ir import JobDefinition

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


def make_job(name: str = "job", *, cron: str | None = "0 * * * * *", **changes: Any) -> JobDefinition:
    """A job definition built directly (no parsing); `cron=None` with `at=...` for one-shot jobs."""
    fields: dict[str, Any] = {"name": name, "agent_id": changes.pop("agent_id", "echo"), "cron_expr": cron}
    fields.update(changes)
    return JobDefinition(**fields)


class JobFactory:
    """Callable fixture object: `job("name", cron=..., **fields)`."""

    def __call__(
        self, name: str = "job", *, cron: str | None = "0 * * * * *", **changes: Any
    ) -> JobDefinition:
        return make_job(name, cron=cron, **changes)


@pytest.fixture
def job() -> JobFactory:
    return JobFactory()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "symbi.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = SqliteStore.open(db_path)
    yield s
    s.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


class Engine:
    """A Runtime on a fake clock and a real SQLite file, with test agents, running in a background task."""

    def __init__(self, db_path: Path, clock: FakeClock, config: Any) -> None:
        from symbi_runtime.runtime import Runtime

        self.clock = clock
        self.rt = Runtime(config, db_path=db_path, clock=clock, env={}, rng=__import__("random").Random(7))
        self.rt.open()
        self.calls: list[Any] = []
        import asyncio
        from collections import defaultdict

        # One gate per job name: the `block` agent waits on it; tests set it to let the run finish.
        self.gates: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.task: Any = None

        async def echo(call: Any) -> str:
            self.calls.append(call)
            return f"echo: {call.input}"

        async def fail(call: Any) -> str:
            from symbi_runtime.agents import AgentError

            self.calls.append(call)
            raise AgentError("it broke")

        async def block(call: Any) -> str:

            self.calls.append(call)
            await self.gates[call.job_name].wait()
            return "unblocked"

        self.rt.register_agent("echo", echo)
        self.rt.register_agent("fail", fail)
        self.rt.register_agent("block", block)

    @property
    def store(self) -> Store:
        return self.rt.store

    def start(self) -> None:
        import asyncio

        self.task = asyncio.create_task(self.rt.run())

    async def settle(self) -> None:
        """Make the scheduler tick at the current fake time and wait for that tick."""
        sched = self.rt.scheduler
        sched.wake()
        await sched.wait_until(
            lambda: sched.last_tick_at is not None and sched.last_tick_at >= self.clock.now()
        )

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.settle()

    async def wait(self, predicate: Any, limit: float = 5.0) -> None:
        await self.rt.scheduler.wait_until(predicate, limit)

    def runs(self, job: str, status: str | None = None) -> list[Any]:
        return list(reversed(self.store.list_runs(job=job, status=status, limit=100_000)))

    async def halt(self) -> None:
        """Stop the scheduler (graceful shutdown, fake time moved as needed); the store stays open."""
        import asyncio

        if self.task is not None and not self.task.done():
            self.rt.stop()
            for gate in self.gates.values():
                gate.set()
            await asyncio.wait({self.task}, timeout=0.5)
            # Shutdown waits on the fake clock: move it until the loop is done.
            while not self.task.done():
                self.clock.advance(3600)
                await asyncio.wait({self.task}, timeout=0.01)
            await self.task

    async def stop(self) -> None:
        await self.halt()
        self.rt.close()


@pytest.fixture
async def engine_factory(db_path: Path, clock: FakeClock) -> Any:
    from symbi_runtime.config import Config, SchedulerConfig

    made: list[Engine] = []

    def make(**scheduler: Any) -> Engine:
        config = Config(scheduler=SchedulerConfig(**scheduler))
        e = Engine(db_path, clock, config)
        made.append(e)
        return e

    yield make
    for e in made:
        await e.stop()


PollDb = Callable[..., list[tuple[Any, ...]]]


def _poll_db(
    db: Path, sql: str, predicate: Callable[[list[tuple[Any, ...]]], bool], limit: float = 30.0
) -> list[tuple[Any, ...]]:
    """Query `db` until `predicate(rows)` holds (read-only connection; another process keeps writing)."""
    deadline = time.monotonic() + limit
    rows: list[tuple[Any, ...]] = []
    while time.monotonic() < deadline:
        if db.exists():
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
            try:
                rows = conn.execute(sql).fetchall()
            except sqlite3.OperationalError:
                rows = []
            finally:
                conn.close()
            if predicate(rows):
                return rows
        time.sleep(0.05)
    raise AssertionError(f"condition not met; last rows: {rows!r}")


@pytest.fixture
def poll_db() -> PollDb:
    """`poll_db(db, sql, predicate, limit=30.0)`: wait for a database written by a subprocess."""
    return _poll_db
