"""`symbi check` on its usual command lines without typer: the start-up path of the most run command.

Importing typer and building the `symbi` group costs about as much as checking a small file. This
module reads only the command lines whose meaning is plain — paths and the options of
`symbi_lang.cli.check.check_command`, each given once with a value that does not look like an
option — and runs the same `check_files`. Anything else (`--help`, an unknown or repeated option, a
missing or odd value, no paths, `--`, shell completion) returns None and goes through the typer
group, so help, completion and every usage error keep one source. `tests/lang/cli/test_check_fast.py`
pins that both paths agree.
"""

from __future__ import annotations

import errno
import gc
import os
import sys
from pathlib import Path
from typing import Any

from symbi_lang.cli.common import ColorMode
from symbi_lang.cli.plain_args import read_plain
from symbi_lang.render import Format

#: Option spelling → (check_files keyword, value kind). Flags take no value.
OPTIONS: dict[str, tuple[str, str]] = {
    "--format": ("fmt", "format"),
    "-f": ("fmt", "format"),
    "--strict": ("strict", "flag"),
    "--env-file": ("env_file", "path"),
    "--stdin-filename": ("stdin_filename", "text"),
    "--color": ("color", "color"),
    "--config": ("config", "path"),
    "--now": ("now", "text"),
}

_FORMATS = {f.value: f for f in Format}
_COLORS = {c.value: c for c in ColorMode}


def parse_check_args(args: list[str]) -> tuple[list[str], dict[str, Any]] | None:
    """(paths, check_files keywords) for a plain `symbi check` command line, else None."""
    parsed = read_plain(args, OPTIONS, _value, positionals=True)
    return parsed if parsed is not None and parsed[0] else None


def _value(kind: str, raw: str) -> Any:
    if raw.startswith("-") or "\0" in raw:
        return None
    if kind == "format":
        return _FORMATS.get(raw)
    if kind == "color":
        return _COLORS.get(raw)
    if kind == "path":
        # click's Path type (readable=True) refuses an existing path this user cannot read.
        try:
            os.stat(raw)  # noqa: PTH116  # as click does, on the text: "" does not exist, Path("") is "."
        except OSError:
            return Path(raw)
        return Path(raw) if os.access(raw, os.R_OK) else None
    return raw


def run_without_typer(args: list[str]) -> None:
    """Run `symbi check ARGS` and exit as typer's standalone mode would; return only when the command
    line needs typer."""
    parsed = parse_check_args(args)
    if parsed is None:
        return
    gc_was_enabled = gc.isenabled()
    gc.disable()  # importing the checker allocates a lot and frees little: collections there are waste
    try:
        from symbi_lang.cli.check_run import check_files
    finally:
        gc.freeze()  # nor will what the imports built ever be garbage: later collections skip it
        if gc_was_enabled:
            gc.enable()

    paths, options = parsed
    try:
        code = check_files(paths, **options)
    except KeyboardInterrupt:
        sys.exit(130)  # typer: Exit(130), nothing printed
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        sys.exit(1)
    except OSError as e:
        if e.errno != errno.EPIPE:
            raise
        from typer._click.utils import PacifyFlushWrapper

        sys.stdout = PacifyFlushWrapper(sys.stdout)
        sys.stderr = PacifyFlushWrapper(sys.stderr)
        sys.exit(1)
    except Exception as e:
        typer = sys.modules.get("typer")  # `fail()` imported it to raise its Exit
        if typer is not None and isinstance(e, typer.Exit):
            sys.exit(e.exit_code)
        raise
    sys.exit(code)
