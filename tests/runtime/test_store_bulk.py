"""Bulk store operations used by loading and the pipeline, on every backend: unchanged jobs cost nothing
visible (no audit event, no new `updated_at`), one name twice in a load applies in order, job names
without definitions, and sessions read many at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from symbi_runtime.store import Store

from symbi_lang.ir import JobDefinition

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def jobs(n: int, agent: str = "a") -> list[JobDefinition]:
    return [
        JobDefinition(name=f"j{i:04d}", agent_id=agent, cron_expr=f"0 {i % 60} * * * *") for i in range(n)
    ]


def test_reloading_unchanged_jobs_records_nothing(store: Store) -> None:
    loaded = jobs(600)
    assert {outcome for _, outcome in store.upsert_jobs(loaded, now=T0)} == {"created"}
    audit_before = len(store.list_audit(limit=10_000))
    again = store.upsert_jobs(loaded, now=T0 + timedelta(hours=1))
    assert [outcome for _, outcome in again] == ["unchanged"] * 600
    assert len(store.list_audit(limit=10_000)) == audit_before
    stored = store.get_job("j0005")
    assert stored is not None and stored.updated_at == T0
    assert again[5][0].id == stored.id and again[5][0].next_fire_at == stored.next_fire_at

    edited = [*loaded[:3], JobDefinition(name="j0003", agent_id="b", cron_expr="0 3 * * * *"), *loaded[4:]]
    outcomes = [outcome for _, outcome in store.upsert_jobs(edited, now=T0 + timedelta(hours=2))]
    assert outcomes == ["unchanged"] * 3 + ["updated"] + ["unchanged"] * 596
    assert len(store.list_audit(limit=10_000)) == audit_before + 1


def test_the_same_name_twice_in_one_load_applies_in_order(store: Store) -> None:
    first = JobDefinition(name="x", agent_id="a", cron_expr="0 0 * * * *")
    second = JobDefinition(name="x", agent_id="b", cron_expr="0 0 * * * *")
    other = JobDefinition(name="y", agent_id="a", cron_expr="0 0 * * * *")
    results = store.upsert_jobs([first, other, second, second], now=T0)
    assert [outcome for _, outcome in results] == ["created", "created", "updated", "unchanged"]
    stored = store.get_job("x")
    assert stored is not None and stored.definition.agent_id == "b"
    assert store.job_names() == ["x", "y"]


def test_load_sessions_reads_many_keys_and_leaves_out_missing_ones(store: Store) -> None:
    store.upsert_jobs(jobs(3), now=T0)
    for i in range(600):  # more than one chunk of an IN list
        store.save_session(f"job:s{i}", [{"role": "system", "content": str(i)}], now=T0)
    wanted = [f"job:s{i}" for i in range(0, 600, 7)]
    found = store.load_sessions([*wanted, "job:nobody"])
    assert set(found) == set(wanted)
    assert found["job:s595"] == [{"role": "system", "content": "595"}]
    assert store.load_sessions([]) == {}


def test_created_jobs_audit_their_summary_with_credentials_scrubbed(store: Store) -> None:
    jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
    plain = JobDefinition(name="plain", agent_id="a", cron_expr="0 0 9 * * *", timezone="Europe/Berlin")
    odd = JobDefinition(name="odd", agent_id=f"agent-{jwt}", at="2030-01-01T00:00:00Z")
    store.upsert_jobs([plain, odd], now=T0)
    created = {e.job_name: e.details for e in store.list_audit(limit=100) if e.event_type == "CronJobCreated"}
    summary = created["plain"]
    assert summary == {"agent": "a", "cron": "0 0 9 * * *", "at": None, "timezone": "Europe/Berlin"}
    scrubbed = created["odd"]
    assert scrubbed["agent"] == "agent-[redacted credential]" and jwt not in str(scrubbed)
    assert scrubbed["at"] == "2030-01-01T00:00:00Z" and scrubbed["cron"] is None
