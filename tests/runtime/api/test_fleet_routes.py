"""Backfill and explain over the HTTP API, on both store backends, against a running scheduler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from symbi_runtime.api import serve_api
from symbi_runtime.api.settings import parse_api_table

from symbi_lang.ir import AllowedHours, Policy

from ..conftest import Engine

WRITER = "writer-token-0123456789"
READER = "reader-token-0123456789"
API_TABLE = {
    "tokens": [
        {"principal": "ops-team", "scopes": ["read", "write", "audit"], "secret": "${W}"},
        {"principal": "viewer", "scopes": ["read"], "secret": "${R}"},
    ]
}


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Fleet:
    e: Engine
    client: httpx.AsyncClient

    async def post(self, path: str, body: Any, token: str = WRITER) -> httpx.Response:
        return await self.client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})

    async def get(self, path: str, token: str = READER, **params: str) -> httpx.Response:
        return await self.client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
async def fleet(engine_factory: Any, job: Any) -> AsyncIterator[Fleet]:
    """Clock at T0 = 2026-03-02T12:00Z; `hourly` has run its 13:00 fire; `gated` is denied before 14:00."""
    e = engine_factory()
    e.rt.add_job(job("hourly", cron="0 0 * * * *", input="report"))
    gated = Policy(allowed_hours=AllowedHours("14:00", "18:00"))
    e.rt.add_job(job("gated", cron="0 30 * * * *", policy=gated))
    e.start()
    await e.settle()
    await e.advance(3600)  # 13:00: the scheduled fire of hourly (and gated's 12:30, denied)
    await e.advance(30)
    await e.wait(lambda: [r.status for r in e.runs("hourly")] == ["succeeded"], limit=60)
    server = await serve_api(e.rt, settings=parse_api_table(API_TABLE, {"W": WRITER, "R": READER}), port=0)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield Fleet(e, client)
    await server.close()


RANGE = {"from": "2026-03-02T09:00:00Z", "to": "2026-03-02T13:00:00Z"}


async def test_dry_run_lists_the_fires_and_writes_nothing(fleet: Fleet) -> None:
    r = await fleet.post("/api/v1/schedule/hourly/backfill", {**RANGE, "dry_run": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["job"], body["dry_run"], body["overlap"]) == ("hourly", True, "queue")
    assert [(f["scheduled_for"][11:16], f["action"]) for f in body["fires"]] == [
        ("09:00", "would create"),
        ("10:00", "would create"),
        ("11:00", "would create"),
        ("12:00", "would create"),
        ("13:00", "already recorded"),  # the scheduled fire's own run: same fire key
    ]
    assert (body["created"], body["already_recorded"]) == (4, 1)
    assert len(fleet.e.runs("hourly")) == 1
    audit = await fleet.get("/api/v1/audit", WRITER, type="CronJobBackfilled")
    assert audit.json() == []  # a dry run is not an action


async def test_backfill_runs_each_fire_once_through_the_running_scheduler(fleet: Fleet) -> None:
    e = fleet.e
    r = await fleet.post("/api/v1/schedule/hourly/backfill", RANGE)
    assert r.status_code == 200, r.text
    created = [f for f in r.json()["fires"] if f["action"] == "created"]
    assert [f["scheduled_for"][11:16] for f in created] == ["09:00", "10:00", "11:00", "12:00"]
    assert all(f["trigger"] == "backfill" and f["status"] == "pending" for f in created)

    await e.wait(lambda: len(e.runs("hourly", status="succeeded")) == 5, limit=60)
    runs = e.runs("hourly")
    assert sorted((r.scheduled_for.hour, r.trigger) for r in runs) == [
        (9, "backfill"),
        (10, "backfill"),
        (11, "backfill"),
        (12, "backfill"),
        (13, "schedule"),
    ]
    assert [c.input for c in e.calls].count("report") == 5  # the agent ran once per fire, no more

    again = (await fleet.post("/api/v1/schedule/hourly/backfill", RANGE)).json()
    assert {f["action"] for f in again["fires"]} == {"already recorded"}
    assert again["created"] == 0
    # The next scheduled fire (14:00) still runs once: the backfill did not take its key.
    await e.advance(3600)
    await e.wait(lambda: len(e.runs("hourly", status="succeeded")) == 6, limit=60)
    assert len(e.runs("hourly")) == 6

    events = (await fleet.get("/api/v1/audit", WRITER, type="CronJobBackfilled")).json()
    assert len(events) == 1  # the second backfill wrote nothing
    assert events[0]["actor"] == "ops-team"  # the token's principal
    assert events[0]["job_name"] == "hourly"
    assert events[0]["details"]["created"] == 4


async def test_a_backfilled_fire_is_denied_by_policy_like_a_scheduled_one(fleet: Fleet) -> None:
    r = await fleet.post(
        "/api/v1/schedule/gated/backfill", {"from": "2026-03-02T10:00:00Z", "to": "2026-03-02T11:59:00Z"}
    )
    assert [f["scheduled_for"][11:16] for f in r.json()["fires"]] == ["10:30", "11:30"]
    e = fleet.e
    await e.wait(
        lambda: sorted(r.status for r in e.runs("gated") if r.trigger == "backfill") == ["denied", "denied"],
        limit=60,
    )
    explained = (await fleet.get("/api/v1/schedule/gated/explain", at="2026-03-02T10:31:00Z")).json()
    assert explained["fire"].startswith("2026-03-02T10:30:00")
    assert explained["run"]["trigger"] == "backfill"
    assert explained["run"]["status"] == "denied"
    policy = next(g for g in explained["gates"] if g["gate"] == "policy")
    assert policy["verdict"] == "stopped"


async def test_explain_past_and_future_fires(fleet: Fleet) -> None:
    past = await fleet.get("/api/v1/schedule/hourly/explain", at="2026-03-02T13:10:00Z")
    assert past.status_code == 200, past.text
    doc = past.json()
    assert (doc["job"], doc["future"]) == ("hourly", False)
    assert doc["fire"].startswith("2026-03-02T13:00:00")
    assert doc["run"]["status"] == "succeeded" and doc["run"]["trigger"] == "schedule"
    assert all(g["verdict"] in ("passed", "note") for g in doc["gates"]), doc["gates"]

    future = (await fleet.get("/api/v1/schedule/hourly/explain", at="2026-03-02T16:50:00Z")).json()
    assert future["future"] is True and future["run"] is None
    assert future["fire"].startswith("2026-03-02T17:00:00")

    denied = (await fleet.get("/api/v1/schedule/gated/explain", at="2026-03-02T12:30:00Z")).json()
    assert denied["run"]["status"] == "denied"
    assert [g["gate"] for g in denied["gates"] if g["verdict"] == "stopped"] == ["policy"]

    default = (await fleet.get("/api/v1/schedule/hourly/explain")).json()
    assert default["at"].startswith("2026-03-02T13:00:30")  # the runtime's clock, not the wall clock


async def test_scopes_are_enforced(fleet: Fleet) -> None:
    refused = await fleet.post("/api/v1/schedule/hourly/backfill", RANGE, token=READER)
    assert refused.status_code == 403
    assert refused.json()["code"] == "FORBIDDEN" and "'write' scope" in refused.json()["error"]
    assert len(fleet.e.runs("hourly")) == 1
    anonymous = await fleet.client.get("/api/v1/schedule/hourly/explain")
    assert anonymous.status_code == 401
    assert (await fleet.get("/api/v1/schedule/hourly/explain", READER)).status_code == 200


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"from": "2026-03-02T12:00:00Z", "to": "2026-03-02T09:00:00Z"}, "to", "is before from"),
        ({"from": "2026-03-02T09:00:00Z", "to": "2026-03-09T00:00:00Z"}, "to", "in the future"),
        ({"from": "yesterday", "to": "2026-03-02T09:00:00Z"}, "from", "not an ISO 8601"),
        ({"from": "2026-03-02T09:00:00", "to": "2026-03-02T10:00:00Z"}, "from", "needs a UTC offset"),
        ({"from": "2026-03-02T09:00:00Z"}, "to", "Field required"),
        ({**RANGE, "overlap": "sometimes"}, "overlap", "skip"),
        ({**RANGE, "dry_run": "yes"}, "dry_run", "boolean"),
        ({**RANGE, "actor": "mallory"}, "actor", "Extra inputs"),
    ],
)
async def test_bad_ranges_are_400s_naming_the_field(
    fleet: Fleet, body: dict[str, Any], field: str, words: str
) -> None:
    r = await fleet.post("/api/v1/schedule/hourly/backfill", body)
    assert r.status_code == 400, r.text
    doc = r.json()
    assert doc["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in doc["details"]] == [field]
    assert words in doc["details"][0]["message"]
    assert len(fleet.e.runs("hourly")) == 1


async def test_too_many_fires_and_unknown_jobs(fleet: Fleet, job: Any) -> None:
    fleet.e.rt.add_job(job("every-second", cron="* * * * * *"))
    whole_morning = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-02T12:00:00Z"}
    r = await fleet.post("/api/v1/schedule/every-second/backfill", whole_morning)
    assert r.status_code == 400 and r.json()["details"][0]["field"] == "from"
    assert "narrower range" in r.json()["error"]
    assert (await fleet.post("/api/v1/schedule/nobody/backfill", RANGE)).status_code == 404
    assert (await fleet.get("/api/v1/schedule/nobody/explain")).status_code == 404
    bad_at = await fleet.get("/api/v1/schedule/hourly/explain", at="noon")
    assert bad_at.status_code == 400 and bad_at.json()["details"][0]["field"] == "at"
