"""The durable job store: jobs, runs, sessions, heartbeat iterations and the audit log, in one SQLite file.

WAL with `synchronous=NORMAL` and a busy timeout, so the runtime and the CLI can use one database at the
same time; every write is one explicit `BEGIN IMMEDIATE` transaction, and every state transition writes
its audit event in that same transaction. Times are stored as integer microseconds since the epoch (UTC)
and returned as aware UTC datetimes. One run per (job, nominal fire): a partial UNIQUE index on
(job_id, scheduled_for) for scheduled and catch-up runs, and claims advance the job's next fire in the
transaction that inserts the run. Jobs are upserted, never replaced, so their history survives edits.
"""

from __future__ import annotations

import errno
import functools
import json
import logging
import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn
from urllib.parse import quote

from symbi_lang.ir import JobDefinition

if TYPE_CHECKING:
    from symbi_runtime.store.retention import PruneCounts, RetentionPolicy
from symbi_runtime.audit import scrub_details
from symbi_runtime.store.errors import PermanentStoreError, StoreError, TransientStoreError
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

SCHEMA_VERSION = 3
BUSY_TIMEOUT_MS = 10_000


logger = logging.getLogger("symbi_runtime.store")

# Errors from values that SQLite cannot take (a damaged row's field of the wrong type): they concern one
# job's data, never the database, so they fail that job instead of the whole batch.
_UNBINDABLE = (sqlite3.ProgrammingError, sqlite3.InterfaceError, TypeError, ValueError, OverflowError)


def _unbindable(e: BaseException) -> bool:
    """`e` (or the driver error the store translated into it) is about one value, not the database."""
    return isinstance(e, _UNBINDABLE) or isinstance(e.__cause__, _UNBINDABLE)


_SCHEMA = [
    """CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        agent_id TEXT NOT NULL,
        definition TEXT NOT NULL,
        status TEXT NOT NULL,
        next_fire_at INTEGER,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        run_count INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_run_at INTEGER,
        last_status TEXT
    )""",
    "CREATE INDEX jobs_due ON jobs(status, next_fire_at)",
    """CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        scheduled_for INTEGER NOT NULL,
        trigger TEXT NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        jitter_seconds REAL NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        input TEXT,
        output TEXT,
        error TEXT,
        duration_seconds REAL,
        receipts TEXT,
        decision TEXT,
        decision_reason TEXT,
        approver TEXT,
        expires_at INTEGER,
        detail TEXT,
        seq INTEGER NOT NULL DEFAULT 0
    )""",
    # One run per (job, nominal fire): fires have seq 0, manual runs a unique positive seq. The same
    # index serves per-job history queries.
    "CREATE UNIQUE INDEX runs_one_per_fire ON runs(job_id, scheduled_for, seq)",
    # Only the states the scheduler looks for; finished runs leave this index.
    "CREATE INDEX runs_open ON runs(status) WHERE status IN "
    "('pending', 'approved', 'running', 'awaiting_approval')",
    """CREATE TABLE sessions (
        key TEXT PRIMARY KEY,
        messages TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    )""",
    """CREATE TABLE iterations (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        iteration INTEGER NOT NULL,
        action TEXT NOT NULL,
        output TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (run_id, iteration)
    )""",
    """CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_type TEXT NOT NULL,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        job_id TEXT,
        job_name TEXT,
        run_id TEXT,
        details TEXT NOT NULL
    )""",
    "CREATE INDEX audit_by_type ON audit(event_type, at)",
    "CREATE INDEX audit_by_job ON audit(job_name, at)",
]
# Migrations: version -> statements taking the schema from version-1 to version.
_MIGRATIONS: dict[int, list[str]] = {
    1: _SCHEMA,
    # The process that claimed or started a run ("host:pid:start-time"): at start-up only runs whose
    # owner is gone become `abandoned`, not those of a `symbi cron run` or another runtime still alive.
    2: ["ALTER TABLE runs ADD COLUMN owner TEXT"],
    # The job's content fingerprint (store.fingerprint): reloading an unchanged job compares it instead
    # of serialising the job. NULL for rows written before (compared by definition text, then filled).
    3: ["ALTER TABLE jobs ADD COLUMN content_hash TEXT"],
}

_RUN_INSERT_COLUMNS = (
    "id, job_id, scheduled_for, trigger, started_at, finished_at, jitter_seconds, status, input, error, "
    "detail, seq, owner"
)
_BATCH = 500  # rows per multi-row statement (13 values a run: well under SQLite's 32,766 variables)
_AUDIT_INSERT_ROWS = (
    "INSERT INTO audit (event_type, at, actor, job_id, job_name, run_id, details) VALUES {values}"
)
_AUDIT_INSERT = _AUDIT_INSERT_ROWS.format(values="(?,?,?,?,?,?,?)")
_JOB_COLUMNS = (
    "id, name, definition, status, next_fire_at, consecutive_failures, run_count, created_at, "
    "updated_at, last_run_at, last_status"
)
_RUN_COLUMNS = (
    "r.id, r.job_id, j.name, r.scheduled_for, r.trigger, r.started_at, r.finished_at, r.jitter_seconds, "
    "r.status, r.input, r.output, r.error, r.duration_seconds, r.receipts, r.decision, r.decision_reason, "
    "r.approver, r.expires_at, r.detail"
)


def new_id() -> str:
    """A random (version 4) UUID: short prefixes of it (as the CLI shows them) stay unique. Spelled out
    from 16 random bytes: `str(uuid.uuid4())` costs three times as much, once per run claimed."""
    return _uuid4(os.urandom(16))


def new_ids(n: int) -> list[str]:
    """`n` ids of `new_id`, from one read of the system's random source (one system call per claim
    batch, not per run)."""
    data = os.urandom(16 * n)
    return [_uuid4(data[i : i + 16]) for i in range(0, 16 * n, 16)]


def _uuid4(random16: bytes) -> str:
    b = bytearray(random16)
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _process_start(pid: int) -> str | None:
    """A process's start time (Linux /proc), so a reused pid is not mistaken for the old process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


# Owners of the Store instances open in this process (a run's owner may be another instance here).
_LIVE_OWNERS: set[str] = set()


def _process_owner(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:{_process_start(pid) or ''}"


def _owner_alive(owner: str | None) -> bool:
    """Whether the process recorded as a run's owner still runs (on this host; other hosts: no)."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text, _, rest = rest.partition(":")
    started, _, _token = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return owner in _LIVE_OWNERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by another user
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return True  # no /proc: trust kill(0)
    return fields[0] != "Z" and (not started or fields[19] == started)  # a zombie or a reused pid is gone


def _manual_seq() -> int:
    """A manual run's random sequence number, 1 … 2**62: `secrets.randbits(62) + 1` spelled out (62 bits
    of 8 random bytes), so the read-only commands do not load OpenSSL's hashing through `secrets`."""
    return (int.from_bytes(os.urandom(8), "big") >> 2) + 1


def _json_or(text: str | None, default: Any, *, what: str, run_id: str) -> Any:
    """A JSON column, or `default` (with a warning) when it is empty or damaged."""
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError as e:
        logger.warning("run %s: stored %s are unreadable (%s); showing none", run_id, what, e)
        return default


def to_us(t: datetime) -> int:
    """Aware datetime → integer microseconds since the epoch."""
    if t.tzinfo is None:
        raise ValueError("naive datetime given to the store; use aware UTC datetimes")
    delta = t - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@functools.lru_cache(maxsize=4096)
def from_us(us: int) -> datetime:
    """Integer microseconds since the epoch → aware UTC datetime. Remembered: the same instants come
    back row after row (jobs loaded together share their timestamps, a herd its next fire), and a
    datetime is immutable."""
    return _EPOCH + timedelta(microseconds=us)


