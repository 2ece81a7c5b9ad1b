"""Audit events: the spec's names, writing to a real SQLite store, and credentials never recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from symbi_runtime import store as store_module
from symbi_runtime.audit import REDACTED_CREDENTIAL, AuditEvent, SecurityEventType, scrub_details, write
from symbi_runtime.store import SqliteStore, Store

from symbi_lang.ir import JobDefinition

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.MEUCIQDx-sig_part"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    s = SqliteStore.open(tmp_path / "audit.db")
    yield s
    s.close()


def test_the_spec_names_are_all_there() -> None:
    spec = [
        "CronJobCreated",
        "CronJobUpdated",
        "CronJobDeleted",
        "CronJobPaused",
        "CronJobResumed",
        "CronJobExecuted",
        "CronJobFailed",
        "CronJobDeadLettered",
        "AgentPinVerificationFailed",
    ]
    assert [str(t) for t in list(SecurityEventType)[:9]] == spec


def test_every_event_the_store_writes_has_a_type() -> None:
    names = {str(t) for t in SecurityEventType}
    assert set(store_module.RUN_EVENTS.values()) <= names
    source = Path(store_module.__file__).with_name("sqlite.py").read_text()
    for name in ("CronJobCompleted", "CronJobReset", "CronJobApproved", "CronJobApprovalDenied"):
        assert f'"{name}"' in source and name in names


def test_write_appends_an_event_that_list_audit_returns(db: Store) -> None:
    record, _ = db.upsert_job(JobDefinition(name="nightly", agent_id="a", cron_expr="0 0 0 * * *"), now=T0)
    write(
        db,
        AuditEvent(
            SecurityEventType.AGENT_PIN_VERIFICATION_FAILED,
            job_id=record.id,
            run_id="run-1",
            actor="policy",
            details={"code": "expired", "iss": "example.com", "sub": "a", "kid": "k1", "jti": "j1"},
        ),
        T0 + timedelta(minutes=1),
    )
    [event] = db.list_audit(event_type="AgentPinVerificationFailed")
    assert (event.event_type, event.at, event.actor) == (
        "AgentPinVerificationFailed",
        T0 + timedelta(minutes=1),
        "policy",
    )
    assert (event.job_id, event.job_name, event.run_id) == (record.id, "nightly", "run-1")
    assert event.details == {"code": "expired", "iss": "example.com", "sub": "a", "kid": "k1", "jti": "j1"}
    assert [e.event_type for e in db.list_audit(job="nightly")] == [
        "AgentPinVerificationFailed",
        "CronJobCreated",
    ]


def test_jwt_shaped_values_are_redacted_wherever_they_hide(db: Store, tmp_path: Path) -> None:
    details = {"message": f"bad token {JWT}!", "nested": {"list": [JWT, 3, None]}, "ok": "eyJ-not-a-token"}
    assert scrub_details(details) == {
        "message": f"bad token {REDACTED_CREDENTIAL}!",
        "nested": {"list": [REDACTED_CREDENTIAL, 3, None]},
        "ok": "eyJ-not-a-token",
    }
    write(db, AuditEvent(SecurityEventType.CRON_JOB_FAILED, details=details), T0)
    [event] = db.list_audit()
    assert JWT not in repr(event) and event.details["nested"]["list"][0] == REDACTED_CREDENTIAL
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("audit.db*"))
    assert b"MEUCIQDx-sig_part" not in on_disk and b"bad token" in on_disk
