"""`symbi simulate` through the real console entry: text, JSON and SVG, durations, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

FLEET = """\
agent worker {
  command: ["echo", "hi"]
}

schedule slow {
  agent: "worker"
  cron: "0 * * * * *"
}

schedule gated {
  agent: "worker"
  cron: "30 */3 * * * *"
  policy { allowed_hours: { start: "12:00", end: "12:30" } }
}
"""

FROM = "2027-03-02T12:00:00Z"


def simulate(tmp_path: Path, *args: str, text: str = FLEET) -> subprocess.CompletedProcess[str]:
    (tmp_path / "fleet.symbi").write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "simulate", "fleet.symbi", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_json_reports_skips_denials_and_load(tmp_path: Path) -> None:
    r = simulate(
        tmp_path,
        "--from",
        FROM,
        "--days",
        "0.0417",
        "--duration",
        "slow=90",
        "--duration",
        "gated=10",
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["from"] == "2027-03-02T12:00:00+00:00"
    runs = doc["runs"]
    slow = [x for x in runs if x["schedule"] == "slow"]
    # 90 s runs every minute with max_concurrent 1: every other fire is skipped.
    assert [x["status"] for x in slow[:4]] == ["succeeded", "skipped", "succeeded", "skipped"]
    gated = {x["scheduled_for"][11:19]: x["status"] for x in runs if x["schedule"] == "gated"}
    assert gated["12:27:30"] == "succeeded" and gated["12:30:30"] == "denied"
    denied = [x for x in doc["not_run"] if x["status"] == "denied"]
    assert denied and "allowed_hours" in denied[0]["reason"]
    assert doc["concurrency"]["peak"] == 2 and doc["concurrency"]["p99"] >= 1
    assert sum(doc["fires_per_hour"].values()) == len(runs)
    assert doc["peak_second"]["fires"] == 1


def test_the_same_inputs_give_the_same_output(tmp_path: Path) -> None:
    a = simulate(tmp_path, "--from", FROM, "--days", "1", "--format", "json")
    b = simulate(tmp_path, "--from", FROM, "--days", "1", "--format", "json")
    assert a.returncode == 0 and a.stdout == b.stdout


def test_text_has_a_bar_chart_and_the_reasons(tmp_path: Path) -> None:
    r = simulate(tmp_path, "--from", FROM, "--days", "0.1", "--duration", "worker=90")
    assert r.returncode == 0, r.stderr
    assert "fires per hour (UTC)" in r.stdout
    assert "████" in r.stdout
    assert "gated  denied: allowed_hours: 12:30 UTC is outside the window" in r.stdout
    assert "slow  skipped: job already has 1 run(s) in flight (max_concurrent = 1)" in r.stdout


def test_svg_is_a_heat_map(tmp_path: Path) -> None:
    r = simulate(tmp_path, "--from", FROM, "--days", "7", "--format", "svg")
    assert r.returncode == 0, r.stderr
    root = ET.fromstring(r.stdout)
    assert root.tag.endswith("svg")
    assert "simulated fires 2027-03-02" in r.stdout


def test_bad_input_is_a_usage_error(tmp_path: Path) -> None:
    r = simulate(tmp_path, "--duration", "slow")
    assert r.returncode == 2 and "--duration slow: expected NAME=SECONDS" in r.stderr
    r = simulate(tmp_path, "--duration", "nobody=3")
    assert r.returncode == 2 and "--duration nobody: no schedule or agent of that name" in r.stderr
    r = simulate(tmp_path, "--from", "someday")
    assert r.returncode == 2 and "--from someday: not an ISO 8601" in r.stderr
    assert "Traceback" not in r.stderr


MORE = """\
agent worker {
  command: ["echo", "hi"]
}

schedule watcher {
  agent: "worker"
  cron: "0 0 * * * *"
  heartbeat: { max_iterations: 10 }
}

schedule reviewed {
  agent: "worker"
  cron: "0 30 * * * *"
  policy { require_approval: true }
}

schedule nightly {
  agent: "worker"
  cron: "0 0 2 * * *"
  catchup: "latest"
}

