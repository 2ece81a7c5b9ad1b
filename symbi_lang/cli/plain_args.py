"""Reading a plain command line without typer, for the fast paths of `symbi check` and `symbi cron list`.

A plain command line gives each known option once, with a value that does not look like an option (or
`--opt=value`); anything else — `--help`, an unknown or repeated option, a missing or odd value, `--`,
a shell completion request — is not plain, and the caller hands the command line to typer, so help,
completion and every usage error keep one source.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

#: Option spelling → (keyword, value kind). The kind "flag" takes no value.
OptionTable = Mapping[str, tuple[str, str]]


def read_plain(
    args: list[str],
    options: OptionTable,
    value: Callable[[str, str], Any],
    *,
    positionals: bool,
) -> tuple[list[str], dict[str, Any]] | None:
    """(positional arguments, keywords) of a plain command line, else None. `value(kind, raw)` converts
    an option's text (None: not plain); without `positionals`, any positional argument is not plain."""
    if os.environ.get("_SYMBI_COMPLETE"):
        return None  # a shell completion request: typer answers it
    found: list[str] = []
    keywords: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "-" or not arg.startswith("-"):
            if not positionals:
                return None
            found.append(arg)
            continue
        name, eq, inline = arg.partition("=")
        spec = options.get(name)
        if spec is None or (eq and not name.startswith("--")):
            return None
        keyword, kind = spec
        if keyword in keywords:
            return None  # click keeps the last; rare enough to leave to it
        if kind == "flag":
            if eq:
                return None
            keywords[keyword] = True
            continue
        if eq:
            raw = inline
        elif i < len(args):
            raw = args[i]
            i += 1
        else:
            return None
        converted = value(kind, raw)
        if converted is None:
            return None
        keywords[keyword] = converted
    return found, keywords
