"""`symbi run AGENT`: run one agent once, outside the scheduler, and print its output.

The agent is looked up among the `agent NAME { … }` blocks of the given `.symbi` files (default: the
`*.symbi` files of the working directory) and executed with its binding (`handler`, `command` or
`endpoint`), exactly as the scheduler would run it, with no session context. Exit codes: 0 the agent
answered, 1 it failed or could not be found (one line on stderr), 2 usage and I/O errors (a missing
`--file`, a bad configuration), 130 interrupted.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from symbi_lang.ir import AgentDefinition
from symbi_runtime.agents import AgentCall, AgentError, AgentRegistry
from symbi_runtime.cli.common import Terminated, run_cancellable
from symbi_runtime.cli.output import render_diagnostics

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

app = typer.Typer(add_completion=False, rich_markup_mode=None)


class RunFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class AgentLookupError(Exception):
    """The agent is not defined in the files (or the files do not check); `io` when every error is an
    I/O problem (a missing or unreadable file: exit 2, not 1)."""

    def __init__(self, message: str, *, io: bool = False) -> None:
        super().__init__(message)
        self.io = io


def load_agents(paths: Sequence[Path], wanted: str | None = None) -> dict[str, AgentDefinition]:
    """The agents defined in `paths`. Errors refuse (`AgentLookupError` with the diagnostics) when they
    are in the file that defines `wanted` — or anywhere, when `wanted` is None or not found — so one
    broken file in a folder does not stop running an agent defined in a sound one."""
    from symbi_lang.api import analyze_paths

    analysis = analyze_paths(list(paths))
    errors = [d for d in analysis.diagnostics if d.is_error]
    agents = {a.name: a for a in analysis.jobset().agents}
    if errors:
        found = agents.get(wanted) if wanted is not None else None
        relevant = errors if found is None else [d for d in errors if d.span.path == found.source.file]
        if relevant:
            from symbi_lang.cli.common import is_io_problem

            io = all(is_io_problem(d) for d in relevant)
            raise AgentLookupError("\n" + render_diagnostics(relevant), io=io)
    return agents


def default_paths(cwd: Path) -> list[Path]:
    return sorted(p for p in cwd.glob("*.symbi") if p.is_file())


async def run_agent(
    definition: AgentDefinition | None,
    agent_id: str,
    text: str,
    *,
    env: Mapping[str, str],
    registry: AgentRegistry | None = None,
    limit_seconds: float | None = None,
) -> str:
    """Resolve and run one agent call (no session, no job); `AgentError` on failure or timeout."""
    agent = (registry or AgentRegistry()).resolve(agent_id, definition)
    call = AgentCall(agent_id=agent_id, input=text, env=dict(env))
    if limit_seconds is None:
        return await agent.run(call)
    try:
        return await asyncio.wait_for(agent.run(call), limit_seconds)
    except TimeoutError:
        raise AgentError(f"agent {agent_id!r} did not finish within {limit_seconds:g}s") from None


@app.command(name="run", help="Run one agent once, outside the scheduler, and print its output.")
def run_command(
    agent: Annotated[str, typer.Argument(help="Name of an `agent` block in the files.")],
    input_text: Annotated[
        str | None, typer.Option("--input", "-i", help="Input text for the agent ('-' reads stdin).")
    ] = None,
    files: Annotated[
        list[Path] | None,
        typer.Option("--file", "-f", help="A .symbi file or directory defining the agent (repeatable)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="symbi.toml to use (default: ./symbi.toml if present).")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=0.001, help="Give up after this many seconds.")
    ] = None,
    fmt: Annotated[RunFormat, typer.Option("--format", help="text: the output; json: an object.")] = (
        RunFormat.TEXT
    ),
) -> None:
    env = dict(os.environ)
    _check_config(config, env)
    paths = list(files) if files else default_paths(Path.cwd())
    if not paths:
        raise _fail("no .symbi files in the working directory; pass --file", EXIT_USAGE)
    try:
        agents = load_agents(paths, agent)
    except AgentLookupError as e:
        raise _fail(str(e), EXIT_USAGE if e.io else EXIT_FAILED) from None
    definition = agents.get(agent)
    if definition is None:
        known = ", ".join(sorted(agents)) or "none"
        shown = ", ".join(str(p) for p in paths)
        raise _fail(f"no agent named {agent!r} in {shown} (agents defined: {known})", EXIT_FAILED)
    text = sys.stdin.read() if input_text == "-" else (input_text or "")
    started = time.monotonic()
    try:
        output = run_cancellable(run_agent(definition, agent, text, env=env, limit_seconds=timeout))
    except AgentError as e:
        message = str(e)
        if not message.startswith(("agent ", "handler ")):
            message = f"agent {agent!r} failed: {message}"
        raise _fail(message, EXIT_FAILED) from None
    except KeyboardInterrupt:
        typer.echo("symbi run: interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Terminated:
        typer.echo("symbi run: terminated (SIGTERM)", err=True)
        raise typer.Exit(143) from None
    duration = time.monotonic() - started
    if fmt is RunFormat.JSON:
        document = {"agent": agent, "output": output, "duration_seconds": round(duration, 6)}
        typer.echo(json.dumps(document, ensure_ascii=False))
    else:
        typer.echo(output)


def _check_config(config: Path | None, env: Mapping[str, str]) -> None:
    from symbi_runtime.config import ConfigError, load_config

    try:
        load_config(config, env)
    except ConfigError as e:
        raise _fail(str(e), EXIT_USAGE) from None


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"symbi run: {message}", err=True)
    return typer.Exit(code)


if __name__ == "__main__":
    app()
