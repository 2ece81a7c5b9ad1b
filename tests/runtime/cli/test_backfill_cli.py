"""`symbi cron backfill` against a running scheduler: the CLI writes the runs, the runtime runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from symbi_lang.ir import AllowedHours, Policy

from ..conftest import T0

NOW = "2026-03-02T13:00:30Z"  # T0 + 1h, after the 13:00 scheduled fire


def backfill(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "symbi_lang.cli.main",
            "cron",
            "backfill",
            *args,
            "--db",
            str(db),
            "--now",
            NOW,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_backfill_runs_each_missing_fire_once_through_the_running_scheduler(
    engine_factory: Any, job: Any, db_path: Path
) -> None:
    e = engine_factory()
    e.rt.add_job(job("hourly", cron="0 0 * * * *", input="report"))
    e.start()
    await e.settle()
    await e.advance(3600)  # 13:00: the scheduled fire
    await e.wait(lambda: [r.status for r in e.runs("hourly")] == ["succeeded"], limit=60)

    dry = backfill(
        db_path,
        "hourly",
        "--from",
        "2026-03-02T09:00:00Z",
        "--to",
        "2026-03-02T13:00:00Z",
        "--dry-run",
        "--format",
        "json",
    )
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert [(f["scheduled_for"][11:16], f["action"]) for f in planned["fires"]] == [
        ("09:00", "would create"),
        ("10:00", "would create"),
        ("11:00", "would create"),
        ("12:00", "would create"),
        ("13:00", "already recorded"),  # the scheduled fire keeps its run: same fire key
    ]
    assert len(e.runs("hourly")) == 1  # a dry run writes nothing

    r = backfill(
        db_path,
        "hourly",
        "--from",
        "2026-03-02T09:00:00Z",
        "--to",
        "2026-03-02T13:00:00Z",
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    created = [f for f in json.loads(r.stdout)["fires"] if f["action"] == "created"]
    assert len(created) == 4 and all(f["trigger"] == "backfill" for f in created)

    await e.advance(1)  # the next tick picks the pending runs up
    await e.wait(lambda: sum(r.status == "succeeded" for r in e.runs("hourly")) == 5, limit=60)
    runs = e.runs("hourly")
    assert sorted((r.scheduled_for.hour, r.trigger) for r in runs) == [
        (9, "backfill"),
        (10, "backfill"),
        (11, "backfill"),
        (12, "backfill"),
        (13, "schedule"),
    ]
    assert all(r.input == "report" for r in runs)
    started = [a for a in e.store.list_audit(event_type="CronJobStarted") if a.job_name == "hourly"]
    assert sorted(str(a.details.get("trigger")) for a in started) == ["backfill"] * 4 + ["schedule"]

    again = backfill(db_path, "hourly", "--from", "2026-03-02T09:00:00Z", "--to", "2026-03-02T13:00:00Z")
    assert again.returncode == 0
    assert "created 0 backfill run(s) for hourly; 5 already recorded" in again.stderr


async def test_backfilled_runs_go_through_policy(engine_factory: Any, job: Any, db_path: Path) -> None:
    e = engine_factory()
    # Only allowed 09:00-10:00: at 12:00 (the fake now) a backfilled run is denied and recorded so.
    e.rt.add_job(
        job("gated", cron="0 0 9 * * *", policy=Policy(allowed_hours=AllowedHours("09:00", "10:00")))
    )
    e.start()
    await e.settle()
    r = backfill(db_path, "gated", "--from", "2026-03-01T00:00:00Z", "--to", "2026-03-02T12:00:00Z")
    assert r.returncode == 0, r.stderr
    await e.advance(1)
    await e.wait(lambda: [x.status for x in e.runs("gated")] == ["denied", "denied"], limit=60)
    assert all(x.trigger == "backfill" and "allowed_hours" in (x.error or "") for x in e.runs("gated"))
    assert e.clock.now() >= T0


def test_bad_ranges_are_clear_errors(db_path: Path, store: Any, job: Any) -> None:
    store.upsert_job(job("hourly", cron="0 0 * * * *"), now=T0)
    db = db_path
    future = backfill(db, "hourly", "--from", "2026-03-02T00:00:00Z", "--to", "2026-03-03T00:00:00Z")
    assert future.returncode == 1 and "is in the future" in future.stderr
    reversed_ = backfill(db, "hourly", "--from", "2026-03-02T10:00:00Z", "--to", "2026-03-02T09:00:00Z")
    assert reversed_.returncode == 1 and "is before --from" in reversed_.stderr
    unknown = backfill(db, "nope", "--from", "2026-03-02T09:00:00Z", "--to", "2026-03-02T10:00:00Z")
    assert unknown.returncode == 1 and "no job named 'nope'" in unknown.stderr
    bad = backfill(db, "hourly", "--from", "yesterday", "--to", "2026-03-02T10:00:00Z")
    assert bad.returncode == 2 and "--from yesterday: not an ISO 8601" in bad.stderr
    assert "Traceback" not in future.stderr + reversed_.stderr + unknown.stderr + bad.stderr
