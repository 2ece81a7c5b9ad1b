"""The durable job store (a package since the store became an interface with several backends).

`from symbi_runtime.store import …` keeps working for every name the single-module store exported.
"""

from symbi_runtime.store.sqlite import (
    BUSY_TIMEOUT_MS,
    FAILURE_STATUSES,
    FINAL_RUN_STATUSES,
    RUN_EVENTS,
    SCHEMA_VERSION,
    AuditRecord,
    FinishResult,
    FireClaim,
    JobRecord,
    JobStatus,
    NewRun,
    RunOutcome,
    RunRecord,
    RunStatus,
    Store,
    StoreError,
    Trigger,
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
    "FinishResult",
    "FireClaim",
    "JobRecord",
    "JobStatus",
    "NewRun",
    "RunOutcome",
    "RunRecord",
    "RunStatus",
    "Store",
    "StoreError",
    "Trigger",
    "_process_owner",
    "from_us",
    "new_id",
    "to_us",
]
