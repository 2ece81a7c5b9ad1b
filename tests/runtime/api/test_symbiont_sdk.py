"""Upstream's Python SDK (symbiont-sdk), unchanged, against a real server: every schedule method returns
what its own models expect (its dataclasses reject unknown keys, so shapes must match exactly)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from .conftest import ADMIN, ServeFactory


def _drive_sdk(base_url: str) -> dict[str, Any]:
    from symbiont import Client
    from symbiont.schedules import CreateScheduleRequest, UpdateScheduleRequest

    sdk = Client(api_key=ADMIN, base_url=base_url).schedules
    seen: dict[str, Any] = {}
    created = sdk.create_schedule(
        CreateScheduleRequest(name="sdk-job", cron_expression="0 0 9 * * *", agent_name="reporter")
    )
    seen["created"] = created
    job_id = created.job_id
    seen["list"] = sdk.list_schedules()
    seen["get"] = sdk.get_schedule(job_id)
    seen["update"] = sdk.update_schedule(
        job_id, UpdateScheduleRequest(cron_expression="0 30 9 * * *", timezone="Europe/Berlin")
    )
    seen["pause"] = sdk.pause_schedule(job_id)
    seen["resume"] = sdk.resume_schedule(job_id)
    seen["trigger"] = sdk.trigger_schedule(job_id)
    seen["next"] = sdk.get_schedule_next_runs(job_id, count=3)
    seen["health"] = sdk.get_scheduler_health()
    return seen


def _history_and_delete(base_url: str, job_id: str) -> tuple[Any, Any, Any]:
    from symbiont import Client

    sdk = Client(api_key=ADMIN, base_url=base_url).schedules
    history = sdk.get_schedule_history(job_id, limit=5)
    one = sdk.get_schedule_history(job_id, limit=1)
    return history, one, sdk.delete_schedule(job_id)


async def test_every_schedule_method_of_the_sdk_works(
    serve: ServeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYMBIONT_AUTH_JWT_SECRET_KEY", "test-only-secret-not-used-by-symbi")
    async with serve() as s:
        base = f"{s.url}/api/v1"
        seen = await asyncio.to_thread(_drive_sdk, base)
        created = seen["created"]
        assert created.status == "created" and created.next_run is not None
        assert [(j.name, j.cron_expression, j.status, j.enabled) for j in seen["list"]] == [
            ("sdk-job", "0 0 9 * * *", "Active", True)
        ]
        assert seen["get"].job_id == created.job_id and seen["get"].one_shot is False
        assert (seen["update"].cron_expression, seen["update"].timezone) == ("0 30 9 * * *", "Europe/Berlin")
        assert (seen["pause"].action, seen["pause"].status) == ("pause", "paused")
        assert (seen["resume"].action, seen["resume"].status) == ("resume", "active")
        assert (seen["trigger"].action, seen["trigger"].status) == ("trigger", "triggered")
        assert len(seen["next"].next_runs) == 3  # count is honoured
        assert seen["next"].next_runs[0].startswith("2026-11-21T08:30:00")  # 09:30 Berlin
        health = seen["health"]
        assert health.is_running is True and health.store_accessible is True and health.jobs_total == 1
        for _ in range(200):  # the triggered run finishes in the background
            if (
                s.rt.store.list_runs(job=created.job_id, limit=5)
                and s.rt.store.list_runs(job=created.job_id, limit=5)[0].status == "succeeded"
            ):
                break
            await asyncio.sleep(0.05)
        history, one, deleted = await asyncio.to_thread(_history_and_delete, base, created.job_id)
        assert history.job_id == created.job_id and [h.status for h in history.history] == ["Succeeded"]
        assert len(one.history) == 1
        assert deleted.deleted is True and s.rt.store.get_job("sdk-job") is None


async def test_one_shot_over_the_sdk_route(serve: ServeFactory) -> None:
    async with serve() as s:
        body = {"name": "once", "cron_expression": "0 0 9 * * *", "agent_name": "reporter", "one_shot": True}
        r = await s.client.post("/api/v1/schedules", json=body)
        assert r.status_code == 201, r.text
        job_id = r.json()["job_id"]
        detail = (await s.client.get(f"/api/v1/schedules/{job_id}")).json()
        assert detail["one_shot"] is True and detail["next_run"].startswith("2026-11-21T09:00:00")
        # stored as a file's `one_shot: true` is: the expression kept, the IR flag set, one fire ahead
        assert detail["cron_expression"] == "0 0 9 * * *"
        stored = s.rt.store.get_job(job_id)
        assert stored is not None and stored.definition.one_shot and stored.definition.at is None
        fires = (await s.client.get(f"/api/v1/schedules/{job_id}/next-runs?count=5")).json()["next_runs"]
        assert len(fires) == 1 and fires[0].startswith("2026-11-21T09:00:00")
        r = await s.client.put(f"/api/v1/schedules/{job_id}", json={"one_shot": False})
        assert r.status_code == 200 and r.json()["one_shot"] is False, r.text
        fires = (await s.client.get(f"/api/v1/schedules/{job_id}/next-runs?count=3")).json()["next_runs"]
        assert len(fires) == 3
        r = await s.client.put(
            f"/api/v1/schedules/{job_id}", json={"one_shot": True, "timezone": "Asia/Tokyo"}
        )
        assert r.status_code == 200 and r.json()["one_shot"] is True, r.text
        fires = (await s.client.get(f"/api/v1/schedules/{job_id}/next-runs?count=3")).json()["next_runs"]
        assert len(fires) == 1 and fires[0].endswith("T00:00:00+00:00")  # 09:00 in Tokyo, once
        r = await s.client.post("/api/v1/schedules", json={**body, "name": "p", "policy_ids": ["strict"]})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "policy_ids"