schedule hourly_all {
  agent: "worker"
  cron: "0 15 * * * *"
  catchup: "all"
}
"""


def simulate_more(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return simulate(tmp_path, *args, text=MORE)


def test_heartbeat_iterations_approvals_and_catch_up_after_downtime(tmp_path: Path) -> None:
    args = ("--from", "2027-03-02T03:00:00Z", "--days", "0.125", "--duration", "watcher=30")
    r = simulate_more(
        tmp_path,
        *args,
        "--iterations",
        "watcher=4",
        "--down-since",
        "2027-03-01T23:00:00Z",
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    runs = json.loads(r.stdout)["runs"]
    watcher = [x for x in runs if x["schedule"] == "watcher" and x["trigger"] == "schedule"]
    # four iterations of 30 s each: a two-minute run
    assert watcher and all(
        x["iterations"] == 4 and x["finished_at"][11:19] == x["started_at"][11:13] + ":02:00" for x in watcher
    )
    reviewed = {x["status"] for x in runs if x["schedule"] == "reviewed" and x["trigger"] == "schedule"}
    assert reviewed == {"awaiting_approval"}
    # Down 23:00 → 03:00: nightly's 02:00 fire runs late at 03:00 (catch-up latest, inside the 1 h window)
    nightly = [
        (x["scheduled_for"][11:16], x["trigger"], x["status"]) for x in runs if x["schedule"] == "nightly"
    ]
    assert nightly == [("02:00", "catchup", "succeeded")]
    caught = [
        (x["scheduled_for"][11:16], x["status"])
        for x in runs
        if x["schedule"] == "hourly_all" and x["trigger"] == "catchup"
    ]
    # 23:15 … 01:15 are outside the window (one `missed` record), 02:15 is caught up
    assert caught == [("23:15", "missed"), ("02:15", "succeeded")]
    missed = next(x for x in runs if x["schedule"] == "hourly_all" and x["status"] == "missed")
    assert "3 fire(s) missed" in missed["reason"]

    # Without --down-since the same window has no catch-up at all: it is a pure function of its inputs.
    plain = json.loads(simulate_more(tmp_path, *args, "--format", "json").stdout)["runs"]
    assert {x["trigger"] for x in plain} == {"schedule"}
    assert [x["iterations"] for x in plain if x["schedule"] == "watcher"] == [10, 10]  # max_iterations

    text = simulate_more(tmp_path, *args, "--iterations", "watcher=4")
    assert "heartbeat watcher: 2 run(s), 8 iteration(s)" in text.stdout
    assert "reviewed  awaiting_approval: " in text.stdout


def test_bad_iterations_and_down_since(tmp_path: Path) -> None:
    r = simulate_more(tmp_path, "--iterations", "watcher=0")
    assert r.returncode == 2 and "--iterations watcher=0: expected NAME=N" in r.stderr
    r = simulate_more(tmp_path, "--iterations", "nightly=3")
    assert r.returncode == 2 and "--iterations nightly: not a heartbeat schedule" in r.stderr
    r = simulate_more(tmp_path, "--from", "2027-03-02T03:00:00Z", "--down-since", "2027-03-03T00:00:00Z")
    assert r.returncode == 2 and "--down-since 2027-03-03T00:00:00Z is after --from" in r.stderr
    assert "Traceback" not in r.stderr


def symbi(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_db_adds_the_pending_backfills_of_a_store_and_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "more.symbi").write_text(MORE, encoding="utf-8")
    db = str(tmp_path / "state.db")
    missing = simulate_more(tmp_path, "--from", "2027-03-02T03:00:00Z", "--db", db)
    assert missing.returncode == 2 and "no job store at" in missing.stderr
    added = symbi(tmp_path, "cron", "add", "more.symbi", "--db", db)
    assert added.returncode == 0, added.stderr
    window = ("--from", "2027-03-02T00:00:00Z", "--to", "2027-03-02T02:30:00Z")
    done = symbi(
        tmp_path, "cron", "backfill", "hourly_all", *window, "--now", "2027-03-02T03:00:00Z", "--db", db
    )
    assert done.returncode == 0, done.stderr

    args = ("--from", "2027-03-02T03:00:00Z", "--days", "0.05", "--format", "json")
    runs = json.loads(simulate_more(tmp_path, *args, "--db", db).stdout)["runs"]
    backfilled = [(x["scheduled_for"][11:16], x["status"]) for x in runs if x["trigger"] == "backfill"]
    assert backfilled == [("00:15", "succeeded"), ("01:15", "succeeded"), ("02:15", "succeeded")]
    # Without --db nothing is read: the same files give no backfilled runs.
    plain = json.loads(simulate_more(tmp_path, *args).stdout)["runs"]
    assert [x for x in plain if x["trigger"] == "backfill"] == []
