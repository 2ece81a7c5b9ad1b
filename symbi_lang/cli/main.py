"""The `symbi` command: a click group whose sub-commands are imported only when they are invoked.

Each sub-command lives in a module exposing `app: typer.Typer`. Nothing here imports the runtime, the
language server or an HTTP library, so `symbi check` pays only for the parser and the checks.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

import typer
import typer.core
import typer.main

if TYPE_CHECKING:  # typer >= 0.29 ships its own click; these are the types its commands have
    from typer._click import Command, Context, HelpFormatter

# name -> (module holding `app`, one-line help shown by `symbi --help` without importing the module)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("symbi_lang.cli.check", "Check .symbi files and report every problem with its location."),
    "fmt": ("symbi_lang.cli.fmt", "Format .symbi files in the canonical style."),
    "compile": ("symbi_lang.cli.compile", "Print the Job IR of a .symbi file as JSON."),
    "next": ("symbi_lang.cli.next", "Show the next fire times of a cron expression or a file's schedules."),
    "docs": ("symbi_lang.docs.cli", "Generate HTML or Markdown documentation of schedules."),
    "cron": ("symbi_runtime.cli.cron", "Manage scheduled jobs in the job store."),
    "up": ("symbi_runtime.cli.up", "Load schedules and run the scheduler in the foreground."),
    "run": ("symbi_runtime.cli.run", "Run one agent once, outside the scheduler."),
    "audit": ("symbi_runtime.cli.audit", "List audit events recorded by the scheduler."),
    "store": ("symbi_runtime.cli.store", "Copy a job store to another database (e.g. SQLite to PostgreSQL)."),
    "agentpin": ("symbi_runtime.cli.agentpin", "Verify AgentPin credentials offline."),
    "lsp": ("symbi_lsp.cli", "Run the symbi language server (stdio by default)."),
}

EXIT_USAGE = 2
EXIT_INTERNAL = 70


class LazyGroup(typer.core.TyperGroup):
    """A group that imports a sub-command's module only when that sub-command is used."""

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, _ = entry
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            # A sub-command whose module cannot load still gets a clear message, not a traceback.
            return _unavailable(cmd_name, f"{module_name} could not be imported: {e}")
        command = typer.main.get_command(module.app)
        command.name = cmd_name
        return command

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _unavailable(name: str, reason: str) -> Command:
    unavailable = typer.Typer(add_completion=False)

    @unavailable.command(name=name, help=reason)
    def fail() -> None:
        typer.echo(f"symbi {name}: not available: {reason}", err=True)
        raise typer.Exit(EXIT_USAGE)

    return typer.main.get_command(unavailable)


HELP = "symbi: check, format, compile and run Symbiont schedules (.symbi files)."


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("symbi")
    except PackageNotFoundError:
        return "unknown"


def main(argv: list[str] | None = None) -> Any:
    """Console entry point. Exit codes: 0 ok, 1 problems found, 2 usage or I/O error, 70 internal error."""
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        print(f"symbi {_version()}")
        return 0
    group = LazyGroup(
        name="symbi",
        help=HELP,
        no_args_is_help=True,
        rich_markup_mode=None,  # plain help: listing commands must not import them
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    try:
        return group.main(args=args, prog_name="symbi", standalone_mode=True)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # the last line of defence: never show a traceback unless asked to
        if os.environ.get("SYMBI_DEBUG"):
            raise
        typer.echo(f"symbi: internal error: {type(e).__name__}: {e}", err=True)
        typer.echo("symbi: set SYMBI_DEBUG=1 to see the traceback, and please report it.", err=True)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
