"""Session context per `session_mode`: what an agent call receives, and what a finished run leaves behind.

What each agent call receives as `AgentCall.messages` (oldest first):

- `fully_ephemeral`: no messages; nothing is stored after the run.
- `ephemeral_with_summary` (default): at most one `system` message summarising the previous successful
  run (its input and a ~500-character excerpt of its output); after a run, its summary replaces it.
- `shared_persistent`: every stored turn of earlier runs (`user` input, `assistant` output); after a run,
  its two turns are appended and only the last `max_messages` (default 50) are kept.

Sessions belong to a job (keyed by its name) and live in the store's `sessions` table, so they survive
restarts. The pipeline calls `finish` only for runs that
produced output (succeeded); a failed run leaves the session as it was.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from symbi_lang.ir import JobDefinition, SessionMode
from symbi_runtime.agents.call import Message
from symbi_runtime.clock import Clock, SystemClock

DEFAULT_MAX_MESSAGES = 50
SUMMARY_CHARS = 500
INPUT_CHARS = 200


class SessionStore(Protocol):
    """The part of `symbi_runtime.store.Store` sessions use."""

    def load_session(self, key: str) -> list[dict[str, Any]]: ...

    def save_session(self, key: str, messages: list[dict[str, Any]], *, now: datetime) -> None: ...

    def delete_session(self, key: str) -> None: ...


@runtime_checkable
class BatchedSessionStore(SessionStore, Protocol):
    """A session store that saves in memory (no thread needed) and batches loads made from the loop."""

    saves_in_memory: bool

    async def load_session_batched(self, key: str) -> list[dict[str, Any]]: ...

    def session_at_hand(self, key: str) -> list[dict[str, Any]] | None:
        """The session if it is held in memory (a pending save, or read ahead for this run), else None."""
        ...


def session_key(job_name: str) -> str:
    """The store key of a job's session (the same for every mode, so switching modes starts clean)."""
    return f"job:{job_name}"


def summarize(text: str, limit: int = SUMMARY_CHARS) -> str:
    """`text` with whitespace collapsed, cut at a word boundary near `limit` characters ("…" added)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut + "…"


def run_summary(run_id: str | None, call_input: str, output: str) -> str:
    """The one-message summary `ephemeral_with_summary` carries into the next run."""
    parts = [f"Summary of the previous run{f' ({run_id})' if run_id else ''}."]
    if call_input.strip():
        parts.append(f"Input: {summarize(call_input, INPUT_CHARS)}")
    parts.append(f"Output: {summarize(output) or '(empty)'}")
    return "\n".join(parts)


def _summary_messages(run_id: str | None, call_input: str, output: str) -> list[dict[str, Any]]:
    """What an `ephemeral_with_summary` session holds after a run: its one summary message."""
    return [{"role": "system", "content": run_summary(run_id, call_input, output)}]


class SessionManager:
    """Loads and persists job sessions according to their `session_mode`."""

    def __init__(
        self,
        store: SessionStore,
        *,
        clock: Clock | None = None,
        max_messages: int = DEFAULT_MAX_MESSAGES,
    ) -> None:
        if max_messages < 2:
            raise ValueError("max_messages must be at least 2 (one input and one output)")
        self.store = store
        self._batched = store if isinstance(store, BatchedSessionStore) else None
        self.clock: Clock = clock or SystemClock()
        self.max_messages = max_messages

    def prepare_at_once(self, job: JobDefinition) -> tuple[Message, ...] | None:
        """`prepare` without waiting, when nothing has to be read (a fully ephemeral job, or a session
        the store holds in memory); None when `prepare` has to be awaited. A run calls this first: most
        runs then cost no coroutine of their own for their context."""
        mode = SessionMode(job.session_mode)
        if mode is SessionMode.FULLY_EPHEMERAL:
            return ()
        if self._batched is None:
            return None
        stored = self._batched.session_at_hand(session_key(job.name))
        return None if stored is None else self._context(mode, stored)

    async def prepare(self, job: JobDefinition, run_id: str | None = None) -> tuple[Message, ...]:
        """The context messages the run's agent call receives (see the module table)."""
        at_once = self.prepare_at_once(job)
        if at_once is not None:
            return at_once
        return self._context(SessionMode(job.session_mode), await self._load(session_key(job.name)))

    def _context(self, mode: SessionMode, stored: list[dict[str, Any]]) -> tuple[Message, ...]:
        if mode is SessionMode.EPHEMERAL_WITH_SUMMARY:
            # Only the latest summary is passed on: look for it from the end.
            for m in reversed(stored):
                if isinstance(m, dict) and m.get("role") == "system":
                    return (Message.from_dict(m),)
            return ()
        messages = tuple(Message.from_dict(m) for m in stored if isinstance(m, dict))
        return messages[-self.max_messages :]

    def finish_at_once(self, job: JobDefinition, run_id: str | None, call_input: str, output: str) -> bool:
        """`finish` without waiting, when nothing has to be read or handed to a thread (a fully
        ephemeral job, or a summary saved to a store that keeps saves in memory): True when done."""
        mode = SessionMode(job.session_mode)
        if mode is SessionMode.FULLY_EPHEMERAL:
            return True
        if mode is not SessionMode.EPHEMERAL_WITH_SUMMARY or self._batched is None:
            return False
        if not self._batched.saves_in_memory:
            return False
        self._batched.save_session(
            session_key(job.name), _summary_messages(run_id, call_input, output), now=self.clock.now()
        )
        return True

    async def finish(self, job: JobDefinition, run_id: str | None, call_input: str, output: str) -> None:
        """Persist what this run leaves for the next one (call after a successful run)."""
        if self.finish_at_once(job, run_id, call_input, output):
            return
        mode = SessionMode(job.session_mode)
        key = session_key(job.name)
        now = self.clock.now()
        if mode is SessionMode.EPHEMERAL_WITH_SUMMARY:
            await self._save(key, _summary_messages(run_id, call_input, output), now)
            return
        stored = await self._load(key)
        turns = [Message.from_dict(m) for m in stored if isinstance(m, dict)]
        turns = [m for m in turns if m.role != "system"]  # a summary left by another mode does not carry over
        turns += [Message("user", call_input), Message("assistant", output)]
        await self._save(key, _bounded(turns, self.max_messages), now)

    async def _load(self, key: str) -> list[dict[str, Any]]:
        if self._batched is not None:
            return await self._batched.load_session_batched(key)
        return await asyncio.to_thread(self.store.load_session, key)

    async def _save(self, key: str, messages: list[dict[str, Any]], now: datetime) -> None:
        # A store that only keeps the save in memory needs no worker thread (a hop costs more than it).
        if self._batched is not None and self._batched.saves_in_memory:
            self._batched.save_session(key, messages, now=now)
            return
        await asyncio.to_thread(self.store.save_session, key, messages, now=now)

    async def clear(self, job_name: str) -> None:
        """Forget a job's session (e.g. when the job is removed)."""
        await asyncio.to_thread(self.store.delete_session, session_key(job_name))


def _bounded(turns: Sequence[Message], limit: int) -> list[dict[str, str]]:
    kept = list(turns[-limit:])
    if kept and kept[0].role == "assistant":  # never start with an answer whose question was dropped
        kept = kept[1:]
    return [m.to_dict() for m in kept]
