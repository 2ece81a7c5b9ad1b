"""`symbi check` without typer (symbi_lang.cli.check_fast) behaves exactly as through the typer group.

Every command line below runs twice in a real subprocess: as users run it (`python -m
symbi_lang.cli.main check …`, which takes the fast path when it can) and forced through the typer
group (`build_group().main(...)`); stdout, stderr and the exit code must be identical. Help and usage
errors must come from typer, unchanged.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from symbi_lang.cli import check
from symbi_lang.cli.check_fast import OPTIONS, parse_check_args
from symbi_lang.render import Format

CLEAN = 'agent a {\n  command: ["echo", "hi"]\n}\n\nschedule s {\n  agent: "a"\n  cron: "0 0 9 * * *"\n}\n'
WARNED = CLEAN.replace('"hi"', '"${UNSET_FOR_TEST}"')
BROKEN = 'schedule s {\n  cron "0 0 9 * * *"\n  agent: "nobody"\n}\n'
VIA_GROUP = (
    "import sys\nfrom symbi_lang.cli.group import build_group\n"
    "build_group().main(args=sys.argv[1:], prog_name='symbi', standalone_mode=True)\n"
)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "clean.symbi").write_text(CLEAN)
    (tmp_path / "warned.symbi").write_text(WARNED)
    (tmp_path / "broken.symbi").write_text(BROKEN)
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "x.symbi").write_text(CLEAN)
    (tmp_path / ".env").write_text("UNSET_FOR_TEST=1\n")
    (tmp_path / "bad.toml").write_text("[check]\nherd_threshold = -1\n")
    return tmp_path


def run(argv: list[str], cwd: Path, stdin: str = "", *, group: bool) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "UNSET_FOR_TEST")}
    prefix = ["-c", VIA_GROUP] if group else ["-m", "symbi_lang.cli.main"]
    proc = subprocess.run(
        [sys.executable, *prefix, *argv], cwd=cwd, input=stdin, capture_output=True, text=True, env=env
    )
    return proc.returncode, proc.stdout, proc.stderr


COMMAND_LINES = [
    ["check", "clean.symbi"],
    ["check", "broken.symbi"],
    ["check", "clean.symbi", "broken.symbi", "dir"],
    ["check", "warned.symbi"],
    ["check", "warned.symbi", "--strict"],
    ["check", "--strict", "warned.symbi", "--env-file", ".env"],
    ["check", "warned.symbi", "--env-file=.env"],
    ["check", "--env-file", "missing.env", "clean.symbi"],
    ["check", "broken.symbi", "--format", "json"],
    ["check", "broken.symbi", "-f", "github"],
    ["check", "broken.symbi", "--format=sarif"],
    ["check", "broken.symbi", "--color", "always"],
    ["check", "broken.symbi", "--color=never"],
    ["check", "clean.symbi", "--now", "2026-03-01T00:00:00Z"],
    ["check", "clean.symbi", "--now", "not-a-date"],
    ["check", "clean.symbi", "--config", "bad.toml"],
    ["check", "clean.symbi", "--config", "missing.toml"],
    ["check", "-", "--stdin-filename", "piped.symbi"],
    ["check", "-"],
    ["check", "-", "-"],
    ["check", "clean.symbi", "--stdin-filename", "x"],
    ["check", "nothing-here.symbi"],
    ["check", "dir", "dir/x.symbi"],
    # command lines the fast path leaves to typer: help and usage errors
    ["check", "--help"],
    ["check", "-h"],
    ["check"],
    ["check", "clean.symbi", "--format", "yaml"],
    ["check", "clean.symbi", "--colour", "never"],
    ["check", "clean.symbi", "--strict=yes"],
    ["check", "clean.symbi", "--now"],
    ["check", "clean.symbi", "--format", "json", "--format", "text"],
    ["check", "--", "clean.symbi"],
    ["check", "clean.symbi", "-fjson"],
]


@pytest.mark.parametrize("argv", COMMAND_LINES, ids=" ".join)
def test_the_fast_path_and_the_typer_group_print_and_exit_alike(argv: list[str], workdir: Path) -> None:
    stdin = BROKEN if "-" in argv else ""
    fast = run(argv, workdir, stdin, group=False)
    slow = run(argv, workdir, stdin, group=True)
    assert fast == slow
    assert "Traceback" not in fast[2]


def test_help_and_usage_errors_are_typer_s(workdir: Path) -> None:
    code, out, err = run(["check", "--help"], workdir, group=False)
    assert code == 0 and out.startswith("Usage: symbi check [OPTIONS] PATHS...")
    for option in OPTIONS:
        assert option in out
    code, out, err = run(["check", "clean.symbi", "--format", "yaml"], workdir, group=False)
    assert code == 2 and out == ""
    assert "Invalid value for '--format' / '-f'" in err


def test_the_option_table_matches_the_typer_command() -> None:
    command = typer.main.get_command(check.app)
    declared: dict[str, tuple[str, bool]] = {}
    for param in command.params:
        for spelling in [*param.opts, *param.secondary_opts]:
            if spelling.startswith("-"):
                declared[spelling] = (param.name or "", bool(getattr(param, "is_flag", False)))
    assert set(declared) == set(OPTIONS)
    for spelling, (keyword, kind) in OPTIONS.items():
        name, is_flag = declared[spelling]
        assert name == keyword
        assert is_flag == (kind == "flag")


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--help"],
        ["x", "-h"],
        ["x", "--"],
        ["x", "--format"],
        ["x", "--format", "--strict"],
        ["x", "--strict", "--strict"],
        ["x", "--strict=1"],
        ["x", "-f=json"],
        ["x", "--now", "-1"],
        ["x", "--unknown"],
        ["x", "--env-file", "a\0b"],
    ],
)
def test_command_lines_left_to_typer(args: list[str]) -> None:
    assert parse_check_args(args) is None


def test_a_plain_command_line_is_read() -> None:
    parsed = parse_check_args(["a.symbi", "-f", "json", "-", "--strict", "--env-file=.env", "--now", "2026"])
    assert parsed == (
        ["a.symbi", "-"],
        {"fmt": Format.JSON, "strict": True, "env_file": Path(".env"), "now": "2026"},
    )


def test_a_shell_completion_request_goes_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_SYMBI_COMPLETE", "bash_complete")
    assert parse_check_args(["a.symbi"]) is None


def test_checking_a_clean_file_imports_neither_typer_nor_lark_nor_the_ir(workdir: Path) -> None:
    probe = (
        "import sys\nfrom symbi_lang.cli.main import main\n"
        "try:\n    main(['check', 'clean.symbi'])\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=workdir, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    loaded = set(out.split())
    assert "symbi_lang.checks" in loaded  # the probe really checked
    heavy = ("typer", "click", "lark", "rich", "jinja2", "symbi_runtime", "symbi_lsp", "httpx")
    assert sorted(m for m in loaded if m.split(".")[0] in heavy) == []
    assert "symbi_lang.ir" not in loaded and "symbi_lang.lower" not in loaded
