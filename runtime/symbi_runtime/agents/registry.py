"""Which executor runs an agent id: in-process registrations first, then the agent's binding."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from symbi_lang.ir import AgentDefinition
from symbi_runtime.agents.call import Agent, AgentError, AgentNotFound
from symbi_runtime.agents.command import CommandAgent
from symbi_runtime.agents.endpoint import EndpointAgent
from symbi_runtime.agents.handler import CallableAgent, load_handler


class AgentRegistry:
    """Resolves an agent id to an `Agent`.

    Order: a callable registered in-process under that id > the definition's `handler` (imported) >
    `command` (subprocess) > `endpoint` (OpenAI-compatible HTTP). Handler modules are imported with the
    `.symbi` file's directory and `search_paths` (default: the working directory) on `sys.path`.
    """

    def __init__(
        self, *, search_paths: Iterable[str | Path] | None = None, allowed_hosts: tuple[str, ...] = ()
    ) -> None:
        self._allowed_hosts = allowed_hosts  # [scheduler.delivery] allowed_hosts, for endpoint agents
        self._registered: dict[str, CallableAgent] = {}
        self._handlers: dict[tuple[str, tuple[Path, ...]], CallableAgent] = {}
        paths = search_paths if search_paths is not None else [Path.cwd()]
        self._search_paths = tuple(Path(p) for p in paths)

    def register(self, name: str, fn: Callable[..., Any]) -> None:
        """Run `fn` for agent `name` (see `symbi_runtime.agents.handler` for the calling convention)."""
        if not name:
            raise ValueError("agent name must not be empty")
        self._registered[name] = CallableAgent(fn, name=name)

    def unregister(self, name: str) -> None:
        self._registered.pop(name, None)

    def registered(self) -> tuple[str, ...]:
        return tuple(sorted(self._registered))

    def __contains__(self, name: object) -> bool:
        return name in self._registered

    def resolve(self, agent_id: str, definition: AgentDefinition | None) -> Agent:
        """The executor for `agent_id`; raises `AgentNotFound` or `AgentError` (bad handler path)."""
        registered = self._registered.get(agent_id)
        if registered is not None:
            return registered
        if definition is None:
            raise AgentNotFound(agent_id)
        name = definition.name or agent_id
        if definition.handler:
            return self._handler(definition.handler, name, self._paths_for(definition))
        if definition.command:
            return CommandAgent(definition.command, name=name, cwd=_source_dir(definition))
        if definition.endpoint:
            return EndpointAgent(
                definition.endpoint,
                name=name,
                model=definition.model,
                system_prompt=definition.system_prompt,
                api_key_env=definition.api_key_env,
                allowed_hosts=self._allowed_hosts,
            )
        raise AgentNotFound(agent_id)

    def _paths_for(self, definition: AgentDefinition) -> tuple[Path, ...]:
        src = _source_dir(definition)
        return (src, *self._search_paths) if src is not None else self._search_paths

    def _handler(self, path: str, name: str, search_paths: tuple[Path, ...]) -> CallableAgent:
        key = (path, search_paths)
        agent = self._handlers.get(key)
        if agent is None:
            fn = load_handler(path, search_paths=search_paths)
            try:
                agent = CallableAgent(fn, name=name)
            except TypeError as e:
                raise AgentError(f"handler {path!r}: {e}") from None
            self._handlers[key] = agent
        return agent


def _source_dir(definition: AgentDefinition) -> Path | None:
    """The directory of the `.symbi` file that defined the agent, when known and present."""
    if not definition.source.file:
        return None
    parent = Path(definition.source.file).resolve().parent
    return parent if parent.is_dir() else None
