"""The `symbi` command: a click group whose sub-commands are imported only when they are invoked.

Each sub-command lives in a module exposing `app: typer.Typer`, registered in `COMMANDS` below with the
one-line help that `symbi --help` shows without importing it; the group itself is built in
symbi_lang.cli.group. Nothing here imports the runtime (but `cron list`'s own module, below), the language
server, an HTTP library or rich. `symbi check` on its usual command lines does not even import typer
(symbi_lang.cli.check_fast), nor does `symbi cron list` (symbi_runtime.cli.cron_list_fast); any other
command line, `--help` and every usage error go through the typer group, so help, completion and error
messages have one source. Help is plain text for every command (no rich boxes), so `symbi --help` and
`symbi cron add --help` read alike and neither imports rich.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# To add a command: one line here, `name: (module holding `app`, one-line help)`. The module is imported
# only when the command runs (or its own --help is asked for).
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("symbi_lang.cli.check", "Check .symbi files and report every problem with its location."),
    "fmt": ("symbi_lang.cli.fmt", "Format .symbi files in the canonical style."),
    "compile": ("symbi_lang.cli.compile", "Print the Job IR of a .symbi file as JSON."),
    "next": ("symbi_lang.cli.next", "Show the next fire times of a cron expression or a file's schedules."),
    "docs": ("symbi_lang.docs.cli", "Generate HTML or Markdown documentation of schedules."),
    "export": ("symbi_lang.cli.export", "Export schedules' fire times as an iCalendar (.ics) file."),
    "simulate": ("symbi_runtime.cli.simulate", "Replay schedules over a window: load, skips and denials."),
    "cron": ("symbi_runtime.cli.cron", "Manage scheduled jobs in the job store."),
    "up": ("symbi_runtime.cli.up", "Load schedules and run the scheduler in the foreground."),
    "run": ("symbi_runtime.cli.run", "Run one agent once, outside the scheduler."),
    "audit": ("symbi_runtime.cli.audit", "List audit events recorded by the scheduler."),
    "logs": ("symbi_runtime.cli.logs", "Show the log `symbi up` writes beside the job store."),
    "store": ("symbi_runtime.cli.store", "Copy a job store to another database (e.g. SQLite to PostgreSQL)."),
    "agentpin": ("symbi_runtime.cli.agentpin", "Verify AgentPin credentials offline."),
    "lsp": ("symbi_lsp.cli", "Run the symbi language server (stdio by default)."),
}

EXIT_USAGE = 2
EXIT_INTERNAL = 70

HELP = "symbi: check, format, compile and run Symbiont schedules (.symbi files)."


def main(argv: list[str] | None = None) -> Any:
    """Console entry point. Exit codes: 0 ok, 1 problems found, 2 usage or I/O error, 70 internal error."""
    args = sys.argv[1:] if argv is None else argv
    try:
        if args[:1] == ["check"]:
            from symbi_lang.cli.check_fast import run_without_typer

            run_without_typer(args[1:])  # exits, unless the command line needs typer (help, errors, …)
        elif args[:2] == ["cron", "list"]:
            _cron_list_without_typer(args[2:])
        from symbi_lang.cli.group import build_group

        return build_group().main(args=args, prog_name="symbi", standalone_mode=True)
    except KeyboardInterrupt:
        _echo_err("interrupted")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # the last line of defence: never show a traceback unless asked to
        if os.environ.get("SYMBI_DEBUG"):
            raise
        _echo_err(f"symbi: internal error: {type(e).__name__}: {e}")
        _echo_err("symbi: set SYMBI_DEBUG=1 to see the traceback, and please report it.")
        sys.exit(EXIT_INTERNAL)


def _cron_list_without_typer(args: list[str]) -> None:
    """`symbi cron list` on its usual command lines (symbi_runtime.cli.cron_list_fast): exits, unless
    the command line or its outcome needs the typer command; nothing when the runtime is not installed."""
    try:
        from symbi_runtime.cli.cron_list_fast import run_without_typer
    except ImportError:
        return
    run_without_typer(args)


def _echo_err(message: str) -> None:
    import typer

    typer.echo(message, err=True)


def __getattr__(name: str) -> Any:
    """`LazyGroup`, `build_group`, `plain_help`, … moved to symbi_lang.cli.group; still importable here."""
    if name.startswith("__"):
        raise AttributeError(name)
    from symbi_lang.cli import group

    try:
        return getattr(group, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


if __name__ == "__main__":
    main()
