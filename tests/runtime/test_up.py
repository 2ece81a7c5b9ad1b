"""`symbi up` as a real subprocess: refuses bad files, loads idempotently, runs, stops gracefully."""

from __future__ import annotations

import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

SCHEDULE = """
agent greeter {
  handler: "greetmod:run"
}

schedule {
  name: "greet"
  agent: "greeter"
  cron: "* * * * * *"
}
"""

GREETMOD = "def run(text: str) -> str:\n    return 'hello'\n"


class Up:
    """A `symbi up` process whose stdout lines are collected by a thread."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "symbi_lang.cli.main", "up", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert self.proc.stdout is not None
        out = self.proc.stdout
        threading.Thread(target=lambda: [self.lines.put(line) for line in out], daemon=True).start()

    def wait_for_line(self, fragment: str, limit: float = 20.0) -> str:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            if fragment in line:
                return line
        raise AssertionError(f"no line with {fragment!r} in {self.seen!r}")

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        self.proc.send_signal(sig)
        _, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, err


def project(tmp_path: Path, schedule: str = SCHEDULE) -> Path:
    (tmp_path / "greet.symbi").write_text(schedule)
    (tmp_path / "greetmod.py").write_text(GREETMOD)
    return tmp_path


def test_file_with_errors_prints_diagnostics_and_exits_1_without_starting(tmp_path: Path) -> None:
    (tmp_path / "bad.symbi").write_text('schedule {\n  name: "x"\n  agent: "a"\n  cron: "61 * * * * *"\n}\n')
    db = tmp_path / "state.db"
    proc = subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "up", "bad.symbi", "--db", str(db)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "bad.symbi:4" in proc.stderr
    assert "symbi up: not started" in proc.stderr
    assert "running" not in proc.stdout
    assert sqlite3.connect(db).execute("SELECT count(*) FROM jobs").fetchone()[0] == 0


def test_bad_config_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "symbi.toml").write_text("[scheduler]\nmax_concurrent_jobs = 0\n")
    proc = subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "up", "--db", str(tmp_path / "s.db")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "symbi up: symbi.toml: scheduler.max_concurrent_jobs: must be at least 1"
    assert "Traceback" not in proc.stderr


def test_up_loads_runs_serves_metrics_and_stops_gracefully(tmp_path: Path, poll_db: Any) -> None:
    cwd = project(tmp_path)
    db = tmp_path / "state.db"
    up = Up(cwd, "greet.symbi", "--db", str(db), "--metrics-port", "0")
    up.wait_for_line("1 created")
    assert "greet" in up.wait_for_line("next fire")
    url = up.wait_for_line("metrics: ").split("metrics: ")[1].strip()
    up.wait_for_line("running on")
    poll_db(db, "SELECT count(*) FROM runs WHERE status = 'succeeded'", lambda rows: rows[0][0] >= 2)
    body = httpx.get(url, timeout=10).text
    assert 'symbiont_cron_runs_total{job_name="greet",status="succeeded"}' in body
    code, err = up.stop(signal.SIGTERM)
    assert code == 0, err
    assert "received SIGTERM: shutting down gracefully" in err

    again = Up(cwd, "greet.symbi", "--db", str(db))
    again.wait_for_line("0 created, 0 updated, 1 unchanged")
    again.wait_for_line("running on")
    code, err = again.stop(signal.SIGINT)
    assert code == 0, err
    jobs = sqlite3.connect(db).execute("SELECT name FROM jobs").fetchall()
    assert jobs == [("greet",)]


def test_environment_flag_reaches_the_policy_gate(tmp_path: Path, poll_db: Any) -> None:
    schedule = SCHEDULE.replace(
        'cron: "* * * * * *"',
        'cron: "* * * * * *"\n  policy {\n    allowed_environments: ["production"]\n  }',
    )
    cwd = project(tmp_path, schedule)
    db = tmp_path / "state.db"
    up = Up(cwd, "greet.symbi", "--db", str(db), "--environment", "staging")
    up.wait_for_line("running on")
    [(error,)] = poll_db(
        db, "SELECT error FROM runs WHERE status = 'denied' LIMIT 1", lambda rows: len(rows) == 1
    )
    assert "staging" in error
    code, err = up.stop()
    assert code == 0, err
    assert (
        sqlite3.connect(db).execute("SELECT count(*) FROM runs WHERE status = 'succeeded'").fetchone()[0] == 0
    )


def test_up_refuses_paths_that_load_nothing_with_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    (tmp_path / "empty").mkdir()
    for target in ("empty", "missing.symbi"):
        proc = subprocess.run(
            [sys.executable, "-m", "symbi_lang.cli.main", "up", target, "--db", "x.db"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 2, proc.stderr
        assert "not started" in proc.stderr


WARNED = """
agent greeter {
  handler: "greetmod:run"
}

