"""The time source delivery uses: `now()` for timestamps and `sleep()` for retry backoff."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class DeliveryClock(Protocol):
    """Injected so tests can observe backoff without waiting for it."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` (used between retries)."""
        ...


class SystemClock:
    """Wall-clock time in UTC and real asyncio sleeps."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        import asyncio  # here, not at the top: every CLI command loads this module via the configuration

        await asyncio.sleep(seconds)
