"""The durable job store: the `Store` interface, its records and errors, and the backends behind it.

- protocol.py — `Store`, the interface the scheduler, pipeline, CLI and HTTP API use;
- records.py — job/run states and the records every backend returns;
- errors.py — `StoreError`, `TransientStoreError` (retry), `PermanentStoreError` (stop);
- location.py — the one place that turns `--db` / `SYMBI_DB` / `symbi.toml` into a backend (`open_store`);
- sqlite.py — `SqliteStore`, one file; postgres.py — `PostgresStore`, several nodes on one database.

`from symbi_runtime.store import …` keeps working for every name the single-module store exported.
"""

from symbi_runtime.store.errors import PermanentStoreError, StoreError, TransientStoreError
from symbi_runtime.store.location import (
    Backend,
    StoreLocation,
    StoreLocationError,
    open_store,
    parse_location,
    redact,
    resolve_location,
)
from symbi_runtime.store.protocol import Store
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
    BUSY_TIMEOUT_MS,
    SCHEMA_VERSION,
    SqliteStore,
    _process_owner,
    from_us,
    new_id,
    to_us,
)

__all__ = [
    "BUSY_TIMEOUT_MS",
    "FAILURE_STATUSES",
    "FINAL_RUN_STATUSES",
    "RUN_EVENTS",
    "SCHEMA_VERSION",
    "AuditRecord",
    "Backend",
    "FinishResult",
    "FireClaim",
    "JobRecord",
    "JobStatus",
    "NewRun",
    "PermanentStoreError",
    "RunOutcome",
    "RunRecord",
    "RunStatus",
    "SqliteStore",
    "Store",
    "StoreError",
    "StoreLocation",
    "StoreLocationError",
    "TransientStoreError",
    "Trigger",
    "_process_owner",
    "from_us",
    "new_id",
    "open_store",
    "parse_location",
    "redact",
    "resolve_location",
    "to_us",
]
