"""How long run history and the audit log are kept, and the pruning that enforces it (SQLite).

Runs are kept `runs_days` days and, whatever their age, at least the newest `runs_keep_last` of every
job; the audit log is kept separately (`audit_days`, longer by default: it is the security record).
Pruning deletes in small batches, each its own short transaction, from a connection of its own in a
background thread, so a tick never waits for more than one batch (the write lock is held for one
batch at a time). Runs still open (pending, running, awaiting approval) are never pruned; a pruned
run takes its heartbeat iterations with it (foreign key cascade).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

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


def prune_all(
    conn: sqlite3.Connection,
    policy: RetentionPolicy,
    now: datetime,
    *,
    pause: Callable[[], bool] = lambda: False,
) -> PruneCounts:
    """Batches until nothing is left to prune; `pause()` runs between batches (True: stop early)."""
    total = PruneCounts()
    while True:
        done = prune_batch(conn, policy, now)
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
    between batches so the scheduler's writes interleave with them."""

    def __init__(
        self,
        path: str,
        policy: RetentionPolicy,
        now: Callable[[], datetime],
        *,
        interval_seconds: float = 300.0,
        gap_seconds: float = 0.05,
        busy_timeout_ms: int = 10_000,
    ) -> None:
        self._conn = open_pruning_connection(path, busy_timeout_ms)
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
        self._conn.close()

    def _loop(self) -> None:
        # The first round waits a little: start-up (catch-up, resumed runs) goes first.
        if self._stop.wait(min(self._interval, 30.0)):
            return
        while not self._stop.is_set():
            try:
                done = prune_all(
                    self._conn, self._policy, self._now(), pause=lambda: self._stop.wait(self._gap)
                )
                self.pruned += done
                if done.runs or done.audit:
                    logger.info("retention: pruned %d run(s), %d audit event(s)", done.runs, done.audit)
            except sqlite3.Error as e:  # busy, full: the next round tries again
                logger.warning("retention: pruning paused: %s", e)
            self.rounds += 1
            self._stop.wait(self._interval)
