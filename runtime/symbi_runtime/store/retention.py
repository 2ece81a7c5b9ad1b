"""How long run history and the audit log are kept, and the pruning that enforces it (both backends).

Runs are kept `runs_days` days and, whatever their age, at least the newest `runs_keep_last` of every
job; the audit log is kept separately (`audit_days`, longer by default: it is the security record).
Pruning deletes in small batches, each its own short transaction, from a connection of its own in a
background thread, so a tick never waits for more than one batch (the write lock is held for one
batch at a time). Runs still open (pending, running, awaiting approval) are never pruned; a pruned
run takes its heartbeat iterations with it (foreign key cascade).

On PostgreSQL every node runs the same pruner; a batch first takes a transaction-level advisory lock
without waiting, so while one node prunes the others skip their round (deleting the same rows twice
would only make them wait on each other's row locks).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from symbi_runtime.store.location import StoreLocation

logger = logging.getLogger("symbi_runtime.store.retention")

_FINAL = "('succeeded', 'failed', 'timed_out', 'skipped', 'denied', 'cancelled', 'abandoned', 'missed')"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """`[scheduler] retention_*`: 0 days keeps that history forever."""

    runs_days: float = 90.0
    runs_keep_last: int = 100
    audit_days: float = 365.0
    batch_size: int = 500

    @property
    def enabled(self) -> bool:
        return self.runs_days > 0 or self.audit_days > 0


@dataclass(frozen=True, slots=True)
class PruneCounts:
    """Rows removed (or, for a dry run, that would be)."""

    runs: int = 0
    audit: int = 0

    def __add__(self, other: PruneCounts) -> PruneCounts:
        return PruneCounts(self.runs + other.runs, self.audit + other.audit)


def _us(t: datetime) -> int:
    from symbi_runtime.store.sqlite import to_us

    return to_us(t)


def _run_cutoffs(conn: sqlite3.Connection, policy: RetentionPolicy, now: datetime) -> list[tuple[str, int]]:
    """(job id, prune runs scheduled before this) for every job with something to prune."""
    if policy.runs_days <= 0:
        return []
    age_cutoff = _us(now - timedelta(days=policy.runs_days))
    keep = max(1, policy.runs_keep_last)
    cutoffs = []
    for (job_id,) in conn.execute("SELECT id FROM jobs").fetchall():
        row = conn.execute(
            "SELECT scheduled_for FROM runs WHERE job_id = ? ORDER BY scheduled_for DESC, seq DESC "
            "LIMIT 1 OFFSET ?",
            (job_id, keep - 1),
        ).fetchone()
        if row is not None:  # fewer than `keep` runs: nothing of this job goes
            cutoffs.append((job_id, min(age_cutoff, row[0])))
    return cutoffs


def prune_batch(conn: sqlite3.Connection, policy: RetentionPolicy, now: datetime) -> PruneCounts:
    """Delete at most `batch_size` runs and `batch_size` audit rows, each in one short transaction."""
    runs = 0
    budget = max(1, policy.batch_size)
    for job_id, cutoff in _run_cutoffs(conn, policy, now):
        if runs >= budget:
            break
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(
                "DELETE FROM runs WHERE rowid IN (SELECT rowid FROM runs WHERE job_id = ? AND "
                f"scheduled_for < ? AND status IN {_FINAL} LIMIT ?)",
                (job_id, cutoff, budget - runs),
            )
            runs += max(0, cur.rowcount)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    audit = 0
    if policy.audit_days > 0:
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(
                "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? ORDER BY id LIMIT ?)",
                (_us(now - timedelta(days=policy.audit_days)), budget),
            )
            audit = max(0, cur.rowcount)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return PruneCounts(runs, audit)


def count_prunable(conn: sqlite3.Connection, policy: RetentionPolicy, now: datetime) -> PruneCounts:
    """What `prune_all` would delete now (for `symbi cron prune --dry-run`)."""
    runs = 0
    for job_id, cutoff in _run_cutoffs(conn, policy, now):
        runs += conn.execute(
            f"SELECT count(*) FROM runs WHERE job_id = ? AND scheduled_for < ? AND status IN {_FINAL}",
            (job_id, cutoff),
        ).fetchone()[0]
    audit = 0
    if policy.audit_days > 0:
        audit = conn.execute(
            "SELECT count(*) FROM audit WHERE at < ?", (_us(now - timedelta(days=policy.audit_days)),)
        ).fetchone()[0]
    return PruneCounts(int(runs), int(audit))


class Pruning(Protocol):
    """One backend's pruning, on a connection of its own."""

    def prune_batch(self, policy: RetentionPolicy, now: datetime) -> PruneCounts: ...
    def count_prunable(self, policy: RetentionPolicy, now: datetime) -> PruneCounts: ...
    def close(self) -> None: ...


