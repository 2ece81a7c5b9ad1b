"""`copy_store`: move a project's whole store to another database (e.g. SQLite → PostgreSQL) in one go.

Copies jobs, runs (with their fire keys), sessions, heartbeat iterations and the audit log, table by
table in one transaction on the target, and refuses a target that already holds jobs, runs or audit
events (nothing is ever merged or overwritten). Times are converted between the backends' encodings
(SQLite: microseconds since the epoch; PostgreSQL: timestamptz). Audit events keep their order and get
new ids. Runs left `running` by the source's runtime keep their owner: the first node to start on the
target abandons them as it would after a crash.

Rows stream: each table is read through a cursor (SQLite steps its statement; PostgreSQL a server-side
cursor) `CHUNK_ROWS` at a time and written a chunk at a time, so memory stays bounded by a chunk
whatever the history's size (the target's transaction still holds the whole copy: all or nothing).

Lives in the store package because it reads and writes below the `Store` interface: a copy is rows,
not jobs being added and runs being claimed (which would write new audit events).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from symbi_runtime.store.errors import StoreError
from symbi_runtime.store.location import StoreLocation, open_store
from symbi_runtime.store.postgres import PostgresStore
from symbi_runtime.store.sqlite import SqliteStore, from_us, to_us


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]
    times: frozenset[str]
    order: str


TABLES: tuple[Table, ...] = (
    Table(
        "jobs",
        (
            "id",
            "name",
            "agent_id",
            "definition",
            "status",
            "next_fire_at",
            "consecutive_failures",
            "run_count",
            "created_at",
            "updated_at",
            "last_run_at",
            "last_status",
        ),
        frozenset({"next_fire_at", "created_at", "updated_at", "last_run_at"}),
        "created_at, id",
    ),
    Table(
        "runs",
        (
            "id",
            "job_id",
            "scheduled_for",
            "seq",
            "trigger",
            "started_at",
            "finished_at",
            "jitter_seconds",
            "status",
            "input",
            "output",
            "error",
            "duration_seconds",
            "receipts",
            "decision",
            "decision_reason",
            "approver",
            "expires_at",
            "detail",
            "owner",
        ),
        frozenset({"scheduled_for", "started_at", "finished_at", "expires_at"}),
        "scheduled_for, id",
    ),
    Table("sessions", ("key", "messages", "updated_at"), frozenset({"updated_at"}), "key"),
    Table(
        "iterations",
        ("run_id", "iteration", "action", "output", "at"),
        frozenset({"at"}),
        "run_id, iteration",
    ),
    Table(
        "audit",
        ("event_type", "at", "actor", "job_id", "job_name", "run_id", "details"),
        frozenset({"at"}),
        "id",
    ),
)

AnyStore = SqliteStore | PostgresStore


CHUNK_ROWS = 1000


def stream_rows(
    store: AnyStore, table: Table, chunk_rows: int = CHUNK_ROWS
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of `table` in its order, `chunk_rows` at a time (times as aware datetimes)."""
    sql = f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {table.order}"
    if isinstance(store, PostgresStore):
        with (
            store._translated(),
            store._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(name=f"symbi_copy_{table.name}") as cur,
        ):
            cur.execute(sql)
            while chunk := cur.fetchmany(chunk_rows):
                yield [tuple(r) for r in chunk]
        return
    at = [i for i, c in enumerate(table.columns) if c in table.times]
    with store._lock, store._translated():
        rows = store._conn.execute(sql)
        try:
            while chunk := rows.fetchmany(chunk_rows):
                yield [
                    tuple(from_us(v) if i in at and v is not None else v for i, v in enumerate(r))
                    for r in chunk
                ]
        finally:
            rows.close()


def _encode(store: AnyStore, table: Table, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    if isinstance(store, PostgresStore):
        return list(rows)
    at = [i for i, c in enumerate(table.columns) if c in table.times]
    return [
        tuple(to_us(v) if i in at and isinstance(v, datetime) else v for i, v in enumerate(r)) for r in rows
    ]


def _occupied(store: AnyStore) -> list[str]:
    return [t for t in ("jobs", "runs", "audit") if store._read(f"SELECT count(*) FROM {t}")[0][0]]


def copy_store(
    source: StoreLocation, target: StoreLocation, *, chunk_rows: int = CHUNK_ROWS
) -> dict[str, int]:
    """Copy every row of `source` into the empty store at `target`; returns rows copied per table."""
    if source.backend == target.backend and source.target == target.target:
        raise StoreError(f"--from and --to are the same database ({source})")
    src = open_store(source)
    try:
        dst = open_store(target)
        try:
            assert isinstance(src, SqliteStore | PostgresStore) and isinstance(
                dst, SqliteStore | PostgresStore
            )
            occupied = _occupied(dst)
            if occupied:
                raise StoreError(
                    f"{target} is not empty (it has {', '.join(occupied)}); copy into an empty database"
                )
            counts: dict[str, int] = {}
            mark = "%s" if isinstance(dst, PostgresStore) else "?"
            with dst._tx() as cur:
                for table in TABLES:
                    insert = (
                        f"INSERT INTO {table.name} ({', '.join(table.columns)}) "
                        f"VALUES ({', '.join([mark] * len(table.columns))})"
                    )
                    counts[table.name] = 0
                    for chunk in stream_rows(src, table, chunk_rows):
                        cur.executemany(insert, _encode(dst, table, chunk))
                        counts[table.name] += len(chunk)
            return counts
        finally:
            dst.close()
    finally:
        src.close()
