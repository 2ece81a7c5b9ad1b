"""`symbi logs`: reads the rotating log a real `symbi up` writes beside the store; filters, follows."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from symbi_runtime import logfile
from symbi_runtime.cli.logs import app
from typer.testing import CliRunner, Result

from tests.runtime.test_up import Up, project


def symbi_logs(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--db", str(db)], env={"SYMBI_DB": None})


def record(at: str, level: str, logger: str, message: str) -> str:
    doc = {"at": at, "level": level, "component": logfile.component_of(logger), "logger": logger}
    return json.dumps({**doc, "message": message}) + "\n"


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Leave the root logger as it was after a test that attaches the file handler in-process."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for h in root.handlers:
        if h not in handlers:
            h.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_symbi_up_writes_the_log_that_symbi_logs_reads(tmp_path: Path, poll_db: object) -> None:
    cwd = project(tmp_path)
    db = tmp_path / "state" / "symbi.db"
    up = Up(cwd, "greet.symbi", "--db", str(db))  # terminal level: info
    up.wait_for_line("running on")
    log = db.with_name("symbi.log")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "succeeded in" not in (log.read_text() if log.exists() else ""):
        time.sleep(0.1)
    code, err = up.stop(signal.SIGTERM)
    assert code == 0, err
    assert "claimed fire" not in err  # debug stays off the terminal at --log-level info …

    everything = symbi_logs(db, "--level", "debug")
    assert everything.exit_code == 0, everything.stderr
    assert "claimed fire" in everything.stdout  # … and is in the file
    assert "INFO     pipeline: run " in everything.stdout and "succeeded in" in everything.stdout

    scheduler = symbi_logs(db, "--filter", "scheduler", "--level", "debug").stdout.splitlines()
    assert scheduler and all(" scheduler: " in line for line in scheduler)
    info = symbi_logs(db).stdout
    assert "claimed fire" not in info and "received SIGTERM" in info
    assert symbi_logs(db, "--level", "error").stdout == ""
    assert len(symbi_logs(db, "--level", "debug", "--lines", "2").stdout.splitlines()) == 2


def test_no_log_yet_is_one_line_exit_1(tmp_path: Path) -> None:
    result = symbi_logs(tmp_path / "symbi.db")
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == f"symbi logs: no log at {tmp_path / 'symbi.log'} yet (`symbi up` writes it there)"
    )


def test_bad_level_is_a_usage_error(tmp_path: Path) -> None:
    result = symbi_logs(tmp_path / "symbi.db", "--level", "loud")
    assert result.exit_code == 2 and "loud" in result.stderr


def test_rotated_files_are_read_oldest_first_and_odd_lines_kept(tmp_path: Path) -> None:
    log = tmp_path / "symbi.log"
    (tmp_path / "symbi.log.2").write_text(
        record("2026-03-02T10:00:00+00:00", "info", "symbi_runtime", "first")
    )
    (tmp_path / "symbi.log.1").write_text(
        record("2026-03-02T11:00:00+00:00", "warning", "symbi_runtime.delivery.channels.slack", "second")
    )
    log.write_text(
        record("2026-03-02T12:00:00.250+00:00", "error", "httpx", "third\nsecond line") + '{"cut-off'
    )
    out = symbi_logs(tmp_path / "symbi.db").stdout.splitlines()
    assert out == [
        "2026-03-02 10:00:00.000Z INFO     runtime: first",
        "2026-03-02 11:00:00.000Z WARNING  delivery: second",
        "2026-03-02 12:00:00.250Z ERROR    httpx: third",
        "    second line",
        '{"cut-off',
    ]
    assert symbi_logs(tmp_path / "symbi.db", "--filter", "delivery").stdout.count("delivery: second") == 1


def test_the_file_handler_rotates_and_keeps_library_debug_out(tmp_path: Path, root_logging: None) -> None:
    handler = logfile.attach(tmp_path / "symbi.log", logging.WARNING)
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    handler.maxBytes = 2_000
    for i in range(60):
        logging.getLogger("symbi_runtime.scheduler").debug("tick %d", i)
    logging.getLogger("httpx").debug("noise")
    logging.getLogger("httpx").info("request sent")
    handler.flush()
    assert (tmp_path / "symbi.log.1").is_file()
    records = list(logfile.read_records(tmp_path / "symbi.log"))
    messages = [r.message for r in records]
    assert "noise" not in messages and messages[-1] == "request sent"
    ticks = [int(m.split()[1]) for m in messages if m.startswith("tick")]
    assert ticks == sorted(ticks) and ticks[-1] == 59  # oldest first, newest kept


def test_follow_prints_new_records_until_ctrl_c(tmp_path: Path) -> None:
    log = tmp_path / "symbi.log"
    log.write_text(record("2026-03-02T10:00:00+00:00", "info", "symbi_runtime.scheduler", "old"))
    env = {k: v for k, v in os.environ.items() if k != "SYMBI_DB"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "symbi_lang.cli.main", "logs", "--follow", "--db", str(tmp_path / "symbi.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().endswith("scheduler: old\n")
    with log.open("a") as f:
        f.write(record("2026-03-02T10:00:01+00:00", "info", "symbi_runtime.scheduler", "new"))
    assert proc.stdout.readline().endswith("scheduler: new\n")
    log.rename(tmp_path / "symbi.log.1")  # rotated: the new file is read from its start
    log.write_text(record("2026-03-02T10:00:02+00:00", "warning", "symbi_runtime.store", "after rotation"))
    assert proc.stdout.readline().endswith("store: after rotation\n")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
