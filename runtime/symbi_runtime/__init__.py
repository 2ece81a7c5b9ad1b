"""symbi_runtime: the Symbiont scheduler — job store, scheduler, run pipeline, delivery, HTTP API.

The names below are the embedding API; they are imported on first use (PEP 562), so importing the
package (as every `symbi cron …` command does) stays cheap:

    from symbi_runtime import Runtime, RunEventKind

    async with Runtime(db_path="state.db") as rt:
        @rt.agent("reporter")
        def reporter(call): return f"report on {call.input}"
        ...

`examples/embedding.py` in the repository is a runnable tour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from symbi_lang._lazy import lazy_exports

if TYPE_CHECKING:
    from symbi_runtime.agents.call import AgentCall, AgentError, AgentNotFound
    from symbi_runtime.client import ApiError, SymbiontClient
    from symbi_runtime.clock import Clock, FakeClock, SystemClock
    from symbi_runtime.config import Config, ConfigError, SchedulerConfig
    from symbi_runtime.events import Lagged, RunEvent, RunEventKind, Subscription
    from symbi_runtime.runtime import JobNotFound, LoadedJob, LoadError, Runtime
    from symbi_runtime.store import JobRecord, JobStatus, RunRecord, RunStatus

_EXPORTS: dict[str, str] = {
    "AgentCall": "symbi_runtime.agents.call",
    "AgentError": "symbi_runtime.agents.call",
    "AgentNotFound": "symbi_runtime.agents.call",
    "ApiError": "symbi_runtime.client",
    "Clock": "symbi_runtime.clock",
    "Config": "symbi_runtime.config",
    "ConfigError": "symbi_runtime.config",
    "FakeClock": "symbi_runtime.clock",
    "JobNotFound": "symbi_runtime.runtime",
    "JobRecord": "symbi_runtime.store",
    "JobStatus": "symbi_runtime.store",
    "Lagged": "symbi_runtime.events",
    "LoadError": "symbi_runtime.runtime",
    "LoadedJob": "symbi_runtime.runtime",
    "RunEvent": "symbi_runtime.events",
    "RunEventKind": "symbi_runtime.events",
    "RunRecord": "symbi_runtime.store",
    "RunStatus": "symbi_runtime.store",
    "Runtime": "symbi_runtime.runtime",
    "SchedulerConfig": "symbi_runtime.config",
    "Subscription": "symbi_runtime.events",
    "SymbiontClient": "symbi_runtime.client",
    "SystemClock": "symbi_runtime.clock",
}

__all__ = [
    "AgentCall",
    "AgentError",
    "AgentNotFound",
    "ApiError",
    "Clock",
    "Config",
    "ConfigError",
    "FakeClock",
    "JobNotFound",
    "JobRecord",
    "JobStatus",
    "Lagged",
    "LoadError",
    "LoadedJob",
    "RunEvent",
    "RunEventKind",
    "RunRecord",
    "RunStatus",
    "Runtime",
    "SchedulerConfig",
    "Subscription",
    "SymbiontClient",
    "SystemClock",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
