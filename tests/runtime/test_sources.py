"""A job added from a relative path still finds its files (handler modules, command working directory)
when the runtime or CLI runs from another directory: stored source paths are absolute."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCHEDULES = """\
agent from_handler {
    handler: "local_agent:run"
}

agent from_command {
    command: ["sh", "-c", "cat marker.txt"]
}

schedule handled {
    agent: "from_handler"
    cron: "0 0 * * * *"
}

schedule commanded {
    agent: "from_command"
    cron: "0 0 * * * *"
}
"""


def symbi(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_relative_files_resolve_from_anywhere(tmp_path: Path) -> None:
    project = tmp_path / "project"
    jobs = project / "jobs"
    jobs.mkdir(parents=True)
    (jobs / "schedules.symbi").write_text(SCHEDULES)
    (jobs / "local_agent.py").write_text("def run(call):\n    return 'handled next to the schedule'\n")
    (jobs / "marker.txt").write_text("command ran in the schedule's directory")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    db = str(tmp_path / "state.db")

    added = symbi("cron", "add", "--file", "jobs/schedules.symbi", "--db", db, cwd=project)
    assert added.returncode == 0, added.stderr

    for name, expected in (
        ("handled", "handled next to the schedule"),
        ("commanded", "command ran in the schedule's directory"),
    ):
        run = symbi("cron", "run", name, "--db", db, "--format", "json", cwd=elsewhere)
        assert run.returncode == 0, run.stdout + run.stderr
        assert json.loads(run.stdout)["output"] == expected

    listed = json.loads(symbi("cron", "list", "--db", db, "--format", "json", cwd=elsewhere).stdout)
    assert {j["name"] for j in listed} == {"handled", "commanded"}


def test_loading_accepts_what_symbi_check_accepts_with_the_same_config(tmp_path: Path) -> None:
    (tmp_path / "symbi.toml").write_text('[scheduler.delivery]\nslack_default_channel = "#ops"\n')
    (tmp_path / "s.symbi").write_text(
        'agent a {\n    command: ["true"]\n}\n\n'
        'schedule s {\n    agent: "a"\n    cron: "0 0 * * * *"\n    delivery: ["slack"]\n}\n'
    )
    assert symbi("check", "s.symbi", cwd=tmp_path).returncode == 0
    added = symbi("cron", "add", "--file", "s.symbi", "--db", "x.db", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "created" in added.stdout


async def test_schedule_input_resolves_variables_only_for_the_agent(tmp_path: Path) -> None:
    from symbi_runtime.runtime import Runtime

    from symbi_lang.ir import JobDefinition

    async with Runtime(db_path=tmp_path / "x.db", env={"WHO": "world"}) as rt:
        rt.register_agent("echo", lambda call: f"got {call.input}")
        rt.add_job(JobDefinition(name="j", agent_id="echo", cron_expr="0 0 * * * *", input="hello ${WHO}"))
        rt.add_job(JobDefinition(name="k", agent_id="echo", cron_expr="0 0 * * * *", input="hi ${NOPE}"))
        ok = await rt.run_job_now("j")
        assert (ok.status, ok.output, ok.input) == ("succeeded", "got hello world", "hello ${WHO}")
        typed = await rt.run_job_now("j", input="literal ${WHO}")
        assert typed.output == "got literal ${WHO}"  # what a person types for a manual run is not expanded
        bad = await rt.run_job_now("k")
        assert (bad.status, bad.error) == ("failed", "input: environment variable NOPE is not set")


def test_a_file_whose_one_shot_already_fired_loads_again(tmp_path: Path) -> None:
    """`symbi up FILE` must be restartable after the file's `at` job ran, and a new past `at` is caught up."""
    import sqlite3
    from datetime import UTC, datetime, timedelta

    soon = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    source = tmp_path / "once.symbi"
    source.write_text(
        'agent ok {\n    command: ["sh", "-c", "echo ran"]\n}\n\n'
        f'schedule once {{\n    agent: "ok"\n    at: "{soon}"\n}}\n'
    )
    assert symbi("cron", "add", "--file", "once.symbi", "--db", "x.db", cwd=tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "x.db") as conn:  # as if it fired: completed, one succeeded run
        conn.execute("UPDATE jobs SET status = 'completed', next_fire_at = NULL")
    import time

    time.sleep(3)  # the `at` is now in the past
    check = symbi("check", "once.symbi", cwd=tmp_path)
    # `symbi check` still says so, as a warning: a committed one-shot that fired never keeps CI red.
    assert check.returncode == 0 and "warning[SYM209]" in check.stdout
    again = symbi("cron", "add", "--file", "once.symbi", "--db", "x.db", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (
        "unchanged" in again.stdout
        and "completed" in symbi("cron", "list", "--db", "x.db", cwd=tmp_path).stdout
    )


async def test_max_concurrent_counts_runs_of_other_processes(engine_factory, job) -> None:  # type: ignore[no-untyped-def]
    """A run in flight from another process (e.g. `symbi cron run`) makes a scheduled fire `skipped`."""
    import os
    import sqlite3

    from symbi_runtime.store import NewRun, _process_owner

    e = engine_factory()
    e.rt.add_job(job("j", max_concurrent=1))
    other = e.store.insert_run(
        "j", NewRun(scheduled_for=e.clock.now(), trigger="manual", status="running"), now=e.clock.now()
    )
    # Owned by another live process (our parent), as a `symbi cron run` would be: not abandoned at start-up.
    with sqlite3.connect(e.store.path) as conn:
        conn.execute(
            "UPDATE runs SET owner = ? WHERE id = ?", (f"{_process_owner(os.getppid())}:cli", other.id)
        )
    e.start()
    await e.advance(60)
    await e.wait(lambda: any(r.status == "skipped" for r in e.runs("j")))
    statuses = {r.id: r.status for r in e.runs("j")}
    assert statuses[other.id] == "running"
    assert sorted(statuses.values()) == ["running", "skipped"]


def test_sigterm_cancels_a_manual_run_and_its_agent(tmp_path: Path) -> None:
    import os
    import signal
    import sqlite3
    import time

    (tmp_path / "slow.symbi").write_text(
        'agent slow {\n    command: ["sh", "-c", "echo $$ > agent.pid; exec sleep 30"]\n}\n\n'
        'schedule p {\n    agent: "slow"\n    cron: "0 0 0 1 1 *"\n}\n'
    )
    assert symbi("cron", "add", "--file", "slow.symbi", "--db", "x.db", cwd=tmp_path).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "symbi_lang.cli.main", "cron", "run", "p", "--db", "x.db"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pid_file = tmp_path / "agent.pid"
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    agent_pid = int(pid_file.read_text())
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert "terminated" in err
    with sqlite3.connect(tmp_path / "x.db") as conn:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("cancelled",)]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the agent's process group was killed, not orphaned
        try:
            os.kill(agent_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"agent process {agent_pid} still running after SIGTERM")


