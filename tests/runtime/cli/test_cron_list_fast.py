"""`symbi cron list` without typer (symbi_runtime.cli.cron_list_fast) behaves exactly as the typer command.

Every command line below runs twice in a real subprocess: as users run it (`python -m
symbi_lang.cli.main cron list …`, which takes the fast path when it can) and forced through the typer
group (`build_group().main(...)`); stdout, stderr and the exit code must be identical. Failures, help
and usage errors must come from typer, unchanged.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from symbi_runtime.cli import cron
from symbi_runtime.cli.cron_list_fast import _STATUSES, OPTIONS, _LeftToTyper, list_text, parse_list_args
from symbi_runtime.cli.output import OutputFormat

JOBS = """\
agent a {
  command: ["echo", "hi"]
}

agent b {
  command: ["echo", "${SECRET_FOR_TEST}"]
}

schedule first {
  agent: "a"
  cron: "0 0 9 * * *"
  description: "the first, with a \\"quote\\", and naïve text"
}

schedule second {
  agent: "b"
  cron: "0 30 2 * * *"
  timezone: "Europe/Berlin"
  heartbeat: { enabled: true }
}

schedule paused_one {
  agent: "a"
  cron: "0 */15 * * * *"
}

schedule later {
  agent: "b"
  at: "2099-01-01T00:00:00Z"
}

