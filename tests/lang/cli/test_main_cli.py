"""The `symbi` group itself: did-you-mean for a mistyped command, `--version` listed in help, and help
that reads the same (plain text, click-style argument names) for every command."""

from __future__ import annotations

import re

import pytest

from symbi_lang.cli.main import COMMANDS

from .conftest import Symbi


def test_a_mistyped_command_suggests_the_close_one(symbi: Symbi) -> None:
    result = symbi("chek", "x.symbi")
    assert result.code == 2
    assert "No such command 'chek'. Did you mean 'check'?" in result.err
    assert result.out == ""


def test_a_mistyped_sub_command_suggests_too(symbi: Symbi) -> None:
    result = symbi("cron", "lst")
    assert result.code == 2
    assert "Did you mean 'list'?" in result.err


def test_a_command_nothing_like_any_other_gets_no_suggestion(symbi: Symbi) -> None:
    result = symbi("zzzzqq")
    assert result.code == 2
    assert "No such command 'zzzzqq'." in result.err
    assert "Did you mean" not in result.err


def test_version_is_listed_in_help_and_works(symbi: Symbi) -> None:
    help_text = symbi("--help")
    assert help_text.code == 0
    assert re.search(r"^\s+-V, --version\s+Show the version and exit\.$", help_text.out, re.M)
    for flag in ("--version", "-V"):
        version = symbi(flag)
        assert version.code == 0
        assert re.fullmatch(r"symbi \S+\n", version.out)


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        *((name, "--help") for name in COMMANDS),
        ("cron", "add", "--help"),
        ("cron", "history", "--help"),
    ],
)
def test_help_is_plain_text_for_every_command(symbi: Symbi, args: tuple[str, ...]) -> None:
    result = symbi(*args)
    assert result.code == 0, result.err
    text = result.out
    assert text.startswith("Usage: symbi")
    assert not set(text) & set("╭╮╰╯│─"), text  # no rich boxes
    usage = text.splitlines()[0]
    assert "{" not in usage and "}" not in usage, usage  # PATHS..., not {paths}...


def test_required_arguments_read_like_click(symbi: Symbi) -> None:
    check = symbi("check", "--help").out
    assert check.splitlines()[0] == "Usage: symbi check [OPTIONS] PATHS..."
    assert re.search(r"^Arguments:\n\s+PATHS\.\.\.\s+Files or directories", check, re.M)