def _opt_dt(us: int | None) -> datetime | None:
    return None if us is None else from_us(us)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SqliteStore:
    """SQLite job store; safe to share between threads of one process and between processes."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = threading.RLock()
        self._definitions: dict[tuple[str, str], JobDefinition] = {}
        # 12 random hex digits, as `uuid.uuid4().hex[:12]` gave (its first 6 bytes are plain random ones)
        # without importing uuid on every read-only command's start.
        self.owner = f"{_process_owner(os.getpid())}:{os.urandom(6).hex()}"
        _LIVE_OWNERS.add(self.owner)
        # Jobs whose stored definition cannot be read, with the reason (they are shown as `failed`).
        self.unreadable_jobs: dict[str, str] = {}
        self._audit_rows: list[tuple[Any, ...]] | None = None
        self._checkpointer: tuple[threading.Event, threading.Thread] | None = None
        self.read_only = False  # opened by `open_readonly`: every write is refused

    @classmethod
    def open(cls, path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> SqliteStore:
        """Open (creating the file, its directory and the schema when needed) the database at `path`.

        `busy_timeout_ms`: how long a write waits for another connection's lock before failing."""
        p = Path(path)
        try:
            if str(p) != ":memory:":
                # Run outputs and errors live here: private to the user (0700 dir we create, 0600 file;
                # SQLite gives the -wal and -shm files the database file's mode).
                if not p.parent.exists():
                    p.parent.mkdir(parents=True, mode=0o700)
                if not p.exists():
                    os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            conn = sqlite3.connect(
                str(p), isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
            )
        except OSError as e:
            if p.is_dir():
                raise PermanentStoreError(f"{p} is a directory, not a job store file") from None
            raise _os_error(e, f"cannot open database {p}") from None
        except sqlite3.Error as e:
            _raise_translated(e, f"cannot open database {p}")
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            # A batch of 10,000 fires touches more pages than SQLite's default 2 MB cache holds: with
            # 64 MB the run and job indexes stay in memory (pages are only allocated as needed).
            conn.execute("PRAGMA cache_size = -65536")
            store = cls(conn, p)
            store._migrate()
        except sqlite3.Error as e:
            conn.close()
            _raise_translated(e, f"cannot use database {p}")
        except StoreError:
            conn.close()
            raise
        return store

    @classmethod
    def open_readonly(cls, path: str | Path) -> SqliteStore:
        """Open an existing database for reading only (`cron list/status/history`, `audit`): nothing is
        created or migrated, and a database in a read-only directory can still be read. WAL needs its
        -shm file; where it cannot be created (and so no writer can be running) the file is opened
        `immutable`."""
        p = Path(path)
        if p.is_dir():
            raise PermanentStoreError(f"{p} is a directory, not a job store file")
        if not p.exists():
            raise PermanentStoreError(f"no job store at {p}")
        last: sqlite3.Error | None = None
        for flags in ("mode=ro", "immutable=1"):
            uri = f"file:{quote(str(p.absolute()))}?{flags}"
            conn: sqlite3.Connection | None = None
            try:
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            except sqlite3.Error as e:
                last = e
                if conn is not None:
                    conn.close()
                if "not a database" in str(e):
                    break
                continue
            store = cls(conn, p)
            store.read_only = True
            if "schema_version" not in tables or "jobs" not in tables:
                conn.close()
                raise _not_symbi(p, tables)
            version = store.schema_version()
            if version > SCHEMA_VERSION:
                conn.close()
                raise PermanentStoreError(
                    f"database {p} has schema version {version}, newer than this symbi "
                    f"({SCHEMA_VERSION}); upgrade symbi"
                )
            return store
        assert last is not None
        _raise_translated(last, f"cannot read database {p}")

    def check_writable(self) -> None:
        """Prove that a write can be made (`symbi up` at start-up): a real write in a transaction that
        is rolled back. Raises `PermanentStoreError` (read-only, damaged) or `TransientStoreError`
        (busy, full) when it cannot."""
        with self._lock, self._translated():
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                cur.execute("UPDATE schema_version SET version = version")
            finally:
                cur.execute("ROLLBACK")

    def prunable(self, policy: RetentionPolicy, now: datetime) -> PruneCounts:
        """Runs and audit events the retention `policy` would remove now (`cron prune --dry-run`)."""
        from symbi_runtime.store.retention import count_prunable

        with self._lock, self._translated():
            return count_prunable(self._conn, policy, now)

    @property
    def where(self) -> str:
        """The database file, as shown to users."""
        return str(self.path)

    def start_background_work(self, on_change: Callable[[], None] | None = None) -> None:
        """Checkpoint the WAL off the event loop (see `start_background_checkpoints`). Changes by other
        processes are noticed by the scheduler's tick: `on_change` is not called."""
        self.start_background_checkpoints()

    def list_nodes(self) -> list[dict[str, Any]]:
        """An SQLite store has no nodes: one `symbi up` runs it."""
        return []

    # Due jobs claimed per transaction. A tick claims every due fire before any run starts, so this only
    # bounds how long one transaction holds the write lock (about 0.1 s at 2,000), not when runs start.
    # Each commit writes every index page its claims touched, and random keys (run ids, job ids) touch
    # most of them: fewer, larger batches write less (commit cost per fire 5.5 µs at 500, 4.2 at 2,000).
    claim_batch = 2000

    def node_status(self) -> dict[str, Any] | None:
        """An SQLite store is run by one process: it has no nodes."""
        return None

    def start_background_checkpoints(self, interval_seconds: float = 1.0) -> None:
        """Move WAL checkpoints off the calling thread (the event loop): this connection stops
        checkpointing at commit, and a daemon thread with its own connection checkpoints (PASSIVE)
        every `interval_seconds`. Other processes' connections keep SQLite's default."""
        if self._checkpointer is not None or str(self.path) == ":memory:":
            return
        stop = threading.Event()
        conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

        def loop() -> None:
            try:
                while not stop.wait(interval_seconds):
                    try:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    except sqlite3.Error:
                        continue  # busy or locked: the next round catches up
            finally:
                conn.close()

        thread = threading.Thread(target=loop, name="symbi-wal-checkpoint", daemon=True)
        with self._lock:
            self._conn.execute("PRAGMA wal_autocheckpoint = 0")
        thread.start()
        self._checkpointer = (stop, thread)

    def close(self) -> None:
        _LIVE_OWNERS.discard(self.owner)
        if self._checkpointer is not None:
            stop, thread = self._checkpointer
            stop.set()
            thread.join(timeout=5)
            self._checkpointer = None
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ---------------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction (BEGIN IMMEDIATE: take the write lock up front, no upgrade deadlocks).

        Audit rows written during the transaction are inserted together just before COMMIT.
        """
        if self.read_only:
            raise StoreError(f"the job store {self.path} was opened read-only")
        with self._lock, self._translated():
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            outer = self._audit_rows
            self._audit_rows = []
            try:
                yield cur
                if self._audit_rows:
                    _execute_chunked(cur, _AUDIT_INSERT_ROWS, self._audit_rows, width=7)
            except BaseException:
                try:
                    cur.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite already rolled back (e.g. after a full disk); report the first error
                raise
            else:
                cur.execute("COMMIT")
            finally:
                self._audit_rows = outer

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock, self._translated():
            return self._conn.execute(sql, params).fetchall()

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """sqlite3 errors leave the store only as `TransientStoreError` / `PermanentStoreError`."""
        try:
            yield
        except sqlite3.Error as e:
            _raise_translated(e, f"database {self.path}")

    def _migrate(self) -> None:
        with self._tx() as cur:
            tables = {r[0] for r in cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "schema_version" not in tables:
                raise _not_symbi(self.path, tables)
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = cur.execute("SELECT max(version) FROM schema_version").fetchone()
            current = row[0] or 0
            if current > SCHEMA_VERSION:
                raise PermanentStoreError(
                    f"database {self.path} has schema version {current}, newer than this symbi "
                    f"({SCHEMA_VERSION}); upgrade symbi"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[version]:
                    cur.execute(statement)
                cur.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    def schema_version(self) -> int:
        return int(self._read("SELECT max(version) FROM schema_version")[0][0])

    def integrity_check(self) -> str:
        return str(self._read("PRAGMA integrity_check")[0][0])

    def _audit(
        self,
        cur: sqlite3.Cursor,
        event_type: str,
        at: datetime,
        actor: str,
        job_id: str | None,
        job_name: str | None,
        run_id: str | None,
        details: Mapping[str, Any] | str | None,
    ) -> None:
        """Queue (or write) one audit row; `details` may be pre-encoded JSON text (hot paths)."""
        # Details built from run errors or callers' data go through the audit scrubber (no JWTs in the log).
        text = details if isinstance(details, str) else _json(scrub_details(details or {}))
        row = (str(event_type), to_us(at), actor, job_id, job_name, run_id, text)
        if self._audit_rows is not None:
            self._audit_rows.append(row)
        else:
            cur.execute(_AUDIT_INSERT, row)

    def _definition(self, job_id: str, updated_at: int, text: str) -> JobDefinition:
        """The parsed definition, cached by its stored text: parsing JSON per fire is not free, and two
        edits within one timestamp must still not share an entry."""
        key = (job_id, text)
        definition = self._definitions.get(key)
        if definition is None:
            definition = JobDefinition.from_dict(json.loads(text))
            if len(self._definitions) > 200_000:
                self._definitions.clear()
            self._definitions[key] = definition
        return definition

    def _job_from_row(self, row: Sequence[Any]) -> JobRecord:
        status, next_fire = row[3], _opt_dt(row[4])
        try:
            definition = self._definition(row[0], row[8], row[2])
            self.unreadable_jobs.pop(row[0], None)
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            # A damaged row must not take the scheduler or the listings down with it: the job shows as
            # `failed` with the reason, never fires, and keeps its row and run history for inspection.
            reason = f"stored definition is unreadable: {type(e).__name__}: {e}"
            if row[0] not in self.unreadable_jobs:
                logger.warning("job %s (%s): %s", row[1], row[0], reason)
            self.unreadable_jobs[row[0]] = reason
            definition = JobDefinition(name=row[1], agent_id="", description=reason)
            status, next_fire = JobStatus.FAILED.value, None
        return JobRecord(
            id=row[0],
            name=row[1],
            definition=definition,
            status=status,
            next_fire_at=next_fire,
            consecutive_failures=row[5],
            run_count=row[6],
            created_at=from_us(row[7]),
            updated_at=from_us(row[8]),
            last_run_at=_opt_dt(row[9]),
            last_status=row[10],
        )

    @staticmethod
    def _run_from_row(row: Sequence[Any]) -> RunRecord:
        receipts = _json_or(row[13], [], what="receipts", run_id=row[0])
        detail = _json_or(row[18], {}, what="detail", run_id=row[0])
        return RunRecord(
            id=row[0],
            job_id=row[1],
            job_name=row[2],
            scheduled_for=from_us(row[3]),
            trigger=row[4],
            started_at=_opt_dt(row[5]),
            finished_at=_opt_dt(row[6]),
            jitter_seconds=row[7],
            status=row[8],
            input=row[9],
            output=row[10],
            error=row[11],
            duration_seconds=row[12],
            receipts=receipts,
            decision=row[14],
            decision_reason=row[15],
            approver=row[16],
            expires_at=_opt_dt(row[17]),
            detail=detail,
        )

    def _job_row(self, cur: sqlite3.Cursor | sqlite3.Connection, name_or_id: str) -> Sequence[Any] | None:
        row = cur.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE name = ?", (name_or_id,)).fetchone()
        if row is None:
            row = cur.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (name_or_id,)).fetchone()
        if row is None and len(name_or_id) >= 6:
            rows = cur.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id LIKE ? ESCAPE '\\' LIMIT 2",
                (_like_prefix(name_or_id),),
            ).fetchall()
            if len(rows) == 1:
                row = rows[0]
        return row  # type: ignore[no-any-return]

    def _require_job(self, cur: sqlite3.Cursor, name_or_id: str) -> JobRecord:
        row = self._job_row(cur, name_or_id)
        if row is None:
            raise StoreError(f"no job named {name_or_id!r}")
        return self._job_from_row(row)

    # --- jobs -------------------------------------------------------------------------------------

    def upsert_job(
        self, job: JobDefinition, *, now: datetime, actor: str = "system"
    ) -> tuple[JobRecord, Literal["created", "updated", "unchanged"]]:
        """Add `job`, or update the job of that name in place (history kept).

        A changed `cron`/`at`/`timezone` recomputes the next fire from `now` (and re-activates a completed
        job); other edits keep the next fire and the status.
        """
        [result] = self.upsert_jobs([job], now=now, actor=actor)
        return result

    def upsert_jobs(
        self, jobs: Sequence[JobDefinition], *, now: datetime, actor: str = "system"
    ) -> list[tuple[JobRecord, Literal["created", "updated", "unchanged"]]]:
        """`upsert_job` for several jobs in ONE transaction: all are loaded, or none.

        A job whose fingerprint (`store.fingerprint`) equals its row's is unchanged: no write, no JSON, no
        next-fire computation. Rows without a matching fingerprint are compared by their definition text;
        an equal text is unchanged too (the row only gains the fingerprint). Rows are read in one query
        per 500 names and new jobs inserted with one executemany."""
        from symbi_runtime import timing  # these two on first use: read-only commands never need them
        from symbi_runtime.store.fingerprint import job_fingerprint

        with self._tx() as cur:
            existing = self._rows_by_name(cur, [job.name for job in jobs])
            results: list[tuple[JobRecord, Literal["created", "updated", "unchanged"]]] = []
            inserts: list[tuple[Any, ...]] = []
            fingerprinted: list[tuple[str, str]] = []
            seen: set[str] = set()
            now_us = to_us(now)
            stored_now = from_us(now_us)  # what a created job's timestamps read back as
            for job in jobs:
                fingerprint = job_fingerprint(job)
                if job.name in seen:  # the same name twice in one call: apply in order, as one by one
                    self._insert_jobs(cur, inserts)
                    inserts = []
                    first = timing.first_fire(job, now)
                    text = _json(job.to_dict())
                    results.append(self._upsert(cur, job, text, fingerprint, first, now, actor))
                    continue
                seen.add(job.name)
                row = existing.get(job.name)
                if row is not None and row[11] == fingerprint:
                    self._definitions.setdefault((row[0], row[2]), job)  # the row's JSON is this job
                    results.append((self._job_from_row(row), "unchanged"))
                    continue
                text = _json(job.to_dict())
                if row is not None and row[2] == text:
                    self._definitions.setdefault((row[0], text), job)
                    fingerprinted.append((fingerprint, row[0]))
                    results.append((self._job_from_row(row), "unchanged"))
                    continue
                first = timing.first_fire(job, now)
                if row is not None:
                    results.append(self._upsert(cur, job, text, fingerprint, first, now, actor, row=row))
                    continue
                job_id = new_id()
                status: str = JobStatus.ACTIVE if first is not None else JobStatus.COMPLETED
                inserts.append(
                    (
                        job_id,
                        job.name,
                        job.agent_id,
                        text,
                        status,
                        _opt_us(first),
                        now_us,
                        now_us,
                        fingerprint,
                    )
                )
                self._audit(cur, "CronJobCreated", now, actor, job_id, job.name, None, _job_summary_text(job))
                self._definitions[(job_id, text)] = job
                results.append(
                    (
                        JobRecord(
                            job_id, job.name, job, status, first, 0, 0, stored_now, stored_now, None, None
                        ),
                        "created",
                    )
                )
            self._insert_jobs(cur, inserts)
            # Rows from before fingerprints (or copied without one): remembered now, not an edit.
            cur.executemany("UPDATE jobs SET content_hash = ? WHERE id = ?", fingerprinted)
        return results

    def _rows_by_name(self, cur: sqlite3.Cursor, names: Sequence[str]) -> dict[str, Sequence[Any]]:
        """Job rows by name, with `content_hash` as their 12th column."""
        rows: dict[str, Sequence[Any]] = {}
        unique = list(dict.fromkeys(names))
        for i in range(0, len(unique), 500):
            chunk = unique[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in cur.execute(
                f"SELECT {_JOB_COLUMNS}, content_hash FROM jobs WHERE name IN ({marks})", chunk
            ):
                rows[row[1]] = row
        return rows

    @staticmethod
    def _insert_jobs(cur: sqlite3.Cursor, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            cur.executemany(
                "INSERT INTO jobs (id, name, agent_id, definition, status, next_fire_at, created_at, "
                "updated_at, content_hash) VALUES (?,?,?,?,?,?,?,?,?)",
                rows,
            )

    def job_names(self) -> list[str]:
        """The names of every stored job (without reading their definitions)."""
        return [row[0] for row in self._read("SELECT name FROM jobs ORDER BY name")]

    def _upsert(
        self,
        cur: sqlite3.Cursor,
        job: JobDefinition,
        definition: str,
        fingerprint: str,
        first: datetime | None,
        now: datetime,
        actor: str,
        *,
        row: Sequence[Any] | None = None,
    ) -> tuple[JobRecord, Literal["created", "updated", "unchanged"]]:
        from symbi_runtime import timing  # imported on first use: read-only commands never need it

        if row is None:
            row = cur.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE name = ?", (job.name,)).fetchone()
        if row is None:
            job_id = new_id()
            status: str = JobStatus.ACTIVE if first is not None else JobStatus.COMPLETED
            self._insert_jobs(
                cur,
                [
                    (
                        job_id,
                        job.name,
                        job.agent_id,
                        definition,
                        status,
                        _opt_us(first),
                        to_us(now),
                        to_us(now),
                        fingerprint,
                    )
                ],
            )
            self._audit(cur, "CronJobCreated", now, actor, job_id, job.name, None, _job_summary(job))
            self._definitions[(job_id, definition)] = job
            at = from_us(to_us(now))
            created = JobRecord(job_id, job.name, job, status, first, 0, 0, at, at, None, None)
            return created, "created"
        else:
            old = self._job_from_row(row)
            job_id = old.id
            if row[2] == definition:
                return old, "unchanged"
            rescheduled = timing.schedule_key(old.definition) != timing.schedule_key(job)
            next_fire = old.next_fire_at
            status = old.status
            if rescheduled:
                next_fire = first
                if status == JobStatus.COMPLETED or (status == JobStatus.ACTIVE and first is None):
                    status = JobStatus.ACTIVE if first is not None else JobStatus.COMPLETED
            cur.execute(
                "UPDATE jobs SET agent_id = ?, definition = ?, status = ?, next_fire_at = ?, "
                "updated_at = ?, content_hash = ? WHERE id = ?",
                (job.agent_id, definition, status, _opt_us(next_fire), to_us(now), fingerprint, job_id),
            )
            self._audit(
                cur,
                "CronJobUpdated",
                now,
                actor,
                job_id,
                job.name,
                None,
                {**_job_summary(job), "rescheduled": rescheduled},
            )
        new_row = self._job_row(cur, job_id)
        assert new_row is not None
        return self._job_from_row(new_row), "updated"

    def get_job(self, name_or_id: str) -> JobRecord | None:
        """A job by name, id, or unique id prefix (6+ characters)."""
        with self._lock, self._translated():
            row = self._job_row(self._conn, name_or_id)
        return None if row is None else self._job_from_row(row)

    def list_jobs(self, *, status: str | None = None, agent: str | None = None) -> list[JobRecord]:
        sql = f"SELECT {_JOB_COLUMNS} FROM jobs"
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if agent is not None:
            where.append("agent_id = ?")
            params.append(agent)
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [self._job_from_row(r) for r in self._read(sql + " ORDER BY name", params)]

    def remove_job(self, name_or_id: str, *, now: datetime | None = None, actor: str = "system") -> bool:
        """Delete a job and its runs (an explicit user action). False when there is no such job."""
        at = now or datetime.now(UTC)
        with self._tx() as cur:
            row = self._job_row(cur, name_or_id)
            if row is None:
                return False
            cur.execute("DELETE FROM jobs WHERE id = ?", (row[0],))
            cur.execute("DELETE FROM sessions WHERE key = ?", (f"job:{row[1]}",))  # its context goes too
            self._audit(cur, "CronJobDeleted", at, actor, row[0], row[1], None, {})
        return True

    def set_job_status(
        self, name_or_id: str, status: str, *, now: datetime, actor: str = "system"
    ) -> JobRecord:
        """Pause (`paused`) or resume (`active`: next fire recomputed from `now`, no backlog) a job."""
        with self._tx() as cur:
            job = self._require_job(cur, name_or_id)
            if status == JobStatus.PAUSED:
                if job.status == JobStatus.PAUSED:
                    return job
                if job.status != JobStatus.ACTIVE:
                    raise StoreError(f"job {job.name!r} is {job.status}; only active jobs can be paused")
                cur.execute(
                    "UPDATE jobs SET status = 'paused', updated_at = ? WHERE id = ?", (to_us(now), job.id)
                )
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
            return self._require_job(cur, job.id)

    def reset_job(self, name_or_id: str, *, now: datetime, actor: str = "system") -> JobRecord:
        """Return a dead-lettered (or failed, paused) job to `active`: failures 0, next fire from `now`."""
        with self._tx() as cur:
            job = self._require_job(cur, name_or_id)
            self._reactivate(cur, job, now)
            self._audit(
                cur, "CronJobReset", now, actor, job.id, job.name, None, {"previous_status": job.status}
            )
            return self._require_job(cur, job.id)

    def mark_job_failed(self, name_or_id: str, reason: str, *, now: datetime) -> None:
        """A job the scheduler cannot evaluate (bad stored schedule) stops firing: `failed`."""
        with self._tx() as cur:
            job = self._require_job(cur, name_or_id)
            cur.execute(
                "UPDATE jobs SET status = 'failed', next_fire_at = NULL, updated_at = ? WHERE id = ?",
                (to_us(now), job.id),
            )
            self._audit(cur, "CronJobFailed", now, "scheduler", job.id, job.name, None, {"reason": reason})

    def _reactivate(self, cur: sqlite3.Cursor, job: JobRecord, now: datetime) -> None:
        from symbi_runtime import timing  # imported on first use: read-only commands never need it

        d = job.definition
        if timing.is_one_shot(d):
            # A one-shot job that already ran stays completed; one that never ran waits for its `at`.
            done = cur.execute(
                "SELECT 1 FROM runs WHERE job_id = ? AND trigger != 'manual' AND status != 'missed' LIMIT 1",
                (job.id,),
            ).fetchone()
            # One that never ran waits for its `at` even when it passed while paused: the scheduler then
            # applies the catch-up window to it (run once, or record `missed`), so the outcome is visible.
            nxt = None if done else timing.first_fire(d, now)
        else:
            nxt = timing.next_fire_after(d, now)
        status = JobStatus.ACTIVE if nxt is not None else JobStatus.COMPLETED
        cur.execute(
            "UPDATE jobs SET status = ?, next_fire_at = ?, consecutive_failures = 0, updated_at = ? "
            "WHERE id = ?",
            (status, _opt_us(nxt), to_us(now), job.id),
        )

    # --- scheduling (used by the scheduler) -------------------------------------------------------

    def next_due_time(self) -> datetime | None:
        """The earliest next fire among active jobs."""
        row = self._read("SELECT min(next_fire_at) FROM jobs WHERE status = 'active'")
        return _opt_dt(row[0][0])

    def due_jobs(self, now: datetime, *, limit: int = 1000) -> list[JobRecord]:
        """Active jobs whose next fire is at or before `now`, earliest first."""
        rows = self._read(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE status = 'active' AND next_fire_at <= ? "
            "ORDER BY next_fire_at LIMIT ?",
            (to_us(now), limit),
        )
        jobs = [self._job_from_row(r) for r in rows]
        for job in jobs:
            if job.id in self.unreadable_jobs and job.status == JobStatus.FAILED:
                try:  # persist it, so the job stops being due (its row and runs are kept)
                    self.mark_job_failed(job.id, self.unreadable_jobs[job.id], now=now)
                except (StoreError, sqlite3.Error) as e:
                    logger.warning("could not mark job %s failed: %s", job.name, e)
        return [j for j in jobs if j.id not in self.unreadable_jobs]

    def claim_fires(self, claims: Sequence[FireClaim], *, now: datetime) -> list[list[RunRecord]]:
        """Apply claims in one transaction: advance each job (compare-and-set on its next fire) and
        insert its runs. A claim whose job moved on (edited, paused, claimed elsewhere) inserts nothing.

        A claim whose values cannot be stored (a damaged row: an `input` that is an object) must not
        stop the others: the batch is retried with each claim in its own savepoint, and the job whose
        claim fails is marked `failed` with the reason (and an audit event); the others are claimed."""
        try:
            return self._claim_fires(claims, now, isolate=False)
        except (StoreError, *_UNBINDABLE) as e:
            if not _unbindable(e):
                raise
            return self._claim_fires(claims, now, isolate=True)

    def _claim_fires(
        self, claims: Sequence[FireClaim], now: datetime, *, isolate: bool
    ) -> list[list[RunRecord]]:
        results: list[list[RunRecord]] = []
        now_us = to_us(now)
        with self._tx() as cur:
            if not isolate and len({c.job_id for c in claims}) == len(claims):
                return self._claim_batch(cur, claims, now, now_us)
            for claim in claims:
                if isolate:
                    results.append(self._claim_isolated(cur, claim, now, now_us))
                else:
                    results.append(self._claim_one(cur, claim, now, now_us))
        return results

    def _claim_batch(
        self, cur: sqlite3.Cursor, claims: Sequence[FireClaim], now: datetime, now_us: int
    ) -> list[list[RunRecord]]:
        """`_claim_one` for every claim (distinct jobs), in a few statements per 500 claims: one
        compare-and-set UPDATE … FROM a VALUES list RETURNING the jobs it advanced, one multi-row INSERT
        of their runs RETURNING those inserted (a fire that already has its run is left out, as the
        unique index decides). Audit rows and results come out in the order `_claim_one` gives them."""
        # job id -> name, for jobs whose claim took effect
        won: dict[str, str] = dict(
            _execute_chunked(
                cur,
                "WITH c(id, nxt, expected) AS (VALUES {values}) "
                "UPDATE jobs SET next_fire_at = c.nxt, "
                "status = CASE WHEN c.nxt IS NULL THEN 'completed' ELSE 'active' END "
                "FROM c WHERE jobs.id = c.id AND jobs.status = 'active' AND jobs.next_fire_at IS c.expected "
                "RETURNING jobs.id, jobs.name",
                [(c.job_id, _opt_us(c.new_next), _opt_us(c.expected_next)) for c in claims],
                width=3,
            )
        )
        planned: list[tuple[str, str, NewRun, str]] = []  # (run id, job id, run, job name)
        values: list[tuple[Any, ...]] = []
        ids = iter(new_ids(sum(len(c.runs) for c in claims if c.job_id in won)))
        for claim in claims:
            name = won.get(claim.job_id)
            if name is None:
                continue
            for new in claim.runs:
                if new.input is not None and not isinstance(new.input, str):
                    raise TypeError(f"its `input` is a JSON {type(new.input).__name__}, not text")
                run_id = next(ids)
                planned.append((run_id, claim.job_id, new, claim.job_name or name))
                values.append(self._run_values(run_id, claim.job_id, new, now_us))
        inserted = {
            row[0]
            for row in _execute_chunked(
                cur,
                f"INSERT INTO runs ({_RUN_INSERT_COLUMNS}) VALUES {{values}} "
                "ON CONFLICT (job_id, scheduled_for, seq) DO NOTHING RETURNING id",
                values,
                width=13,
            )
        }
        runs: dict[str, list[RunRecord]] = {}
        final: list[tuple[str, int, str]] = []
        at = from_us(now_us)
        for run_id, job_id, new, name in planned:
            if run_id not in inserted:
                continue  # this fire already has its run: one run per (job, nominal fire)
            if new.status in FINAL_RUN_STATUSES:
                final.append((new.status, now_us, job_id))
            runs.setdefault(job_id, []).append(self._inserted_run(run_id, job_id, name, new, at))
        if final:
            cur.executemany("UPDATE jobs SET last_status = ?, last_run_at = ? WHERE id = ?", final)
        results: list[list[RunRecord]] = []
        for claim in claims:
            name = won.get(claim.job_id)
            if name is None:
                results.append([])
                continue
            claimed = runs.get(claim.job_id, [])
            for run in claimed:
                self._audit_inserted(cur, run, at, now_us)
            if claim.new_next is None:
                self._audit(cur, "CronJobCompleted", now, "scheduler", claim.job_id, name, None, {})
            results.append(claimed)
        return results

    def _claim_isolated(
        self, cur: sqlite3.Cursor, claim: FireClaim, now: datetime, now_us: int
    ) -> list[RunRecord]:
        audit_mark = len(self._audit_rows or [])
        cur.execute("SAVEPOINT claim")
        try:
            inserted = self._claim_one(cur, claim, now, now_us)
        except _UNBINDABLE as e:
            cur.execute("ROLLBACK TO claim")
            cur.execute("RELEASE claim")
            if self._audit_rows is not None:
                del self._audit_rows[audit_mark:]
            reason = f"its stored job cannot be scheduled: {type(e).__name__}: {e}"
            logger.error("job %s: %s; marking it failed (other jobs keep firing)", claim.job_name, reason)
            cur.execute(
                "UPDATE jobs SET status = 'failed', next_fire_at = NULL, updated_at = ? WHERE id = ?",
                (now_us, claim.job_id),
            )
            name = cur.execute("SELECT name FROM jobs WHERE id = ?", (claim.job_id,)).fetchone()
            self._audit(
                cur,
                "CronJobFailed",
                now,
                "scheduler",
                claim.job_id,
                name[0] if name else claim.job_name,
                None,
                {"reason": reason},
            )
            return []
        cur.execute("RELEASE claim")
        return inserted

    def _claim_one(
        self, cur: sqlite3.Cursor, claim: FireClaim, now: datetime, now_us: int
    ) -> list[RunRecord]:
        job_status = JobStatus.ACTIVE if claim.new_next is not None else JobStatus.COMPLETED
        if claim.new_next is not None:
            cur.execute(
                "UPDATE jobs SET next_fire_at = ? WHERE id = ? AND status = 'active' AND next_fire_at IS ?",
                (to_us(claim.new_next), claim.job_id, _opt_us(claim.expected_next)),
            )
        else:
            cur.execute(
                "UPDATE jobs SET next_fire_at = NULL, status = 'completed' WHERE id = ? "
                "AND status = 'active' AND next_fire_at IS ?",
                (claim.job_id, _opt_us(claim.expected_next)),
            )
        if cur.rowcount != 1:
            return []
        name = claim.job_name
        if name is None:
            name = cur.execute("SELECT name FROM jobs WHERE id = ?", (claim.job_id,)).fetchone()[0]
        inserted: list[RunRecord] = []
        for new in claim.runs:
            run = self._insert_run(cur, claim.job_id, name, new, now_us)
            if run is not None:
                inserted.append(run)
        if job_status == JobStatus.COMPLETED:
            self._audit(cur, "CronJobCompleted", now, "scheduler", claim.job_id, name, None, {})
        return inserted

    def _insert_run(
        self, cur: sqlite3.Cursor, job_id: str, job_name: str, new: NewRun, now_us: int
    ) -> RunRecord | None:
        if new.input is not None and not isinstance(new.input, str):
            raise TypeError(f"its `input` is a JSON {type(new.input).__name__}, not text")
        run_id = new_id()
        try:
            cur.execute(
                f"INSERT INTO runs ({_RUN_INSERT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                self._run_values(run_id, job_id, new, now_us),
            )
        except sqlite3.IntegrityError:
            return None  # this fire already has its run: one run per (job, nominal fire)
        if new.status in FINAL_RUN_STATUSES:
            cur.execute(
                "UPDATE jobs SET last_status = ?, last_run_at = ? WHERE id = ?", (new.status, now_us, job_id)
            )
        at = from_us(now_us)
        run = self._inserted_run(run_id, job_id, job_name, new, at)
        self._audit_inserted(cur, run, at, now_us)
        return run

    def _run_values(self, run_id: str, job_id: str, new: NewRun, now_us: int) -> tuple[Any, ...]:
        """The `_RUN_INSERT_COLUMNS` values of a new run."""
        return (
            run_id,
            job_id,
            to_us(new.scheduled_for),
            new.trigger,
            now_us if new.status == RunStatus.RUNNING else None,
            now_us if new.status in FINAL_RUN_STATUSES else None,
            new.jitter_seconds,
            new.status,
            new.input,
            new.error,
            _json(new.detail) if new.detail else None,
            _manual_seq() if new.trigger == Trigger.MANUAL else 0,
            self.owner,
        )

    @staticmethod
    def _inserted_run(run_id: str, job_id: str, job_name: str, new: NewRun, at: datetime) -> RunRecord:
        return RunRecord(
            id=run_id,
            job_id=job_id,
            job_name=job_name,
            scheduled_for=new.scheduled_for,
            trigger=new.trigger,
            started_at=at if new.status == RunStatus.RUNNING else None,
            finished_at=at if new.status in FINAL_RUN_STATUSES else None,
            jitter_seconds=new.jitter_seconds,
            status=new.status,
            input=new.input,
            output=None,
            error=new.error,
            duration_seconds=None,
            detail=dict(new.detail or {}),
        )

    def _audit_inserted(self, cur: sqlite3.Cursor, run: RunRecord, at: datetime, now_us: int) -> None:
        """The audit event of a run just inserted in the status it was claimed in."""
        event = RUN_EVENTS.get(run.status)
        if event is None:
            return
        if run.detail or run.error or self._audit_rows is None:
            details = {"scheduled_for": run.scheduled_for.isoformat(), "trigger": run.trigger, **run.detail}
            if run.error:
                details["reason"] = run.error
            self._audit(cur, event, at, "scheduler", run.job_id, run.job_name, run.id, details)
            return
        # The per-fire common case, encoded by hand (ISO times and trigger names need no escaping, and
        # hold no credential to scrub).
        text = f'{{"scheduled_for":"{run.scheduled_for.isoformat()}","trigger":"{run.trigger}"}}'
        self._audit_rows.append((event, now_us, "scheduler", run.job_id, run.job_name, run.id, text))

    def insert_run(self, job_name_or_id: str, new: NewRun, *, now: datetime) -> RunRecord:
        """Insert one run outside a claim (manual runs); the job's next fire does not move."""
        with self._tx() as cur:
            job = self._require_job(cur, job_name_or_id)
            run = self._insert_run(cur, job.id, job.name, new, to_us(now))
        if run is None:
            raise StoreError(f"job {job.name!r} already has a run for {new.scheduled_for.isoformat()}")
        return run

    def start_runs(self, run_ids: Sequence[str], *, now: datetime) -> set[str]:
        """pending/approved → running (one transaction); returns the ids that were started."""
        now_us = to_us(now)
        started: set[str] = set()
        with self._tx() as cur:
            for run_id in run_ids:
                cur.execute(
                    "UPDATE runs SET status = 'running', started_at = ?, owner = ? WHERE id = ? "
                    "AND status IN ('pending', 'approved')",
                    (now_us, self.owner, run_id),
                )
                if cur.rowcount == 1:
                    started.add(run_id)
                    row = cur.execute(
                        "SELECT r.job_id, j.name, r.scheduled_for, r.trigger FROM runs r "
                        "JOIN jobs j ON j.id = r.job_id WHERE r.id = ?",
                        (run_id,),
                    ).fetchone()
                    self._audit(
                        cur,
                        "CronJobStarted",
                        now,
                        "scheduler",
                        row[0],
                        row[1],
                        run_id,
                        {"scheduled_for": from_us(row[2]).isoformat(), "trigger": row[3]},
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
        """Move a run that did not execute to `denied`, `awaiting_approval`, `skipped` or `missed`."""
        with self._tx() as cur:
            row = cur.execute(
                "SELECT r.job_id, j.name, r.detail, r.scheduled_for, r.trigger FROM runs r "
                "JOIN jobs j ON j.id = r.job_id WHERE r.id = ?",
                (run_id,),
            ).fetchone()
            if row is None:
                raise StoreError(f"no run {run_id!r}")
            merged = {**(json.loads(row[2]) if row[2] else {}), **(detail or {})}
            final = status in FINAL_RUN_STATUSES
            cur.execute(
                "UPDATE runs SET status = ?, error = coalesce(?, error), approver = coalesce(?, approver), "
                "expires_at = ?, finished_at = ?, detail = ? WHERE id = ?",
                (
                    status,
                    error,
                    approver,
                    _opt_us(expires_at),
                    to_us(now) if final else None,
                    _json(merged) if merged else None,
                    run_id,
                ),
            )
            if final:
                cur.execute(
                    "UPDATE jobs SET last_status = ?, last_run_at = ? WHERE id = ?",
                    (status, to_us(now), row[0]),
                )
            details: dict[str, Any] = {"scheduled_for": from_us(row[3]).isoformat(), "trigger": row[4]}
            if error:
                details["reason"] = error
            if approver:
                details["approver"] = approver
            if detail:
                details.update(detail)
            self._audit(
                cur, RUN_EVENTS.get(status, status), now, "scheduler", row[0], row[1], run_id, details
            )
            record = self._run(cur, run_id)
        assert record is not None
        return record

    def finish_runs(
        self,
        outcomes: Sequence[RunOutcome],
        *,
        now: datetime,
        default_max_retries: int,
        sessions: Mapping[str, list[dict[str, Any]]] | None = None,
    ) -> list[FinishResult]:
        """Record how runs ended, in one transaction, with job counters: a success resets the failure
        count; `max_retries` consecutive failures move the job to `dead_letter` in this same transaction.
        `sessions` (key → messages) are saved in that transaction too."""
        results: list[FinishResult] = []
        now_us = to_us(now)
        with self._tx() as cur:
            if sessions:
                # Only for jobs that still exist: a run finishing after its job was removed must not
                # recreate the session a new job of the same name would then inherit.
                _execute_chunked(
                    cur,
                    "WITH v(key, messages, at) AS (VALUES {values}) "
                    "INSERT INTO sessions (key, messages, updated_at) SELECT v.key, v.messages, v.at FROM v "
                    "WHERE substr(v.key, 1, 4) != 'job:' OR EXISTS (SELECT 1 FROM jobs WHERE name = "
                    "substr(v.key, 5)) ON CONFLICT(key) DO UPDATE SET messages = excluded.messages, "
                    "updated_at = excluded.updated_at",
                    [(key, _json_messages(messages), now_us) for key, messages in sessions.items()],
                    width=3,
                )
            full = [o.run_id for o in outcomes if o.run is None or o.definition is None]
            light = [o.run_id for o in outcomes if o.run is not None and o.definition is not None]
            rows: dict[str, Sequence[Any]] = {}
            states: dict[str, Sequence[Any]] = {}
            for i in range(0, len(full), 500):
                chunk = full[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for row in cur.execute(
                    f"SELECT {_RUN_COLUMNS}, j.definition, j.updated_at, j.status, j.consecutive_failures, "
                    f"r.rowid FROM runs r JOIN jobs j ON j.id = r.job_id WHERE r.id IN ({marks})",
                    chunk,
                ):
                    rows[row[0]] = row
                    states[row[0]] = (row[8], row[21], row[22], row[23])
            for i in range(0, len(light), 500):
                chunk = light[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for row in cur.execute(
                    "SELECT r.id, r.status, j.status, j.consecutive_failures, r.rowid FROM runs r "
                    f"JOIN jobs j ON j.id = r.job_id WHERE r.id IN ({marks})",
                    chunk,
                ):
                    states[row[0]] = row[1:]
            # Per job: [status, consecutive failures, runs finished in this batch, last status].
            jobs: dict[str, list[Any]] = {}
            audit_rows = self._audit_rows
            run_updates: list[tuple[Any, ...]] = []
            for o in outcomes:
                found = states.pop(o.run_id, None)
                if found is None:
                    continue  # removed meanwhile (job deleted by the user), or listed twice
                run_status, job_status, job_failures, rowid = found
                if run_status in FINAL_RUN_STATUSES:
                    continue
                if o.run is not None and o.definition is not None:
                    run, definition = o.run, o.definition
                else:
                    row = rows[o.run_id]
                    run = self._run_from_row(row)
                    definition = self._definition(run.job_id, row[20], row[19])
                state = jobs.setdefault(run.job_id, [job_status, job_failures, 0, None])
                started_at = run.started_at
                ended = o.finished_at or now
                duration = None if started_at is None else max(0.0, (ended - started_at).total_seconds())
                merged = {**run.detail, **o.detail} if o.detail else dict(run.detail)
                receipts = [dict(r) for r in o.receipts] if o.receipts else []
                run_updates.append(
                    (
                        o.status,
                        o.output,
                        o.error,
                        now_us if ended is now else to_us(ended),
                        duration,
                        _json(receipts) if receipts else None,
                        _json(merged) if merged else None,
                        rowid,
                    )
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
                event = RUN_EVENTS.get(o.status, o.status)
                if o.error or audit_rows is None:
                    details: dict[str, Any] = {"status": o.status, "duration_seconds": duration}
                    if o.error:
                        details["error"] = o.error[:500]
                    self._audit(cur, event, now, "scheduler", run.job_id, run.job_name, o.run_id, details)
                else:  # hot path: status names and a float need no escaping, nor scrubbing
                    shown = "null" if duration is None else repr(duration)
                    audit_rows.append(
                        (
                            event,
                            now_us,
                            "scheduler",
                            run.job_id,
                            run.job_name,
                            o.run_id,
                            f'{{"status":"{o.status}","duration_seconds":{shown}}}',
                        )
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
            # By rowid, read above in this transaction: no second search of the id index per run.
            _execute_chunked(
                cur,
                "WITH v(status, output, error, finished_at, duration, receipts, detail, rid) AS "
                "(VALUES {values}) UPDATE runs SET status = v.status, output = v.output, error = v.error, "
                "finished_at = v.finished_at, duration_seconds = v.duration, receipts = v.receipts, "
                "detail = v.detail FROM v WHERE runs.rowid = v.rid",
                run_updates,
                width=8,
            )
            # Indexed columns (status, next_fire_at) are only written for jobs that were dead-lettered.
            _execute_chunked(
                cur,
                "WITH v(failures, runs, at, status, id) AS (VALUES {values}) UPDATE jobs SET "
                "consecutive_failures = v.failures, run_count = run_count + v.runs, last_run_at = v.at, "
                "last_status = v.status FROM v WHERE jobs.id = v.id",
                [(st[1], st[2], now_us, st[3], job_id) for job_id, st in jobs.items()],
                width=5,
            )
            cur.executemany(
                "UPDATE jobs SET status = 'dead_letter', next_fire_at = NULL WHERE id = ?",
                [(job_id,) for job_id, st in jobs.items() if st[0] == JobStatus.DEAD_LETTER],
            )
        return results

    def abandon_running(self, *, now: datetime) -> list[RunRecord]:
        """Runs left `running` by a crash become `abandoned` (at start-up, before any new run). Runs whose
        owning process (another runtime, a `symbi cron run`) is still alive are left alone."""
        with self._tx() as cur:
            rows = cur.execute("SELECT id, owner FROM runs WHERE status = 'running'").fetchall()
            ids = [run_id for run_id, owner in rows if owner == self.owner or not _owner_alive(owner)]
            for run_id in ids:
                cur.execute(
                    "UPDATE runs SET status = 'abandoned', finished_at = ?, error = coalesce(error, "
                    "?) WHERE id = ?",
                    (to_us(now), "the runtime stopped while this run was in progress", run_id),
                )
                row = cur.execute(
                    "SELECT r.job_id, j.name FROM runs r JOIN jobs j ON j.id = r.job_id WHERE r.id = ?",
                    (run_id,),
                ).fetchone()
                cur.execute(
                    "UPDATE jobs SET last_status = 'abandoned', last_run_at = ? WHERE id = ?",
                    (to_us(now), row[0]),
                )
                self._audit(cur, "CronJobAbandoned", now, "scheduler", row[0], row[1], run_id, {})
            return [r for r in (self._run(cur, i) for i in ids) if r is not None]

    def runs_to_resume(self, *, approved_only: bool = False) -> list[RunRecord]:
        """Runs claimed but not started (`pending`) and runs approved but not executed (`approved`)."""
        statuses = "('approved')" if approved_only else "('pending', 'approved')"
        rows = self._read(
            f"SELECT {_RUN_COLUMNS} FROM runs r JOIN jobs j ON j.id = r.job_id "
            f"WHERE r.status IN {statuses} ORDER BY r.scheduled_for"
        )
        return [self._run_from_row(r) for r in rows]

    def expire_approvals(self, *, now: datetime) -> list[RunRecord]:
        """Undecided `awaiting_approval` runs past their expiry become `missed`."""
        rows = self._read(
            "SELECT id FROM runs WHERE status = 'awaiting_approval' AND expires_at IS NOT NULL AND "
            "expires_at <= ?",
            (to_us(now),),
        )
        return [
            self.park_run(r[0], RunStatus.MISSED, now=now, error="approval not given before it expired")
            for r in rows
        ]

    def count_in_flight(self, job_id: str) -> int:
        return int(
            self._read(
                "SELECT count(*) FROM runs WHERE job_id = ? AND status IN ('pending', 'running')", (job_id,)
            )[0][0]
        )

    def count_in_flight_many(self, job_ids: Sequence[str]) -> dict[str, int]:
        """Pending or running runs per job (jobs with none are absent), in one read for a batch."""
        counts: dict[str, int] = {}
        for start in range(0, len(job_ids), 500):
            chunk = list(job_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._read(
                f"SELECT job_id, count(*) FROM runs WHERE job_id IN ({marks}) "
                "AND status IN ('pending', 'running') GROUP BY job_id",
                chunk,
            )
            counts.update({r[0]: int(r[1]) for r in rows})
        return counts

    def job_counts(self) -> dict[str, int]:
        """Number of jobs per status."""
        return {r[0]: int(r[1]) for r in self._read("SELECT status, count(*) FROM jobs GROUP BY status")}

    def run_stats(self) -> dict[str, Any]:
        """Totals for health reports: runs, succeeded, failed (incl. timed out), mean execution time."""
        row = self._read(
            "SELECT count(*), sum(status = 'succeeded'), sum(status IN ('failed', 'timed_out')), "
            "avg(duration_seconds), max(duration_seconds) FROM runs"
        )[0]
        avg, longest = row[3], row[4]
        return {
            "total": int(row[0]),
            "succeeded": int(row[1] or 0),
            "failed": int(row[2] or 0),
            "avg_execution_time_ms": None if avg is None else round(avg * 1000, 3),
            "longest_execution_time_ms": None if longest is None else round(longest * 1000, 3),
        }

    def data_version(self) -> int:
        """Changes when another connection commits (cheap way to notice CLI edits)."""
        return int(self._read("PRAGMA data_version")[0][0])

    # --- runs -------------------------------------------------------------------------------------

    def _run(self, cur: sqlite3.Cursor | sqlite3.Connection, run_id: str) -> RunRecord | None:
        row = cur.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs r JOIN jobs j ON j.id = r.job_id WHERE r.id = ?", (run_id,)
        ).fetchone()
        if row is None and len(run_id) >= 6:
            rows = cur.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs r JOIN jobs j ON j.id = r.job_id "
                "WHERE r.id LIKE ? ESCAPE '\\' LIMIT 2",
                (_like_prefix(run_id),),
            ).fetchall()
            row = rows[0] if len(rows) == 1 else None
        return None if row is None else self._run_from_row(row)

    def get_run(self, run_id: str) -> RunRecord | None:
        """A run by id or unique id prefix (6+ characters)."""
        with self._lock, self._translated():
            return self._run(self._conn, run_id)

    def list_runs(
        self, *, job: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[RunRecord]:
        """Runs, newest fire first; `job` is a name or id."""
        sql = f"SELECT {_RUN_COLUMNS} FROM runs r JOIN jobs j ON j.id = r.job_id"
        where: list[str] = []
        params: list[Any] = []
        if job is not None:
            record = self.get_job(job)
            if record is None:
                raise StoreError(f"no job named {job!r}")
            where.append("r.job_id = ?")
            params.append(record.id)
        if status is not None:
            where.append("r.status = ?")
            params.append(status)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY r.scheduled_for DESC, r.rowid DESC LIMIT ?"
        params.append(limit)
        return [self._run_from_row(r) for r in self._read(sql, params)]

    def decide_approval(
        self, run_id: str, *, approve: bool, actor: str, reason: str | None, now: datetime
    ) -> RunRecord:
        """awaiting_approval → `approved` (then executed with its original input) or `denied`."""
        with self._tx() as cur:
            run = self._run(cur, run_id)
            if run is None:
                raise StoreError(f"no run {run_id!r}")
            if run.status != RunStatus.AWAITING_APPROVAL:
                raise StoreError(f"run {run.id} is not awaiting approval (status: {run.status})")
            if run.expires_at is not None and run.expires_at <= now:
                raise StoreError(
                    f"run {run.id}: the approval request expired at {run.expires_at.isoformat()}"
                )
            status = RunStatus.APPROVED if approve else RunStatus.DENIED
            cur.execute(
                "UPDATE runs SET status = ?, decision = ?, decision_reason = ?, approver = ?, "
                "finished_at = ? "
                "WHERE id = ?",
                (
                    status,
                    "approved" if approve else "denied",
                    reason,
                    actor,
                    None if approve else to_us(now),
                    run.id,
                ),
            )
            if not approve:
                cur.execute(
                    "UPDATE jobs SET last_status = 'denied', last_run_at = ? WHERE id = ?",
                    (to_us(now), run.job_id),
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
            record = self._run(cur, run.id)
        assert record is not None
        return record

    # --- sessions and heartbeat iterations ----------------------------------------------------------

    def load_session(self, key: str) -> list[dict[str, Any]]:
        rows = self._read("SELECT messages FROM sessions WHERE key = ?", (key,))
        return list(json.loads(rows[0][0])) if rows else []

    def load_sessions(self, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """`load_session` for several keys in one read (keys without a session are left out)."""
        found: dict[str, list[dict[str, Any]]] = {}
        for i in range(0, len(keys), 500):
            chunk = list(keys[i : i + 500])
            marks = ",".join("?" * len(chunk))
            for key, text in self._read(f"SELECT key, messages FROM sessions WHERE key IN ({marks})", chunk):
                found[key] = list(json.loads(text))
        return found

    def save_session(self, key: str, messages: list[dict[str, Any]], *, now: datetime) -> None:
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO sessions (key, messages, updated_at) VALUES (?,?,?) "
                "ON CONFLICT(key) DO UPDATE SET messages = excluded.messages, updated_at = "
                "excluded.updated_at",
                (key, _json(messages), to_us(now)),
            )

    def delete_session(self, key: str) -> None:
        with self._tx() as cur:
            cur.execute("DELETE FROM sessions WHERE key = ?", (key,))

    def record_iteration(
        self, run_id: str, iteration: int, *, action: str, output: str, at: datetime
    ) -> None:
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO iterations (run_id, iteration, action, output, at) VALUES (?,?,?,?,?) "
                "ON CONFLICT(run_id, iteration) DO UPDATE SET action = excluded.action, "
                "output = excluded.output, at = excluded.at",
                (run_id, iteration, action, output, to_us(at)),
            )

    def list_iterations(self, run_id: str) -> list[dict[str, Any]]:
        rows = self._read(
            "SELECT iteration, action, output, at FROM iterations WHERE run_id = ? ORDER BY iteration",
            (run_id,),
        )
        return [{"iteration": r[0], "action": r[1], "output": r[2], "at": from_us(r[3])} for r in rows]

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
        """Write one audit event (the job's name is recorded too, so it survives the job's removal)."""
        with self._tx() as cur:
            name = None
            if job_id is not None:
                row = cur.execute("SELECT name FROM jobs WHERE id = ?", (job_id,)).fetchone()
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
        """Audit events, newest first; `job` matches a job name or id."""
        sql = "SELECT id, event_type, at, actor, job_id, job_name, run_id, details FROM audit"
        where: list[str] = []
        params: list[Any] = []
        if event_type is not None:
            where.append("event_type = ?")
            params.append(str(event_type))
        if job is not None:
            where.append("(job_name = ? OR job_id = ?)")
            params += [job, job]
        if since is not None:
            where.append("at >= ?")
            params.append(to_us(since))
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        return [
            AuditRecord(r[0], r[1], from_us(r[2]), r[3], r[4], r[5], r[6], json.loads(r[7]))
            for r in self._read(sql, params)
        ]


# SQLite result codes (primary, low byte) that a later retry may get past: busy/locked, a full disk, an
# I/O error, an interrupted statement. Everything else about the database itself is permanent.
_TRANSIENT_CODES = frozenset({5, 6, 9, 10, 13, 15})  # BUSY LOCKED INTERRUPT IOERR FULL PROTOCOL
_PERMANENT_HINTS = {
    8: "the database is read-only (check the file's and its directory's permissions)",  # READONLY
    11: "the database file is damaged",  # CORRUPT
    14: "the database file cannot be opened",  # CANTOPEN
    26: "the file is not a symbi database",  # NOTADB
}


def _raise_translated(e: sqlite3.Error, context: str) -> NoReturn:
    """Raise the store error for a driver error: transient (retry) or permanent (stop), with SQLite's
    own words kept for the operator."""
    code = getattr(e, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    text = str(e)
    lowered = text.lower()
    if primary in _TRANSIENT_CODES or any(
        word in lowered for word in ("database is locked", "disk is full", "disk i/o error", "is busy")
    ):
        raise TransientStoreError(f"{context}: {text}") from e
    hint = _PERMANENT_HINTS.get(primary) if primary is not None else None
    if hint is None and "readonly" in lowered:
        hint = _PERMANENT_HINTS[8]
    if hint is None and "not a database" in lowered:
        hint = _PERMANENT_HINTS[26]
    raise PermanentStoreError(f"{context}: {hint} ({text})" if hint else f"{context}: {text}") from e


def _os_error(e: OSError, context: str) -> StoreError:
    """A file-system failure opening the database: a full disk may clear; a missing permission will not."""
    why = e.strerror or str(e)
    if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EAGAIN, errno.EINTR, errno.EIO):
        return TransientStoreError(f"{context}: {why}")
    return PermanentStoreError(f"{context}: {why}")


def _not_symbi(path: Path, tables: set[str]) -> PermanentStoreError:
    shown = ", ".join(sorted(tables)[:5]) or "none"
    return PermanentStoreError(
        f"{path} is not a symbi database (an SQLite file with tables: {shown}); "
        "give symbi its own file with --db"
    )


# One encoder for every write: `json.dumps` with options builds a new one per call (a tenth of storing a
# job). Encoding keeps no state between calls, so the instance is safe to share across threads.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def _json(value: Any) -> str:
    return _ENCODER.encode(value)


def _json_messages(messages: list[dict[str, Any]]) -> str:
    """`_json` of a session's messages. The usual message, a dict of two strings `role` and `content`,
    is spelled out from the encoder's string escaping (the same text `_json` gives): encoding a list
    builds a new C encoder per call, a tenth of a fire's cost in `ephemeral_with_summary` mode."""
    parts = []
    for m in messages:
        if type(m) is not dict or len(m) != 2 or m.keys() != {"role", "content"}:
            return _json(messages)
        role, content = m["role"], m["content"]
        if type(role) is not str or type(content) is not str:
            return _json(messages)
        # Keys in the dict's own order, as `_json` writes them.
        first, second = m
        parts.append(f'{{"{first}":{_ENCODER.encode(m[first])},"{second}":{_ENCODER.encode(m[second])}}}')
    return "[" + ",".join(parts) + "]"


def _execute_chunked(
    cur: sqlite3.Cursor, template: str, rows: Sequence[Sequence[Any]], *, width: int
) -> list[Any]:
    """Run `template` once per `_BATCH` rows, its `{values}` replaced by that many `(?, …)` groups, and
    return what its `RETURNING` clause gave (nothing without one). One statement per chunk costs about a
    third less per row than `executemany`'s one per row (measured on audit inserts and run updates).
    Rows keep their order (audit ids follow it)."""
    group = "(" + ",".join("?" * width) + ")"
    returned: list[Any] = []
    for start in range(0, len(rows), _BATCH):
        chunk = rows[start : start + _BATCH]
        sql = template.format(values=",".join([group] * len(chunk)))
        returned += cur.execute(sql, [v for row in chunk for v in row]).fetchall()
    return returned


def _opt_us(t: datetime | None) -> int | None:
    return None if t is None else to_us(t)


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _job_summary(job: JobDefinition) -> dict[str, Any]:
    # No secret-bearing fields (headers, JWTs): only what identifies the schedule.
    return {"agent": job.agent_id, "cron": job.cron_expr, "at": job.at, "timezone": job.timezone}


def _job_summary_text(job: JobDefinition) -> str:
    """`_job_summary` as the audit details text `_audit` would write for it. The scrubber only ever
    rewrites JWT-shaped text, which starts `eyJ`; adding 10,000 jobs skips it when none does."""
    summary = _job_summary(job)
    if any(value is not None and "eyJ" in value for value in summary.values()):
        return _json(scrub_details(summary))
    return _json(summary)
