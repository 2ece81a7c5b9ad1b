"""`Store`: the one interface the scheduler, the run pipeline, the CLI and the HTTP API use for durable state.

Two implementations sit behind it: `SqliteStore` (one file, one node) and `PostgresStore` (several
`symbi up` nodes sharing one database). `open_store` (store/location.py) picks one from `--db`,
`SYMBI_DB` or `symbi.toml`; nothing else names a backend.

What every implementation guarantees (the behaviour tests run against each backend):

- Every write is one transaction, and every state transition writes its audit event in that same
  transaction.
- One run per fire: the key (job, scheduled_for, seq) is unique — fires have seq 0, manual runs a random
  positive seq — so a fire is run once whatever crashes or how many nodes claim.
- A claim advances the job's next fire (compare-and-set on the value the claimer read) in the
  transaction that inserts its runs; a claim whose job moved on inserts nothing.
- Jobs are upserted by name, never replaced: their history survives edits.
- Times go in and come out as aware UTC datetimes.
- Failures are `StoreError`s (store/errors.py): `TransientStoreError` (retry) or `PermanentStoreError`
  (stop); plain `StoreError` for a request that cannot be carried out. No driver exception escapes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

from symbi_lang.ir import JobDefinition
from symbi_runtime.store.records import (
    AuditRecord,
    FinishResult,
    FireClaim,
    JobRecord,
    NewRun,
    RunOutcome,
    RunRecord,
)

UpsertOutcome = Literal["created", "updated", "unchanged"]


class Store(Protocol):
    """Durable jobs, runs, sessions, heartbeat iterations and the audit log."""

    @property
    def where(self) -> str:
        """The database as shown to users: a file path, or a URL with any password removed."""
        ...

    @property
    def claim_batch(self) -> int:
        """How many due jobs the scheduler claims per transaction (each store says why its number)."""
        ...

    # --- lifecycle ----------------------------------------------------------------------------------

    def start_background_work(self, on_change: Callable[[], None] | None = None) -> None:
        """Start the store's own background upkeep for a long-running scheduler (SQLite: WAL
        checkpoints off the event loop; PostgreSQL: join as a node and renew its lease). `on_change` is
        called, from another thread, when another process changed jobs (PostgreSQL LISTEN/NOTIFY; the
        scheduler's tick stays the fallback). CLI commands skip this."""
        ...

    def node_status(self) -> dict[str, Any] | None:
        """This process as a node of a shared store (PostgreSQL, after `start_background_work`): its id,
        host, pid, epoch, lease TTL and whether its lease is current. None for a single-node store."""
        ...

    def list_nodes(self) -> list[dict[str, Any]]:
        """Every `symbi up` node that joined a shared store, newest first: id, host, pid, epoch, status
        (alive, expired, dead, stopped), started_at, heartbeat_at, lease_until, stopped_at and its
        running runs. Empty for a single-node store (SQLite: one `symbi up` runs it)."""
        ...

    def close(self) -> None:
        """Release connections and background threads (a node also gives up its lease)."""
        ...

    def __enter__(self) -> Store: ...

    def __exit__(self, *exc: object) -> None: ...

    def schema_version(self) -> int:
        """The schema version the database is at (migrations run on open)."""
        ...

    def integrity_check(self) -> str:
        """`ok`, or what the database's own consistency check found."""
        ...

    # --- jobs ---------------------------------------------------------------------------------------

    def upsert_job(
        self, job: JobDefinition, *, now: datetime, actor: str = "system"
    ) -> tuple[JobRecord, UpsertOutcome]:
        """Add `job`, or update the job of that name in place (history kept). A changed schedule
        recomputes the next fire from `now`; other edits keep the next fire and the status."""
        ...

    def upsert_jobs(
        self, jobs: Sequence[JobDefinition], *, now: datetime, actor: str = "system"
    ) -> list[tuple[JobRecord, UpsertOutcome]]:
        """`upsert_job` for several jobs in one transaction: all are loaded, or none."""
        ...

    def job_names(self) -> list[str]:
        """The names of every stored job, sorted (cheap: no definition is read)."""
        ...

    def get_job(self, name_or_id: str) -> JobRecord | None:
        """A job by name, id, or unique id prefix (6+ characters)."""
        ...

    def list_jobs(self, *, status: str | None = None, agent: str | None = None) -> list[JobRecord]:
        """Jobs by name, optionally only those with `status` or running `agent`."""
        ...

    def remove_job(self, name_or_id: str, *, now: datetime | None = None, actor: str = "system") -> bool:
        """Delete a job, its runs and its session (an explicit user action); False when there is none."""
        ...

    def set_job_status(
        self, name_or_id: str, status: str, *, now: datetime, actor: str = "system"
    ) -> JobRecord:
        """Pause (`paused`) or resume (`active`: next fire recomputed from `now`, no backlog) a job."""
        ...

    def reset_job(self, name_or_id: str, *, now: datetime, actor: str = "system") -> JobRecord:
        """Return a dead-lettered (or failed, paused) job to `active`: failures 0, next fire from `now`."""
        ...

    def mark_job_failed(self, name_or_id: str, reason: str, *, now: datetime) -> None:
        """A job the scheduler cannot evaluate (bad stored schedule) stops firing: `failed`."""
        ...

    def job_counts(self) -> dict[str, int]:
        """Number of jobs per status."""
        ...

    # --- scheduling ---------------------------------------------------------------------------------

    def next_due_time(self) -> datetime | None:
        """The earliest next fire among active jobs."""
        ...

    def due_jobs(self, now: datetime, *, limit: int = 1000) -> list[JobRecord]:
        """Active jobs whose next fire is at or before `now`, earliest first."""
        ...

    def claim_fires(self, claims: Sequence[FireClaim], *, now: datetime) -> list[list[RunRecord]]:
        """Apply claims in one transaction (one result list per claim, in order): advance each job
        from `expected_next` and insert its runs; a claim whose job moved on inserts nothing."""
        ...

    def insert_run(self, job_name_or_id: str, new: NewRun, *, now: datetime) -> RunRecord:
        """Insert one run outside a claim (manual runs); the job's next fire does not move."""
        ...

    def start_runs(self, run_ids: Sequence[str], *, now: datetime) -> set[str]:
        """pending/approved → running (one transaction); returns the ids that were started."""
        ...

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
        ...

    def finish_runs(
        self,
        outcomes: Sequence[RunOutcome],
        *,
        now: datetime,
        default_max_retries: int,
        sessions: Mapping[str, list[dict[str, Any]]] | None = None,
    ) -> list[FinishResult]:
        """Record how runs ended, with job counters, in one transaction: a success resets the failure
        count; `max_retries` consecutive failures move the job to `dead_letter` in this same
        transaction; `sessions` (key → messages) are saved in it too. Runs already final are skipped."""
        ...

    def abandon_running(self, *, now: datetime) -> list[RunRecord]:
        """Runs left `running` by a process (or node) that is gone become `abandoned`; runs of live
        owners are left alone."""
        ...

    def runs_to_resume(self, *, approved_only: bool = False) -> list[RunRecord]:
        """Runs claimed but not started (`pending`) and runs approved but not executed (`approved`)."""
        ...

    def expire_approvals(self, *, now: datetime) -> list[RunRecord]:
        """Undecided `awaiting_approval` runs past their expiry become `missed`."""
        ...

    def count_in_flight(self, job_id: str) -> int:
        """Pending or running runs of one job."""
        ...

    def count_in_flight_many(self, job_ids: Sequence[str]) -> dict[str, int]:
        """Pending or running runs per job (jobs with none are absent), in one read for a batch."""
        ...

    # --- runs ---------------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunRecord | None:
        """A run by id or unique id prefix (6+ characters)."""
        ...

    def list_runs(
        self, *, job: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[RunRecord]:
        """Runs, newest fire first; `job` is a name or id."""
        ...

    def run_stats(self) -> dict[str, Any]:
        """Totals for health reports: runs, succeeded, failed (incl. timed out), mean execution time."""
        ...

    def decide_approval(
        self, run_id: str, *, approve: bool, actor: str, reason: str | None, now: datetime
    ) -> RunRecord:
        """awaiting_approval → `approved` (then executed with its original input) or `denied`."""
        ...

    # --- sessions and heartbeat iterations ----------------------------------------------------------

    def load_session(self, key: str) -> list[dict[str, Any]]:
        """A session's messages (empty when it has none)."""
        ...

    def load_sessions(self, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """`load_session` for several keys in one read; keys without a session are left out."""
        ...

    def save_session(self, key: str, messages: list[dict[str, Any]], *, now: datetime) -> None:
        """Replace a session's messages."""
        ...

    def delete_session(self, key: str) -> None:
        """Forget a session."""
        ...

    def record_iteration(
        self, run_id: str, iteration: int, *, action: str, output: str, at: datetime
    ) -> None:
        """Record (or overwrite) one heartbeat iteration of a run."""
        ...

    def list_iterations(self, run_id: str) -> list[dict[str, Any]]:
        """A run's heartbeat iterations in order."""
        ...

    # --- audit --------------------------------------------------------------------------------------

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
        ...

    def list_audit(
        self,
        *,
        event_type: str | None = None,
        job: str | None = None,
        since: datetime | None = None,
        limit: int = 200,
    ) -> list[AuditRecord]:
        """Audit events, newest first; `job` matches a job name or id."""
        ...
