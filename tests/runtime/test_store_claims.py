"""Claiming many fires in one call, on every backend: a batch larger than one statement's chunk keeps
each claim's own outcome (advanced and inserted, lost its compare-and-set, or advanced while its fire
already had a run), completes exhausted jobs, and writes audit events in claim order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from symbi_runtime.store import FireClaim, NewRun, Store

from symbi_lang.ir import JobDefinition

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_large_mixed_batch_keeps_every_claims_outcome(store: Store, backend: str) -> None:
    n = 1200  # more than two chunks of 500
    loaded = store.upsert_jobs(
        [JobDefinition(name=f"j{i:04d}", agent_id="a", cron_expr="0 * * * * *") for i in range(n)], now=T0
    )
    records = [rec for rec, _ in loaded]
    fire = records[0].next_fire_at
    assert fire is not None and all(r.next_fire_at == fire for r in records)
    # Jobs 7, 507, 1007: their fire already has a run (a restart that lost track of it).
    taken = {7, 507, 1007}
    first = (NewRun(fire, "schedule", "running"),)
    store.claim_fires([FireClaim(records[i].id, fire, fire + MINUTE, first) for i in taken], now=fire)
    for i in taken:  # ... and the job was moved back, so the next claim's expectation holds again
        store.set_job_status(records[i].id, "paused", now=fire)
    stale = {3, 499, 500, 1199}  # claims whose job moved on: they must change nothing
    exhausted = {11, 888}  # the last fire: the job completes
    claims = []
    for i, rec in enumerate(records):
        expected = fire + MINUTE if i in stale else fire
        new_next = None if i in exhausted else fire + MINUTE
        runs = (NewRun(fire, "schedule", "running"),)
        if i % 100 == 1:  # some claims carry a missed fire before the run
            runs = (NewRun(fire - MINUTE, "catchup", "missed", error="missed while down"), *runs)
        claims.append(FireClaim(rec.id, expected, new_next, runs, rec.name))
    for i in taken:
        store.set_job_status(records[i].id, "active", now=fire)
        job = store.get_job(records[i].id)
        assert job is not None
        claims[i] = FireClaim(job.id, job.next_fire_at, fire + 2 * MINUTE, claims[i].runs, job.name)
    audit_before = len(store.list_audit(limit=100_000))

    results = store.claim_fires(claims, now=fire)

    assert len(results) == n
    for i, (claim, inserted) in enumerate(zip(claims, results, strict=True)):
        if i in stale:
            assert inserted == [], i
            assert store.get_job(claim.job_id).next_fire_at == fire  # type: ignore[union-attr]
            continue
        if i in taken:
            # The job advanced, its fire's run already existed: only the missed fire (if any) is new.
            assert [r.status for r in inserted] == (["missed"] if i % 100 == 1 else []), i
            continue
        assert [(r.status, r.scheduled_for, r.job_name) for r in inserted] == [
            (r.status, r.scheduled_for, claim.job_name) for r in claim.runs
        ], i
        stored = store.get_run(inserted[-1].id)
        assert stored is not None and stored.status == "running" and stored.started_at == fire
        job = store.get_job(claim.job_id)
        assert job is not None
        if i in exhausted:
            assert (job.status, job.next_fire_at) == ("completed", None)
        else:
            assert (job.status, job.next_fire_at) == ("active", fire + MINUTE)
        if i % 100 == 1:
            assert job.last_status == "missed"

    # Audit: one event per inserted run and one per completed job, in the order of the claims.
    audit = list(reversed(store.list_audit(limit=100_000)))[audit_before:]
    expected_events: list[tuple[str | None, str]] = []
    for claim, inserted in zip(claims, results, strict=True):
        events = {"running": "CronJobStarted", "missed": "CronJobMissed"}
        expected_events += [(r.id, events[r.status]) for r in inserted]
        if claim.new_next is None and inserted:
            expected_events.append((None, "CronJobCompleted"))
    recorded = [(a.run_id, a.event_type) for a in audit]
    assert sorted(recorded, key=str) == sorted(expected_events, key=str)
    if backend == "sqlite":  # written in claim order (PostgreSQL writes completions after the runs)
        assert recorded == expected_events


def test_run_ids_are_distinct_version_4_uuids() -> None:
    import uuid

    from symbi_runtime.store import new_id
    from symbi_runtime.store.sqlite import new_ids

    ids = [new_id() for _ in range(1000)] + new_ids(1000) + new_ids(1)
    assert len(ids) == 2001 and new_ids(0) == []
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