async def test_a_one_shot_whose_time_passed_while_paused_is_caught_up_on_resume(engine_factory, job) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    e = engine_factory()
    at = (e.clock.now() + timedelta(seconds=30)).isoformat()
    e.rt.add_job(job("once", cron=None, at=at))
    e.store.set_job_status("once", "paused", now=e.clock.now())
    e.start()
    await e.advance(60)  # the `at` passes while the job is paused: nothing runs
    assert e.runs("once") == []
    resumed = e.store.set_job_status("once", "active", now=e.clock.now())
    assert resumed.status == "active" and resumed.next_fire_at is not None
    e.rt.scheduler.wake()
    await e.advance(1)
    await e.wait(lambda: [r.status for r in e.runs("once")] == ["succeeded"])
    assert e.store.get_job("once").status == "completed"  # type: ignore[union-attr]


async def test_a_stopped_command_agent_gets_sigterm_before_sigkill(tmp_path: Path) -> None:
    import asyncio

    from symbi_runtime.agents import AgentCall, CommandAgent

    marker = tmp_path / "got-term"
    script = f"trap 'echo cleaned > {marker}; exit 0' TERM; echo ready; while :; do sleep 0.1; done"
    agent = CommandAgent(["sh", "-c", script], name="polite")
    task = asyncio.create_task(agent.run(AgentCall("polite", "")))
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert marker.read_text().strip() == "cleaned"


def test_a_second_ctrl_c_stops_symbi_up_without_waiting_for_runs(tmp_path: Path, poll_db: Any) -> None:
    import signal
    import sqlite3
    import time

    (tmp_path / "slow.symbi").write_text(
        'agent slow {\n    command: ["sleep", "60"]\n}\n\n'
        'schedule s {\n    agent: "slow"\n    cron: "* * * * * *"\n}\n'
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "symbi_lang.cli.main", "up", "slow.symbi", "--db", "x.db"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    poll_db(tmp_path / "x.db", "SELECT 1 FROM runs WHERE status = 'running'", bool)
    proc.send_signal(signal.SIGINT)  # graceful: would wait shutdown_timeout_seconds (60 s) for the run
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)  # again: stop now
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    with sqlite3.connect(tmp_path / "x.db") as conn:
        statuses = {r[0] for r in conn.execute("SELECT status FROM runs")}
    assert "running" not in statuses and "cancelled" in statuses


async def test_loading_a_file_that_dropped_a_schedule_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from symbi_runtime.runtime import Runtime

    source = tmp_path / "jobs.symbi"
    body = (
        'agent a {\n    command: ["true"]\n}\n\nschedule NAME {\n    agent: "a"\n    cron: "0 0 * * * *"\n}\n'
    )
    source.write_text(body.replace("NAME", "report_v1"))
    async with Runtime(db_path=tmp_path / "x.db", env={}) as rt:
        rt.load_file(source)
        source.write_text(body.replace("NAME", "report_v2"))
        with caplog.at_level("WARNING", logger="symbi_runtime"):
            rt.load_file(source)
    assert any(
        "report_v1" in r.getMessage() and "no longer defines it" in r.getMessage() for r in caplog.records
    )


def test_symbi_run_is_not_stopped_by_errors_in_an_unrelated_file(tmp_path: Path) -> None:
    (tmp_path / "good.symbi").write_text('agent greeter {\n    command: ["echo", "hi"]\n}\n')
    (tmp_path / "broken.symbi").write_text('schedule x {\n    agent: "a"\n    cron: "0 0 25 * * *"\n}\n')
    ok = symbi("run", "greeter", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "hi"
    (tmp_path / "good.symbi").write_text('agent greeter {\n    command: ["echo", "hi"]\n    model: 5\n}\n')
    refused = symbi("run", "greeter", cwd=tmp_path)
    assert refused.returncode == 1
    assert "good.symbi" in refused.stderr and "broken.symbi" not in refused.stderr
