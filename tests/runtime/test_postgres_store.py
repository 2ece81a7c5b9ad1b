"""The PostgreSQL store's own behaviours on a real server: nodes and leases, fencing, claims split with SKIP
LOCKED, NOTIFY wake-ups, connection loss, `symbi cron nodes` and `symbi store copy`."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from symbi_runtime.cli.cron import app as cron_app
from symbi_runtime.cli.store import app as store_app
from symbi_runtime.store import (
    FireClaim,
    NewRun,
    PermanentStoreError,
    RunOutcome,
    SqliteStore,
    TransientStoreError,
    open_store,
)
from symbi_runtime.store.postgres import STEAL_AFTER_SECONDS, LeaseLost, PostgresStore
from typer.testing import CliRunner

from symbi_lang.ir import JobDefinition

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


def job(name: str, cron: str = "* * * * * *") -> JobDefinition:
    return JobDefinition(name=name, agent_id="echo", cron_expr=cron)


@pytest.fixture
def node(pg_url: str) -> Iterator[Callable[..., PostgresStore]]:
    made: list[PostgresStore] = []

    def make(ttl: float = 1.0, on_change: Callable[[], None] | None = None) -> PostgresStore:
        store = PostgresStore.open(pg_url, lease_ttl_seconds=ttl)
        store.start_background_work(on_change)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


def wait_for(predicate: Callable[[], bool], limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.05)


def claim(store: PostgresStore, name: str, status: str = "running") -> list[list]:  # type: ignore[type-arg]
    record = store.get_job(name)
    assert record is not None and record.next_fire_at is not None
    fire = record.next_fire_at
    return store.claim_fires(
        [FireClaim(record.id, fire, fire + timedelta(seconds=1), (NewRun(fire, "schedule", status),), name)],
        now=fire,
    )


def test_a_dead_nodes_running_runs_are_abandoned_and_pending_ones_released(node) -> None:  # type: ignore[no-untyped-def]
    a, b = node(ttl=1.0), node(ttl=1.0)
    a.upsert_jobs([job("run"), job("wait")], now=T0)
    [[running]] = claim(a, "run")
    [[pending]] = claim(a, "wait", status="pending")
    assert a.node_id != b.node_id and a.epoch != b.epoch

    a._stop.set()  # a's lease thread stops renewing, as after SIGKILL or a network loss
    for thread in a._threads:
        thread.join()
    wait_for(lambda: b.get_run(running.id).status == "abandoned")  # type: ignore[union-attr]
    assert "stopped renewing its lease" in (b.get_run(running.id).error or "")  # type: ignore[union-attr]
    # Its claimed-but-unstarted run is anyone's now, and starts once.
    assert [r.id for r in b.runs_to_resume(approved_only=True)] == [pending.id]
    assert b.start_runs([pending.id], now=T0) == {pending.id}
    assert b.start_runs([pending.id], now=T0) == set()
    [dead] = [n for n in b.list_nodes() if n["id"] == a.node_id]
    assert dead["status"] == "dead"
    events = [e.event_type for e in b.list_audit(job="run")]
    assert events.count("CronJobAbandoned") == 1

    # Fencing: the dead node claims nothing, even before its lease thread would notice.
    with pytest.raises(LeaseLost, match="lost its lease"):
        claim(a, "run")
    assert isinstance(LeaseLost("x"), TransientStoreError)


def test_a_node_that_lost_its_lease_rejoins_with_a_new_epoch(node, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    a = node(ttl=1.0)
    first = (a.node_id, a.epoch)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE nodes SET lease_until = now() - interval '1 second' WHERE id = %s", (a.node_id,))
    wait_for(lambda: (a.node_id, a.epoch) != first)
    assert a.epoch is not None and first[1] is not None and a.epoch > first[1]
    a.upsert_job(job("j"), now=T0)
    assert claim(a, "j")[0][0].status == "running"


def test_two_nodes_split_a_batch_and_no_fire_is_claimed_twice(node) -> None:  # type: ignore[no-untyped-def]
    a, b = node(ttl=5.0), node(ttl=5.0)
    a.upsert_jobs([job(f"j{i}") for i in range(200)], now=T0)
    due = a.due_jobs(T0 + timedelta(seconds=1), limit=1000)
    claims = [
        FireClaim(
            j.id,
            j.next_fire_at,
            j.next_fire_at + timedelta(seconds=1),
            (NewRun(j.next_fire_at, "schedule", "pending"),),
        )
        for j in due
        if j.next_fire_at is not None
    ]
    results: dict[str, list] = {}  # type: ignore[type-arg]

    def go(name: str, store: PostgresStore) -> None:
        results[name] = [r for rs in store.claim_fires(claims, now=T0) for r in rs]

    threads = [threading.Thread(target=go, args=(n, s)) for n, s in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fires = [(r.job_id, r.scheduled_for) for rs in results.values() for r in rs]
    assert len(fires) == 200 == len(set(fires))


def test_job_changes_wake_other_nodes(node, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    woken = threading.Event()
    node(ttl=5.0, on_change=woken.set)
    time.sleep(0.5)  # the listener is connected
    with PostgresStore.open(pg_url) as cli:  # another process: `symbi cron add`
        cli.upsert_job(job("new"), now=T0)
    assert woken.wait(10)
    woken.clear()
    with PostgresStore.open(pg_url) as cli:
        cli.set_job_status("new", "paused", now=T0)
    assert woken.wait(10)


def test_killed_connections_are_transient_and_the_store_reconnects(node, pg_url: str, pg_server: str) -> None:  # type: ignore[no-untyped-def]
    a = node(ttl=5.0)
    a.upsert_job(job("j"), now=T0)
    with psycopg.connect(f"{pg_server}/postgres", autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (pg_url.rsplit("/", 1)[1],),
        ).fetchone()
    assert killed is not None and killed[0] >= 1
    # The pool checks connections on checkout: the next request reconnects (or fails as transient).
    for _ in range(3):
        try:
            assert a.get_job("j") is not None
            break
        except TransientStoreError:
            continue
    wait_for(lambda: [n["status"] for n in a.list_nodes()] == ["alive"])
    assert claim(a, "j")[0][0].status == "running"


def test_schema_newer_than_this_symbi_and_foreign_databases_are_permanent_errors(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE jobs (x int)")
    with pytest.raises(PermanentStoreError, match="not a symbi database"):
        open_store(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP TABLE jobs")
    open_store(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99)")
    with pytest.raises(PermanentStoreError, match="schema version 99, newer than this symbi"):
        open_store(pg_url)


def test_a_missing_database_and_a_refused_connection_are_clear_errors(pg_server: str) -> None:
    with pytest.raises(PermanentStoreError, match="does not exist"):
        open_store(f"{pg_server}/no_such_db")
    with pytest.raises(
        TransientStoreError, match=re.escape("cannot connect to postgresql://x:***@127.0.0.1:9/db")
    ):
        open_store("postgresql://x:secret@127.0.0.1:9/db")


def test_cron_nodes_lists_nodes_and_leases(node, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    a = node(ttl=5.0)
    result = CliRunner().invoke(cron_app, ["nodes", "--db", pg_url, "--format", "json"])
    assert result.exit_code == 0, result.output
    [shown] = json.loads(result.output)
    assert shown["id"] == a.node_id and shown["status"] == "alive" and shown["epoch"] == a.epoch
    a.close()
    result = CliRunner().invoke(cron_app, ["nodes", "--db", pg_url, "--format", "json"])
    assert [n["status"] for n in json.loads(result.output)] == ["stopped"]


def test_cron_nodes_on_sqlite_says_there_are_none(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "s.db"
    open_store(db).close()
    result = CliRunner().invoke(cron_app, ["nodes", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "is an SQLite store: it has no nodes" in result.output
    assert (
        json.loads(CliRunner().invoke(cron_app, ["nodes", "--db", str(db), "--format", "json"]).output) == []
    )


def test_cron_commands_and_audit_work_on_postgresql(pg_url: str) -> None:
    doc = json.dumps({"name": "remote", "agent_id": "a", "cron_expr": "0 * * * * *"})
    runner = CliRunner()
    assert runner.invoke(cron_app, ["add", "--json", doc, "--db", pg_url]).exit_code == 0
    assert runner.invoke(cron_app, ["pause", "remote", "--db", pg_url]).exit_code == 0
    listed = runner.invoke(cron_app, ["list", "--db", pg_url, "--format", "json"])
    assert [(j["name"], j["status"]) for j in json.loads(listed.output)] == [("remote", "paused")]
    from symbi_runtime.cli.audit import app as audit_app

    audit = runner.invoke(audit_app, ["--db", pg_url, "--format", "json"])
    assert audit.exit_code == 0, audit.output
    assert [e["type"] for e in json.loads(audit.output)] == ["CronJobPaused", "CronJobCreated"]


def test_store_copy_moves_everything_and_refuses_a_non_empty_target(tmp_path: Path, pg_url: str) -> None:
    source = tmp_path / "local.db"
    with SqliteStore.open(source) as s:
        s.upsert_jobs([job("a"), job("b", cron="0 0 * * * *")], now=T0)
        fire = s.get_job("a").next_fire_at  # type: ignore[union-attr]
        [[run]] = s.claim_fires(
            [
                FireClaim(
                    s.get_job("a").id,
                    fire,
                    fire + timedelta(seconds=1),
                    (NewRun(fire, "schedule", "running"),),
                )
            ],  # type: ignore[union-attr]
            now=fire,
        )
        s.finish_runs(
            [RunOutcome(run.id, "succeeded", output="hi")],
            now=fire + timedelta(seconds=2),
            default_max_retries=3,
            sessions={"job:a": [{"role": "user", "content": "x"}]},
        )
        s.record_iteration(run.id, 1, action="act", output="o", at=fire)
        expected_runs = s.list_runs(limit=100)
        expected_audit = [(e.event_type, e.at, e.run_id) for e in s.list_audit(limit=1000)]

    result = CliRunner().invoke(store_app, ["copy", "--from", str(source), "--to", pg_url])
    assert result.exit_code == 0, result.output
    assert "2 jobs, 1 runs, 1 sessions, 1 iterations" in result.output
    with open_store(pg_url) as pg:
        assert [j.name for j in pg.list_jobs()] == ["a", "b"]
        assert pg.list_runs(limit=100) == expected_runs
        assert [(e.event_type, e.at, e.run_id) for e in pg.list_audit(limit=1000)] == expected_audit
        assert pg.load_session("job:a") == [{"role": "user", "content": "x"}]
        assert [i["action"] for i in pg.list_iterations(run.id)] == ["act"]

    again = CliRunner().invoke(store_app, ["copy", "--from", str(source), "--to", pg_url])
    assert again.exit_code == 1 and "is not empty" in again.output
    back = tmp_path / "back.db"
    assert CliRunner().invoke(store_app, ["copy", "--from", pg_url, "--to", str(back)]).exit_code == 0
    with SqliteStore.open(back) as s:
        assert s.list_runs(limit=100) == expected_runs


async def test_catch_up_after_the_whole_cluster_was_down_is_counted_once(pg_url: str) -> None:
    from symbi_runtime.clock import FakeClock
    from symbi_runtime.config import Config
    from symbi_runtime.runtime import Runtime

    with PostgresStore.open(pg_url) as s:
        s.upsert_job(job("tick"), now=T0)
    clock = FakeClock(T0 + timedelta(days=30))
    runtimes = [Runtime(Config(), db_path=pg_url, clock=clock, env={}) for _ in range(2)]
    try:
        for rt in runtimes:
            rt.open()

            async def noop(call: object) -> str:
                return ""

            rt.register_agent("echo", noop)
            rt.store.start_background_work()
        for rt in runtimes:  # both nodes come up after the downtime and tick at the same instant
            rt.scheduler.start_up()
            rt.scheduler.tick(clock.now())
        for rt in runtimes:
            await rt.scheduler.wait_until(lambda rt=rt: rt.scheduler.in_flight() == 0)  # type: ignore[misc]
        runs = runtimes[0].store.list_runs(job="tick", limit=1000)
        missed = [r for r in runs if r.status == "missed"]
        assert len(missed) == 1 and missed[0].detail["missed_count"] > 2_000_000
        assert len([r for r in runs if r.status != "missed"]) == 1  # the one catch-up run ('latest')
        events = [e.event_type for e in runtimes[1].store.list_audit(job="tick")]
        assert events.count("CronJobMissed") == 1
    finally:
        for rt in runtimes:
            rt.close()


def test_each_node_reports_itself_in_health_and_metrics(node, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from symbi_runtime.metrics import Metrics

    a = node(ttl=5.0)
    status = a.node_status()
    assert status is not None
    assert (status["id"], status["epoch"], status["lease_valid"]) == (a.node_id, a.epoch, True)
    metrics = Metrics()
    metrics.watch_node(a.node_status)
    text = metrics.render().decode()
    assert "symbiont_cron_node_lease_valid 1.0" in text
    assert f"symbiont_cron_node_epoch {float(a.epoch or 0)}" in text
    with SqliteStore.open(tmp_path / "one.db") as single:
        assert single.node_status() is None


def test_live_nodes_split_due_fires_and_take_over_overdue_ones(node) -> None:  # type: ignore[no-untyped-def]
    """Fair shares: each node claims its own share of the due fires; another share's fire becomes
    everyone's once STEAL_AFTER_SECONDS overdue; a node that left gives its share back."""
    a, b = node(ttl=1.0), node(ttl=1.0)
    wait_for(lambda: a.share is not None and b.share is not None and a.share[1] == b.share[1] == 2)
    assert {a.share[0], b.share[0]} == {0, 1}
    names = {f"j{i:02d}" for i in range(40)}
    a.upsert_jobs([JobDefinition(name=n, agent_id="x", cron_expr="0 * * * * *") for n in names], now=T0)
    fire = T0 + timedelta(minutes=1)
    mine_a = {j.name for j in a.due_jobs(fire)}
    mine_b = {j.name for j in b.due_jobs(fire)}
    assert mine_a and mine_b and not mine_a & mine_b and mine_a | mine_b == names
    assert a.next_due_time() == fire == b.next_due_time()
    late = fire + timedelta(seconds=STEAL_AFTER_SECONDS + 0.1)
    assert {j.name for j in a.due_jobs(late)} == names == {j.name for j in b.due_jobs(late)}
    b.close()
    wait_for(lambda: a.share == (0, 1))
    assert {j.name for j in a.due_jobs(fire)} == names


