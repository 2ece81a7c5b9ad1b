"""`symbi compile FILE [--schedule NAME]`: the Job IR of a file as JSON on stdout.

`${VAR}` references stay unresolved. A file with errors prints its diagnostics on stderr and exits 1.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Annotated

import typer

from symbi_lang.api import CheckContext
from symbi_lang.cli.check import exit_code, run_check
from symbi_lang.cli.common import (
    EXIT_PROBLEMS,
    NOW_HELP,
    ColorMode,
    fail,
    load_env,
    parse_now,
    sources_map,
    use_color,
)
from symbi_lang.ir import JobSet
from symbi_lang.json_text import dumps_indented
from symbi_lang.render import Format, render

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command(name="compile")
def compile_command(
    file: Annotated[str, typer.Argument(help="A .symbi file, or `-` for stdin.")],
    schedule: Annotated[
        str | None, typer.Option("--schedule", "-s", help="Only this schedule (and the agent it uses).")
    ] = None,
    env_file: Annotated[
        Path | None, typer.Option("--env-file", help="KEY=VALUE file for ${VAR} checks.")
    ] = None,
    stdin_filename: Annotated[str | None, typer.Option("--stdin-filename", help="Name for `-`.")] = None,
    now: Annotated[str | None, typer.Option("--now", help=NOW_HELP)] = None,
) -> None:
    """Print the Job IR of a .symbi file as JSON."""
    if Path(file).is_dir():
        raise fail(f"{file} is a directory: compile takes one file")
    ctx = CheckContext(env=load_env(env_file), now=parse_now(now))
    analysis, sources = run_check([file], ctx, stdin_filename)
    code = exit_code(analysis.diagnostics, strict=False)
    if code:
        report = render(
            analysis.diagnostics,
            Format.TEXT,
            sources=sources_map(sources),
            color=use_color(ColorMode.AUTO, sys.stderr),
            files_checked=len(sources),
        )
        sys.stderr.write(report)
        raise typer.Exit(code)
    # The syntax trees live until the process ends: collections need not walk them again and again
    # while the IR and its JSON are built (they took longer than lowering on 10,000 schedules).
    gc.freeze()
    jobset = analysis.jobset()
    if schedule is not None:
        jobset = select(jobset, schedule)
    sys.stdout.write(dumps_indented(jobset.to_dict()) + "\n")  # = jobset.to_json(), faster


def select(jobset: JobSet, name: str) -> JobSet:
    """The one job called `name`, with the agent definition it refers to (if defined in the file)."""
    jobs = [j for j in jobset.jobs if j.name == name]
    if not jobs:
        known = ", ".join(j.name for j in jobset.jobs) or "none"
        raise fail(f"no schedule named {name!r} (schedules in this file: {known})", EXIT_PROBLEMS)
    agents = tuple(a for a in jobset.agents if a.name == jobs[0].agent_id)
    return JobSet(jobs=tuple(jobs), agents=agents, ir_version=jobset.ir_version)


if __name__ == "__main__":
    app()
