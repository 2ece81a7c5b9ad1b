"""`symbi cron run` with a webhook nobody answers (issue 8 §4): the run said `succeeded`, exited 0 and
nothing anywhere showed that the output never arrived. Now: a stderr summary, exit 1, a marker in
`cron history`, and a `CronJobDeliveryFailed` audit event."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

SCHEDULE = """
agent reporter {
  command: ["echo", "the report"]
}

schedule {
  name: "nightly"
  agent: "reporter"
  cron: "0 0 3 * * *"
  delivery: ["webhook"]
  webhook_url: "http://127.0.0.1:PORT/hook"
}
"""


def closed_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def symbi(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_a_webhook_that_cannot_be_reached_is_a_visible_failure(tmp_path: Path) -> None:
    (tmp_path / "nightly.symbi").write_text(SCHEDULE.replace("PORT", str(closed_port())), encoding="utf-8")
    (tmp_path / "symbi.toml").write_text(
        "[scheduler.delivery]\nwebhook_retry_attempts = 1\nwebhook_timeout_seconds = 5\n", encoding="utf-8"
    )
    db = str(tmp_path / "s.db")
    assert symbi("cron", "add", "nightly.symbi", "--db", db, cwd=tmp_path).returncode == 0

    ran = symbi("cron", "run", "nightly", "--db", db, cwd=tmp_path)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert ": succeeded in " in ran.stdout  # the agent did answer
    assert "delivery failed: webhook after 1 attempt(s): " in ran.stderr

    history = symbi("cron", "history", "nightly", "--db", db, cwd=tmp_path)
    assert "[delivery failed: webhook] the report" in history.stdout
    [run] = json.loads(
        symbi("cron", "history", "nightly", "--format", "json", "--db", db, cwd=tmp_path).stdout
    )
    assert run["status"] == "succeeded" and run["output"].strip() == "the report"
    assert [r["ok"] for r in run["receipts"]] == [False]

    audit = symbi("audit", "CronJobDeliveryFailed", "--format", "json", "--db", db, cwd=tmp_path)
    [event] = json.loads(audit.stdout)
    assert (event["job"], event["run_id"]) == ("nightly", run["id"])
    assert event["details"]["channels"] == ["webhook"] and event["details"]["errors"]["webhook"]
