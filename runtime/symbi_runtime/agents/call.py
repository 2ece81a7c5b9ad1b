"""The values passed to and returned from an agent: messages, one call, the `Agent` protocol, errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Protocol, runtime_checkable

from symbi_runtime.quickinit import quick_init

Role = Literal["system", "user", "assistant"]
ROLES: tuple[Role, ...] = ("system", "user", "assistant")

_EMPTY_ENV: Mapping[str, str] = MappingProxyType({})


@quick_init
@dataclass(frozen=True, slots=True)
class Message:
    """One turn of conversation context: `role` is `system`, `user` or `assistant`."""

    role: Role
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """Rebuild a stored message; unknown roles become `user` so old data never breaks a run."""
        role = data.get("role")
        content = data.get("content")
        return cls(role if role in ROLES else "user", "" if content is None else str(content))


@quick_init
@dataclass(frozen=True, slots=True)
class AgentCall:
    """Everything an agent receives for one execution.

    `input` is the run's input (the job's `input`, `--input`, or empty); `messages` is the session
    context chosen by the job's `session_mode` (or heartbeat `context_mode`), oldest first. `env` is
    the environment `${VAR}` references are resolved against at call time.
    """

    agent_id: str
    input: str
    messages: tuple[Message, ...] = ()
    job_name: str | None = None
    run_id: str | None = None
    iteration: int = 0
    env: Mapping[str, str] = field(default_factory=lambda: _EMPTY_ENV)


@runtime_checkable
class Agent(Protocol):
    """Something that turns a call into output text."""

    async def run(self, call: AgentCall) -> str: ...


class AgentError(Exception):
    """The agent failed; `str(error)` is what the run records as its error."""


class AgentNotFound(AgentError):
    """No registered callable and no executor binding for an agent id."""

    def __init__(self, agent_id: str) -> None:
        super().__init__(
            f"agent {agent_id!r} has no executor: define handler/command/endpoint or register it"
        )
        self.agent_id = agent_id
