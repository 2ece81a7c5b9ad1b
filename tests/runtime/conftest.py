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
from symbi_runtime.store import Store, open_store

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
def store(db_location: str) -> Iterator[Store]:
    s = open_store(db_location)
    yield s
    s.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


class Engine:
    """A Runtime on a fake clock and a real SQLite file, with test agents, running in a background task."""

    def __init__(self, db_path: Path | str, clock: FakeClock, config: Any) -> None:
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
async def engine_factory(db_location: str, clock: FakeClock) -> Any:
    from symbi_runtime.config import Config, SchedulerConfig

    made: list[Engine] = []

    def make(**scheduler: Any) -> Engine:
        config = Config(scheduler=SchedulerConfig(**scheduler))
        e = Engine(db_location, clock, config)
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


# --- PostgreSQL: one throwaway cluster per test session, a fresh database per test ----------------------
#
# Debian puts initdb/pg_ctl in PostgreSQL's versioned directory (not on PATH), and PostgreSQL refuses to
# run as root: as root, the cluster runs as the `postgres` user in a directory made for it. Missing
# binaries skip the PostgreSQL tests with one line, unless SYMBI_REQUIRE_POSTGRES=1 (set by .ci/run),
# which makes that a failure.

PG_SKIP_REASON = "PostgreSQL server binaries (initdb, pg_ctl) not found: PostgreSQL store tests skipped"


def _pg_bindir() -> Path | None:
    import glob
    import shutil
    import subprocess

    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out and (Path(out) / "initdb").exists() and (Path(out) / "pg_ctl").exists():
            return Path(out)
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _pg_unavailable(reason: str) -> None:
    import os

    if os.environ.get("SYMBI_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (SYMBI_REQUIRE_POSTGRES=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server on 127.0.0.1 (free port) for this test session; yields its base URL."""
    import os
    import shutil
    import socket
    import subprocess
    import tempfile

    bindir = _pg_bindir()
    if bindir is None:
        _pg_unavailable(PG_SKIP_REASON)
        raise AssertionError  # unreachable
    root = Path(tempfile.mkdtemp(prefix="symbi-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
    root.chmod(0o700)
    data = root / "data"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True, check=False, cwd=root)
        if done.returncode != 0:
            shutil.rmtree(root, ignore_errors=True)
            what = " ".join(args[:2])
            _pg_unavailable(f"cannot start a PostgreSQL test cluster: {what}: {done.stderr[-500:]}")

    run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=300"
    )
    log = str(root / "log")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", log, "-w", "-t", "60", "-o", options, "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            check=False,
            cwd=root,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's server (dropped after the test)."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{pg_server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield f"{pg_server}/{name}"
    with psycopg.connect(f"{pg_server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def backend() -> str:
    """The store backend of a test: SQLite unless the module overrides this fixture (see `both_backends`)."""
    return "sqlite"


@pytest.fixture
def db_location(request: pytest.FixtureRequest, backend: str, db_path: Path) -> str:
    """Where the test's store lives: the SQLite file, or a fresh PostgreSQL database."""
    if backend == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return str(db_path)
