"""Job fingerprints (`jobs.content_hash`) on every backend: the migration adds the column to a store
written before it; reloading such rows is still "unchanged" (compared by definition, no audit event, no
new `updated_at`) and gives them their fingerprint; a wrong fingerprint never makes an edited job look
unchanged; the fingerprint is the same in every process."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from symbi_runtime.store import Store, open_store
from symbi_runtime.store.fingerprint import job_fingerprint

from symbi_lang.ir import (
    AgentDefinition,
    AllowedHours,
    Catchup,
    Heartbeat,
    JobDefinition,
    Policy,
    SessionMode,
    SourceRef,
)

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def jobs(n: int, agent: str = "a") -> list[JobDefinition]:
    return [
        JobDefinition(
            name=f"j{i:03d}",
            agent_id=agent,
            cron_expr=f"0 {i % 60} * * * *",
            input="${TOKEN} and text",
            policy=Policy(max_runtime="5m", max_runtime_seconds=300.0),
        )
        for i in range(n)
    ]


def _sql(location: str, backend: str, statements: list[str]) -> list[Any]:
    """Run statements straight on the store's database; the last one's rows."""
    rows: list[Any] = []
    if backend == "sqlite":
        conn = sqlite3.connect(location)
        try:
            for statement in statements:
                rows = conn.execute(statement).fetchall()
            conn.commit()
        finally:
            conn.close()
        return rows
    import psycopg

    with psycopg.connect(location, autocommit=True) as pg:
        for statement in statements:
            cur = pg.execute(statement)  # type: ignore[arg-type]
            rows = cur.fetchall() if cur.description else []
    return rows


def _as_before_fingerprints(location: str, backend: str) -> None:
    """Turn the store back into the schema version before `content_hash` (as an older symbi left it)."""
    version = 3 if backend == "sqlite" else 2
    forget = f"DELETE FROM schema_version WHERE version = {version}"
    drop = ["ALTER TABLE jobs DROP COLUMN content_hash", forget]
    _sql(location, backend, drop)


def test_rows_from_before_the_migration_reload_unchanged_and_gain_their_fingerprint(
    db_location: str, backend: str
) -> None:
    loaded = jobs(30)
    store = open_store(db_location)
    store.upsert_jobs(loaded, now=T0)
    store.close()
    _as_before_fingerprints(db_location, backend)

    store = open_store(db_location)  # migrates: the column is back, empty
    try:
        assert _sql(db_location, backend, ["SELECT count(*) FROM jobs WHERE content_hash IS NULL"]) == [(30,)]
        audit_before = len(store.list_audit(limit=10_000))
        again = store.upsert_jobs(loaded, now=T0 + timedelta(hours=1))
        assert [outcome for _, outcome in again] == ["unchanged"] * 30
        assert len(store.list_audit(limit=10_000)) == audit_before
        stored = store.get_job("j007")
        assert stored is not None and stored.updated_at == T0 and stored.definition == loaded[7]
        hashes = _sql(db_location, backend, ["SELECT name, content_hash FROM jobs ORDER BY name"])
        assert hashes == [(job.name, job_fingerprint(job)) for job in loaded]

        # Now compared by fingerprint: still unchanged, and an edit is still an edit.
        edited = [*loaded[:5], JobDefinition(name="j005", agent_id="b", cron_expr="0 5 * * * *"), *loaded[6:]]
        outcomes = [o for _, o in store.upsert_jobs(edited, now=T0 + timedelta(hours=2))]
        assert outcomes == ["unchanged"] * 5 + ["updated"] + ["unchanged"] * 24
        changed = store.get_job("j005")
        assert changed is not None and changed.definition.agent_id == "b"
        assert _sql(db_location, backend, ["SELECT content_hash FROM jobs WHERE name = 'j005'"]) == [
            (job_fingerprint(edited[5]),)
        ]
    finally:
        store.close()


def test_a_wrong_fingerprint_never_hides_an_edit(store: Store, db_location: str, backend: str) -> None:
    loaded = jobs(3)
    store.upsert_jobs(loaded, now=T0)
    # A row whose fingerprint is someone else's (or damaged): the definition text decides.
    _sql(db_location, backend, ["UPDATE jobs SET content_hash = 'r1:00' WHERE name = 'j001'"])
    edited = [loaded[0], JobDefinition(name="j001", agent_id="z", cron_expr="0 1 * * * *"), loaded[2]]
    assert [o for _, o in store.upsert_jobs(edited, now=T0 + timedelta(hours=1))] == [
        "unchanged",
        "updated",
        "unchanged",
    ]
    got = store.get_job("j001")
    assert got is not None and got.definition.agent_id == "z"


def test_the_fingerprint_is_the_same_in_every_process(tmp_path: Path) -> None:
    job = jobs(1)[0]
    script = (
        "from symbi_runtime.store.fingerprint import job_fingerprint\n"
        "from test_store_fingerprint import jobs\n"
        "print(job_fingerprint(jobs(1)[0]))\n"
    )
    seen = set()
    for seed in ("1", "2", "12345"):
        path = os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": path}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, cwd=tmp_path
        )
        seen.add(out.stdout.strip())
    assert seen == {job_fingerprint(job)}
    assert job_fingerprint(job) != job_fingerprint(JobDefinition(name=job.name, agent_id="other"))


# --- what the fingerprint covers ------------------------------------------------------------------

FULL = JobDefinition(
    name="full",
    agent_id="a",
    cron_expr="0 0 9 * * *",
    timezone="Europe/Berlin",
    description="d",
    input="${TOKEN}",
    delivery=("stdout", "webhook"),
    webhook_url="https://example.invalid/h",
    webhook_headers=(("X-A", "1"),),
    slack_channel="#c",
    email_recipients=("a@example.invalid",),
    max_concurrent=2,
    max_retries=3,
    jitter=5,
    agent_pin_jwt="${PIN}",
    policy=Policy(
        require_approval=True,
        approver="ops",
        max_runtime="5m",
        max_runtime_seconds=300.0,
        require_capabilities=("net",),
        allowed_hours=AllowedHours("09:00", "17:00"),
        allowed_environments=("prod",),
        require_agent_pin=True,
    ),
    heartbeat=Heartbeat(enabled=True, context_mode=SessionMode.SHARED_PERSISTENT, max_iterations=7),
    agent=AgentDefinition(
        name="a",
        model="m",
        system_prompt="p",
        description="ad",
        capabilities=("net",),
        command=("echo", "hi"),
        endpoint="https://example.invalid/a",
        api_key_env="KEY",
        source=SourceRef("/x/a.symbi", 1, 1),
    ),
    source=SourceRef("/x/a.symbi", 20, 1),
)

# A different value for every field (nested ones by path): each must change the fingerprint.
OTHER: dict[str, Any] = {
    "name": "other",
    "agent_id": "b",
    "cron_expr": "0 0 10 * * *",
    "at": "2030-01-01T00:00:00Z",
    "one_shot": True,
    "timezone": "UTC",
    "description": None,
    "input": "x",
    "session_mode": SessionMode.FULLY_EPHEMERAL,
    "delivery": ("stdout",),
    "webhook_url": None,
    "webhook_headers": (("X-A", "2"),),
    "slack_channel": "#d",
    "email_recipients": (),
    "max_concurrent": 1,
    "max_retries": None,
    "jitter": 6,
    "catchup": Catchup.ALL,
    "agent_pin_jwt": None,
    "policy.require_approval": False,
    "policy.approver": None,
    "policy.max_runtime": "6m",
    "policy.max_runtime_seconds": 360.0,
    "policy.require_capabilities": (),
    "policy.allowed_hours": AllowedHours("09:00", "18:00"),
    "policy.allowed_environments": ("dev",),
    "policy.require_agent_pin": False,
    "heartbeat.enabled": False,
    "heartbeat.context_mode": SessionMode.EPHEMERAL_WITH_SUMMARY,
    "heartbeat.max_iterations": 8,
    "agent.name": "b",
    "agent.model": None,
    "agent.system_prompt": "q",
    "agent.description": None,
    "agent.capabilities": (),
    "agent.handler": "mod:fn",
    "agent.command": None,
    "agent.endpoint": None,
    "agent.api_key_env": None,
    "agent.source": SourceRef("/x/a.symbi", 2, 1),
    "source.file": "/y/a.symbi",
    "source.line": 21,
    "source.column": 2,
}


def _changed(job: JobDefinition, path: str, value: Any) -> JobDefinition:
    head, _, rest = path.partition(".")
    if not rest:
        return dataclasses.replace(job, **{head: value})
    return dataclasses.replace(job, **{head: dataclasses.replace(getattr(job, head), **{rest: value})})


def test_the_table_names_every_field() -> None:
    expected = set()
    for f in dataclasses.fields(JobDefinition):
        value = getattr(FULL, f.name)
        if dataclasses.is_dataclass(value) and f.name != "agent":
            expected |= {f"{f.name}.{g.name}" for g in dataclasses.fields(value)}
        elif f.name == "agent":
            expected |= {f"agent.{g.name}" for g in dataclasses.fields(AgentDefinition)}
        else:
            expected.add(f.name)
    assert set(OTHER) == expected


@pytest.mark.parametrize("path", sorted(OTHER))
def test_every_field_changes_the_fingerprint(path: str) -> None:
    changed = _changed(FULL, path, OTHER[path])
    assert changed != FULL
    assert job_fingerprint(changed) != job_fingerprint(FULL)
    assert job_fingerprint(changed).startswith("m2:")


def test_absent_nested_definitions_change_the_fingerprint() -> None:
    for field in ("heartbeat", "agent"):
        assert job_fingerprint(dataclasses.replace(FULL, **{field: None})) != job_fingerprint(FULL)
    hours = dataclasses.replace(FULL.policy, allowed_hours=None)
    assert job_fingerprint(dataclasses.replace(FULL, policy=hours)) != job_fingerprint(FULL)


def test_equal_definitions_built_apart_have_one_fingerprint() -> None:
    # Built from JSON (fresh, uninterned strings, no shared objects) against the original.
    copy = JobDefinition.from_dict(json.loads(json.dumps(FULL.to_dict())))
    assert copy == FULL and copy is not FULL
    assert job_fingerprint(copy) == job_fingerprint(FULL)
    assert FULL.webhook_url is not None
    shared = dataclasses.replace(FULL, name=FULL.webhook_url)  # one string object in two fields
    apart = dataclasses.replace(FULL, name="/".join(FULL.webhook_url.split("/")))  # an equal, other one
    assert apart.name is not shared.name
    assert job_fingerprint(shared) == job_fingerprint(apart)


class _Text(str):
    pass


def test_a_value_marshal_refuses_is_fingerprinted_by_repr() -> None:
    odd = dataclasses.replace(FULL, input=_Text("x"))
    fingerprint = job_fingerprint(odd)
    assert fingerprint.startswith("r2:") and fingerprint == job_fingerprint(odd)
    assert fingerprint != job_fingerprint(dataclasses.replace(FULL, input=_Text("y")))