schedule damaged {
  agent: "a"
  cron: "0 0 12 * * *"
}
"""
VIA_GROUP = (
    "import sys\nfrom symbi_lang.cli.group import build_group\n"
    "build_group().main(args=sys.argv[1:], prog_name='symbi', standalone_mode=True)\n"
)


def run(
    argv: list[str], cwd: Path, *, group: bool, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    base = {
        k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "SYMBI_DB", "COLUMNS")
    }
    prefix = ["-c", VIA_GROUP] if group else ["-m", "symbi_lang.cli.main"]
    proc = subprocess.run(
        [sys.executable, *prefix, *argv], cwd=cwd, capture_output=True, text=True, env={**base, **(env or {})}
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cron-list")
    (root / "jobs.symbi").write_text(JOBS)
    (root / ".symbi").mkdir()
    db = root / ".symbi" / "symbi.db"
    for argv in (
        ["cron", "add", "jobs.symbi", "--db", str(db)],
        ["cron", "pause", "paused_one", "--db", str(db)],
    ):
        code, _, err = run(argv, root, group=True, env={"SECRET_FOR_TEST": "x"})
        assert code == 0, err
    conn = sqlite3.connect(db)
    conn.execute("UPDATE jobs SET definition = '{\"name\": 1' WHERE name = 'damaged'")
    # Runs recorded: two jobs share one last-run instant (the listing formats each instant once), one
    # has its own, with a status and failures to show.
    shared, own = 1_767_268_800_000_000, 1_767_272_461_500_000  # 2026-01-01 12:00:00, 13:01:01.5 UTC
    conn.execute(
        "UPDATE jobs SET last_run_at = ?, last_status = 'failed', consecutive_failures = 2 "
        "WHERE name IN ('first', 'paused_one')",
        (shared,),
    )
    conn.execute("UPDATE jobs SET last_run_at = ?, last_status = 'succeeded' WHERE name = 'second'", (own,))
    conn.commit()
    conn.close()
    code, _, err = run(
        ["cron", "add", "jobs.symbi", "--db", "empty.db", "--schedule", "first"], root, group=True
    )
    assert code == 0, err
    conn = sqlite3.connect(root / "empty.db")
    conn.execute("DELETE FROM jobs")
    conn.commit()
    conn.close()
    foreign = sqlite3.connect(root / "foreign.db")
    foreign.execute("CREATE TABLE notes (x)")
    foreign.commit()
    foreign.close()
    (root / "a-dir").mkdir()
    (root / "bad.toml").write_text("[scheduler\n")
    (root / "other.toml").write_text("[scheduler]\njob_store_path = 'empty.db'\n")
    return root


COMMAND_LINES = [
    ["cron", "list"],
    ["cron", "list", "--db", ".symbi/symbi.db"],
    ["cron", "list", "--db=.symbi/symbi.db"],
    ["cron", "list", "--format", "json"],
    ["cron", "list", "--format=csv"],
    ["cron", "list", "--format", "table", "--wide"],
    ["cron", "list", "--wide"],
    ["cron", "list", "--status", "paused"],
    ["cron", "list", "--status=active", "--agent", "a"],
    ["cron", "list", "--status", "failed", "--format", "json"],
    ["cron", "list", "--status", "dead_letter"],
    ["cron", "list", "--agent", "b", "--format", "csv"],
    ["cron", "list", "--agent", "nobody"],
    ["cron", "list", "--db", "empty.db"],
    ["cron", "list", "--db", "empty.db", "--format", "json"],
    ["cron", "list", "--config", "other.toml"],
    # failures: the fast path hands them to the typer command
    ["cron", "list", "--db", "missing.db"],
    ["cron", "list", "--db", "a-dir"],
    ["cron", "list", "--db", "foreign.db"],
    ["cron", "list", "--config", "bad.toml"],
    ["cron", "list", "--config", "missing.toml"],
    ["cron", "list", "--db", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"],
    # command lines the fast path leaves to typer: help and usage errors
    ["cron", "list", "--help"],
    ["cron", "list", "extra"],
    ["cron", "list", "--status", "bogus"],
    ["cron", "list", "--status"],
    ["cron", "list", "--format", "yaml"],
    ["cron", "list", "--wide", "--wide"],
    ["cron", "list", "--wide=1"],
    ["cron", "list", "--db="],
    ["cron", "list", "--agent", "-a"],
    ["cron", "list", "--", "--wide"],
    ["cron", "list", "--no-such-option"],
]


@pytest.mark.parametrize("argv", COMMAND_LINES, ids=" ".join)
def test_the_fast_path_and_the_typer_command_print_and_exit_alike(argv: list[str], workdir: Path) -> None:
    fast = run(argv, workdir, group=False)
    slow = run(argv, workdir, group=True)
    assert fast == slow
    assert "Traceback" not in fast[2]


@pytest.mark.parametrize("argv", [["cron", "list"], ["cron", "list", "--format", "json"]], ids=" ".join)
def test_the_store_named_by_the_environment_is_listed_alike(argv: list[str], workdir: Path) -> None:
    env = {"SYMBI_DB": str(workdir / ".symbi" / "symbi.db")}
    fast = run(argv, workdir.parent, group=False, env=env)
    assert fast == run(argv, workdir.parent, group=True, env=env)
    assert fast[0] == 0 and "paused_one" in fast[1]


def test_the_listing_is_really_read(workdir: Path) -> None:
    code, out, err = run(["cron", "list", "--format", "csv"], workdir, group=False)
    assert code == 0
    names = [line.split(",")[1] for line in out.splitlines()[1:]]
    assert names == ["damaged", "first", "later", "paused_one", "second"]
    rows = {line.split(",")[1]: line for line in out.splitlines()[1:]}
    assert "2026-01-01T12:00:00+00:00,failed,2," in rows["first"]
    assert "2026-01-01T12:00:00+00:00,failed,2," in rows["paused_one"]
    assert "2026-01-01T13:01:01.500000+00:00,succeeded,0," in rows["second"]
    assert "damaged" in err and "unreadable" in err  # the damaged row's warning, once
    assert err.count("unreadable") == 1


def test_the_option_table_matches_the_typer_command() -> None:
    command = typer.main.get_command(cron.app).commands["list"]  # type: ignore[attr-defined]
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
    assert {choice.value for choice in cron.JobStatusChoice} == _STATUSES


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["x"],
        ["--"],
        ["--status"],
        ["--status", "bogus"],
        ["--wide", "--wide"],
        ["--wide=yes"],
        ["--db", ""],
        ["--db="],
        ["--agent", "-x"],
        ["--config", "a\0b"],
        ["--format", "yaml"],
        ["-h"],
    ],
)
def test_command_lines_left_to_typer(args: list[str]) -> None:
    assert parse_list_args(args) is None


def test_a_plain_command_line_is_read() -> None:
    parsed = parse_list_args(["--status=paused", "--agent", "a", "--format", "csv", "--wide", "--db", "x.db"])
    assert parsed == {"status": "paused", "agent": "a", "fmt": OutputFormat.CSV, "wide": True, "db": "x.db"}
    assert parse_list_args(["--config", "c.toml"]) == {"config": Path("c.toml")}
    assert parse_list_args([]) == {}


def test_a_shell_completion_request_goes_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_SYMBI_COMPLETE", "bash_complete")
    assert parse_list_args([]) is None


def test_listing_imports_neither_typer_nor_the_ir_checker(workdir: Path) -> None:
    probe = (
        "import sys\nfrom symbi_lang.cli.main import main\n"
        "try:\n    main(['cron', 'list'])\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=workdir, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "first" in proc.stdout  # the probe really listed
    loaded = set(proc.stderr.split())
    heavy = ("typer", "click", "rich", "lark", "httpx", "asyncio", "symbi_lsp")
    assert sorted(m for m in loaded if m.split(".")[0] in heavy) == []
    assert "symbi_lang.checks" not in loaded and "symbi_runtime.cli.cron" not in loaded


def test_a_postgresql_store_is_left_to_the_typer_command_untried() -> None:
    # Port 1 on loopback: were it tried, the connection would be refused (a StoreError, not this).
    with pytest.raises(_LeftToTyper):
        list_text(db="postgresql://nobody@127.0.0.1:1/none", config=None)
