"""`symbi cron explain`: every gate for the fire nearest --at, from a store a real scheduler wrote."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from symbi_lang.ir import AllowedHours, Policy


def explain(db: Path, *args: str, now: str = "2026-03-02T14:00:30Z") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "symbi_lang.cli.main",
            "cron",
            "explain",
            *args,
            "--db",
            str(db),
            "--now",
            now,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def cron_cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "cron", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def gates(result: subprocess.CompletedProcess[str]) -> dict[str, tuple[str, str]]:
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    return {g["gate"]: (g["verdict"], g["detail"]) for g in doc["gates"]}


async def test_explain_past_and_future_fires(engine_factory: Any, job: Any, db_path: Path) -> None:
    e = engine_factory()
    e.rt.add_job(job("hourly", cron="0 0 * * * *"))
    e.rt.add_job(
        job("gated", cron="0 0 * * * *", policy=Policy(allowed_hours=AllowedHours("09:00", "10:00")))
    )
    e.rt.add_job(job("slow", cron="0 0 * * * *", agent_id="block"))
    e.start()
    await e.settle()
    await e.advance(3600)  # 13:00
    # The 13:00 runs of hourly and gated end before the clock moves on (they would be in flight at 14:00).
    await e.wait(lambda: [r.status for r in e.runs("hourly")] == ["succeeded"], limit=60)
    await e.wait(lambda: [r.status for r in e.runs("gated")] == ["denied"], limit=60)
    await e.advance(3600)  # 14:00: slow's 13:00 run still blocks, so its 14:00 fire is skipped
    await e.wait(lambda: [r.status for r in e.runs("slow")] == ["running", "skipped"], limit=60)
    await e.wait(
        lambda: len(e.runs("gated")) == 2 and all(r.status == "denied" for r in e.runs("gated")), limit=60
    )

    ok = gates(explain(db_path, "hourly", "--at", "2026-03-02T13:00:10Z", "--format", "json"))
    assert ok["execution"] == ("passed", "succeeded")
    assert ok["policy"][0] == "passed" and ok["catch-up"][0] == "passed"
    assert list(ok)[:4] == ["paused", "catch-up", "jitter", "max_concurrent"]

    denied = gates(explain(db_path, "gated", "--at", "2026-03-02T13:20:00Z", "--format", "json"))
    assert denied["policy"][0] == "stopped" and "allowed_hours" in denied["policy"][1]
    assert "execution" not in denied  # the gates after the one that stopped it are not shown

    skipped = gates(explain(db_path, "slow", "--at", "2026-03-02T14:00:00Z", "--format", "json"))
    assert skipped["max_concurrent"][0] == "stopped" and "max_concurrent = 1" in skipped["max_concurrent"][1]

    future = explain(db_path, "gated", "--at", "2026-03-03T09:10:00Z", "--format", "json")
    doc = json.loads(future.stdout)
    assert doc["future"] is True and doc["fire"] == "2026-03-03T09:00:00+00:00"
    assert {g["gate"]: g["verdict"] for g in doc["gates"]}["policy"] == "passed"
    later = gates(explain(db_path, "gated", "--at", "2026-03-03T15:00:00Z", "--format", "json"))
    assert later["policy"][0] == "stopped"

    before = gates(explain(db_path, "hourly", "--at", "2026-03-01T08:00:00Z", "--format", "json"))
    assert before["schedule"][0] == "stopped" and "added later" in before["schedule"][1]

    text = explain(db_path, "gated", "--at", "2026-03-02T13:00:00Z")
    assert text.returncode == 0
    assert text.stdout.splitlines()[0] == (
        "gated: fire was due at 2026-03-02T13:00:00+00:00 (nearest 2026-03-02T13:00:00+00:00)"
    )
    assert any(line.startswith("  6. ✗ policy: allowed_hours") for line in text.stdout.splitlines())
    e.gates["slow"].set()


def test_unknown_job_and_bad_time(db_path: Path, store: Any, job: Any) -> None:
    from datetime import UTC, datetime

    store.upsert_job(job("hourly", cron="0 0 * * * *"), now=datetime(2026, 3, 2, tzinfo=UTC))
    r = explain(db_path, "nope")
    assert r.returncode == 1 and "no job named 'nope'" in r.stderr
    r = explain(db_path, "hourly", "--at", "noonish")
    assert r.returncode == 2 and "--at noonish: not an ISO 8601" in r.stderr


async def test_explain_names_who_approved_and_when(engine_factory: Any, job: Any, db_path: Path) -> None:
    # `cron approve` judges expiry by the real clock, the runtime by its fake one: never expire here.
    e = engine_factory(approval_timeout_seconds=50 * 365 * 86400)
    e.rt.add_job(job("guarded", cron="0 0 * * * *", policy=Policy(require_approval=True, approver="ana")))
    e.rt.add_job(job("refused", cron="0 0 * * * *", policy=Policy(require_approval=True)))
    e.start()
    await e.settle()
    await e.advance(3600)  # 13:00: both wait for a person
    await e.wait(
        lambda: [r.status for r in e.runs("guarded") + e.runs("refused")] == ["awaiting_approval"] * 2,
        limit=60,
    )
    waiting = gates(explain(db_path, "guarded", "--at", "2026-03-02T13:00:00Z", "--format", "json"))
    assert waiting["approval"][0] == "stopped" and "awaiting approval" in waiting["approval"][1]

    ok = cron_cli(db_path, "approve", e.runs("guarded")[0].id, "--actor", "ana", "--reason", "looks fine")
    assert ok.returncode == 0, ok.stderr
    no = cron_cli(db_path, "deny", e.runs("refused")[0].id, "--reason", "not today")
    assert no.returncode == 0, no.stderr
    await e.advance(1)
    await e.wait(lambda: [r.status for r in e.runs("guarded")] == ["succeeded"], limit=60)

    approved = gates(explain(db_path, "guarded", "--at", "2026-03-02T13:00:00Z", "--format", "json"))
    assert approved["approval"][0] == "passed"
    # The decision time is the approving CLI's clock (the real one), as recorded in the audit trail.
    assert re.fullmatch(
        r"approved by ana at \d{4}-\d\d-\d\dT[0-9:.]+\+00:00: looks fine", approved["approval"][1]
    )
    assert approved["execution"] == ("passed", "succeeded")
    refused = gates(explain(db_path, "refused", "--at", "2026-03-02T13:00:00Z", "--format", "json"))
    assert refused["policy"][0] == "passed"  # a person said no, not the policy gate
    assert refused["approval"][0] == "stopped" and refused["approval"][1].startswith("denied by ")
    assert refused["approval"][1].endswith(": not today")
