"""A command agent's run records everything it said (issue 8 §4): a failed run keeps its exit status
and stdout as well as stderr; a timed-out run keeps what it printed before the timeout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCHEDULES = """
agent failing {
  command: ["PYTHON", "-c", "import sys; print('step 1 done'); sys.stderr.write('disk full'); sys.exit(3)"]
}

agent slow {
  command: ["PYTHON", "-u", "-c", "import time; print('halfway there', flush=True); time.sleep(60)"]
}

schedule {
  name: "fails"
  agent: "failing"
  cron: "0 0 3 * * *"
}

schedule {
  name: "hangs"
  agent: "slow"
  cron: "0 0 3 * * *"
  policy {
    max_runtime: "2s"
  }
}
"""


def symbi(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", *args],
        capture_output=True, text=True, timeout=90, check=False, cwd=cwd, env=dict(os.environ),
    )  # fmt: skip


def test_failed_and_timed_out_command_runs_keep_their_output(tmp_path: Path) -> None:
    (tmp_path / "jobs.symbi").write_text(SCHEDULES.replace("PYTHON", sys.executable), encoding="utf-8")
    db = str(tmp_path / "s.db")
    added = symbi("cron", "add", "jobs.symbi", "--db", db, cwd=tmp_path)
    assert added.returncode == 0, added.stderr

    failed = symbi("cron", "run", "fails", "--format", "json", "--db", db, cwd=tmp_path)
    assert failed.returncode == 1
    run = json.loads(failed.stdout)
    assert run["status"] == "failed"
    assert run["error"] == "exit status 3: disk full"
    assert run["output"] == "step 1 done"

    hung = symbi("cron", "run", "hangs", "--format", "json", "--db", db, cwd=tmp_path)
    assert hung.returncode == 1
    run = json.loads(hung.stdout)
    assert run["status"] == "timed_out"
    assert run["output"] == "halfway there"
    [stored] = json.loads(
        symbi("cron", "history", "hangs", "--format", "json", "--db", db, cwd=tmp_path).stdout
    )
    assert stored["output"] == "halfway there"