def test_store_copy_streams_a_history_larger_than_a_chunk(tmp_path: Path, pg_url: str) -> None:
    from symbi_runtime.store.copy import CHUNK_ROWS, TABLES, stream_rows

    from tests.runtime.rawsql import execute

    source = tmp_path / "big.db"
    with SqliteStore.open(source) as s:
        s.upsert_jobs([job("a")], now=T0)
        job_id = s.get_job("a").id  # type: ignore[union-attr]
    n = CHUNK_ROWS * 2 + 500  # three chunks
    execute(
        str(source),
        "INSERT INTO runs (id, job_id, scheduled_for, trigger, status, output) VALUES (?,?,?,?,?,?)",
        [
            (f"r{i:05d}", job_id, T0 + timedelta(seconds=i), "schedule", "succeeded", f"o{i}")
            for i in range(n)
        ],
    )
    with SqliteStore.open(source) as s:
        runs_table = next(t for t in TABLES if t.name == "runs")
        sizes = [len(chunk) for chunk in stream_rows(s, runs_table)]
        assert sizes == [CHUNK_ROWS, CHUNK_ROWS, 500]  # never the whole table at once
        expected = s.list_runs(limit=n + 1)

    result = CliRunner().invoke(store_app, ["copy", "--from", str(source), "--to", pg_url])
    assert result.exit_code == 0, result.output
    with open_store(pg_url) as pg:
        assert pg.list_runs(limit=n + 1) == expected
        assert isinstance(pg, PostgresStore)
        assert [len(c) for c in stream_rows(pg, runs_table)] == [CHUNK_ROWS, CHUNK_ROWS, 500]
    back = tmp_path / "back.db"
    assert CliRunner().invoke(store_app, ["copy", "--from", pg_url, "--to", str(back)]).exit_code == 0
    with SqliteStore.open(back) as s:
        assert s.list_runs(limit=n + 1) == expected
