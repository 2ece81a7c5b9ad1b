"""`symbi cron`: in-process through typer's runner for breadth, through real `symbi` subprocesses for
exit codes, stderr, terminals, signals and sharing the database with another open connection."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from symbi_runtime.cli.cron import app
from symbi_runtime.store import NewRun, RunOutcome, SqliteStore, Store
from typer.testing import CliRunner, Result

from symbi_lang.ir import JobDefinition, Policy

PAST = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "symbi.db"


def cli(
    db: Path, *args: str, input: str | None = None, env: Mapping[str, str | None] | None = None
) -> Result:
    """Run `symbi cron ARGS --db DB` in-process (stdout and stderr kept apart)."""
    full_env: dict[str, str | None] = {"SYMBI_DB": None, "NO_COLOR": "1", **(env or {})}
    return CliRunner().invoke(app, [*args, "--db", str(db)], input=input, env=full_env)


def symbi(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `symbi` entry point in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if k != "SYMBI_DB"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=60,
    )


def add_json(db: Path, **fields: object) -> Result:
    doc = {"name": "quick-task", "agent_id": "agent-123", "cron_expr": "0 0 * * * *", **fields}
    return cli(db, "add", "--json", json.dumps(doc))


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    s = SqliteStore.open(db)
    yield s
    s.close()


# --- add ------------------------------------------------------------------------------------------


def test_add_json_is_an_idempotent_upsert(db: Path) -> None:
    first = add_json(db)
    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith("created   quick-task  (next run: ")
    assert add_json(db).stdout.startswith("unchanged quick-task")
    changed = add_json(db, cron_expr="0 30 * * * *")
    assert changed.stdout.startswith("updated   quick-task")
    listed = json.loads(cli(db, "list", "--format", "json").stdout)
    assert [(j["name"], j["cron_expr"]) for j in listed] == [("quick-task", "0 30 * * * *")]


def test_add_json_outcomes_as_json(db: Path) -> None:
    doc = json.dumps(
        [
            {"name": "a", "agent_id": "x", "cron_expr": "0 0 9 * * *"},
            {"name": "b", "agent_id": "x", "at": "2099-01-01T00:00:00Z"},
        ]
    )
    out = json.loads(cli(db, "add", "--json", doc, "--format", "json").stdout)
    assert [(r["name"], r["outcome"], r["status"]) for r in out] == [
        ("a", "created", "active"),
        ("b", "created", "active"),
    ]
    assert out[1]["next_fire_at"] == "2099-01-01T00:00:00+00:00"
    assert set(out[0]) == {"name", "id", "outcome", "status", "next_fire_at"}


def test_add_json_from_stdin_and_jobset_documents(db: Path) -> None:
    jobset = {"ir_version": "1", "jobs": [{"name": "from-set", "agent_id": "x", "cron_expr": "0 0 * * * *"}]}
    result = cli(db, "add", "--json", "-", input=json.dumps(jobset))
    assert result.exit_code == 0, result.stderr
    assert "created   from-set" in result.stdout


def test_add_json_that_is_not_json_is_one_line(db: Path) -> None:
    result = cli(db, "add", "--json", '{"name": "x", "agent_id": "a"')
    assert result.exit_code == 1
    assert (
        result.stderr
        == "symbi cron: error: --json: invalid JSON: Expecting ',' delimiter (line 1, column 30)\n"
    )


@pytest.mark.parametrize(
    ("doc", "diagnostic"),
    [
        ('{"name": "x"}', "--json: error[SYM107]: schedule `x` has no `agent`"),
        (
            '{"name": "x", "agent_id": "a", "cron_expr": "0 * * * * *", "colour": 1}',
            "--json (colour): error[SYM102]: unknown field `colour` in `schedule`",
        ),
        ('{"name": "x", "agent_id": "a"}', "--json: error[SYM206]: schedule `x` has neither `cron` nor `at`"),
        (
            '{"name": "x", "agent_id": "a", "cron_expr": "nope"}',
            "--json (cron_expr): error[SYM201]: cron expression has 1 field; expected 6 or 7",
        ),
        ("[1]", "--json item 1: expected a JSON object, got int"),
        (
            '{"name": "x", "agent_id": "a", "at": "2099-01-01T00:00:00Z", "delivery": "stdout"}',
            "--json (delivery): error[SYM103]: `delivery` must be a list of strings, got a string",
        ),
        (
            '{"name": "x", "agent_id": "a", "cron_expr": "0 * * * * *", "max_retries": "3"}',
            "--json (max_retries): error[SYM103]: `max_retries` must be an integer, got a string",
        ),
        (
            '{"name": "x", "agent_id": "a", "cron_expr": "0 * * * * *", "policy": []}',
            "--json (policy): error[SYM103]",
        ),
        (
            '{"name": 7, "agent_id": "a", "cron_expr": "0 * * * * *"}',
            "--json (name): error[SYM103]: `name` must be a string, got an integer",
        ),
        (
            '{"name": "x", "agent_id": "a", "cron_expr": "0 * * * * *", "session_mode": "forever"}',
            "--json (session_mode): error[SYM108]: `forever` is not a valid `session_mode`",
        ),
        (
            '{"name": "../../etc", "agent_id": "a", "cron_expr": "0 * * * * *"}',
            "--json (name): error[SYM114]: schedule name `../../etc` is not allowed",
        ),
    ],
)
def test_add_json_reports_symbi_check_diagnostics_and_adds_nothing(
    db: Path, doc: str, diagnostic: str
) -> None:
    """`cron add --json` checks a job as `symbi check` checks the equivalent file (same codes)."""
    result = cli(db, "add", "--json", doc)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert diagnostic in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("symbi cron: error: ")
    assert "Traceback" not in result.stderr
    assert not db.exists()  # nothing was added, so no store was created


def test_add_is_all_or_nothing(db: Path) -> None:
    good = {"name": "good", "agent_id": "a", "cron_expr": "0 0 * * * *"}
    for second, message in (
        ({"name": "bad", "agent_id": "a", "cron_expr": "61 * * * * *"}, "error[SYM201]"),
        (good, "duplicate schedule name(s): good; nothing added"),
    ):
        result = cli(db, "add", "--json", json.dumps([good, second]))
        assert result.exit_code == 1
        assert message in result.stderr
        assert not db.exists()


def test_add_needs_exactly_one_source(db: Path, tmp_path: Path) -> None:
    assert cli(db, "add").exit_code == 2
    f = tmp_path / "a.symbi"
    f.write_text("")
    assert cli(db, "add", "--file", str(f), "--json", "{}").exit_code == 2
    assert cli(db, "add", "--json", "{}", "--schedule", "x").exit_code == 2


def test_add_file_with_errors_prints_diagnostics_and_adds_nothing(db: Path, tmp_path: Path) -> None:
    f = tmp_path / "broken.symbi"
    f.write_text('schedule {\n  name: "x"\n  agent: "a"\n  cron: "0 0 9 * * *"\n', encoding="utf-8")
    result = cli(db, "add", "--file", str(f))
    assert result.exit_code == 1
    assert "error[SYM" in result.stderr
    assert str(f) in result.stderr
    assert result.stderr.rstrip().endswith("nothing added")
    assert not db.exists()


def test_add_missing_file_is_a_clear_error(db: Path, tmp_path: Path) -> None:
    result = cli(db, "add", "--file", str(tmp_path / "missing.symbi"))
    assert result.exit_code == 2  # an I/O problem, as `symbi check` and `symbi up` say
    assert result.stderr == (
        f"symbi cron: error: no such file or directory: {tmp_path / 'missing.symbi'}; nothing added\n"
    )


# --- list -----------------------------------------------------------------------------------------


def test_list_filters_and_formats(db: Path, store: Store) -> None:
    now = datetime.now(UTC)
    store.upsert_job(JobDefinition("daily-report", "reporter-agent", cron_expr="0 0 9 * * *"), now=now)
    store.upsert_job(JobDefinition("sync", "sync-agent", cron_expr="0 */5 * * * *"), now=now)
    store.set_job_status("sync", "paused", now=now)

    table = cli(db, "list")
    assert table.exit_code == 0
    header, *rows = table.stdout.splitlines()
    assert header.split()[:5] == ["ID", "NAME", "AGENT", "SCHEDULE", "STATUS"]
    assert len(rows) == 2 and "daily-report" in rows[0] and "sync" in rows[1]

    paused = json.loads(cli(db, "list", "--status", "paused", "--format", "json").stdout)
    assert [j["name"] for j in paused] == ["sync"]
    by_agent = json.loads(cli(db, "list", "--agent", "reporter-agent", "--format", "json").stdout)
    assert [j["name"] for j in by_agent] == ["daily-report"]
    assert cli(db, "list", "--status", "dead_letter").stdout == "no jobs\n"

    csv_lines = cli(db, "list", "--format", "csv").stdout.splitlines()
    assert csv_lines[0].startswith("id,name,agent,status,schedule,cron_expr,at,timezone,next_fire_at")
    assert csv_lines[1].split(",")[1:5] == ["daily-report", "reporter-agent", "active", "0 0 9 * * *"]


def test_list_json_shape_is_stable(db: Path, store: Store) -> None:
    store.upsert_job(JobDefinition("j", "a", cron_expr="0 0 9 * * *", timezone="Europe/Paris"), now=PAST)
    (job,) = json.loads(cli(db, "list", "--format", "json").stdout)
    assert list(job) == [
        "id", "name", "agent", "status", "schedule", "cron_expr", "at", "timezone", "next_fire_at",
        "last_run_at", "last_status", "consecutive_failures", "max_retries", "run_count", "session_mode",
        "delivery", "max_concurrent", "heartbeat", "description", "created_at", "updated_at",
    ]  # fmt: skip
    assert job["schedule"] == "0 0 9 * * * (Europe/Paris)"
    assert job["next_fire_at"] == "2026-01-01T08:00:00+00:00"


def test_list_bad_status_is_a_usage_error(db: Path) -> None:
    result = cli(db, "list", "--status", "bogus")
    assert result.exit_code == 2
    assert "bogus" in result.stderr


def test_list_without_a_database_is_an_io_error_and_creates_nothing(db: Path) -> None:
    # Only `cron add` (and `symbi up`) create a store; a reader never mistakes a wrong path for "no jobs".
    for fmt in ("table", "json"):
        result = cli(db, "list", "--format", fmt)
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr.startswith(f"symbi cron: error: no job store at {db}")
    assert not db.exists()


# --- pause / resume / reset / remove --------------------------------------------------------------


def test_pause_resume_keep_history(db: Path, store: Store) -> None:
    store.upsert_job(JobDefinition("j", "a", cron_expr="0 0 * * * *"), now=PAST)
    run = store.insert_run("j", NewRun(PAST, "manual", "running"), now=PAST)
    store.finish_runs([RunOutcome(run.id, "succeeded", output="ok")], now=PAST, default_max_retries=3)

    paused = cli(db, "pause", "j")
    assert paused.exit_code == 0
    assert paused.stdout == "paused j  (status: paused, next run: none)\n"
    assert store.get_job("j").status == "paused"  # type: ignore[union-attr]
    resumed = json.loads(cli(db, "resume", "j", "--format", "json").stdout)
    assert resumed["status"] == "active"
    assert datetime.fromisoformat(resumed["next_fire_at"]) > datetime.now(UTC)  # from now, no backlog
    assert [r.id for r in store.list_runs(job="j")] == [run.id]


def test_resume_of_a_dead_letter_job_points_at_reset(db: Path, store: Store) -> None:
    store.upsert_job(JobDefinition("flaky", "a", cron_expr="0 0 * * * *", max_retries=1), now=PAST)
    run = store.insert_run("flaky", NewRun(PAST, "manual", "running"), now=PAST)
    store.finish_runs([RunOutcome(run.id, "failed", error="boom")], now=PAST, default_max_retries=3)
    assert store.get_job("flaky").status == "dead_letter"  # type: ignore[union-attr]

    result = cli(db, "resume", "flaky")
    assert result.exit_code == 1 and "use reset" in result.stderr
    assert "last error      boom" in cli(db, "status", "flaky").stdout
    reset = cli(db, "reset", "flaky", "--format", "json")
    assert reset.exit_code == 0
    assert json.loads(reset.stdout)["status"] == "active"
    assert json.loads(reset.stdout)["consecutive_failures"] == 0
    assert "dead_letter" in json.dumps([a.details for a in store.list_audit(event_type="CronJobReset")])


def test_remove_by_argument_or_name_and_not_twice(db: Path, store: Store) -> None:
    store.upsert_job(JobDefinition("a", "x", cron_expr="0 0 * * * *"), now=PAST)
    record, _ = store.upsert_job(JobDefinition("b", "x", cron_expr="0 0 * * * *"), now=PAST)
    assert cli(db, "remove", "a").stdout == "removed a\n"
    assert cli(db, "remove", record.id[:8], "--format", "json").stdout.count('"removed": true') == 1
    again = cli(db, "remove", "--name", "a")
    assert again.exit_code == 1 and again.stderr.strip() == "symbi cron: error: no job named 'a'"
    assert cli(db, "remove", "a", "--name", "a").exit_code == 2
    assert store.list_jobs() == []
    assert [a.event_type for a in store.list_audit(event_type="CronJobDeleted")] == ["CronJobDeleted"] * 2


@pytest.mark.parametrize("command", ["pause", "resume", "reset", "status", "history", "run", "remove"])
def test_unknown_job_is_one_line_exit_1(db: Path, store: Store, command: str) -> None:
    result = cli(db, command, "ghost")
    assert result.exit_code == 1
    assert result.stderr == "symbi cron: error: no job named 'ghost'\n"


# --- status / history -----------------------------------------------------------------------------


def _job_with_runs(store: Store) -> list[str]:
    job = JobDefinition(
        "report",
        "reporter",
        cron_expr="0 0 9 * * *",
        delivery=("stdout",),
        webhook_headers=(("Authorization", "Bearer ${HOOK_TOKEN}"),),
        policy=Policy(max_runtime="5m", max_runtime_seconds=300.0),
    )
    store.upsert_job(job, now=PAST)
    ids = []
    for i, (status, out, err) in enumerate(
        [
            ("succeeded", "report sent", None),
            ("failed", None, "database unreachable"),
            ("succeeded", "ok", None),
        ]
    ):
        at = PAST + timedelta(days=i)
        run = store.insert_run("report", NewRun(at, "schedule", "running", input=f"in{i}"), now=at)
        store.finish_runs([RunOutcome(run.id, status, output=out, error=err)], now=at, default_max_retries=3)
        ids.append(run.id)
    return ids


def test_status_shows_details_and_history(db: Path, store: Store) -> None:
    ids = _job_with_runs(store)
    text = cli(db, "status", "report", "--history", "2").stdout
    assert "schedule        0 0 9 * * *" in text
    assert "policy          max_runtime 5m" in text
    assert "last run        2026-01-03 00:00:00Z" in text and "(succeeded)" in text
    assert ids[2][:8] in text and ids[1][:8] in text and ids[0][:8] not in text
    assert "error: database unreachable" in text
    assert "last error" not in text  # the latest run succeeded

    doc = json.loads(cli(db, "status", "report", "--history", "10", "--format", "json").stdout)
    assert doc["job"]["name"] == "report" and doc["job"]["run_count"] == 3
    assert doc["job"]["definition"]["webhook_headers"] == {"Authorization": "Bearer ${HOOK_TOKEN}"}
    assert [r["id"] for r in doc["runs"]] == ids[::-1]


def test_secrets_are_never_resolved_in_output(db: Path, store: Store) -> None:
    _job_with_runs(store)
    env = {"HOOK_TOKEN": "s3cr3t-value"}
    for args in (
        ["status", "report", "--format", "json", "--history", "5"],
        ["status", "report"],
        ["list", "--format", "json"],
        ["list", "--format", "csv"],
        ["history", "report", "--format", "csv"],
    ):
        result = cli(db, *args, env=env)
        assert result.exit_code == 0
        assert "s3cr3t-value" not in result.stdout + result.stderr


def test_history_limit_status_and_formats(db: Path, store: Store) -> None:
    ids = _job_with_runs(store)
    runs = json.loads(cli(db, "history", "report", "--format", "json").stdout)
    assert [r["id"] for r in runs] == ids[::-1]
    assert list(runs[0]) == [
        "id", "job", "job_id", "scheduled_for", "trigger", "status", "started_at", "finished_at",
        "duration_seconds", "jitter_seconds", "input", "output", "error", "decision", "decision_reason",
        "approver", "expires_at", "receipts", "detail", "iterations",
    ]  # fmt: skip
    failed = json.loads(cli(db, "history", "report", "--status", "failed", "--format", "json").stdout)
    assert [(r["id"], r["error"]) for r in failed] == [(ids[1], "database unreachable")]
    assert len(json.loads(cli(db, "history", "report", "--limit", "1", "--format", "json").stdout)) == 1

    csv_text = cli(db, "history", "report", "--format", "csv").stdout
    import csv

    rows = list(csv.DictReader(csv_text.splitlines()))
    assert [r["status"] for r in rows] == ["succeeded", "failed", "succeeded"]
    assert rows[1]["error"] == "database unreachable" and rows[0]["output"] == "ok"

    table = cli(db, "history", "report").stdout
    assert table.splitlines()[0].split() == [
        "RUN",
        "SCHEDULED",
        "(UTC)",
        "TRIGGER",
        "STATUS",
        "DURATION",
        "OUTPUT",
        "/",
        "ERROR",
    ]
    assert cli(db, "history", "report", "--status", "timed_out").stdout == "no runs\n"
    assert cli(db, "history", "report", "--limit", "0").exit_code == 2


def test_status_watch_refreshes(db: Path, store: Store) -> None:
    store.upsert_job(JobDefinition("j", "a", cron_expr="0 0 * * * *"), now=PAST)
    result = cli(db, "status", "j", "--watch", "--interval", "0", "--iterations", "3")
    assert result.exit_code == 0
    assert result.stdout.count("name            j") == 3
    assert result.stdout.count("refreshing every 0s · last refresh ") == 3


# --- approvals ------------------------------------------------------------------------------------


def _awaiting(store: Store, name: str = "guarded") -> str:
    store.upsert_job(JobDefinition(name, "a", cron_expr="0 0 * * * *"), now=PAST)
    run = store.insert_run(name, NewRun(PAST, "schedule", "pending", input="original"), now=PAST)
    store.park_run(
        run.id, "awaiting_approval", now=PAST, approver="ops", expires_at=datetime(2099, 1, 1, tzinfo=UTC)
    )
    return run.id


def test_approve_and_deny(db: Path, store: Store) -> None:
    run_id = _awaiting(store)
    approved = cli(db, "approve", run_id[:8], "--actor", "alice", "--format", "json")
    assert approved.exit_code == 0, approved.stderr
    doc = json.loads(approved.stdout)
    assert (doc["status"], doc["decision"], doc["approver"], doc["input"]) == (
        "approved",
        "approved",
        "alice",
        "original",
    )
    again = cli(db, "approve", run_id)
    assert again.exit_code == 1
    assert again.stderr == f"symbi cron: error: run {run_id} is not awaiting approval (status: approved)\n"

    other = _awaiting(store, "guarded2")
    denied = cli(db, "deny", other, "--reason", "not during the freeze")
    assert denied.exit_code == 0
    assert denied.stdout == f"denied run {other} of guarded2: not during the freeze\n"
    run = store.get_run(other)
    assert run is not None and (run.status, run.decision_reason) == ("denied", "not during the freeze")
    assert run.approver is not None and run.approver.startswith("cli:")


def test_deny_requires_a_reason_and_unknown_runs_fail(db: Path, store: Store) -> None:
    run_id = _awaiting(store)
    assert cli(db, "deny", run_id).exit_code == 2
    assert cli(db, "deny", run_id, "--reason", "  ").exit_code == 2
    missing = cli(db, "approve", "zzzzzzzz")
    assert missing.exit_code == 1 and missing.stderr == "symbi cron: error: no run 'zzzzzzzz'\n"


# --- databases ------------------------------------------------------------------------------------


def test_corrupt_database_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    for args in (
        ["list"],
        ["status", "x"],
        ["add", "--json", '{"name":"a","agent_id":"b","cron_expr":"0 * * * * *"}'],
    ):
        result = cli(bad, *args)
        assert result.exit_code == 2
        assert result.stderr.startswith("symbi cron: error: ") and result.stderr.count("\n") == 1
        assert f"{bad}: the file is not a symbi database" in result.stderr


def test_missing_database_for_a_job_command_is_clear(db: Path) -> None:
    result = cli(db, "status", "x")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"symbi cron: error: no job store at {db}")
    assert not db.exists()


# --- the real entry point -------------------------------------------------------------------------


def test_symbi_cron_subprocess_uses_symbi_db_and_config(tmp_path: Path) -> None:
    from_env = tmp_path / "env.db"
    added = symbi(
        "cron",
        "add",
        "--json",
        '{"name":"e","agent_id":"a","cron_expr":"0 * * * * *"}',
        env={"SYMBI_DB": str(from_env)},
    )
    assert added.returncode == 0, added.stderr
    assert from_env.exists()

    from_config = tmp_path / "config.db"
    (tmp_path / "symbi.toml").write_text(f'[scheduler]\njob_store_path = "{from_config}"\n')
    added = symbi(
        "cron", "add", "--json", '{"name":"c","agent_id":"a","cron_expr":"0 * * * * *"}', cwd=tmp_path
    )
    assert added.returncode == 0, added.stderr
    listed = symbi("cron", "list", "--format", "json", "--config", str(tmp_path / "symbi.toml"))
    assert [j["name"] for j in json.loads(listed.stdout)] == ["c"]

    bad_config = tmp_path / "bad.toml"
    bad_config.write_text("[scheduler\n")
    broken = symbi("cron", "list", "--config", str(bad_config))
    assert broken.returncode == 2
    assert broken.stderr.startswith("symbi cron: error: ") and "Traceback" not in broken.stderr


def test_cli_writes_while_another_connection_holds_the_database(db: Path, store: Store) -> None:
    store.upsert_job(JobDefinition("shared", "a", cron_expr="0 0 * * * *"), now=PAST)
    # Keep a read transaction open on the runtime-side connection while the CLI writes (WAL).
    reader = SqliteStore.open(db)
    try:
        reader._conn.execute("BEGIN")
        reader._conn.execute("SELECT count(*) FROM jobs").fetchone()
        paused = symbi("cron", "pause", "shared", "--db", str(db))
        assert paused.returncode == 0, paused.stderr
        reader._conn.execute("COMMIT")
    finally:
        reader.close()
    assert store.get_job("shared").status == "paused"  # type: ignore[union-attr]


def test_remove_asks_on_a_terminal(db: Path, store: Store) -> None:
    store.upsert_job(JobDefinition("keep", "a", cron_expr="0 0 * * * *"), now=PAST)
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "SYMBI_DB"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "symbi_lang.cli.main", "cron", "remove", "keep", "--db", str(db)],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(slave)
    try:
        assert proc.stdout is not None
        prompt = b""
        while b"[y/N]" not in prompt:
            ready, _, _ = select.select([proc.stdout], [], [], 30)
            assert ready, f"no prompt; got {prompt!r}"
            chunk = os.read(proc.stdout.fileno(), 1024)
            assert chunk, f"no prompt; got {prompt!r}"
            prompt += chunk
        assert b"Remove job 'keep' and its 0 run record(s)?" in prompt
        os.write(master, b"n\n")
        _, err = proc.communicate(timeout=30)
    finally:
        os.close(master)
    assert proc.returncode == 1
    assert b"not removed" in err
    assert store.get_job("keep") is not None
    forced = symbi("cron", "remove", "keep", "--force", "--db", str(db))
    assert forced.returncode == 0 and store.get_job("keep") is None


def test_status_watch_stops_cleanly_on_ctrl_c(db: Path, store: Store) -> None:
    store.upsert_job(JobDefinition("w", "a", cron_expr="0 0 * * * *"), now=PAST)
    env = {k: v for k, v in os.environ.items() if k != "SYMBI_DB"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "symbi_lang.cli.main",
            "cron",
            "status",
            "w",
            "--watch",
            "--interval",
            "30",
            "--db",
            str(db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    header = proc.stdout.readline()
    assert header.startswith("refreshing every 30s · last refresh ".encode())
    assert proc.stdout.readline() == b"\n"
    first = proc.stdout.readline()  # the first refresh has been printed: now it sleeps
    assert first.startswith(b"name")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert b"Traceback" not in err


# --- run ------------------------------------------------------------------------------------------

ECHO_AGENT = {
    "name": "echo",
    "command": [sys.executable, "-c", "import sys; print('got: ' + sys.stdin.read())"],
}


def _echo_job(db: Path, **fields: object) -> None:
    doc = {"name": "echo-job", "agent_id": "echo", "cron_expr": "0 0 0 1 1 *", "input": "default", **fields}
    doc.setdefault("agent", ECHO_AGENT)
    assert cli(db, "add", "--json", json.dumps(doc)).exit_code == 0


def test_run_goes_through_the_pipeline_without_moving_the_next_fire(db: Path) -> None:
    _echo_job(db)
    before = json.loads(cli(db, "status", "echo-job", "--format", "json").stdout)["job"]["next_fire_at"]
    result = symbi("cron", "run", "echo-job", "--input", "Check production database", "--db", str(db))
    assert result.returncode == 0, result.stderr
    first, *rest = result.stdout.splitlines()
    assert first.startswith("run ") and first.split()[3:5] == ["echo-job:", "succeeded"]
    assert rest == ["got: Check production database"]
    assert result.stderr == ""
    runs = json.loads(cli(db, "history", "echo-job", "--format", "json").stdout)
    assert [(r["trigger"], r["status"], r["input"]) for r in runs] == [
        ("manual", "succeeded", "Check production database")
    ]
    after = json.loads(cli(db, "status", "echo-job", "--format", "json").stdout)["job"]["next_fire_at"]
    assert after == before

    default = json.loads(cli(db, "run", "echo-job", "--format", "json").stdout)
    assert (default["input"], default["output"]) == ("default", "got: default")


def test_run_respects_max_concurrent_unless_forced(db: Path, store: Store) -> None:
    _echo_job(db)
    # A run the runtime has in flight (another process): the manual run is skipped, and recorded.
    store.insert_run("echo-job", NewRun(PAST, "schedule", "running"), now=PAST)
    skipped = cli(db, "run", "echo-job", "--format", "json")
    assert skipped.exit_code == 1
    doc = json.loads(skipped.stdout)
    assert doc["status"] == "skipped" and "max_concurrent = 1" in doc["error"]
    forced = cli(db, "run", "echo-job", "--force", "--format", "json")
    assert forced.exit_code == 0, forced.stderr
    assert json.loads(forced.stdout)["status"] == "succeeded"


def test_heartbeat_iterations_are_shown(db: Path) -> None:
    code = "import os; n = int(os.environ['SYMBI_ITERATION']); print('sleep' if n == 3 else f'step {n}')"
    watcher = {"name": "watcher", "command": [sys.executable, "-c", code]}
    _echo_job(db, agent=watcher, agent_id="watcher", heartbeat={"enabled": True, "max_iterations": 10})
    text = cli(db, "run", "echo-job")
    assert text.exit_code == 0, text.stderr
    assert "heartbeat: 3 iteration(s): act, act, sleep" in text.stdout
    (run,) = json.loads(cli(db, "history", "echo-job", "--format", "json").stdout)
    assert run["output"] == "step 2"
    assert [(i["iteration"], i["action"], i["output"]) for i in run["iterations"]] == [
        (1, "act", "step 1"),
        (2, "act", "step 2"),
        (3, "sleep", "sleep"),
    ]
    status = json.loads(cli(db, "status", "echo-job", "--history", "1", "--format", "json").stdout)
    assert len(status["runs"][0]["iterations"]) == 3


def test_run_failure_exits_1_with_the_error(db: Path) -> None:
    failing = {"name": "boom", "command": [sys.executable, "-c", "import sys; sys.exit('disk full')"]}
    _echo_job(db, agent=failing, agent_id="boom")
    result = cli(db, "run", "echo-job")
    assert result.exit_code == 1
    assert "failed" in result.stdout.splitlines()[0]
    assert "error: exit status 1: disk full" in result.stderr  # errors go to stderr, with the exit status
    assert "disk full" not in result.stdout


def test_run_needing_approval_waits_for_approve(db: Path) -> None:
    _echo_job(db, policy={"require_approval": True, "approver": "ops-lead"})
    parked = cli(db, "run", "echo-job", "--input", "deploy")
    assert parked.exit_code == 0, parked.stderr
    lines = parked.stdout.splitlines()
    assert lines[0].endswith("awaiting_approval")
    run_id = lines[0].split()[1]
    assert (
        lines[1]
        == f"approval needed by ops-lead: symbi cron approve {run_id}  |  symbi cron deny {run_id} --reason …"
    )
    approved = json.loads(cli(db, "approve", run_id, "--format", "json").stdout)
    assert (approved["status"], approved["input"]) == ("approved", "deploy")


def test_approving_from_the_cli_while_the_runtime_runs_executes_the_run(db: Path) -> None:
    import asyncio

    from symbi_runtime.config import Config, SchedulerConfig
    from symbi_runtime.runtime import Runtime
    from symbi_runtime.store import RunRecord

    _echo_job(db, policy={"require_approval": True})
    run_id = cli(db, "run", "echo-job", "--input", "deploy").stdout.split()[1]
    config = Config(scheduler=SchedulerConfig(tick_interval_seconds=0.05))

    async def approve_while_running() -> RunRecord | None:
        async with Runtime(config, db_path=db) as rt:
            loop = asyncio.create_task(rt.run())
            try:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "symbi_lang.cli.main", "cron", "approve", run_id, "--db", str(db),
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                )  # fmt: skip
                out, err = await proc.communicate()
                assert proc.returncode == 0, err
                assert out.decode().startswith(f"approved run {run_id} of echo-job")
                deadline = asyncio.get_running_loop().time() + 20
                while (run := rt.store.get_run(run_id)) is not None and run.status != "succeeded":
                    assert asyncio.get_running_loop().time() < deadline, f"run still {run.status}"
                    await asyncio.sleep(0.05)
                return run
            finally:
                rt.stop()
                await loop

    run = asyncio.run(approve_while_running())
    assert run is not None
    assert (run.output, run.decision, run.input) == ("got: deploy", "approved", "deploy")


# --- add --file -----------------------------------------------------------------------------------

SCHEDULES = """
agent reporter {
  command: ["echo", "report"]
}

