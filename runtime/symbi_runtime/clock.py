"""The scheduler's time source: `SystemClock` for production, `FakeClock` for deterministic tests.

Every behaviour that depends on time (next fires, jitter, max_runtime, approval expiry, shutdown
timeouts) asks a `Clock`, so tests move time explicitly instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Aware-UTC `now()` and an awaitable `sleep_until(t)`."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    async def sleep_until(self, when: datetime) -> None:
        """Return once `now() >= when` (immediately when it already is)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...


class SystemClock:
    """Wall-clock UTC time and real asyncio sleeps."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime) -> None:
        # Sleep in one go; a wall-clock jump is corrected by the scheduler re-reading now() on wake.
        delay = (when - datetime.now(UTC)).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when told to: `advance(seconds)` / `set(t)` wake due sleepers in order.

    Sleepers are woken by resolving their futures, so after advancing, a test awaits the effect it
    expects (an event, a run status) rather than sleeping.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 1, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, when: datetime) -> None:
        if when <= self._now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (when, next(self._seq), future))
        await future

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self._now + timedelta(seconds=max(0.0, seconds)))

    @property
    def sleepers(self) -> list[datetime]:
        """Deadlines of the sleeps still waiting (cancelled ones excluded), earliest first."""
        return sorted(when for when, _, fut in self._sleepers if not fut.done())

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds` and wake every sleeper now due."""
        self.set(self._now + timedelta(seconds=seconds))

    def set(self, when: datetime) -> None:
        """Move time to `when` (never backwards) and wake every sleeper now due."""
        when = when.astimezone(UTC)
        if when < self._now:
            raise ValueError("FakeClock cannot go backwards")
        self._now = when
        while self._sleepers and self._sleepers[0][0] <= when:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)
