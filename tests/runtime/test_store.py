"""The SQLite job store: schema, upsert, lifecycle transitions, runs, approvals, sessions, audit."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from symbi_runtime.store import (
    SCHEMA_VERSION,
    FireClaim,
    NewRun,
    RunOutcome,
    SqliteStore,
    Store,
    StoreError,
)

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


def test_open_creates_directory_schema_and_wal(db_path: Path) -> None:
    store = SqliteStore.open(db_path)
    assert db_path.exists()
    assert store.schema_version() == SCHEMA_VERSION
    mode = sqlite3.connect(db_path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    store.close()
    # Re-opening migrates nothing and keeps the version.
    again = SqliteStore.open(db_path)
    assert again.schema_version() == SCHEMA_VERSION
    again.close()


def test_newer_schema_is_refused(db_path: Path) -> None:
    SqliteStore.open(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO schema_version (version) VALUES (99)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="schema version 99, newer"):
        SqliteStore.open(db_path)


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "junk.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot use database"):
        SqliteStore.open(bad)


def test_upsert_creates_then_unchanged_then_updated(store: Store, job) -> None:
    rec, outcome = store.upsert_job(job("a"), now=T0)
    assert outcome == "created"
    assert rec.status == "active"
    assert rec.next_fire_at == T0 + timedelta(minutes=1)
    again, outcome = store.upsert_job(job("a"), now=T0 + timedelta(seconds=5))
    assert outcome == "unchanged"
    assert again.id == rec.id
    edited, outcome = store.upsert_job(job("a", description="new"), now=T0 + timedelta(seconds=5))
    assert outcome == "updated"
    assert edited.id == rec.id
    assert edited.next_fire_at == rec.next_fire_at  # not rescheduled
    assert edited.definition.description == "new"
    assert len(store.list_jobs()) == 1
    events = [a.event_type for a in store.list_audit()]
    assert events == ["CronJobUpdated", "CronJobCreated"]


def test_changed_cron_recomputes_next_fire_and_keeps_history(store: Store, job) -> None:
    rec, _ = store.upsert_job(job("a"), now=T0)
    [[run]] = store.claim_fires(
        [
            FireClaim(
                rec.id, rec.next_fire_at, T0 + timedelta(minutes=2), (NewRun(T0, "schedule", "running"),)
            )
        ],
        now=T0,
    )
    store.finish_runs([RunOutcome(run.id, "succeeded", output="ok")], now=T0, default_max_retries=3)
    later = T0 + timedelta(minutes=10, seconds=30)
    edited, outcome = store.upsert_job(job("a", cron="0 0 * * * *"), now=later)
    assert outcome == "updated"
    assert edited.next_fire_at == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    assert [r.id for r in store.list_runs(job="a")] == [run.id]
    assert edited.run_count == 1


def test_get_job_by_name_id_and_prefix(store: Store, job) -> None:
    rec, _ = store.upsert_job(job("alpha"), now=T0)
    assert store.get_job("alpha") == rec
    assert store.get_job(rec.id) == rec
    assert store.get_job(rec.id[:8]) == rec
    assert store.get_job("nope") is None


def test_list_jobs_filters(store: Store, job) -> None:
    store.upsert_job(job("a", agent_id="x"), now=T0)
    store.upsert_job(job("b", agent_id="y"), now=T0)
    store.set_job_status("b", "paused", now=T0)
    assert [j.name for j in store.list_jobs()] == ["a", "b"]
    assert [j.name for j in store.list_jobs(status="paused")] == ["b"]
    assert [j.name for j in store.list_jobs(agent="x")] == ["a"]


def test_pause_keeps_history_and_resume_recomputes_from_now(store: Store, job) -> None:
    rec, _ = store.upsert_job(job("a"), now=T0)
    [[run]] = store.claim_fires(
        [
            FireClaim(
                rec.id,
                rec.next_fire_at,
                T0 + timedelta(minutes=2),
                (NewRun(rec.next_fire_at, "schedule", "skipped"),),
            )
        ],  # type: ignore[arg-type]
        now=T0,
    )
    paused = store.set_job_status("a", "paused", now=T0)
    assert paused.status == "paused"
    assert store.due_jobs(T0 + timedelta(days=1)) == []
    resumed = store.set_job_status("a", "active", now=T0 + timedelta(hours=5, seconds=1))
    assert resumed.status == "active"
    assert resumed.next_fire_at == T0 + timedelta(hours=5, minutes=1)
    assert [r.id for r in store.list_runs(job="a")] == [run.id]
    types = [a.event_type for a in store.list_audit(job="a")]
    assert types[:2] == ["CronJobResumed", "CronJobPaused"]


def test_resume_of_dead_letter_job_points_to_reset(store: Store, job) -> None:
    rec, _ = store.upsert_job(job("a", max_retries=1), now=T0)
    [[run]] = store.claim_fires(
        [
            FireClaim(
                rec.id, rec.next_fire_at, T0 + timedelta(minutes=2), (NewRun(T0, "schedule", "running"),)
            )
        ],
        now=T0,
    )
    [res] = store.finish_runs([RunOutcome(run.id, "failed", error="boom")], now=T0, default_max_retries=3)
    assert res.dead_lettered
    with pytest.raises(StoreError, match="use reset"):
        store.set_job_status("a", "active", now=T0)
    reset = store.reset_job("a", now=T0 + timedelta(seconds=90))
    assert reset.status == "active"
    assert reset.consecutive_failures == 0
    assert reset.next_fire_at == T0 + timedelta(minutes=2)


def test_unknown_job_errors_name_the_job(store: Store) -> None:
    with pytest.raises(StoreError, match="no job named 'ghost'"):
        store.set_job_status("ghost", "paused", now=T0)
    with pytest.raises(StoreError, match="no job named 'ghost'"):
        store.reset_job("ghost", now=T0)
    with pytest.raises(StoreError, match="no job named 'ghost'"):
        store.list_runs(job="ghost")
    assert store.remove_job("ghost") is False


def test_remove_job_deletes_runs_but_audit_keeps_its_name(store: Store, job) -> None:
    rec, _ = store.upsert_job(job("a"), now=T0)
    store.claim_fires(
        [
            FireClaim(
                rec.id, rec.next_fire_at, T0 + timedelta(minutes=2), (NewRun(T0, "schedule", "running"),)
            )
        ],
        now=T0,
    )
    assert store.remove_job("a") is True
    assert store.get_job("a") is None
    assert store.list_runs() == []
    deleted = store.list_audit(event_type="CronJobDeleted")
    assert [(a.job_name, a.job_id) for a in deleted] == [("a", rec.id)]


def test_one_run_per_fire_and_compare_and_set_claims(store: Store, job) -> None:
    rec, _ = store.upsert_job(job("a"), now=T0)
    fire = rec.next_fire_at
    assert fire is not None
    claim = FireClaim(rec.id, fire, fire + timedelta(minutes=1), (NewRun(fire, "schedule", "running"),))
    [[run]] = store.claim_fires([claim], now=fire)
    # The same claim again (a restart that lost track): the job moved on, nothing is inserted.
    assert store.claim_fires([claim], now=fire) == [[]]
    # Even a claim with the right expectation cannot insert a second run for the same fire.
    stale = FireClaim(
        rec.id,
        fire + timedelta(minutes=1),
        fire + timedelta(minutes=2),
        (NewRun(fire, "schedule", "running"),),
    )
    assert store.claim_fires([stale], now=fire) == [[]]
    assert [r.id for r in store.list_runs()] == [run.id]
    # Manual runs are not fires: several may share a time.
    store.insert_run("a", NewRun(fire, "manual", "running"), now=fire)
    store.insert_run("a", NewRun(fire, "manual", "running"), now=fire)
    assert len(store.list_runs()) == 3


def test_exhausted_claim_completes_the_job(store: Store, job) -> None:
    rec, _ = store.upsert_job(job("once", cron=None, at="2026-03-02T12:30:00Z"), now=T0)
    assert rec.next_fire_at == datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
    store.claim_fires(
        [FireClaim(rec.id, rec.next_fire_at, None, (NewRun(rec.next_fire_at, "schedule", "running"),))],
        now=T0,
    )  # type: ignore[arg-type]
    assert store.get_job("once").status == "completed"  # type: ignore[union-attr]
    assert store.next_due_time() is None


def test_dead_letter_in_same_transaction_and_success_resets(store: Store, job) -> None:
    rec, _ = store.upsert_job(job("a", max_retries=2), now=T0)
    fire = T0 + timedelta(minutes=1)
    runs = []
    for i in range(3):
        f = fire + timedelta(minutes=i)
        [[r]] = store.claim_fires(
            [FireClaim(rec.id, f, f + timedelta(minutes=1), (NewRun(f, "schedule", "running"),))], now=f
        )
        runs.append(r)
    store.finish_runs([RunOutcome(runs[0].id, "failed", error="x")], now=fire, default_max_retries=9)
    store.finish_runs([RunOutcome(runs[1].id, "succeeded", output="y")], now=fire, default_max_retries=9)
    assert store.get_job("a").consecutive_failures == 0  # type: ignore[union-attr]
    store.finish_runs([RunOutcome(runs[2].id, "timed_out", error="slow")], now=fire, default_max_retries=9)
    assert store.get_job("a").status == "active"  # type: ignore[union-attr]
    f = fire + timedelta(minutes=3)
    [[r4]] = store.claim_fires(
        [FireClaim(rec.id, f, f + timedelta(minutes=1), (NewRun(f, "schedule", "running"),))], now=f
    )
    [res] = store.finish_runs([RunOutcome(r4.id, "failed", error="z")], now=f, default_max_retries=9)
    assert res.dead_lettered
    j = store.get_job("a")
    assert j is not None and j.status == "dead_letter" and j.consecutive_failures == 2
    assert j.next_fire_at is None
    dl = store.list_audit(event_type="CronJobDeadLettered")
    assert len(dl) == 1 and dl[0].run_id == r4.id


def test_default_max_retries_applies_when_job_has_none(store: Store, job) -> None:
    rec, _ = store.upsert_job(job("a"), now=T0)
    f = rec.next_fire_at
    assert f is not None
    [[r]] = store.claim_fires(
        [FireClaim(rec.id, f, f + timedelta(minutes=1), (NewRun(f, "schedule", "running"),))], now=f
    )
    [res] = store.finish_runs([RunOutcome(r.id, "failed", error="x")], now=f, default_max_retries=1)
    assert res.dead_lettered


def test_abandon_running_marks_only_running(store: Store, job) -> None:
    rec, _ = store.upsert_job(job("a", max_concurrent=3), now=T0)
    f = rec.next_fire_at
    assert f is not None
    [[running, pending]] = store.claim_fires(
        [
            FireClaim(
                rec.id,
                f,
                f + timedelta(minutes=1),
                (
                    NewRun(f, "schedule", "running"),
                    NewRun(f - timedelta(minutes=1), "catchup", "pending", jitter_seconds=4.5),
                ),
            )
        ],
        now=f,
    )
    abandoned = store.abandon_running(now=f + timedelta(seconds=3))
    assert [r.id for r in abandoned] == [running.id]
    assert store.get_run(running.id).status == "abandoned"  # type: ignore[union-attr]
    resumable = store.runs_to_resume()
    assert [(r.id, r.jitter_seconds) for r in resumable] == [(pending.id, 4.5)]


def test_approval_decisions(store: Store, job) -> None:
    _rec, _ = store.upsert_job(job("a", input="hello"), now=T0)
    run = store.insert_run("a", NewRun(T0, "manual", "pending", input="hello"), now=T0)
    with pytest.raises(StoreError, match="is not awaiting approval \\(status: pending\\)"):
        store.decide_approval(run.id, approve=True, actor="ops", reason=None, now=T0)
    store.park_run(run.id, "awaiting_approval", now=T0, approver="ops", expires_at=T0 + timedelta(hours=1))
    approved = store.decide_approval(run.id[:8], approve=True, actor="alice", reason="fine", now=T0)
    assert approved.status == "approved" and approved.decision == "approved" and approved.approver == "alice"
    assert [r.input for r in store.runs_to_resume()] == ["hello"]

    run2 = store.insert_run("a", NewRun(T0, "manual", "pending"), now=T0)
    store.park_run(run2.id, "awaiting_approval", now=T0, expires_at=T0 + timedelta(hours=1))
    denied = store.decide_approval(run2.id, approve=False, actor="bob", reason="not now", now=T0)
    assert denied.status == "denied" and denied.decision_reason == "not now"

    run3 = store.insert_run("a", NewRun(T0, "manual", "pending"), now=T0)
    store.park_run(run3.id, "awaiting_approval", now=T0, expires_at=T0 + timedelta(hours=1))
    with pytest.raises(StoreError, match="expired"):
        store.decide_approval(run3.id, approve=True, actor="c", reason=None, now=T0 + timedelta(hours=2))
    expired = store.expire_approvals(now=T0 + timedelta(hours=2))
    assert [(r.id, r.status) for r in expired] == [(run3.id, "missed")]
    with pytest.raises(StoreError, match="no run 'zzz'"):
        store.decide_approval("zzz", approve=True, actor="c", reason=None, now=T0)
    types = {a.event_type for a in store.list_audit()}
    assert {"CronJobApproved", "CronJobApprovalDenied", "CronJobApprovalRequested", "CronJobMissed"} <= types


def test_sessions_and_iterations(store: Store, job) -> None:
    assert store.load_session("k") == []
    store.save_session("k", [{"role": "user", "content": "hi"}], now=T0)
    store.save_session(
        "k", [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}], now=T0
    )
    assert [m["content"] for m in store.load_session("k")] == ["hi", "yo"]
    store.delete_session("k")
    assert store.load_session("k") == []
    store.upsert_job(job("a"), now=T0)
    run = store.insert_run("a", NewRun(T0, "manual", "running"), now=T0)
    store.record_iteration(run.id, 1, action="assess", output="fine", at=T0)
    store.record_iteration(run.id, 2, action="sleep", output="sleep", at=T0)
    assert [(i["iteration"], i["action"]) for i in store.list_iterations(run.id)] == [
        (1, "assess"),
        (2, "sleep"),
    ]


def test_audit_filters(store: Store, job) -> None:
    rec, _ = store.upsert_job(job("a"), now=T0)
    store.append_audit(
        "AgentPinVerificationFailed",
        at=T0 + timedelta(hours=1),
        actor="scheduler",
        job_id=rec.id,
        details={"code": "expired"},
    )
    assert [a.details for a in store.list_audit(event_type="AgentPinVerificationFailed")] == [
        {"code": "expired"}
    ]
    assert [a.job_name for a in store.list_audit(job="a")] == ["a", "a"]
    assert len(store.list_audit(since=T0 + timedelta(minutes=30))) == 1


def test_secrets_stay_references_in_the_store(store: Store, job, db_path: Path) -> None:
    store.upsert_job(
        job("a", webhook_headers=(("Authorization", "Bearer ${TOKEN}"),), agent_pin_jwt="${PIN}"), now=T0
    )
    raw = db_path.read_bytes() + (db_path.parent / (db_path.name + "-wal")).read_bytes()
    assert b"${TOKEN}" in raw


def test_cli_and_runtime_write_concurrently_without_lock_errors(db_path: Path, job) -> None:
    """Another process writes while we write: busy_timeout + BEGIN IMMEDIATE, no "locked" errors."""
    store = SqliteStore.open(db_path)
    store.upsert_job(job("shared"), now=T0)
    code = (
        "import sys\n"
        "from datetime import datetime, UTC\n"
        "from symbi_runtime.store import SqliteStore\n"
        "s = SqliteStore.open(sys.argv[1])\n"
        "for i in range(300):\n"
        "    s.set_job_status('shared', 'paused' if i % 2 == 0 else 'active', now=datetime.now(UTC))\n"
        "print('done')\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(db_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    for i in range(300):
        store.append_audit("Probe", at=T0, actor="test", details={"i": i})
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == "done"
    assert len(store.list_audit(event_type="Probe", limit=1000)) == 300
    assert store.integrity_check() == "ok"
    store.close()


def test_audit_details_never_keep_a_jwt(store: Store, job) -> None:
    token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl"
    rec, _ = store.upsert_job(job("a"), now=T0)
    [[run]] = store.claim_fires(
        [
            FireClaim(
                rec.id, rec.next_fire_at, T0 + timedelta(minutes=2), (NewRun(T0, "schedule", "running"),)
            )
        ],
        now=T0,
    )
    store.finish_runs(
        [RunOutcome(run.id, "failed", error=f"bad token {token}")], now=T0, default_max_retries=3
    )
    [failed] = store.list_audit(event_type="CronJobFailed")
    assert token not in str(failed.details) and "redacted" in failed.details["error"]


def test_two_edits_at_the_same_instant_are_both_seen(store: Store, job) -> None:
    store.upsert_job(job("a", description="one"), now=T0)
    edited, outcome = store.upsert_job(job("a", description="two"), now=T0)
    assert outcome == "updated" and edited.definition.description == "two"
    assert store.get_job("a").definition.description == "two"  # type: ignore[union-attr]
    assert store.due_jobs(T0 + timedelta(minutes=1))[0].definition.description == "two"
