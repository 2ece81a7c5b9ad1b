"""Resolution order and errors of the agent registry."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from symbi_runtime.agents import (
    AgentCall,
    AgentError,
    AgentNotFound,
    AgentRegistry,
    CallableAgent,
    CommandAgent,
    EndpointAgent,
)

from symbi_lang.ir import AgentDefinition, SourceRef


def test_registered_callable_wins_over_every_binding() -> None:
    registry = AgentRegistry()
    registry.register("bot", lambda: "registered")
    definition = AgentDefinition("bot", handler="x:y", command=("false",), endpoint="http://x")
    assert isinstance(registry.resolve("bot", definition), CallableAgent)
    assert "bot" in registry and registry.registered() == ("bot",)


def test_binding_order_handler_then_command_then_endpoint(tmp_path: Path) -> None:
    (tmp_path / "symbi_test_registry_mod.py").write_text("def f(text: str) -> str:\n    return text\n")
    registry = AgentRegistry(search_paths=[tmp_path])
    both = AgentDefinition("a", handler="symbi_test_registry_mod:f", command=("echo",), endpoint="http://x")
    assert isinstance(registry.resolve("a", both), CallableAgent)
    command = AgentDefinition("a", command=("echo",), endpoint="http://x")
    assert isinstance(registry.resolve("a", command), CommandAgent)
    endpoint = registry.resolve("a", AgentDefinition("a", endpoint="http://x", model="m", system_prompt="p"))
    assert isinstance(endpoint, EndpointAgent)
    assert (endpoint.model, endpoint.system_prompt) == ("m", "p")


@pytest.mark.parametrize("definition", [None, AgentDefinition("ghost", model="m")])
def test_no_executor_is_a_clear_error(definition: AgentDefinition | None) -> None:
    with pytest.raises(AgentNotFound) as info:
        AgentRegistry().resolve("ghost", definition)
    assert str(info.value) == (
        "agent 'ghost' has no executor: define handler/command/endpoint or register it"
    )
    assert isinstance(info.value, AgentError)


async def test_handler_module_next_to_the_symbi_file_is_found(tmp_path: Path) -> None:
    (tmp_path / "symbi_test_registry_near.py").write_text(
        "async def run(call):\n    return 'near:' + call.input\n"
    )
    definition = AgentDefinition(
        "near", handler="symbi_test_registry_near:run", source=SourceRef(str(tmp_path / "jobs.symbi"), 1, 1)
    )
    registry = AgentRegistry(search_paths=[])
    agent = registry.resolve("near", definition)
    assert await agent.run(AgentCall("near", "x")) == "near:x"
    assert registry.resolve("near", definition) is agent  # imported once
    assert str(tmp_path) not in sys.path


def test_bad_handler_path_fails_resolution_with_agent_error() -> None:
    with pytest.raises(AgentError, match="cannot import module 'symbi_missing_mod_q'"):
        AgentRegistry().resolve("a", AgentDefinition("a", handler="symbi_missing_mod_q:f"))


def test_register_rejects_non_callables_and_empty_names() -> None:
    registry = AgentRegistry()
    with pytest.raises(TypeError):
        registry.register("a", "not callable")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        registry.register("", lambda: "")
    registry.register("a", lambda: "")
    registry.unregister("a")
    assert "a" not in registry


async def test_command_runs_in_the_directory_of_its_symbi_file(tmp_path: Path) -> None:
    definition = AgentDefinition(
        "pwd",
        command=(sys.executable, "-c", "import os; print(os.getcwd())"),
        source=SourceRef(str(tmp_path / "jobs.symbi"), 1, 1),
    )
    expected = str(tmp_path.resolve())  # noqa: ASYNC240 - a test's own path, before any awaiting
    agent = AgentRegistry().resolve("pwd", definition)
    assert await agent.run(AgentCall("pwd", "")) == expected
