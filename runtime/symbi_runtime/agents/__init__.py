"""Agent executors: in-process callables, `handler` import paths, `command` subprocesses, `endpoint` APIs."""

from symbi_runtime.agents.call import Agent, AgentCall, AgentError, AgentNotFound, Message
from symbi_runtime.agents.command import CommandAgent, CommandFailed
from symbi_runtime.agents.endpoint import EndpointAgent
from symbi_runtime.agents.handler import CallableAgent, load_handler
from symbi_runtime.agents.registry import AgentRegistry

__all__ = [
    "Agent",
    "AgentCall",
    "AgentError",
    "AgentNotFound",
    "AgentRegistry",
    "CallableAgent",
    "CommandAgent",
    "CommandFailed",
    "EndpointAgent",
    "Message",
    "load_handler",
]