schedule {
  name: "daily-report"
  agent: "reporter"
  cron: "0 0 9 * * *"
  delivery: ["stdout"]
}

schedule weekly {
  agent: "reporter"
  cron: "0 0 18 * * 5"
}
"""


def test_add_file_upserts_every_schedule_and_schedule_selects_one(db: Path, tmp_path: Path) -> None:
    f = tmp_path / "jobs.symbi"
    f.write_text(SCHEDULES, encoding="utf-8")
    first = cli(db, "add", "--file", str(f))
    assert first.exit_code == 0, first.stderr
    assert [line.split()[:2] for line in first.stdout.splitlines()] == [
        ["created", "daily-report"],
        ["created", "weekly"],
    ]
    again = cli(db, "add", "--file", str(f), "--format", "json")
    assert [(r["name"], r["outcome"]) for r in json.loads(again.stdout)] == [
        ("daily-report", "unchanged"),
        ("weekly", "unchanged"),
    ]
    f.write_text(SCHEDULES.replace("0 0 9 * * *", "0 30 9 * * *"), encoding="utf-8")
    one = cli(db, "add", "--file", str(f), "--schedule", "daily-report")
    assert one.stdout.startswith("updated   daily-report  (next run: ")
    assert len(one.stdout.splitlines()) == 1
    (job,) = json.loads(cli(db, "list", "--agent", "reporter", "--format", "json").stdout)[:1]
    assert job["cron_expr"] == "0 30 9 * * *"

    missing = cli(db, "add", "--file", str(f), "--schedule", "nightly")
    assert missing.exit_code == 1
    assert missing.stderr.endswith("(schedules: daily-report, weekly)\n")


def test_add_file_keeps_the_agent_binding_for_the_runtime(db: Path, store: Store, tmp_path: Path) -> None:
    f = tmp_path / "jobs.symbi"
    f.write_text(SCHEDULES, encoding="utf-8")
    assert cli(db, "add", "--file", str(f), "--schedule", "weekly").exit_code == 0
    job = store.get_job("weekly")
    assert job is not None and job.definition.agent is not None
    assert job.definition.agent.command == ("echo", "report")


def test_add_file_prints_warnings_and_still_adds(db: Path, tmp_path: Path) -> None:
    f = tmp_path / "warn.symbi"
    f.write_text(
        'schedule {\n  name: "w"\n  agent: "a"\n  cron: "0 0 9 * * *"\n'
        '  input: "${SYMBI_TEST_UNSET_VAR}"\n}\n',
        encoding="utf-8",
    )
    result = cli(db, "add", "--file", str(f), env={"SYMBI_TEST_UNSET_VAR": None})
    assert result.exit_code == 0, result.stderr
    assert "warning[SYM" in result.stderr and "SYMBI_TEST_UNSET_VAR" in result.stderr
    assert result.stdout.startswith("created   w")


def test_jobs_added_and_paused_from_the_cli_reach_a_running_runtime(db: Path) -> None:
    import asyncio

    from symbi_runtime.config import Config, SchedulerConfig
    from symbi_runtime.runtime import Runtime

    config = Config(scheduler=SchedulerConfig(tick_interval_seconds=0.05))
    job = {"name": "every-second", "agent_id": "echo", "cron_expr": "* * * * * *", "agent": ECHO_AGENT}

    async def symbi_async(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "symbi_lang.cli.main", "cron", *args, "--db", str(db),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await proc.communicate()
        assert proc.returncode is not None
        return proc.returncode, out.decode() + err.decode()

    async def scenario() -> list[str]:
        SqliteStore.open(db).close()
        async with Runtime(config, db_path=db) as rt:
            loop = asyncio.create_task(rt.run())
            try:
                code, text = await symbi_async("add", "--json", json.dumps(job))
                assert code == 0, text
                deadline = asyncio.get_running_loop().time() + 20
                while not rt.store.list_runs(job="every-second", status="succeeded"):
                    assert asyncio.get_running_loop().time() < deadline, "the added job never ran"
                    await asyncio.sleep(0.05)
                code, text = await symbi_async("pause", "every-second")
                assert code == 0, text
                return [r.output or "" for r in rt.store.list_runs(job="every-second", status="succeeded")]
            finally:
                rt.stop()
                await loop

    outputs = asyncio.run(scenario())
    assert outputs and all(o == "got: " for o in outputs)
    with SqliteStore.open(db) as store:
        assert store.get_job("every-second").status == "paused"  # type: ignore[union-attr]
