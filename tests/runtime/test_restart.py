"""Crash recovery: SIGKILL `symbi up` in the middle of a run, restart it, and check the store."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SCHEDULE = """
agent worker {
  handler: "workmod:run"
}

schedule {
  name: "work"
  agent: "worker"
  cron: "* * * * * *"
}
"""

# The first run blocks (so the process can be killed during it); every later run is instant.
WORKMOD = """
import os, time
from pathlib import Path

def run(text: str) -> str:
    marker = Path(os.environ["WORK_MARKER"])
    if not marker.exists():
        marker.write_text("started")
        time.sleep(600)
    return "done"
"""


def start(cwd: Path, db: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "symbi_lang.cli.main", "up", "work.symbi", "--db", str(db)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def test_sigkill_mid_run_then_restart(tmp_path: Path, poll_db: Any) -> None:
    (tmp_path / "work.symbi").write_text(SCHEDULE)
    (tmp_path / "workmod.py").write_text(WORKMOD)
    db = tmp_path / "state.db"
    env = {**os.environ, "WORK_MARKER": str(tmp_path / "marker")}

    first = start(tmp_path, db, env)
    try:
        [(killed_id, killed_fire)] = poll_db(
            db, "SELECT id, scheduled_for FROM runs WHERE status = 'running'", lambda rows: len(rows) == 1
        )
        deadline = time.monotonic() + 30
        while not (tmp_path / "marker").exists():  # wait until the agent is inside its run
            assert time.monotonic() < deadline, "the agent never started"
            time.sleep(0.02)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT status FROM runs WHERE id = ?", (killed_id,)).fetchone()[0] == "running"
    conn.close()

    second = start(tmp_path, db, env)
    try:
        poll_db(
            db, f"SELECT status FROM runs WHERE id = '{killed_id}'", lambda rows: rows == [("abandoned",)]
        )
        later = poll_db(
            db,
            "SELECT scheduled_for FROM runs WHERE status = 'succeeded' AND trigger = 'schedule' "
            f"AND scheduled_for > {int(killed_fire)}",
            lambda rows: len(rows) >= 2,
        )
        assert all(fire > killed_fire for (fire,) in later)
    finally:
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=30)
    assert second.returncode == 0, err.decode()

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    dupes = conn.execute(
        "SELECT job_id, scheduled_for, count(*) FROM runs WHERE trigger != 'manual' "
        "GROUP BY job_id, scheduled_for HAVING count(*) > 1"
    ).fetchall()
    assert dupes == []
    assert (
        conn.execute("SELECT count(*) FROM runs WHERE scheduled_for = ?", (killed_fire,)).fetchone()[0] == 1
    )
    assert conn.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0] == 0
    abandoned = conn.execute(
        "SELECT event_type FROM audit WHERE run_id = ? ORDER BY id", (killed_id,)
    ).fetchall()
    assert ("CronJobAbandoned",) in abandoned
