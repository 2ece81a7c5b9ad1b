"""`PostgresStore`: the job store on PostgreSQL, shared by several `symbi up` nodes.

The same contract as the SQLite store (store/protocol.py), coordinated by PostgreSQL itself rather than
by anything home-made:

- **One run per fire**: UNIQUE(job_id, scheduled_for, seq); claims `INSERT … ON CONFLICT DO NOTHING`.
- **Claims** lock the due jobs of a batch with `FOR UPDATE SKIP LOCKED` (a job another node is claiming
  is left to it), then compare-and-set each job's next fire, in one transaction with the runs.
- **Nodes and leases**: a node (`start_background_work`, i.e. `symbi up`) registers a row in `nodes`
  with a new epoch and renews `lease_until` (database time) every third of the TTL from a thread of its
  own. A node past its lease is dead: the first live node to notice marks it so, its `running` runs
  become `abandoned` and its claimed-but-unstarted (`pending`) runs are released for any node to start.
  Every claim and start checks, in its transaction and under a share lock on the node row, that the
  claimer's lease is current and of its epoch (fencing): a node that lost its lease claims nothing and
  rejoins as a new member. A node on the same host whose process is gone is dead at once.
- **Fair shares**: each live node owns the jobs whose id hashes to its rank among the live nodes
  (`mod(hashtext(id), nodes)`), and claims only those until a fire is `STEAL_AFTER_SECONDS` overdue;
  after that any node takes it (a busy or dead node's fires run elsewhere without waiting for its
  lease to expire). Shares only spread the work: the no-duplicate guarantee stays with the row locks,
  the compare-and-set and the unique fire key, so nodes that briefly disagree on the shares (one joined
  or died since the last lease round) at worst compete for a few fires.
- **Wake-ups**: job changes `NOTIFY symbi_jobs`; a listener thread wakes the local scheduler (polling
  every tick stays as the fallback).
- **Errors**: driver exceptions become `TransientStoreError` (connection lost, busy, disk full: retry)
  or `PermanentStoreError` (read-only, schema too new, not a symbi database, bad credentials).

Transactions of one process are serialised by a lock (as in SQLite): a node's scheduler writes from
one thread, and the pool's spare connections serve the lease and listener threads.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NoReturn

import psycopg
import psycopg.errors
from psycopg_pool import ConnectionPool, PoolTimeout

from symbi_lang.ir import JobDefinition
from symbi_runtime import timing
from symbi_runtime.audit import scrub_details
from symbi_runtime.store.errors import PermanentStoreError, StoreError, TransientStoreError
from symbi_runtime.store.fingerprint import job_fingerprint
from symbi_runtime.store.location import StoreLocation, parse_location
from symbi_runtime.store.pg_schema import MIGRATION_LOCK, MIGRATIONS, SCHEMA_VERSION, UPSERT_LOCK
from symbi_runtime.store.records import (
    FAILURE_STATUSES,
    FINAL_RUN_STATUSES,
    RUN_EVENTS,
    AuditRecord,
    FinishResult,
    FireClaim,
    JobRecord,
    JobStatus,
    NewRun,
    RunOutcome,
    RunRecord,
    RunStatus,
    Trigger,
)
from symbi_runtime.store.sqlite import (
    _LIVE_OWNERS,
    _job_summary,
    _json,
    _json_or,
    _like_prefix,
    _owner_alive,
    _process_owner,
    new_id,
)

logger = logging.getLogger("symbi_runtime.store")

DEFAULT_LEASE_TTL_SECONDS = 5.0
LOCK_TIMEOUT_MS = 10_000
# A fire of another node's share is taken by any node once it is this overdue (see the module doc).
STEAL_AFTER_SECONDS = 0.5
# This node's share of the jobs: rank among the live nodes (by id), number of live nodes.
_MY_SHARE = "mod(hashtext(id)::bigint + 2147483648, %(nodes)s) = %(rank)s"
CHANNEL = "symbi_jobs"

_AUDIT_INSERT = (
    "INSERT INTO audit (event_type, at, actor, job_id, job_name, run_id, details) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
_AUDIT_INSERT_MANY = (
    "INSERT INTO audit (event_type, at, actor, job_id, job_name, run_id, details) "
    "SELECT e, a, ac, j, jn, r, d FROM unnest(%s::text[], %s::timestamptz[], %s::text[], %s::text[], "
    "%s::text[], %s::text[], %s::text[]) WITH ORDINALITY AS t(e, a, ac, j, jn, r, d, n) ORDER BY n"
)
_JOB_COLUMNS = (
    "id, name, definition, status, next_fire_at, consecutive_failures, run_count, created_at, "
    "updated_at, last_run_at, last_status"
)
_RUN_COLUMNS = (
    "r.id, r.job_id, j.name, r.scheduled_for, r.trigger, r.started_at, r.finished_at, r.jitter_seconds, "
    "r.status, r.input, r.output, r.error, r.duration_seconds, r.receipts, r.decision, r.decision_reason, "
    "r.approver, r.expires_at, r.detail"
)
_LEASE_CURRENT = (
    "SELECT 1 FROM nodes WHERE id = %s AND epoch = %s AND status = 'alive' AND lease_until > now() FOR SHARE"
)


class LeaseLost(TransientStoreError):
    """This node's lease expired (or it was declared dead): it claims and starts nothing until it has
    rejoined with a new epoch (the lease thread does that on its next round)."""


class PostgresStore:
    """The job store on PostgreSQL (see the module doc); safe to share between threads of a process."""

    def __init__(
        self, pool: ConnectionPool[psycopg.Connection[Any]], location: StoreLocation, ttl: float
    ) -> None:
        self._pool = pool
        self.location = location
        self.lease_ttl_seconds = ttl
        self._lock = threading.RLock()
        self._definitions: dict[tuple[str, str], JobDefinition] = {}
        self.owner = f"{_process_owner(os.getpid())}:{uuid.uuid4().hex[:12]}"
        _LIVE_OWNERS.add(self.owner)
        self.unreadable_jobs: dict[str, str] = {}
        self._audit_rows: list[tuple[Any, ...]] | None = None
        self._notify = False
        # Node membership (only for a long-running scheduler: `start_background_work`).
        self.node_id: str | None = None
        self.epoch: int | None = None
        self._lease_ok = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._on_change: Callable[[], None] | None = None
        self.lock_timeout_ms = LOCK_TIMEOUT_MS
        self.share: tuple[int, int] | None = None  # (rank, live nodes) while a node of several

    def set_lock_timeout(self, ms: int) -> None:
        """Wait at most `ms` for a lock another session holds (from the next transaction on)."""
        self.lock_timeout_ms = int(ms)

    @classmethod
    def open(cls, location: StoreLocation | str, *, lease_ttl_seconds: float | None = None) -> PostgresStore:
        """Connect (a small pool) and migrate the schema (under an advisory lock: nodes start together)."""
        if not isinstance(location, StoreLocation):
            location = parse_location(location)
        ttl = DEFAULT_LEASE_TTL_SECONDS if lease_ttl_seconds is None else float(lease_ttl_seconds)
        if ttl <= 0:
            raise StoreError(f"node lease TTL must be greater than 0 seconds, got {ttl}")

        made: list[PostgresStore] = []

        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.execute("SET TIME ZONE 'UTC'")
            # A row or table lock held by someone else fails the write after this long (a transient
            # error: the scheduler retries, the run's outcome waits in memory) instead of stalling
            # the node's event loop indefinitely: PostgreSQL's counterpart of SQLite's busy timeout.
            timeout = made[0].lock_timeout_ms if made else LOCK_TIMEOUT_MS
            conn.execute(f"SET lock_timeout = {int(timeout)}")
            # A node frozen inside a transaction (a stopped VM) would keep its row locks, and the share
            # lock on its own node row that keeps it from being declared dead: the server ends such a
            # transaction after a lease TTL (the node, if it wakes, gets a transient error and retries).
            conn.execute(f"SET idle_in_transaction_session_timeout = {max(1000, int(ttl * 1000))}")
            conn.commit()

        pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            location.target,
            min_size=1,
            max_size=4,
            open=False,
            configure=configure,
            check=ConnectionPool.check_connection,
            kwargs={"connect_timeout": 10, "application_name": "symbi"},
            name="symbi",
        )
        # Connect once first: a wrong database, password or host is reported now, in the driver's words,
        # instead of after the pool has retried for its whole timeout.
        try:
            psycopg.connect(location.target, connect_timeout=10).close()
        except psycopg.Error as e:
            _raise_connect_error(e, f"cannot connect to {location}")
        try:
            pool.open(wait=True, timeout=15)
        except PoolTimeout:
            pool.close()
            raise TransientStoreError(f"cannot connect to {location}: timed out") from None
        store = cls(pool, location, ttl)
        made.append(store)
        try:
            store._migrate()
        except BaseException:
            store.close()
            raise
        return store

    @property
    def where(self) -> str:
        return str(self.location)

    def close(self) -> None:
        _LIVE_OWNERS.discard(self.owner)
        if self.node_id is not None:
            _LIVE_OWNERS.discard(self.node_id)
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        if self.node_id is not None:
            try:
                self._leave()
            except StoreError as e:
                logger.warning("could not record node %s as stopped: %s", self.node_id, e)
        self._pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ---------------------------------------------------------------------------------

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except PoolTimeout as e:
            raise TransientStoreError(f"database {self.location}: no connection available ({e})") from None
        except psycopg.Error as e:
            _raise_translated(e, f"database {self.location}")

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Cursor[Any]]:
        """One write transaction; audit rows written during it are inserted together before COMMIT, and
        a job change notifies the other nodes (delivered at COMMIT)."""
        with self._lock, self._translated(), self._pool.connection() as conn:
            outer, outer_notify = self._audit_rows, self._notify
            self._audit_rows, self._notify = [], False
            try:
                with conn.transaction(), conn.cursor() as cur:
                    if self.lock_timeout_ms != LOCK_TIMEOUT_MS:  # changed after the pool connected
                        cur.execute(f"SET LOCAL lock_timeout = {int(self.lock_timeout_ms)}")
                    yield cur
                    if self._audit_rows:
                        # One statement for all of them (ids in the order they were written).
                        cur.execute(
                            _AUDIT_INSERT_MANY, [list(c) for c in zip(*self._audit_rows, strict=True)]
                        )
                    if self._notify:
                        cur.execute(f"NOTIFY {CHANNEL}")
            finally:
                self._audit_rows, self._notify = outer, outer_notify

    @contextmanager
    def _own_tx(self) -> Iterator[psycopg.Cursor[Any]]:
        """A transaction for the lease thread: its own connection, never waiting for `self._lock`
        (a long claim on the scheduler's thread must not delay the lease renewal it depends on)."""
        with self._translated(), self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur

    def _read(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[Any]:
        with self._lock, self._translated(), self._pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def _migrate(self) -> None:
        with self._tx() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            cur.execute("SELECT to_regclass('schema_version') IS NOT NULL, to_regclass('jobs') IS NOT NULL")
            has_version, has_jobs = cur.fetchone() or (False, False)
            if not has_version and has_jobs:
                raise PermanentStoreError(
                    f"database {self.location} has a 'jobs' table but no symbi schema version: "
                    "not a symbi database (use an empty database for symbi)"
                )
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
            cur.execute("SELECT max(version) FROM schema_version")
            row = cur.fetchone()
            current = (row[0] if row else None) or 0
            if current > SCHEMA_VERSION:
                raise PermanentStoreError(
                    f"database {self.location} has schema version {current}, newer than this symbi "
                    f"({SCHEMA_VERSION}); upgrade symbi"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version]:
                    cur.execute(statement)
                cur.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))

    def schema_version(self) -> int:
        return int(self._read("SELECT max(version) FROM schema_version")[0][0])

    def integrity_check(self) -> str:
        """PostgreSQL keeps its own consistency; report that the schema is the expected one."""
        version = self.schema_version()
        return "ok" if version == SCHEMA_VERSION else f"schema version {version}, expected {SCHEMA_VERSION}"

    def _audit(
        self,
        cur: psycopg.Cursor[Any],
        event_type: str,
        at: datetime,
        actor: str,
        job_id: str | None,
        job_name: str | None,
        run_id: str | None,
        details: Mapping[str, Any] | str | None,
        *,
        direct: bool = False,
    ) -> None:
        """Queue one audit row for the transaction's end (`direct`: write it now, in `cur`)."""
        text = details if isinstance(details, str) else _json(scrub_details(details or {}))
        row = (str(event_type), at, actor, job_id, job_name, run_id, text)
        if self._audit_rows is not None and not direct:
            self._audit_rows.append(row)
        else:
            cur.execute(_AUDIT_INSERT, row)

    def _definition(self, job_id: str, text: str) -> JobDefinition:
        key = (job_id, text)
        definition = self._definitions.get(key)
        if definition is None:
            definition = JobDefinition.from_dict(json.loads(text))
            if len(self._definitions) > 200_000:
                self._definitions.clear()
            self._definitions[key] = definition
        return definition

    def _job_from_row(self, row: Sequence[Any]) -> JobRecord:
        status, next_fire = row[3], row[4]
        try:
            definition = self._definition(row[0], row[2])
            self.unreadable_jobs.pop(row[0], None)
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            reason = f"stored definition is unreadable: {type(e).__name__}: {e}"
            if row[0] not in self.unreadable_jobs:
                logger.warning("job %s (%s): %s", row[1], row[0], reason)
            self.unreadable_jobs[row[0]] = reason
            definition = JobDefinition(name=row[1], agent_id="", description=reason)
            status, next_fire = JobStatus.FAILED.value, None
        return JobRecord(
            row[0], row[1], definition, status, next_fire, row[5], row[6], row[7], row[8], row[9], row[10]
        )

    @staticmethod
    def _run_from_row(row: Sequence[Any]) -> RunRecord:
        return RunRecord(
            id=row[0],
            job_id=row[1],
            job_name=row[2],
            scheduled_for=row[3],
            trigger=row[4],
            started_at=row[5],
            finished_at=row[6],
            jitter_seconds=row[7],
            status=row[8],
            input=row[9],
            output=row[10],
            error=row[11],
            duration_seconds=row[12],
            receipts=_json_or(row[13], [], what="receipts", run_id=row[0]),
            decision=row[14],
            decision_reason=row[15],
            approver=row[16],
            expires_at=row[17],
            detail=_json_or(row[18], {}, what="detail", run_id=row[0]),
        )

    def _job_row(self, cur: psycopg.Cursor[Any], name_or_id: str) -> Sequence[Any] | None:
        row = cur.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE name = %s", (name_or_id,)).fetchone()
        if row is None:
            row = cur.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = %s", (name_or_id,)).fetchone()
        if row is None and len(name_or_id) >= 6:
            rows = cur.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id LIKE %s LIMIT 2", (_like_prefix(name_or_id),)
            ).fetchall()
            if len(rows) == 1:
                row = rows[0]
        return row

    def _require_job(self, cur: psycopg.Cursor[Any], name_or_id: str) -> JobRecord:
        row = self._job_row(cur, name_or_id)
        if row is None:
            raise StoreError(f"no job named {name_or_id!r}")
        return self._job_from_row(row)

    @contextmanager
    def _cursor(self) -> Iterator[psycopg.Cursor[Any]]:
        """A read-only cursor (its own short transaction)."""
        with self._lock, self._translated(), self._pool.connection() as conn, conn.cursor() as cur:
            yield cur

    # --- jobs -------------------------------------------------------------------------------------

    def upsert_job(
        self, job: JobDefinition, *, now: datetime, actor: str = "system"
    ) -> tuple[JobRecord, Literal["created", "updated", "unchanged"]]:
        [result] = self.upsert_jobs([job], now=now, actor=actor)
        return result

    def upsert_jobs(
        self, jobs: Sequence[JobDefinition], *, now: datetime, actor: str = "system"
    ) -> list[tuple[JobRecord, Literal["created", "updated", "unchanged"]]]:
        """`upsert_job` for several jobs in one transaction. A job whose fingerprint (`store.fingerprint`)
        equals its row's is unchanged without being serialised; other rows are compared by definition text
        (equal: unchanged, and the row gains the fingerprint)."""
        with self._tx() as cur:
            # Nodes starting together load the same files: one load at a time, so two never both insert
            # a new name (the second sees the first's rows: "unchanged").
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (UPSERT_LOCK,))
            # Few round trips (a loaded machine pays for each): the existing rows in one read, the new
            # jobs in one INSERT of arrays; edits (rare in bulk) one UPDATE each.
            names = [job.name for job in jobs]
            existing: dict[str, Any] = {
                row[1]: row
                for row in cur.execute(
                    f"SELECT {_JOB_COLUMNS}, content_hash FROM jobs WHERE name = ANY(%s) FOR UPDATE", (names,)
                ).fetchall()
            }
            inserts: list[tuple[Any, ...]] = []
            fingerprinted: list[tuple[str, str]] = []
            results: list[tuple[JobRecord, Literal["created", "updated", "unchanged"]]] = []
            seen: set[str] = set()
            for job in jobs:
                fingerprint = job_fingerprint(job)
                row = existing.get(job.name)
                if job.name in seen:
                    # The same name again in one load: applied in order, against what this load wrote.
                    self._insert_jobs(cur, inserts)
                    row = self._job_row(cur, job.name)
                elif row is not None and row[11] == fingerprint:
                    self._definitions.setdefault((row[0], row[2]), job)  # the row's JSON is this job
                    results.append((self._job_from_row(row), "unchanged"))
                    seen.add(job.name)
                    continue
                seen.add(job.name)
                definition = _json(job.to_dict())
                if row is not None and row[2] == definition:
                    self._definitions.setdefault((row[0], definition), job)
                    fingerprinted.append((fingerprint, row[0]))
                    results.append((self._job_from_row(row), "unchanged"))
                    continue
                first = timing.first_fire(job, now)
                results.append(
                    self._upsert(cur, row, job, definition, fingerprint, first, now, actor, inserts)
                )
            self._insert_jobs(cur, inserts)
            if fingerprinted:  # rows from before fingerprints: remembered now, not an edit
                cur.execute(
                    "UPDATE jobs SET content_hash = f.hash "
                    "FROM unnest(%s::text[], %s::text[]) AS f(hash, id) WHERE jobs.id = f.id",
                    [list(column) for column in zip(*fingerprinted, strict=True)],
                )
            self._notify = any(outcome != "unchanged" for _, outcome in results)
            return results

    @staticmethod
    def _insert_jobs(cur: psycopg.Cursor[Any], inserts: list[tuple[Any, ...]]) -> None:
        """Insert the new jobs gathered by `_upsert` in one statement (arrays), and clear the list."""
        if inserts:
            cur.execute(
                "INSERT INTO jobs (id, name, agent_id, definition, status, next_fire_at, created_at, "
                "updated_at, content_hash) SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], "
                "%s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[], %s::timestamptz[], "
                "%s::text[])",
                [list(column) for column in zip(*inserts, strict=True)],
            )
            inserts.clear()

    def _upsert(
        self,
        cur: psycopg.Cursor[Any],
        row: Sequence[Any] | None,
        job: JobDefinition,
        definition: str,
        fingerprint: str,
        first: datetime | None,
        now: datetime,
        actor: str,
        inserts: list[tuple[Any, ...]],
    ) -> tuple[JobRecord, Literal["created", "updated", "unchanged"]]:
        """One job of `upsert_jobs`: `row` is its stored row (None: new, appended to `inserts`)."""
        if row is None:
            job_id = new_id()
            status: str = JobStatus.ACTIVE if first is not None else JobStatus.COMPLETED
            inserts.append((job_id, job.name, job.agent_id, definition, status, first, now, now, fingerprint))
            self._audit(cur, "CronJobCreated", now, actor, job_id, job.name, None, _job_summary(job))
            self._definitions[(job_id, definition)] = job
            return JobRecord(job_id, job.name, job, status, first, 0, 0, now, now, None, None), "created"
        old = self._job_from_row(row)
        if row[2] == definition:
            return old, "unchanged"
        rescheduled = timing.schedule_key(old.definition) != timing.schedule_key(job)
        next_fire, status = old.next_fire_at, old.status
        if rescheduled:
            next_fire = first
            if status == JobStatus.COMPLETED or (status == JobStatus.ACTIVE and first is None):
                status = JobStatus.ACTIVE if first is not None else JobStatus.COMPLETED
        cur.execute(
            "UPDATE jobs SET agent_id = %s, definition = %s, status = %s, next_fire_at = %s, "
            "updated_at = %s, content_hash = %s WHERE id = %s",
            (job.agent_id, definition, status, next_fire, now, fingerprint, old.id),
        )
        self._audit(
            cur,
            "CronJobUpdated",
            now,
            actor,
            old.id,
            job.name,
            None,
            {**_job_summary(job), "rescheduled": rescheduled},
        )
        new_row = self._job_row(cur, old.id)
        assert new_row is not None
        return self._job_from_row(new_row), "updated"

    def get_job(self, name_or_id: str) -> JobRecord | None:
        with self._cursor() as cur:
            row = self._job_row(cur, name_or_id)
        return None if row is None else self._job_from_row(row)

    def job_names(self) -> list[str]:
        """The names of every stored job (without reading their definitions)."""
        return [row[0] for row in self._read("SELECT name FROM jobs ORDER BY name")]

    def list_jobs(self, *, status: str | None = None, agent: str | None = None) -> list[JobRecord]:
        sql = f"SELECT {_JOB_COLUMNS} FROM jobs"
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            where.append("status = %s")
            params.append(status)
        if agent is not None:
            where.append("agent_id = %s")
            params.append(agent)
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [self._job_from_row(r) for r in self._read(sql + " ORDER BY name", params)]

    def remove_job(self, name_or_id: str, *, now: datetime | None = None, actor: str = "system") -> bool:
        at = now or datetime.now(UTC)
        with self._tx() as cur:
            row = self._job_row(cur, name_or_id)
            if row is None:
                return False
            cur.execute("DELETE FROM jobs WHERE id = %s", (row[0],))
            cur.execute("DELETE FROM sessions WHERE key = %s", (f"job:{row[1]}",))
            self._audit(cur, "CronJobDeleted", at, actor, row[0], row[1], None, {})
            self._notify = True
        return True

    def set_job_status(
        self, name_or_id: str, status: str, *, now: datetime, actor: str = "system"
    ) -> JobRecord:
        with self._tx() as cur:
            job = self._require_job(cur, name_or_id)
            if status == JobStatus.PAUSED:
                if job.status == JobStatus.PAUSED:
                    return job
                if job.status != JobStatus.ACTIVE:
                    raise StoreError(f"job {job.name!r} is {job.status}; only active jobs can be paused")
                cur.execute("UPDATE jobs SET status = 'paused', updated_at = %s WHERE id = %s", (now, job.id))
                self._audit(cur, "CronJobPaused", now, actor, job.id, job.name, None, {})
            elif status == JobStatus.ACTIVE:
                if job.status == JobStatus.ACTIVE:
                    return job
                if job.status != JobStatus.PAUSED:
                    hint = "; use reset" if job.status in (JobStatus.DEAD_LETTER, JobStatus.FAILED) else ""
                    raise StoreError(
                        f"job {job.name!r} is {job.status}; only paused jobs can be resumed{hint}"
                    )
                self._reactivate(cur, job, now)
                self._audit(cur, "CronJobResumed", now, actor, job.id, job.name, None, {})
            else:
                raise StoreError(f"cannot set job status to {status!r} (use 'paused' or 'active')")
            self._notify = True
            return self._require_job(cur, job.id)

    def reset_job(self, name_or_id: str, *, now: datetime, actor: str = "system") -> JobRecord:
        with self._tx() as cur:
            job = self._require_job(cur, name_or_id)
            self._reactivate(cur, job, now)
            self._audit(
                cur, "CronJobReset", now, actor, job.id, job.name, None, {"previous_status": job.status}
            )
            self._notify = True
            return self._require_job(cur, job.id)

    def mark_job_failed(self, name_or_id: str, reason: str, *, now: datetime) -> None:
        with self._tx() as cur:
            job = self._require_job(cur, name_or_id)
            cur.execute(
                "UPDATE jobs SET status = 'failed', next_fire_at = NULL, updated_at = %s WHERE id = %s",
                (now, job.id),
            )
            self._audit(cur, "CronJobFailed", now, "scheduler", job.id, job.name, None, {"reason": reason})

    def _reactivate(self, cur: psycopg.Cursor[Any], job: JobRecord, now: datetime) -> None:
        d = job.definition
        if timing.is_one_shot(d):
            done = cur.execute(
                "SELECT 1 FROM runs WHERE job_id = %s AND trigger != 'manual' AND status != 'missed' LIMIT 1",
                (job.id,),
            ).fetchone()
            nxt = None if done else timing.first_fire(d, now)
        else:
            nxt = timing.next_fire_after(d, now)
        status = JobStatus.ACTIVE if nxt is not None else JobStatus.COMPLETED
        cur.execute(
            "UPDATE jobs SET status = %s, next_fire_at = %s, consecutive_failures = 0, updated_at = %s "
            "WHERE id = %s",
            (status, nxt, now, job.id),
        )

    def job_counts(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self._read("SELECT status, count(*) FROM jobs GROUP BY status")}

    # --- scheduling -------------------------------------------------------------------------------

    def next_due_time(self) -> datetime | None:
        share = self.share
        if share is None or share[1] <= 1:
            row = self._read("SELECT min(next_fire_at) FROM jobs WHERE status = 'active'")
            return row[0][0]  # type: ignore[no-any-return]
        # The earliest fires (by the index): ours are due at their time, the others' once stealable.
        # Never later than the truth: past the rows read, nothing fires before the last of them.
        rows = self._read(
            f"SELECT next_fire_at, {_MY_SHARE} FROM jobs WHERE status = 'active' "
            "AND next_fire_at IS NOT NULL ORDER BY next_fire_at LIMIT 64",
            {"rank": share[0], "nodes": share[1]},
        )
        if not rows:
            return None
        steal = timedelta(seconds=STEAL_AFTER_SECONDS)
        times: list[datetime] = [at if mine else at + steal for at, mine in rows]
        if len(rows) == 64:
            times.append(rows[-1][0])
        return min(times)

    def due_jobs(self, now: datetime, *, limit: int = 1000) -> list[JobRecord]:
        share = self.share
        if share is None or share[1] <= 1:
            rows = self._read(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE status = 'active' AND next_fire_at <= %s "
                "ORDER BY next_fire_at LIMIT %s",
                (now, limit),
            )
        else:  # our share, and the others' fires that are overdue (see the module doc)
            rows = self._read(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE status = 'active' AND next_fire_at <= %(now)s "
                f"AND (next_fire_at <= %(steal)s OR {_MY_SHARE}) ORDER BY next_fire_at LIMIT %(limit)s",
                {
                    "now": now,
                    "steal": now - timedelta(seconds=STEAL_AFTER_SECONDS),
                    "rank": share[0],
                    "nodes": share[1],
                    "limit": limit,
                },
            )
        jobs = [self._job_from_row(r) for r in rows]
        for job in jobs:
            if job.id in self.unreadable_jobs and job.status == JobStatus.FAILED:
                try:
                    self.mark_job_failed(job.id, self.unreadable_jobs[job.id], now=now)
                except StoreError as e:
                    logger.warning("could not mark job %s failed: %s", job.name, e)
        return [j for j in jobs if j.id not in self.unreadable_jobs]

    def _fence(self, cur: psycopg.Cursor[Any]) -> None:
        """In a claiming transaction: this node's lease must be current and of its epoch. The share lock
        on the node row holds off a node declaring us dead until this transaction ends."""
        if self.node_id is None:
            return  # not a node (a CLI process): manual runs need no lease
        if (
            not self._lease_ok.is_set()
            or cur.execute(_LEASE_CURRENT, (self.node_id, self.epoch)).fetchone() is None
        ):
            self._lease_ok.clear()
            raise LeaseLost(f"node {self.node_id} (epoch {self.epoch}) lost its lease; not claiming")

    def claim_fires(self, claims: Sequence[FireClaim], *, now: datetime) -> list[list[RunRecord]]:
        """Claims in one transaction: lock the batch's jobs with SKIP LOCKED (jobs another node is
        claiming are skipped: their result is empty), compare-and-set each next fire, insert runs.

        A claim that cannot be stored (a damaged row: an `input` that is an object, a value the server
        rejects) costs only its job: the job is marked `failed` with the reason and an audit event,
        and the other claims go through (a value the server rejects: the batch is retried with each
        claim in its own savepoint)."""
        try:
            return self._claim_fires(claims, now, isolate=False)
        except (StoreError, TypeError, ValueError) as e:
            if not _row_specific(e):
                raise
            return self._claim_fires(claims, now, isolate=True)

    def _claim_fires(
        self, claims: Sequence[FireClaim], now: datetime, *, isolate: bool
    ) -> list[list[RunRecord]]:
        with self._tx() as cur:
            self._fence(cur)
            good: list[FireClaim] = []
            failed: set[str] = set()
            for claim in claims:
                reason = _unstorable(claim)
                if reason is None:
                    good.append(claim)
                else:
                    self._fail_claim(cur, claim, now, reason)
                    failed.add(claim.job_id)
            if not isolate:
                by_job = self._claim_batch(cur, good, now)
            else:
                by_job = {}
                for claim in good:
                    mark = len(self._audit_rows or [])
                    try:
                        with cur.connection.transaction():
                            by_job.update(self._claim_batch(cur, [claim], now))
                    except (psycopg.DataError, psycopg.ProgrammingError, TypeError, ValueError) as e:
                        if isinstance(e, psycopg.ProgrammingError) and e.sqlstate:
                            raise
                        if self._audit_rows is not None:
                            del self._audit_rows[mark:]
                        self._fail_claim(cur, claim, now, f"{type(e).__name__}: {e}")
            return [by_job.pop(c.job_id, []) for c in claims]

    def _fail_claim(self, cur: psycopg.Cursor[Any], claim: FireClaim, now: datetime, why: str) -> None:
        reason = f"its stored job cannot be scheduled: {why}"
        logger.error("job %s: %s; marking it failed (other jobs keep firing)", claim.job_name, reason)
        row = cur.execute(
            "UPDATE jobs SET status = 'failed', next_fire_at = NULL, updated_at = %s WHERE id = %s "
            "RETURNING name",
            (now, claim.job_id),
        ).fetchone()
        name = row[0] if row else claim.job_name
        self._audit(cur, "CronJobFailed", now, "scheduler", claim.job_id, name, None, {"reason": reason})

    def _claim_batch(
        self, cur: psycopg.Cursor[Any], claims: Sequence[FireClaim], now: datetime
    ) -> dict[str, list[RunRecord]]:
        """The claims' runs by job id (jobs that moved on or that another node holds: absent)."""
        if not claims:
            return {}
        ids = sorted({c.job_id for c in claims})
        locked = {
            r[0]
            for r in cur.execute(
                "SELECT id FROM jobs WHERE id = ANY(%s) FOR UPDATE SKIP LOCKED", (ids,)
            ).fetchall()
        }
        # One claim per job per call (the scheduler's batches): compare-and-set every locked job's
        # next fire in one statement, then insert every run of the advanced jobs in one more.
        todo = [c for c in claims if c.job_id in locked]
        advanced: dict[str, str] = {}
        if todo:
            advanced = {
                r[0]: r[1]
                for r in cur.execute(
                    "UPDATE jobs j SET next_fire_at = v.new_next, status = CASE WHEN v.new_next IS NULL "
                    "THEN 'completed' ELSE j.status END FROM unnest(%s::text[], %s::timestamptz[], "
                    "%s::timestamptz[]) AS v(id, expected, new_next) WHERE j.id = v.id AND "
                    "j.status = 'active' AND j.next_fire_at IS NOT DISTINCT FROM v.expected "
                    "RETURNING j.id, j.name",
                    (
                        [c.job_id for c in todo],
                        [c.expected_next for c in todo],
                        [c.new_next for c in todo],
                    ),
                ).fetchall()
            }
        won = [c for c in todo if c.job_id in advanced]
        items = [(c.job_id, advanced[c.job_id], new) for c in won for new in c.runs]
        runs = iter(self._insert_runs(cur, items, now))
        by_job: dict[str, list[RunRecord]] = {}
        for c in won:
            by_job[c.job_id] = [r for r in (next(runs) for _ in c.runs) if r is not None]
            if c.new_next is None:
                self._audit(cur, "CronJobCompleted", now, "scheduler", c.job_id, advanced[c.job_id], None, {})
        return by_job

    def _insert_run(
        self, cur: psycopg.Cursor[Any], job_id: str, job_name: str, new: NewRun, now: datetime
    ) -> RunRecord | None:
        [run] = self._insert_runs(cur, [(job_id, job_name, new)], now)
        return run

    def _insert_runs(
        self, cur: psycopg.Cursor[Any], items: Sequence[tuple[str, str, NewRun]], now: datetime
    ) -> list[RunRecord | None]:
        """Insert runs in one statement; None for a fire that already has its run (one per fire)."""
        if not items:
            return []
        rows = []
        for job_id, _name, new in items:
            detail = dict(new.detail or {})
            rows.append(
                (
                    new_id(),
                    job_id,
                    new.scheduled_for,
                    new.trigger,
                    now if new.status == RunStatus.RUNNING else None,
                    now if new.status in FINAL_RUN_STATUSES else None,
                    new.jitter_seconds,
                    new.status,
                    _text(new.input),
                    _text(new.error),
                    _json(detail) if detail else None,
                    secrets.randbits(62) + 1 if new.trigger == Trigger.MANUAL else 0,
                    # A pending backfilled run belongs to no node: whichever scheduler ticks first starts it.
                    None if new.trigger == Trigger.BACKFILL and new.status == "pending" else self._run_owner,
                    self.epoch,
                )
            )
        inserted = {
            r[0]
            for r in cur.execute(
                "INSERT INTO runs (id, job_id, scheduled_for, trigger, started_at, finished_at, "
                "jitter_seconds, status, input, error, detail, seq, owner, epoch) "
                "SELECT * FROM unnest(%s::text[], %s::text[], %s::timestamptz[], %s::text[], "
                "%s::timestamptz[], %s::timestamptz[], "
                "%s::float8[], %s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::text[], "
                "%s::bigint[]) ON CONFLICT (job_id, scheduled_for, seq) DO NOTHING RETURNING id",
                [list(column) for column in zip(*rows, strict=True)],
            ).fetchall()
        }
        records: list[RunRecord | None] = []
        finals: list[tuple[str, datetime, str]] = []
        for row, (job_id, job_name, new) in zip(rows, items, strict=True):
            if row[0] not in inserted:
                records.append(None)
                continue
            detail = dict(new.detail or {})
            if new.status in FINAL_RUN_STATUSES:
                finals.append((new.status, now, job_id))
            event = RUN_EVENTS.get(new.status)
            if event is not None:
                details: dict[str, Any] = {
                    "scheduled_for": new.scheduled_for.isoformat(),
                    "trigger": new.trigger,
                }
                details.update(detail)
                if new.error:
                    details["reason"] = new.error
                self._audit(cur, event, now, "scheduler", job_id, job_name, row[0], details)
            records.append(
                RunRecord(
                    id=row[0],
                    job_id=job_id,
                    job_name=job_name,
                    scheduled_for=new.scheduled_for,
                    trigger=new.trigger,
                    started_at=row[4],
                    finished_at=row[5],
                    jitter_seconds=new.jitter_seconds,
                    status=new.status,
                    input=new.input,
                    output=None,
                    error=new.error,
                    duration_seconds=None,
                    detail=detail,
                )
            )
        if finals:
            cur.executemany("UPDATE jobs SET last_status = %s, last_run_at = %s WHERE id = %s", finals)
        return records

    @property
    def _run_owner(self) -> str:
        """Who owns the runs this store claims or starts: the node, else this process."""
        return self.node_id or self.owner

    def insert_run(self, job_name_or_id: str, new: NewRun, *, now: datetime) -> RunRecord:
        with self._tx() as cur:
            job = self._require_job(cur, job_name_or_id)
            run = self._insert_run(cur, job.id, job.name, new, now)
        if run is None:
            raise StoreError(f"job {job.name!r} already has a run for {new.scheduled_for.isoformat()}")
        return run

    def start_runs(self, run_ids: Sequence[str], *, now: datetime) -> set[str]:
        started: set[str] = set()
        with self._tx() as cur:
            self._fence(cur)
            rows = cur.execute(
                "UPDATE runs r SET status = 'running', started_at = %s, owner = %s, epoch = %s "
                "FROM jobs j WHERE j.id = r.job_id AND r.id = ANY(%s) "
                "AND r.status IN ('pending', 'approved') "
                "RETURNING r.id, r.job_id, j.name, r.scheduled_for, r.trigger",
                (now, self._run_owner, self.epoch, list(run_ids)),
            ).fetchall()
            for run_id, job_id, name, scheduled_for, trigger in rows:
                started.add(run_id)
                self._audit(
                    cur,
                    "CronJobStarted",
                    now,
                    "scheduler",
                    job_id,
                    name,
                    run_id,
                    {"scheduled_for": scheduled_for.isoformat(), "trigger": trigger},
                )
        return started

    def park_run(
        self,
        run_id: str,
        status: str,
        *,
        now: datetime,
        error: str | None = None,
        approver: str | None = None,
        expires_at: datetime | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        record = self._park(run_id, status, now, error, approver, expires_at, detail, None)
        assert record is not None
        return record

    def _park(
        self,
        run_id: str,
        status: str,
        now: datetime,
        error: str | None,
        approver: str | None,
        expires_at: datetime | None,
        detail: Mapping[str, Any] | None,
        only_from: str | None,
    ) -> RunRecord | None:
        """`park_run`; with `only_from`, only a run still in that status (else None: another node got
        there first — the row lock makes the second one wait and then see the change)."""
        with self._tx() as cur:
            row = cur.execute(
                "SELECT r.job_id, j.name, r.detail, r.scheduled_for, r.trigger, r.status FROM runs r "
                "JOIN jobs j ON j.id = r.job_id WHERE r.id = %s FOR UPDATE OF r",
                (run_id,),
            ).fetchone()
            if row is None:
                raise StoreError(f"no run {run_id!r}")
            if only_from is not None and row[5] != only_from:
                return None
            merged = {**(json.loads(row[2]) if row[2] else {}), **(detail or {})}
            final = status in FINAL_RUN_STATUSES
            cur.execute(
                "UPDATE runs SET status = %s, error = coalesce(%s, error), "
                "approver = coalesce(%s, approver), "
                "expires_at = %s, finished_at = %s, detail = %s WHERE id = %s",
                (
                    status,
                    _text(error),
                    approver,
                    expires_at,
                    now if final else None,
                    _json(merged) if merged else None,
                    run_id,
                ),
            )
            if final:
                cur.execute(
                    "UPDATE jobs SET last_status = %s, last_run_at = %s WHERE id = %s", (status, now, row[0])
                )
            details: dict[str, Any] = {"scheduled_for": row[3].isoformat(), "trigger": row[4]}
            if error:
                details["reason"] = error
            if approver:
                details["approver"] = approver
            if detail:
                details.update(detail)
            self._audit(
                cur, RUN_EVENTS.get(status, status), now, "scheduler", row[0], row[1], run_id, details
            )
            return self._run(cur, run_id)

    def finish_runs(
        self,
        outcomes: Sequence[RunOutcome],
        *,
        now: datetime,
        default_max_retries: int,
        sessions: Mapping[str, list[dict[str, Any]]] | None = None,
    ) -> list[FinishResult]:
        results: list[FinishResult] = []
        with self._tx() as cur:
            if sessions:
                cur.executemany(
                    "INSERT INTO sessions (key, messages, updated_at) SELECT %s, %s, %s "
                    "WHERE substr(%s, 1, 4) != 'job:' "
                    "OR EXISTS (SELECT 1 FROM jobs WHERE name = substr(%s, 5)) ON CONFLICT (key) "
                    "DO UPDATE SET messages = excluded.messages, updated_at = excluded.updated_at",
                    [(key, _json(messages), now, key, key) for key, messages in sessions.items()],
                )
            ids = [o.run_id for o in outcomes]
            # Lock the runs and their jobs (in id order: no deadlock between nodes finishing together).
            rows = {
                r[0]: r
                for r in cur.execute(
                    f"SELECT {_RUN_COLUMNS}, j.definition, j.status, j.consecutive_failures FROM runs r "
                    "JOIN jobs j ON j.id = r.job_id WHERE r.id = ANY(%s) ORDER BY j.id, r.id FOR UPDATE",
                    (ids,),
                ).fetchall()
            }
            jobs: dict[str, list[Any]] = {}
            run_updates: list[tuple[Any, ...]] = []
            for o in outcomes:
                row = rows.pop(o.run_id, None)
                if row is None:
                    continue  # removed meanwhile, or listed twice
                if row[8] in FINAL_RUN_STATUSES:
                    continue  # already final (e.g. abandoned when this node lost its lease)
                run = self._run_from_row(row)
                definition = (
                    o.definition if o.definition is not None else self._definition(run.job_id, row[19])
                )
                state = jobs.setdefault(run.job_id, [row[20], row[21], 0, None])
                # When the run ended, not when this write happened (a retried write comes later).
                ended = o.finished_at or now
                duration = (
                    None if run.started_at is None else max(0.0, (ended - run.started_at).total_seconds())
                )
                merged = {**run.detail, **(o.detail or {})}
                receipts = [dict(r) for r in o.receipts]
                run_updates.append(
                    (
                        o.status,
                        _text(o.output),
                        _text(o.error),
                        ended,
                        duration,
                        _json(receipts) if receipts else None,
                        _json(merged) if merged else None,
                        o.run_id,
                    ),
                )
                if o.status == RunStatus.SUCCEEDED:
                    state[1] = 0
                elif o.status in FAILURE_STATUSES:
                    state[1] += 1
                state[2] += 1
                state[3] = o.status
                limit = definition.max_retries
                limit = default_max_retries if limit is None else limit
                dead = (
                    o.status in FAILURE_STATUSES
                    and state[1] >= max(1, limit)
                    and state[0] in (JobStatus.ACTIVE, JobStatus.COMPLETED)
                )
                details: dict[str, Any] = {"status": o.status, "duration_seconds": duration}
                if o.error:
                    details["error"] = o.error[:500]
                self._audit(
                    cur,
                    RUN_EVENTS.get(o.status, o.status),
                    now,
                    "scheduler",
                    run.job_id,
                    run.job_name,
                    o.run_id,
                    details,
                )
                if dead:
                    state[0] = JobStatus.DEAD_LETTER
                    self._audit(
                        cur,
                        "CronJobDeadLettered",
                        now,
                        "scheduler",
                        run.job_id,
                        run.job_name,
                        o.run_id,
                        {"consecutive_failures": state[1], "max_retries": limit},
                    )
                record = RunRecord(
                    run.id,
                    run.job_id,
                    run.job_name,
                    run.scheduled_for,
                    run.trigger,
                    run.started_at,
                    ended,
                    run.jitter_seconds,
                    o.status,
                    run.input,
                    o.output,
                    o.error,
                    duration,
                    receipts,
                    run.decision,
                    run.decision_reason,
                    run.approver,
                    run.expires_at,
                    merged,
                )
                results.append(FinishResult(record, dead))
            # Batched (psycopg pipelines executemany): one round trip per statement kind, not per run.
            cur.executemany(
                "UPDATE runs SET status = %s, output = %s, error = %s, finished_at = %s, "
                "duration_seconds = %s, receipts = %s, detail = %s WHERE id = %s",
                run_updates,
            )
            cur.executemany(
                "UPDATE jobs SET consecutive_failures = %s, run_count = run_count + %s, "
                "last_run_at = %s, last_status = %s WHERE id = %s",
                [(st[1], st[2], now, st[3], job_id) for job_id, st in jobs.items()],
            )
            cur.executemany(
                "UPDATE jobs SET status = 'dead_letter', next_fire_at = NULL WHERE id = %s",
                [(job_id,) for job_id, st in jobs.items() if st[0] == JobStatus.DEAD_LETTER],
            )
        return results

    def _abandon(
        self,
        cur: psycopg.Cursor[Any],
        run_ids: Sequence[str],
        now: datetime,
        why: str,
        *,
        direct: bool = False,
    ) -> list[RunRecord]:
        rows = cur.execute(
            "UPDATE runs r SET status = 'abandoned', finished_at = %s, error = coalesce(r.error, %s) "
            "FROM jobs j WHERE j.id = r.job_id AND r.id = ANY(%s) AND r.status = 'running' "
            "RETURNING r.id, r.job_id, j.name",
            (now, why, list(run_ids)),
        ).fetchall()
        for run_id, job_id, name in rows:
            cur.execute(
                "UPDATE jobs SET last_status = 'abandoned', last_run_at = %s WHERE id = %s", (now, job_id)
            )
            self._audit(
                cur,
                "CronJobAbandoned",
                now,
                "scheduler",
                job_id,
                name,
                run_id,
                {"reason": why},
                direct=direct,
            )
        return [r for r in (self._run(cur, row[0]) for row in rows) if r is not None]

    def abandon_running(self, *, now: datetime) -> list[RunRecord]:
        """At start-up: `running` runs whose owner is gone (a dead node, an exited process of this host)
        become `abandoned`. Runs of live nodes are theirs."""
        with self._tx() as cur:
            self._reap(cur, now)
            live = self._live_nodes(cur)
            # Read without locking (locking every running run of the cluster would deadlock with the
            # nodes finishing theirs); `_abandon` updates only runs still `running`.
            rows = cur.execute("SELECT id, owner FROM runs WHERE status = 'running'").fetchall()
            gone = [
                run_id
                for run_id, owner in rows
                if owner == self.owner  # this store's own earlier runs (as in SQLite)
                or (owner not in live and owner != self._run_owner and self._dead_owner(owner))
            ]
            return self._abandon(cur, gone, now, "the runtime stopped while this run was in progress")

    def _dead_owner(self, owner: str | None) -> bool:
        if not owner:
            return True
        host = owner.partition(":")[0]
        if host != socket.gethostname():
            # Another host and not a live node: a dead node, or a `symbi cron run` there that this host
            # cannot check (assumed gone, as the SQLite store assumes for every other host).
            return True
        return not _owner_alive(owner)

    def _live_nodes(self, cur: psycopg.Cursor[Any]) -> set[str]:
        return {
            r[0]
            for r in cur.execute(
                "SELECT id FROM nodes WHERE status = 'alive' AND lease_until > now()"
            ).fetchall()
        }

    def runs_to_resume(self, *, approved_only: bool = False) -> list[RunRecord]:
        """Approved runs, and `pending` runs nobody alive owns (released by a dead node) — or, at
        start-up (`approved_only=False`), also this process's own earlier ones. Several nodes may list
        the same run: `start_runs` starts it once."""
        rows = self._read(
            f"SELECT {_RUN_COLUMNS}, r.owner FROM runs r JOIN jobs j ON j.id = r.job_id "
            "WHERE r.status = 'approved' OR (r.status = 'pending' AND (r.owner IS NULL OR NOT EXISTS "
            "(SELECT 1 FROM nodes n WHERE n.id = r.owner AND n.status = 'alive' AND n.lease_until > now())))"
            " ORDER BY r.scheduled_for"
        )
        wanted = []
        for row in rows:
            owner = row[19]
            live_local = owner is not None and not self._dead_owner(owner)
            if row[8] == RunStatus.PENDING and live_local and (approved_only or owner != self._run_owner):
                continue  # a live process of this host (`symbi cron run`) owns it
            wanted.append(self._run_from_row(row))
        return wanted

    def expire_approvals(self, *, now: datetime) -> list[RunRecord]:
        rows = self._read(
            "SELECT id FROM runs WHERE status = 'awaiting_approval' AND expires_at IS NOT NULL "
            "AND expires_at <= %s",
            (now,),
        )
        expired = []
        for (run_id,) in rows:
            record = self._park(
                run_id,
                RunStatus.MISSED,
                now,
                "approval not given before it expired",
                None,
                None,
                None,
                RunStatus.AWAITING_APPROVAL,
            )
            if record is not None:
                expired.append(record)
        return expired

    def count_in_flight(self, job_id: str) -> int:
        return int(
            self._read(
                "SELECT count(*) FROM runs WHERE job_id = %s AND status IN ('pending', 'running')", (job_id,)
            )[0][0]
        )

    def count_in_flight_many(self, job_ids: Sequence[str]) -> dict[str, int]:
        rows = self._read(
            "SELECT job_id, count(*) FROM runs WHERE job_id = ANY(%s) AND status IN ('pending', 'running') "
            "GROUP BY job_id",
            (list(job_ids),),
        )
        return {r[0]: int(r[1]) for r in rows}

    # --- runs -------------------------------------------------------------------------------------

    def _run(self, cur: psycopg.Cursor[Any], run_id: str) -> RunRecord | None:
        row = cur.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs r JOIN jobs j ON j.id = r.job_id WHERE r.id = %s", (run_id,)
        ).fetchone()
        if row is None and len(run_id) >= 6:
            rows = cur.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs r JOIN jobs j ON j.id = r.job_id "
                "WHERE r.id LIKE %s LIMIT 2",
                (_like_prefix(run_id),),
            ).fetchall()
            row = rows[0] if len(rows) == 1 else None
        return None if row is None else self._run_from_row(row)

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._cursor() as cur:
            return self._run(cur, run_id)

    def list_runs(
        self, *, job: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[RunRecord]:
        sql = f"SELECT {_RUN_COLUMNS} FROM runs r JOIN jobs j ON j.id = r.job_id"
        where: list[str] = []
        params: list[Any] = []
        if job is not None:
            record = self.get_job(job)
            if record is None:
                raise StoreError(f"no job named {job!r}")
            where.append("r.job_id = %s")
            params.append(record.id)
        if status is not None:
            where.append("r.status = %s")
            params.append(status)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY r.scheduled_for DESC, r.n DESC LIMIT %s"
        params.append(limit)
        return [self._run_from_row(r) for r in self._read(sql, params)]

    def run_stats(self) -> dict[str, Any]:
        row = self._read(
            "SELECT count(*), count(*) FILTER (WHERE status = 'succeeded'), "
            "count(*) FILTER (WHERE status IN ('failed', 'timed_out')), avg(duration_seconds), "
            "max(duration_seconds) FROM runs"
        )[0]
        avg, longest = row[3], row[4]
        return {
            "total": int(row[0]),
            "succeeded": int(row[1] or 0),
            "failed": int(row[2] or 0),
            "avg_execution_time_ms": None if avg is None else round(float(avg) * 1000, 3),
            "longest_execution_time_ms": None if longest is None else round(float(longest) * 1000, 3),
        }

    def decide_approval(
        self, run_id: str, *, approve: bool, actor: str, reason: str | None, now: datetime
    ) -> RunRecord:
        with self._tx() as cur:
            run = self._run(cur, run_id)
            if run is None:
                raise StoreError(f"no run {run_id!r}")
            cur.execute("SELECT 1 FROM runs WHERE id = %s FOR UPDATE", (run.id,))
            run = self._run(cur, run.id)
            assert run is not None
            if run.status != RunStatus.AWAITING_APPROVAL:
                raise StoreError(f"run {run.id} is not awaiting approval (status: {run.status})")
            if run.expires_at is not None and run.expires_at <= now:
                raise StoreError(
                    f"run {run.id}: the approval request expired at {run.expires_at.isoformat()}"
                )
            status = RunStatus.APPROVED if approve else RunStatus.DENIED
            cur.execute(
                "UPDATE runs SET status = %s, decision = %s, decision_reason = %s, approver = %s, "
                "finished_at = %s, owner = NULL WHERE id = %s",
                (
                    status,
                    "approved" if approve else "denied",
                    reason,
                    actor,
                    None if approve else now,
                    run.id,
                ),
            )
            if not approve:
                cur.execute(
                    "UPDATE jobs SET last_status = 'denied', last_run_at = %s WHERE id = %s",
                    (now, run.job_id),
                )
            self._audit(
                cur,
                "CronJobApproved" if approve else "CronJobApprovalDenied",
                now,
                actor,
                run.job_id,
                run.job_name,
                run.id,
                {"reason": reason} if reason else {},
            )
            self._notify = True
            record = self._run(cur, run.id)
        assert record is not None
        return record

    # --- sessions and heartbeat iterations --------------------------------------------------------

    def load_session(self, key: str) -> list[dict[str, Any]]:
        rows = self._read("SELECT messages FROM sessions WHERE key = %s", (key,))
        return list(json.loads(rows[0][0])) if rows else []

    def load_sessions(self, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """`load_session` for several keys in one read (keys without a session are left out)."""
        if not keys:
            return {}
        rows = self._read("SELECT key, messages FROM sessions WHERE key = ANY(%s)", (list(keys),))
        return {key: list(json.loads(text)) for key, text in rows}

    def save_session(self, key: str, messages: list[dict[str, Any]], *, now: datetime) -> None:
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO sessions (key, messages, updated_at) VALUES (%s, %s, %s) ON CONFLICT (key) "
                "DO UPDATE SET messages = excluded.messages, updated_at = excluded.updated_at",
                (key, _json(messages), now),
            )

    def delete_session(self, key: str) -> None:
        with self._tx() as cur:
            cur.execute("DELETE FROM sessions WHERE key = %s", (key,))

    def record_iteration(
        self, run_id: str, iteration: int, *, action: str, output: str, at: datetime
    ) -> None:
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO iterations (run_id, iteration, action, output, at) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (run_id, iteration) DO UPDATE SET action = excluded.action, "
                "output = excluded.output, at = excluded.at",
                (run_id, iteration, action, _text(output), at),
            )

    def list_iterations(self, run_id: str) -> list[dict[str, Any]]:
        rows = self._read(
            "SELECT iteration, action, output, at FROM iterations WHERE run_id = %s ORDER BY iteration",
            (run_id,),
        )
        return [{"iteration": r[0], "action": r[1], "output": r[2], "at": r[3]} for r in rows]

    # --- audit ------------------------------------------------------------------------------------

    def append_audit(
        self,
        event_type: str,
        *,
        at: datetime,
        actor: str,
        job_id: str | None = None,
        run_id: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        with self._tx() as cur:
            name = None
            if job_id is not None:
                row = cur.execute("SELECT name FROM jobs WHERE id = %s", (job_id,)).fetchone()
                name = row[0] if row else None
            self._audit(cur, event_type, at, actor, job_id, name, run_id, details)

    def list_audit(
        self,
        *,
        event_type: str | None = None,
        job: str | None = None,
        since: datetime | None = None,
        limit: int = 200,
    ) -> list[AuditRecord]:
        sql = "SELECT id, event_type, at, actor, job_id, job_name, run_id, details FROM audit"
        where: list[str] = []
        params: list[Any] = []
        if event_type is not None:
            where.append("event_type = %s")
            params.append(str(event_type))
        if job is not None:
            where.append("(job_name = %s OR job_id = %s)")
            params += [job, job]
        if since is not None:
            where.append("at >= %s")
            params.append(since)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT %s"
        params.append(limit)
        return [
            AuditRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]))
            for r in self._read(sql, params)
        ]

    # --- nodes: membership, leases, reaping, wake-ups -----------------------------------------------

    def start_background_work(self, on_change: Callable[[], None] | None = None) -> None:
        """Become a node: register with a new epoch, renew the lease every TTL/3, reap dead nodes, and
        call `on_change` (from another thread) when another process changes jobs or a node dies."""
        if self._threads:
            return
        self._on_change = on_change
        self._join()
        lease = threading.Thread(target=self._lease_loop, name="symbi-node-lease", daemon=True)
        listener = threading.Thread(target=self._listen_loop, name="symbi-node-listen", daemon=True)
        self._threads = [lease, listener]
        lease.start()
        listener.start()

    # Due jobs claimed per transaction. Nodes share a herd batch by batch (`FOR UPDATE SKIP LOCKED`), so
    # batches stay small enough to spread it across nodes.
    claim_batch = 500

    def node_status(self) -> dict[str, Any] | None:
        if self.node_id is None:
            return None
        return {
            "id": self.node_id,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "epoch": self.epoch,
            "lease_ttl_seconds": self.lease_ttl_seconds,
            "lease_valid": self._lease_ok.is_set(),
        }

    def _join(self) -> None:
        node_id = f"{_process_owner(os.getpid())}:{uuid.uuid4().hex[:8]}"
        with self._own_tx() as cur:
            row = cur.execute(
                "INSERT INTO nodes (id, host, pid, epoch, status, started_at, heartbeat_at, lease_until) "
                "VALUES (%s, %s, %s, nextval('node_epochs'), 'alive', now(), now(), "
                "now() + make_interval(secs => %s)) RETURNING epoch",
                (node_id, socket.gethostname(), os.getpid(), self.lease_ttl_seconds),
            ).fetchone()
        assert row is not None
        if self.node_id is not None:
            _LIVE_OWNERS.discard(self.node_id)
        self.node_id, self.epoch = node_id, int(row[0])
        _LIVE_OWNERS.add(node_id)  # another node in this process must not take us for dead
        self._lease_ok.set()
        with self._own_tx() as cur:
            self._update_share(cur)
        logger.info(
            "joined as node %s (epoch %s, lease TTL %ss)", node_id, self.epoch, self.lease_ttl_seconds
        )

    def _update_share(self, cur: psycopg.Cursor[Any]) -> None:
        """This node's rank among the live nodes (see "Fair shares" in the module doc)."""
        live = [
            r[0]
            for r in cur.execute(
                "SELECT id FROM nodes WHERE status = 'alive' AND lease_until > now() ORDER BY id"
            ).fetchall()
        ]
        if self.node_id in live and self._lease_ok.is_set():
            self.share = (live.index(self.node_id), len(live))
        else:
            self.share = None

    def _leave(self) -> None:
        """Graceful stop: the lease ends now, so nothing waits for it to expire."""
        with self._translated(), self._pool.connection() as conn:
            conn.execute(
                "UPDATE nodes SET status = 'stopped', stopped_at = now(), lease_until = now() "
                "WHERE id = %s AND epoch = %s AND status = 'alive'",
                (self.node_id, self.epoch),
            )

    def _renew(self) -> bool:
        """Extend this node's lease; False when it had already expired or was taken away."""
        with self._translated(), self._pool.connection() as conn:
            row = conn.execute(
                "UPDATE nodes SET heartbeat_at = now(), lease_until = now() + make_interval(secs => %s) "
                "WHERE id = %s AND epoch = %s AND status = 'alive' AND lease_until > now() RETURNING 1",
                (self.lease_ttl_seconds, self.node_id, self.epoch),
            ).fetchone()
        return row is not None

    def _pause(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True once the store is closing. Short relative sleeps rather than
        `Event.wait(timeout)`, whose absolute deadline goes wrong when the wall clock is shifted
        (faketime in CI, a clock step on a server)."""
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(0.05, left))
        return True

    def _lease_loop(self) -> None:
        interval = self.lease_ttl_seconds / 3
        while not self._pause(interval):
            try:
                if not self._renew():
                    self._lease_ok.clear()
                    logger.error(
                        "node %s lost its lease (epoch %s): stopped claiming; rejoining",
                        self.node_id,
                        self.epoch,
                    )
                    self._join()
                with self._own_tx() as cur:
                    dead = self._reap(cur, datetime.now(UTC), direct=True)
                    self._update_share(cur)
                if dead and self._on_change is not None:
                    self._on_change()
            except StoreError as e:
                logger.warning("node %s: lease renewal failed: %s; retrying", self.node_id, e)

    def _reap(self, cur: psycopg.Cursor[Any], now: datetime, *, direct: bool = False) -> list[str]:
        """Declare nodes past their lease dead (and same-host nodes whose process exited): abandon their
        running runs, release their pending ones. Returns the dead node ids."""
        # Candidates only (past their lease, or on this host), locked without waiting: a node in the
        # middle of a fenced claim holds its row and is looked at again next round.
        rows = cur.execute(
            "SELECT id, lease_until <= now() FROM nodes WHERE status = 'alive' AND id IS DISTINCT FROM %s "
            "AND (lease_until <= now() OR host = %s) FOR UPDATE SKIP LOCKED",
            (self.node_id, socket.gethostname()),
        ).fetchall()
        dead = [node for node, expired in rows if expired or not _owner_alive(node)]
        if not dead:
            return []
        cur.execute("UPDATE nodes SET status = 'dead', stopped_at = now() WHERE id = ANY(%s)", (dead,))
        running = [
            r[0]
            for r in cur.execute(
                "SELECT id FROM runs WHERE status = 'running' AND owner = ANY(%s)", (dead,)
            ).fetchall()
        ]
        self._abandon(
            cur,
            running,
            now,
            "its node stopped renewing its lease while the run was in progress",
            direct=direct,
        )
        cur.execute("UPDATE runs SET owner = NULL WHERE status = 'pending' AND owner = ANY(%s)", (dead,))
        for node in dead:
            logger.warning("node %s is dead (lease expired): its runs were abandoned or released", node)
        if direct:
            cur.execute(f"NOTIFY {CHANNEL}")  # the other nodes pick up the released runs now
        else:
            self._notify = True
        return dead

    def _listen_loop(self) -> None:
        """Wake the scheduler on NOTIFY; reconnect after a lost connection (polling covers the gap)."""
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.location.target, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            if self._on_change is not None:
                                self._on_change()
            except psycopg.Error as e:
                if not self._stop.is_set():
                    logger.info("node %s: change listener reconnecting (%s)", self.node_id, e)
                    self._pause(1.0)

    def list_nodes(self) -> list[dict[str, Any]]:
        """Every node that registered, newest first, with its lease (for `symbi cron nodes`)."""
        rows = self._read(
            "SELECT id, host, pid, epoch, CASE WHEN status = 'alive' AND lease_until <= now() THEN 'expired' "
            "ELSE status END, started_at, heartbeat_at, lease_until, stopped_at, "
            "(SELECT count(*) FROM runs r WHERE r.owner = n.id AND r.status = 'running') "
            "FROM nodes n ORDER BY started_at DESC"
        )
        keys = (
            "id",
            "host",
            "pid",
            "epoch",
            "status",
            "started_at",
            "heartbeat_at",
            "lease_until",
            "stopped_at",
            "running",
        )
        return [dict(zip(keys, r, strict=True)) for r in rows]


# Driver error → store error. SQLSTATE classes: 08 connection, 40 rollback (serialization, deadlock),
# 53 insufficient resources (disk full, too many connections), 57 operator intervention (shutdown,
# terminated backend), 55P03 lock not available: transient. 25006 read-only, 28 bad credentials,
# 3D000 no such database, 42 schema problems (not a symbi database): permanent.
_TRANSIENT_SQLSTATE = ("08", "40", "53", "57", "55P03", "58")
_PERMANENT_HINTS = {
    "25006": "the database is read-only (a standby, or default_transaction_read_only)",
    "28000": "the server refused the credentials",
    "28P01": "the server refused the password",
    "3D000": "the database does not exist (create it first: createdb …)",
    "42P01": "a table symbi needs is missing: not a symbi database, or one changed by hand",
    "42501": "the database user lacks a privilege symbi needs",
}


# Connection-time failures carry no SQLSTATE: told apart by the server's (or libpq's) message.
_CONNECT_PERMANENT = {
    "does not exist": "the database or role does not exist (create it first: createdb …)",
    "password authentication failed": "the server refused the password",
    "no password supplied": "the server wants a password (PGPASSWORD or ~/.pgpass; never in logs)",
    "no pg_hba.conf entry": "the server does not accept connections from this host/user (pg_hba.conf)",
    "invalid connection option": "the URL has an option PostgreSQL does not know",
    "invalid dsn": "the URL is not a valid PostgreSQL connection string",
}


def _text(value: str | None) -> str | None:
    """Text as PostgreSQL can store it: a NUL character (an agent's output may hold one; SQLite keeps
    it) would make the server reject the whole transaction, so it becomes U+FFFD."""
    return value.replace("\x00", "\ufffd") if value is not None and "\x00" in value else value


def _unstorable(claim: FireClaim) -> str | None:
    """Why a claim's runs cannot be stored (checked before the batch: one bad job must not fail it)."""
    for new in claim.runs:
        if new.input is not None and not isinstance(new.input, str):
            return f"TypeError: its `input` is a JSON {type(new.input).__name__}, not text"
    return None


def _row_specific(e: BaseException) -> bool:
    """A failure caused by one row's values (not by the database, the connection or the lease)."""
    cause = e if not isinstance(e, StoreError) else e.__cause__
    if isinstance(cause, psycopg.ProgrammingError):
        return not cause.sqlstate  # raised by the driver while adapting a value
    return isinstance(cause, psycopg.DataError | TypeError | ValueError)


def _raise_connect_error(e: psycopg.Error, context: str) -> NoReturn:
    text = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
    lowered = str(e).lower()
    for needle, hint in _CONNECT_PERMANENT.items():
        if needle in lowered:
            raise PermanentStoreError(f"{context}: {hint} ({text.strip()})") from None
    raise TransientStoreError(f"{context}: {text.strip()}") from None  # refused, unreachable, starting up


def _raise_translated(e: psycopg.Error, context: str) -> NoReturn:
    state = e.sqlstate or ""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if isinstance(e, psycopg.OperationalError | psycopg.InterfaceError) and not state:
        # Lost, refused, or already closed (a connection the server terminated): reconnecting may help.
        raise TransientStoreError(f"{context}: connection problem: {text}") from e
    if state.startswith(_TRANSIENT_SQLSTATE):
        raise TransientStoreError(f"{context}: {text}") from e
    hint = _PERMANENT_HINTS.get(state)
    raise PermanentStoreError(f"{context}: {hint} ({text})" if hint else f"{context}: {text}") from e
