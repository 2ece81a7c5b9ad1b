"""Run events for applications that embed the runtime: `async for event in rt.events(): …`.

The scheduler and the run pipeline emit a `RunEvent` at every transition of a run (claimed, started,
denied, awaiting approval, delivered, finished…). Each subscriber has its own bounded queue: emitting never
blocks and never waits for a consumer, so a slow consumer cannot delay the scheduler. When a subscriber's
queue is full the event is dropped for that subscriber only, and the next thing it receives is a `Lagged`
event with the number dropped, so it knows to re-read the store (`rt.history(...)`) if it needs everything.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Protocol

__all__ = [
    "DEFAULT_QUEUE_SIZE",
    "NULL_EVENTS",
    "EventHub",
    "EventSink",
    "Lagged",
    "RunEvent",
    "RunEventKind",
    "Subscription",
]

DEFAULT_QUEUE_SIZE = 1000


class RunEventKind(StrEnum):
    """What happened to a run. Final kinds carry the run's final status as their name."""

    CLAIMED = "claimed"  # a fire was claimed (the run exists, `pending` or `running`)
    SKIPPED = "skipped"  # a fire was recorded `skipped` (max_concurrent) or `missed` (catch-up)
    STARTED = "started"  # the pipeline took the run (policy gate next)
    DENIED = "denied"  # the policy gate denied it
    AWAITING_APPROVAL = "awaiting_approval"  # parked until approved or denied
    DELIVERED = "delivered"  # one delivery channel answered (see `channel` and `ok`)
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """True for the kinds after which the run does not change any more."""
        return self in _FINAL


_FINAL = frozenset(
    {
        RunEventKind.SKIPPED,
        RunEventKind.DENIED,
        RunEventKind.SUCCEEDED,
        RunEventKind.FAILED,
        RunEventKind.TIMED_OUT,
        RunEventKind.CANCELLED,
    }
)


@dataclass(frozen=True, slots=True)
class RunEvent:
    """One transition of one run. `status` is the run's stored status after it; `channel`/`ok` are set
    for `delivered`; `error` for failures, denials and skips; `dead_lettered` when this failure moved the
    job to `dead_letter`."""

    kind: RunEventKind
    job_name: str
    run_id: str
    at: datetime
    status: str
    trigger: str = "schedule"
    error: str | None = None
    channel: str | None = None
    ok: bool | None = None
    dead_lettered: bool = False


@dataclass(frozen=True, slots=True)
class Lagged:
    """This subscriber fell behind and `dropped` events were not delivered to it."""

    dropped: int


class EventSink(Protocol):
    """What the scheduler and pipeline emit into."""

    def emit(self, event: RunEvent) -> None: ...


class _NullEvents:
    listening = False  # nobody subscribes here: emitters need not build events

    def emit(self, event: RunEvent) -> None:
        return None


NULL_EVENTS: EventSink = _NullEvents()


class Subscription:
    """One subscriber's bounded queue; an async iterator of `RunEvent | Lagged`, and an (async) context
    manager that unsubscribes on exit. Iteration ends after `close()` (or the hub's `close()`)."""

    def __init__(self, hub: EventHub, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("an event queue holds at least one event")
        self._hub = hub
        self._queue: asyncio.Queue[RunEvent | None] = asyncio.Queue(maxsize)
        self._dropped = 0
        self._closed = False

    def _offer(self, event: RunEvent) -> None:
        if self._closed:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._dropped += 1

    def close(self) -> None:
        """Stop receiving; a consumer waiting in `async for` finishes its loop."""
        if self._closed:
            return
        self._closed = True
        self._hub._unsubscribe(self)
        try:
            self._queue.put_nowait(None)
        except asyncio.QueueFull:
            pass  # the consumer sees `_closed` once it has drained the queue

    def __aiter__(self) -> AsyncIterator[RunEvent | Lagged]:
        return self

    async def __anext__(self) -> RunEvent | Lagged:
        if self._dropped:
            dropped, self._dropped = self._dropped, 0
            return Lagged(dropped)
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class EventHub:
    """Fans events out to every subscriber without ever blocking the emitter."""

    def __init__(self) -> None:
        self._subscribers: list[Subscription] = []

    def subscribe(self, maxsize: int = DEFAULT_QUEUE_SIZE) -> Subscription:
        """A new subscription that receives every event emitted from now on."""
        sub = Subscription(self, maxsize)
        self._subscribers.append(sub)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subscribers:
            self._subscribers.remove(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    @property
    def listening(self) -> bool:
        """Whether anyone subscribes: with nobody listening, emitters skip building the event."""
        return bool(self._subscribers)

    def emit(self, event: RunEvent) -> None:
        for sub in tuple(self._subscribers):
            sub._offer(event)

    def close(self) -> None:
        """End every subscription (the runtime closing)."""
        for sub in tuple(self._subscribers):
            sub.close()
