"""The heartbeat loop: on each fire, call the agent assess → act … until it answers `sleep`.

Protocol (what the agent answers each iteration):
- "sleep": the answer's first or last non-empty line is `sleep` (any case, trailing `.`/`!` allowed),
  or the answer is a JSON object with `"action": "sleep"`. Any other text of that answer (or the JSON's
  `summary`, `output` or `message` field) is the closing summary.
- anything else is an action report: recorded, and the loop goes on. A JSON object with another
  `action` value records that action name (`{"action": "restart", "output": "…"}`); plain text is `act`.
The loop stops at the first `sleep` or after `max_iterations` answers, whichever comes first.

Every iteration (1-based `AgentCall.iteration`) gets the run's input and, as messages, the run's session
context plus, per the heartbeat's `context_mode`:
- `fully_ephemeral`: nothing from earlier iterations;
- `ephemeral_with_summary`: one `system` message summarising the previous iteration;
- `shared_persistent`: every earlier iteration as a `user` (input) / `assistant` (answer) pair.
Each iteration is recorded with `store.record_iteration(run_id, n, action=…, output=…)` (`error` for an
iteration whose call failed; the error then fails the run). The run's output is the closing summary,
or, when there is none, the last action report.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from symbi_lang.ir import Heartbeat, JobDefinition, SessionMode
from symbi_runtime.agents.call import Agent, AgentCall, AgentError, Message
from symbi_runtime.clock import Clock
from symbi_runtime.sessions import summarize

SLEEP = "sleep"
ACT = "act"
ERROR = "error"
# Shared context keeps at most this many earlier-iteration messages (two per iteration).
MAX_SHARED_MESSAGES = 200

_SLEEP_LINE = re.compile(r"sleep[.!]?", re.IGNORECASE)


class IterationStore(Protocol):
    """The part of `symbi_runtime.store.Store` the heartbeat uses."""

    def record_iteration(
        self, run_id: str, iteration: int, *, action: str, output: str, at: datetime
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Answer:
    """One iteration's answer, interpreted: the action name and the text that goes with it."""

    action: str
    text: str

    @property
    def is_sleep(self) -> bool:
        return self.action == SLEEP


def interpret(output: str) -> Answer:
    """Read an agent's answer per the heartbeat protocol (module docstring)."""
    stripped = output.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("action"), str) and data["action"].strip():
            action = data["action"].strip().lower()
            text = next(
                (str(data[k]) for k in ("summary", "output", "message") if data.get(k) is not None), ""
            )
            return Answer(action if action != SLEEP else SLEEP, text)
    lines = stripped.splitlines()
    if lines and _SLEEP_LINE.fullmatch(lines[0].strip()):
        return Answer(SLEEP, "\n".join(lines[1:]).strip())
    if lines and _SLEEP_LINE.fullmatch(lines[-1].strip()):
        return Answer(SLEEP, "\n".join(lines[:-1]).strip())
    return Answer(ACT, output)


async def run_heartbeat(
    agent: Agent,
    job: JobDefinition,
    base_call: AgentCall,
    store: IterationStore,
    run_id: str,
    clock: Clock,
) -> str:
    """Run the assess → act loop for one fire of `job` and return the run's output."""
    settings = job.heartbeat or Heartbeat()
    mode = SessionMode(settings.context_mode)
    limit = max(1, settings.max_iterations)
    history: list[Message] = []
    previous: tuple[int, Answer] | None = None
    last_report = ""
    for n in range(1, limit + 1):
        context = base_call.messages + _context(mode, history, previous)
        call = replace(base_call, run_id=run_id, iteration=n, messages=context)
        try:
            output = await agent.run(call)
        except AgentError as e:
            await _record(store, run_id, n, ERROR, str(e), clock)
            raise
        answer = interpret(output)
        await _record(store, run_id, n, answer.action, output, clock)
        if answer.is_sleep:
            return answer.text or last_report
        last_report = answer.text
        previous = (n, answer)
        if mode is SessionMode.SHARED_PERSISTENT:
            history += [Message("user", call.input), Message("assistant", output)]
            del history[:-MAX_SHARED_MESSAGES]
    return last_report


def _context(
    mode: SessionMode, history: list[Message], previous: tuple[int, Answer] | None
) -> tuple[Message, ...]:
    if mode is SessionMode.SHARED_PERSISTENT:
        return tuple(history)
    if mode is SessionMode.EPHEMERAL_WITH_SUMMARY and previous is not None:
        n, answer = previous
        return (
            Message(
                "system",
                f"Summary of heartbeat iteration {n} (action: {answer.action}): "
                f"{summarize(answer.text) or '(no output)'}",
            ),
        )
    return ()


async def _record(store: IterationStore, run_id: str, n: int, action: str, output: str, clock: Clock) -> None:
    # Shielded: an iteration that happened is recorded even if the run is being cancelled right now.
    await asyncio.shield(
        asyncio.to_thread(store.record_iteration, run_id, n, action=action, output=output, at=clock.now())
    )
