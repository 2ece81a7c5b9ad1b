"""Every command says the same thing, with the same exit status, about a database it cannot use
(issue 8 §2 and §4): read-only commands read a store in a read-only directory, `symbi up` refuses a
store it cannot write (exit 2) instead of saying "running", a foreign or corrupt file is "not a symbi
database" (exit 2, one line), and only writers create a missing store.

Read-only is real: the directory or file is made read-only, and when the tests run as root (which
ignores permissions) the commands run without the capabilities that let root write anyway.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

JOB = '{"name": "nightly", "agent_id": "reporter", "cron_expr": "0 0 3 * * *"}'


def unprivileged() -> list[str]:
    """A prefix that runs a command without root's permission to ignore file modes."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "running as root needs setpriv (util-linux) to test read-only files"
    return [setpriv, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--"]


def symbi(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*unprivileged(), sys.executable, "-m", "symbi_lang.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[Path]:
    """A store with one job, in a directory that is then made read-only."""
    folder = tmp_path / "ro"
    added = symbi("cron", "add", "--json", JOB, "--db", str(folder / "s.db"), cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert not (folder / "s.db-wal").exists()  # the last connection closed: no -wal/-shm left
    folder.chmod(0o555)
    yield folder / "s.db"
    folder.chmod(0o755)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["cron", "list"], "nightly"),
        (["cron", "status", "nightly"], "reporter"),
        (["cron", "history", "nightly"], "no runs"),
        (["audit"], "CronJobCreated"),
    ],
)
def test_read_only_commands_work_in_a_read_only_directory(
    stored: Path, tmp_path: Path, args: list[str], expected: str
) -> None:
    result = symbi(*args, "--db", str(stored), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    assert sorted(p.name for p in stored.parent.iterdir()) == ["s.db"]


def test_up_refuses_a_store_in_a_read_only_directory(stored: Path, tmp_path: Path) -> None:
    result = symbi("up", "--db", str(stored), cwd=tmp_path, timeout=30)
    assert result.returncode == 2
    assert "running" not in result.stdout
    assert f"{stored}: the database is read-only" in result.stderr
    assert result.stderr.count("\n") == 1


def test_up_refuses_a_read_only_file(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert symbi("cron", "add", "--json", JOB, "--db", str(db), cwd=tmp_path).returncode == 0
    db.chmod(0o444)  # the directory stays writable: SQLite opens the file read-only, silently
    result = symbi("up", "--db", str(db), cwd=tmp_path, timeout=30)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "running" not in result.stdout
    assert "the database is read-only" in result.stderr and result.stderr.count("\n") == 1
    writer = symbi("cron", "pause", "nightly", "--db", str(db), cwd=tmp_path)
    assert writer.returncode == 2
    reader = symbi("cron", "list", "--db", str(db), cwd=tmp_path)
    assert reader.returncode == 0 and "nightly" in reader.stdout


COMMANDS = [
    ["cron", "list"],
    ["cron", "status", "nightly"],
    ["cron", "history", "nightly"],
    ["cron", "pause", "nightly"],
    ["cron", "run", "nightly"],
    ["cron", "add", "--json", JOB],
    ["audit"],
    ["up"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_another_programs_sqlite_file_is_not_a_symbi_database(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
    result = symbi(*args, "--db", str(db), cwd=tmp_path, timeout=30)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one message per problem
    assert f"{db} is not a symbi database (an SQLite file with tables: users)" in lines[0]
    with sqlite3.connect(db) as conn:  # and nothing of ours was written into it
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert tables == ["users"]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_corrupt_database_is_one_message_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "s.db"
    assert symbi("cron", "add", "--json", JOB, "--db", str(db), cwd=tmp_path).returncode == 0
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page is garbage
    db.write_bytes(bytes(data))
    result = symbi(*args, "--db", str(db), cwd=tmp_path, timeout=30)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "malformed" in lines[0] or "not a symbi database" in lines[0]


@pytest.mark.parametrize("args", [c for c in COMMANDS if c[:2] != ["cron", "add"] and c != ["up"]])
def test_readers_never_create_a_missing_store(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "missing-dir" / "s.db"
    result = symbi(*args, "--db", str(db), cwd=tmp_path)
    assert result.returncode == 2
    assert f"no job store at {db}" in result.stderr
    assert not db.parent.exists()


def test_writers_create_the_store_and_its_directory(tmp_path: Path) -> None:
    db = tmp_path / "new-dir" / "s.db"
    result = symbi("cron", "add", "--json", JOB, "--db", str(db), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert db.is_file() and "nightly" in symbi("cron", "list", "--db", str(db), cwd=tmp_path).stdout


def test_add_accepts_files_as_arguments_and_refuses_an_empty_list(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    for name in ("a", "b"):
        (tmp_path / f"{name}.symbi").write_text(
            f'schedule {{\n  name: "{name}"\n  agent: "x"\n  cron: "0 0 3 * * *"\n}}\n', encoding="utf-8"
        )
    added = symbi("cron", "add", "a.symbi", "b.symbi", "--db", str(db), cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert [line.split()[:2] for line in added.stdout.splitlines()] == [["created", "a"], ["created", "b"]]
    for doc in ("[]", '{"ir_version": "1", "jobs": []}'):
        empty = symbi("cron", "add", "--json", doc, "--db", str(db), cwd=tmp_path)
        assert (empty.returncode, empty.stdout) == (1, "")
        assert "empty" in empty.stderr and "no jobs to add" in empty.stderr


def test_missing_files_and_config_directories_are_io_errors(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    run = symbi("run", "x", "-f", "nope.symbi", cwd=tmp_path)
    assert run.returncode == 2 and "no such file or directory: nope.symbi" in run.stderr
    for args in (["cron", "list", "--db", str(db)], ["audit", "--db", str(db)], ["run", "x"], ["up"]):
        result = symbi(*args, "--config", str(tmp_path), cwd=tmp_path)
        assert result.returncode == 2, args
        assert f"{tmp_path}: is a directory, not a configuration file" in result.stderr
