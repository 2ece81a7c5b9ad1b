"""The typer/click group behind `symbi`: lazy sub-commands, plain help, did-you-mean, `--version`.

Built only when a command line needs it: `symbi check` on the usual command lines runs without it
(symbi_lang.cli.check_fast), since importing typer and building the group is most of a small check's
start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import typer
import typer.core
import typer.main
from typer._click.exceptions import UsageError

from symbi_lang.cli.main import COMMANDS, EXIT_USAGE, HELP

if TYPE_CHECKING:  # typer >= 0.29 ships its own click; these are the types its commands have
    from typer._click import Command, Context, HelpFormatter


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
        return plain_help(command)

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as e:
            # typer suggests from `self.commands`, which a lazy group leaves empty: suggest from COMMANDS.
            if args and "Did you mean" not in e.message:
                from difflib import get_close_matches

                matches = get_close_matches(args[0], list(COMMANDS), n=3, cutoff=0.6)
                if matches:
                    e.message = f"{e.message.rstrip('.')}. Did you mean {', '.join(map(repr, matches))}?"
            raise

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


class PlainArgument(typer.core.TyperArgument):
    """A positional argument shown the way click and the rest of our help show it: `PATHS...`, `[PATH]`.

    typer's own plain rendering writes a required argument as `{paths}...` in the usage line."""

    def make_metavar(self, ctx: Context, *, usage: bool = False) -> str:
        var = self.metavar if self.metavar is not None else (self.name or "").upper()
        if usage and not self.required and not var.startswith("["):
            var = f"[{var}]"
        if self.nargs != 1 and not var.endswith("..."):
            var += "..."
        return var


def plain_help(command: Command) -> Command:
    """Make `command` and every sub-command print plain help, like `symbi --help` (no rich boxes, no
    rich import), with click-style argument names in the usage line."""
    if isinstance(command, typer.core.TyperCommand | typer.core.TyperGroup):
        command.rich_markup_mode = None
    for param in command.params:
        if type(param) is typer.core.TyperArgument:
            param.__class__ = PlainArgument
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)
    return command


def _unavailable(name: str, reason: str) -> Command:
    unavailable = typer.Typer(add_completion=False)

    @unavailable.command(name=name, help=reason)
    def fail() -> None:
        typer.echo(f"symbi {name}: not available: {reason}", err=True)
        raise typer.Exit(EXIT_USAGE)

    return plain_help(typer.main.get_command(unavailable))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("symbi")
    except PackageNotFoundError:
        return "unknown"


def _print_version(ctx: Context, _param: object, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        typer.echo(f"symbi {_version()}")
        ctx.exit(0)


def build_group() -> LazyGroup:
    """The top-level `symbi` group: every command in COMMANDS, plus `--version` and `-h/--help`."""
    version_option = typer.core.TyperOption(
        param_decls=["--version", "-V"],
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_print_version,
        help="Show the version and exit.",
    )
    return LazyGroup(
        name="symbi",
        help=HELP,
        params=[version_option],
        no_args_is_help=True,
        rich_markup_mode=None,  # plain help: listing commands must not import them, nor rich
        context_settings={"help_option_names": ["-h", "--help"]},
    )