class SqlitePruning:
    """`Pruning` on an SQLite file (the module functions above, on their own connection)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def prune_batch(self, policy: RetentionPolicy, now: datetime) -> PruneCounts:
        return prune_batch(self._conn, policy, now)

    def count_prunable(self, policy: RetentionPolicy, now: datetime) -> PruneCounts:
        return count_prunable(self._conn, policy, now)

    def close(self) -> None:
        self._conn.close()


# Taken (without waiting) by the node pruning a batch; the others skip their round meanwhile.
PRUNE_LOCK = 0x53594D424B

# Per job with more than `keep` runs: the fire time of its keep-th newest run (one index probe each).
_PG_CUTOFFS = (
    "SELECT j.id, least(%s, k.scheduled_for) FROM jobs j CROSS JOIN LATERAL (SELECT r.scheduled_for "
    "FROM runs r WHERE r.job_id = j.id ORDER BY r.scheduled_for DESC, r.seq DESC OFFSET %s LIMIT 1) k"
)
_PG_FINAL = f"r.status IN {_FINAL}"


class PostgresPruning:
    """`Pruning` on PostgreSQL: the same rules as SQLite, set-based, each batch its own transaction."""

    def __init__(self, target: str) -> None:
        import psycopg

        self.target = target
        self._conn: Any = psycopg.connect(target, connect_timeout=10, application_name="symbi-retention")

    @property
    def closed(self) -> bool:
        return bool(self._conn.closed)

    def _cutoffs(self, cur: Any, policy: RetentionPolicy, now: datetime) -> tuple[list[str], list[datetime]]:
        if policy.runs_days <= 0:
            return [], []
        rows = cur.execute(
            _PG_CUTOFFS, (now - timedelta(days=policy.runs_days), max(1, policy.runs_keep_last) - 1)
        ).fetchall()
        return [r[0] for r in rows], [r[1] for r in rows]

    def prune_batch(self, policy: RetentionPolicy, now: datetime) -> PruneCounts:
        budget = max(1, policy.batch_size)
        runs = audit = 0
        with self._conn.transaction(), self._conn.cursor() as cur:
            if not cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (PRUNE_LOCK,)).fetchone()[0]:
                return PruneCounts()  # another node is pruning
            jobs, cutoffs = self._cutoffs(cur, policy, now)
            if jobs:
                cur.execute(
                    "DELETE FROM runs WHERE id IN (SELECT r.id FROM runs r JOIN unnest(%s::text[], "
                    "%s::timestamptz[]) AS c(job_id, cutoff) ON r.job_id = c.job_id "
                    f"WHERE r.scheduled_for < c.cutoff AND {_PG_FINAL} LIMIT %s)",
                    (jobs, cutoffs, budget),
                )
                runs = max(0, cur.rowcount)
        if policy.audit_days > 0:
            with self._conn.transaction(), self._conn.cursor() as cur:
                cur.execute(
                    "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < %s ORDER BY id LIMIT %s)",
                    (now - timedelta(days=policy.audit_days), budget),
                )
                audit = max(0, cur.rowcount)
        return PruneCounts(runs, audit)

    def count_prunable(self, policy: RetentionPolicy, now: datetime) -> PruneCounts:
        with self._conn.transaction(), self._conn.cursor() as cur:
            jobs, cutoffs = self._cutoffs(cur, policy, now)
            runs = audit = 0
            if jobs:
                runs = cur.execute(
                    "SELECT count(*) FROM runs r JOIN unnest(%s::text[], %s::timestamptz[]) AS "
                    "c(job_id, cutoff) ON r.job_id = c.job_id WHERE r.scheduled_for < c.cutoff "
                    f"AND {_PG_FINAL}",
                    (jobs, cutoffs),
                ).fetchone()[0]
            if policy.audit_days > 0:
                audit = cur.execute(
                    "SELECT count(*) FROM audit WHERE at < %s", (now - timedelta(days=policy.audit_days),)
                ).fetchone()[0]
        return PruneCounts(int(runs), int(audit))

    def close(self) -> None:
        self._conn.close()


def open_pruning(location: StoreLocation | str, *, busy_timeout_ms: int = 10_000) -> Pruning:
    """Pruning on a connection of its own to the store at `location` (either backend)."""
    from symbi_runtime.store.location import Backend, parse_location

    if isinstance(location, str):
        location = parse_location(location)
    if location.backend is Backend.SQLITE:
        return SqlitePruning(open_pruning_connection(location.target, busy_timeout_ms))
    from symbi_runtime.store.errors import StoreError

    try:
        return PostgresPruning(location.target)
    except Exception as e:  # psycopg.Error: connection refused, bad credentials
        raise StoreError(f"retention: cannot connect to {location}: {e}") from None


def prune_all(
    pruning: Pruning | sqlite3.Connection,
    policy: RetentionPolicy,
    now: datetime,
    *,
    pause: Callable[[], bool] = lambda: False,
) -> PruneCounts:
    """Batches until nothing is left to prune; `pause()` runs between batches (True: stop early)."""
    if isinstance(pruning, sqlite3.Connection):
        pruning = SqlitePruning(pruning)
    total = PruneCounts()
    while True:
        done = pruning.prune_batch(policy, now)
        total += done
        if done.runs < policy.batch_size and done.audit < policy.batch_size:
            return total
        if pause():
            return total


def open_pruning_connection(path: str, busy_timeout_ms: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys = ON")  # a pruned run takes its iterations along
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


class BackgroundPruner:
    """Prunes every `interval_seconds` on its own thread and connection, sleeping `gap_seconds`
    between batches so the scheduler's writes interleave with them. `location` is the store's file
    path or PostgreSQL URL."""

    def __init__(
        self,
        location: StoreLocation | str,
        policy: RetentionPolicy,
        now: Callable[[], datetime],
        *,
        interval_seconds: float = 300.0,
        gap_seconds: float = 0.05,
        busy_timeout_ms: int = 10_000,
    ) -> None:
        self._pruning = open_pruning(location, busy_timeout_ms=busy_timeout_ms)
        self._policy = policy
        self._now = now
        self._interval = interval_seconds
        self._gap = gap_seconds
        self._stop = threading.Event()
        self.pruned = PruneCounts()
        self.rounds = 0
        self._thread = threading.Thread(target=self._loop, name="symbi-retention", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._pruning.close()

    def _loop(self) -> None:
        # The first round waits a little: start-up (catch-up, resumed runs) goes first.
        if self._stop.wait(min(self._interval, 30.0)):
            return
        while not self._stop.is_set():
            try:
                done = prune_all(
                    self._pruning, self._policy, self._now(), pause=lambda: self._stop.wait(self._gap)
                )
                self.pruned += done
                if done.runs or done.audit:
                    logger.info("retention: pruned %d run(s), %d audit event(s)", done.runs, done.audit)
            except Exception as e:  # busy, full, connection lost: the next round tries again
                logger.warning("retention: pruning paused: %s", e)
                self._reconnect()
            self.rounds += 1
            self._stop.wait(self._interval)

    def _reconnect(self) -> None:
        """A PostgreSQL connection the server dropped is replaced (SQLite's stays usable)."""
        if isinstance(self._pruning, PostgresPruning) and self._pruning.closed:
            try:
                self._pruning = PostgresPruning(self._pruning.target)
            except Exception as e:
                logger.warning("retention: cannot reconnect yet: %s", e)