schedule {
  name: "greet"
  agent: "greeter"
  cron: "0 0 3 * * *"
  delivery: ["webhook"]
  webhook_url: "${SYMBI_TEST_UNSET_HOOK_8}"
}
"""


def test_up_prints_the_load_warnings_cron_add_prints(tmp_path: Path) -> None:
    """Issue 8: `symbi up` loaded a file with an unset ${VAR} silently, where `cron add` warned."""
    project(tmp_path, WARNED)
    added = subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "cron", "add", "greet.symbi", "--db", "add.db"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    warning = next(line for line in added.stderr.splitlines() if line.startswith("warning["))
    assert "SYMBI_TEST_UNSET_HOOK_8" in warning
    up = Up(tmp_path, "greet.symbi", "--db", "up.db")
    up.wait_for_line("running on")
    code, err = up.stop()
    assert code == 0
    assert warning in err.splitlines()


TYPO = """
agent reporter {
  command: ["echo", "report"]
}

agent thinker {
  model: "some-model"
}

schedule {
  name: "daily"
  agent: "reportr"
  cron: "0 0 3 * * *"
}

schedule {
  name: "ponder"
  agent: "thinker"
  cron: "0 0 4 * * *"
}
"""


def _symbi(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_an_agent_nothing_can_execute_is_refused_by_up_and_loud_in_cron_add(tmp_path: Path) -> None:
    """Issue 8: `agent: "reportr"` loaded silently and every fire failed until dead letter."""
    (tmp_path / "jobs.symbi").write_text(TYPO)
    up = _symbi(tmp_path, "up", "jobs.symbi", "--db", "up.db")
    assert up.returncode == 1
    assert "running" not in up.stdout
    [line] = up.stderr.strip().splitlines()  # one message for the problem
    assert line.startswith("symbi up: not started: schedule 'daily': agent 'reportr' is not defined")
    assert "did you mean 'reporter'?" in line
    assert (
        not (tmp_path / "up.db").exists()
        or "daily" not in _symbi(tmp_path, "cron", "list", "--db", "up.db").stdout
    )

    # `cron add` may be feeding a program that registers agents in-process: it loads, loudly.
    added = _symbi(tmp_path, "cron", "add", "jobs.symbi", "--db", "add.db")
    assert added.returncode == 0, added.stderr
    assert "symbi cron: warning: schedule 'daily': agent 'reportr' is not defined" in added.stderr
    assert "did you mean 'reporter'?" in added.stderr
    assert "agent 'thinker' (schedule 'ponder') is declared but has no executor" in added.stderr


def test_a_model_only_agent_loads_with_a_warning_that_says_how_to_bind_it(tmp_path: Path) -> None:
    (tmp_path / "jobs.symbi").write_text(TYPO.replace('"reportr"', '"reporter"'))
    up = Up(tmp_path, "jobs.symbi", "--db", "up.db")
    up.wait_for_line("running on")
    code, err = up.stop()
    assert code == 0
    assert "symbi up: warning: agent 'thinker' (schedule 'ponder') is declared but has no executor" in err
    assert "handler:" in err and "command:" in err and "endpoint:" in err and "register_agent" in err
