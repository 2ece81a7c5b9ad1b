"""The PostgreSQL store's numbered migrations (version → statements taking the schema from version-1).

Times are `timestamptz`; JSON documents are text (as in SQLite: written and read whole). The fire key
UNIQUE(job_id, scheduled_for, seq) makes a fire claimable once across every node; `nodes` holds each
`symbi up` node's lease, and every claim carries the claimer's epoch (`runs.epoch`).
"""

from __future__ import annotations

SCHEMA_VERSION = 2

# One advisory lock key for migrations: nodes starting together migrate one after the other.
MIGRATION_LOCK = 0x53594D4249  # "SYMBI"
# And one for loading jobs (upserts by name from several nodes at once).
UPSERT_LOCK = 0x53594D424A

MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE jobs (
            id text PRIMARY KEY,
            name text NOT NULL UNIQUE,
            agent_id text NOT NULL,
            definition text NOT NULL,
            status text NOT NULL,
            next_fire_at timestamptz,
            consecutive_failures integer NOT NULL DEFAULT 0,
            run_count bigint NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            last_run_at timestamptz,
            last_status text
        )""",
        "CREATE INDEX jobs_due ON jobs (next_fire_at) WHERE status = 'active'",
        """CREATE TABLE runs (
            id text PRIMARY KEY,
            job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            scheduled_for timestamptz NOT NULL,
            seq bigint NOT NULL DEFAULT 0,
            trigger text NOT NULL,
            started_at timestamptz,
            finished_at timestamptz,
            jitter_seconds double precision NOT NULL DEFAULT 0,
            status text NOT NULL,
            input text,
            output text,
            error text,
            duration_seconds double precision,
            receipts text,
            decision text,
            decision_reason text,
            approver text,
            expires_at timestamptz,
            detail text,
            owner text,
            epoch bigint,
            n bigserial,
            CONSTRAINT runs_one_per_fire UNIQUE (job_id, scheduled_for, seq)
        )""",
        "CREATE INDEX runs_open ON runs (status, owner) WHERE status IN "
        "('pending', 'approved', 'running', 'awaiting_approval')",
        """CREATE TABLE sessions (
            key text PRIMARY KEY,
            messages text NOT NULL,
            updated_at timestamptz NOT NULL
        )""",
        """CREATE TABLE iterations (
            run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            iteration integer NOT NULL,
            action text NOT NULL,
            output text NOT NULL,
            at timestamptz NOT NULL,
            PRIMARY KEY (run_id, iteration)
        )""",
        """CREATE TABLE audit (
            id bigserial PRIMARY KEY,
            event_type text NOT NULL,
            at timestamptz NOT NULL,
            actor text NOT NULL,
            job_id text,
            job_name text,
            run_id text,
            details text NOT NULL
        )""",
        "CREATE INDEX audit_by_type ON audit (event_type, at)",
        "CREATE INDEX audit_by_job ON audit (job_name, at)",
        # A node's lease: alive while lease_until is in the future (database time, so node clocks may
        # differ). `epoch` is new on every registration; claims carry it (fencing).
        "CREATE SEQUENCE node_epochs",
        """CREATE TABLE nodes (
            id text PRIMARY KEY,
            host text NOT NULL,
            pid integer NOT NULL,
            epoch bigint NOT NULL,
            status text NOT NULL,
            started_at timestamptz NOT NULL,
            heartbeat_at timestamptz NOT NULL,
            lease_until timestamptz NOT NULL,
            stopped_at timestamptz
        )""",
    ],
    # The job's content fingerprint (store.fingerprint): reloading an unchanged job compares it instead
    # of serialising the job. NULL for rows written before (compared by definition text, then filled).
    2: ["ALTER TABLE jobs ADD COLUMN content_hash text"],
}
