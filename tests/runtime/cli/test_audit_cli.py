"""`symbi audit`: filters, formats and errors over a real job store written through the store's API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from symbi_runtime.audit import AuditEvent, SecurityEventType, write
from symbi_runtime.cli.audit import app
from symbi_runtime.store import NewRun, SqliteStore
from typer.testing import CliRunner

from symbi_lang.ir import JobDefinition

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store where `nightly` was created, failed once and was paused, `other` was created and
    failed, and an AgentPin check failed recently (for `--since` ages)."""
    path = tmp_path / "state" / "symbi.db"
    store = SqliteStore.open(path)
    try:
        for i, name in enumerate(("nightly", "other")):
            store.upsert_job(JobDefinition(name=name, agent_id="a", cron_expr="0 0 0 * * *"), now=T0)
            store.insert_run(
                name,
                NewRun(scheduled_for=T0, trigger="manual", status="failed", error=f"boom {i}"),
                now=T0 + timedelta(hours=1 + i),
            )
        store.set_job_status("nightly", "paused", now=T0 + timedelta(hours=5), actor="cli:ops")
        nightly = store.get_job("nightly")
        assert nightly is not None
        write(
            store,
            AuditEvent(
                SecurityEventType.AGENT_PIN_VERIFICATION_FAILED,
                job_id=nightly.id,
                run_id="run-x",
                actor="policy",
                details={"code": "expired", "iss": "example.com", "sub": "a", "kid": "k1", "jti": "j1"},
            ),
            datetime.now(UTC) - timedelta(minutes=5),
        )
    finally:
        store.close()
    return path


def audit(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_a_positional_type_filters_and_json_has_the_documented_shape(db: Path) -> None:
    code, out, _ = audit("CronJobFailed", "--db", str(db), "--format", "json")
    assert code == 0
    events = json.loads(out)
    assert [e["job"] for e in events] == ["other", "nightly"]  # newest first
    event = events[1]
    assert set(event) == {"id", "type", "at", "actor", "job", "job_id", "run_id", "details"}
    assert (event["type"], event["at"], event["actor"]) == (
        "CronJobFailed",
        "2026-03-02T13:00:00+00:00",
        "scheduler",
    )
    assert event["details"]["reason"] == "boom 0" and event["run_id"]


@pytest.mark.parametrize(
    "args", [["cronjobfailed"], ["--type", "CronJobFailed"], ["CronJobFailed", "--type", "CronJobFailed"]]
)
def test_the_type_may_be_given_either_way_and_in_any_case(db: Path, args: list[str]) -> None:
    code, out, _ = audit(*args, "--db", str(db), "--format", "json")
    assert code == 0 and {e["type"] for e in json.loads(out)} == {"CronJobFailed"}


def test_job_since_and_limit_filters(db: Path) -> None:
    def types(*args: str) -> list[str]:
        code, out, err = audit(*args, "--db", str(db), "--format", "json")
        assert code == 0, err
        return [e["type"] for e in json.loads(out)]

    assert types("--job", "nightly") == [
        "AgentPinVerificationFailed",
        "CronJobPaused",
        "CronJobFailed",
        "CronJobCreated",
    ]
    assert types("--job", "other", "--since", "2026-03-02T13:30:00") == ["CronJobFailed"]
    assert types("--since", "1h") == ["AgentPinVerificationFailed"]
    assert types("--limit", "2") == ["AgentPinVerificationFailed", "CronJobPaused"]
    assert types("--job", "nobody") == []


def test_table_output_shows_events_with_their_details(db: Path) -> None:
    code, out, _ = audit("--db", str(db), "--job", "nightly")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["TIME", "EVENT", "JOB", "RUN", "ACTOR", "DETAILS"]
    assert "AgentPinVerificationFailed" in lines[1] and "code=expired iss=example.com" in lines[1]
    assert "CronJobPaused" in lines[2] and "cli:ops" in lines[2]
    assert "2026-03-02 13:00:00Z" in out


def test_an_empty_result_says_so(db: Path) -> None:
    assert audit("CronJobDeadLettered", "--db", str(db)) == (0, "no audit events\n", "")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["CronJobFaild"], 2, "unknown event type 'CronJobFaild' (did you mean CronJobFailed?)"),
        (["Nonsense"], 2, "unknown event type 'Nonsense'; known types: CronJobCreated, "),
        (["CronJobFailed", "--type", "CronJobPaused"], 2, "give the event type once"),
        (["--since", "last tuesday"], 2, "--since: 'last tuesday' is neither an ISO 8601 time nor an age"),
    ],
)
def test_usage_errors(db: Path, args: list[str], code: int, message: str) -> None:
    result = audit(*args, "--db", str(db))
    assert result[0] == code and result[1] == ""
    assert result[2].startswith("symbi audit: error: ") and message in result[2]


def test_a_missing_store_is_an_error_not_a_new_database(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    code, out, err = audit("--db", str(missing))
    assert (code, out) == (2, "")  # a missing store is an I/O problem, as for every command
    assert err == f"symbi audit: error: no job store at {missing} (nothing has been recorded yet)\n"
    assert not missing.exists()


def test_symbi_audit_as_a_process_finds_the_store_through_symbi_db(db: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "audit", "CronJobPaused", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        # PYTHONPATH kept: the process runs this checkout (its schema), not an installed copy.
        env={"SYMBI_DB": str(db), "PATH": "/usr/bin:/bin", "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
    )
    assert result.returncode == 0, result.stderr
    [event] = json.loads(result.stdout)
    assert (event["type"], event["job"], event["actor"]) == ("CronJobPaused", "nightly", "cli:ops")
