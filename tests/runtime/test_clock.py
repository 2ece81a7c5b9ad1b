"""The fake clock wakes sleepers in deadline order and only when time reaches them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from symbi_runtime.clock import FakeClock, SystemClock

T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def test_fake_clock_wakes_due_sleepers_in_order() -> None:
    clock = FakeClock(T0)
    woke: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(name)

    tasks = [asyncio.create_task(sleeper("b", 10)), asyncio.create_task(sleeper("a", 5))]
    await asyncio.sleep(0)
    assert clock.sleepers == [T0 + timedelta(seconds=5), T0 + timedelta(seconds=10)]
    clock.advance(4)
    await asyncio.sleep(0)
    assert woke == []
    clock.advance(1)
    await tasks[1]
    assert woke == ["a"]
    clock.advance(100)
    await tasks[0]
    assert woke == ["a", "b"]
    assert clock.now() == T0 + timedelta(seconds=105)


async def test_past_deadline_returns_immediately_and_time_never_goes_back() -> None:
    clock = FakeClock(T0)
    await clock.sleep_until(T0 - timedelta(seconds=1))
    with pytest.raises(ValueError, match="backwards"):
        clock.set(T0 - timedelta(seconds=1))


async def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    await SystemClock().sleep_until(now)
