"""Shared fixtures for the runtime engine tests: a real SQLite store in tmp_path and a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from symbi_runtime.clock import FakeClock
from symbi_runtime.store import Store

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
    s = Store.open(db_path)
    yield s
    s.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)
