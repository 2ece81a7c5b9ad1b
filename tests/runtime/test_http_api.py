"""The HTTP API served by uvicorn on loopback, driven by a real HTTP client."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from symbi_runtime.agents import AgentCall
from symbi_runtime.api.settings import parse_api_table
from symbi_runtime.config import Config
from symbi_runtime.delivery.settings import DeliverySettings
from symbi_runtime.http_api import serve_api
from symbi_runtime.runtime import Runtime

TOKEN = "test-token-0123456789"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """`symbi up --api` serves the same API on every store backend."""
    return str(request.param)


@pytest.fixture
async def api(db_location: str) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    config = Config(delivery=DeliverySettings(allowed_hosts=("hooks.example",)))
    env = {"SECRET_KEY": "k-123"}
    async with Runtime(config, db_path=db_location, env=env) as rt:

        async def reporter(call: AgentCall) -> str:
            return f"report for {call.input or 'nothing'}"

        rt.register_agent("reporter", reporter)
        scheduler = asyncio.create_task(rt.run())
        settings = parse_api_table({"allowed_variables": ["SECRET_KEY"]}, env, shortcut=TOKEN)
        server = await serve_api(rt, settings=settings, port=0)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=10) as client:
            yield rt, client
        await server.close()
        rt.stop()
        await scheduler


JOB = {
    "name": "hourly-report",
    "agent_id": "reporter",
    "cron_expr": "0 0 * * * *",
    "session_mode": "ephemeral_with_summary",
    "delivery": ["stdout"],
    "webhook_url": "https://hooks.example/notify?key=${SECRET_KEY}",
}


async def test_every_request_needs_the_token(api: tuple[Runtime, httpx.AsyncClient]) -> None:
    _, client = api
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        r = await client.get("/api/v1/schedule", headers={"Authorization": "", **headers})
        assert r.status_code == 401
        assert r.json() == {
            "error": "missing or invalid bearer token",
            "code": "UNAUTHORIZED",
            "details": None,
        }
    assert (await client.get("/api/v1/health/scheduler", headers={"Authorization": ""})).status_code == 401


async def test_schedule_lifecycle(api: tuple[Runtime, httpx.AsyncClient]) -> None:
    rt, client = api
    r = await client.post("/api/v1/schedule", json=JOB)
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["name"] == "hourly-report"
    assert job["status"] == "active"
    assert job["next_run"] is not None
    assert job["definition"]["webhook_url"].endswith("${SECRET_KEY}")  # never resolved in API output
    assert [w["code"] for w in job["warnings"]] == ["SYM305"]  # webhook_url without webhook delivery
    job_id = job["id"]

    assert (await client.post("/api/v1/schedule", json=JOB)).status_code == 409

    listed = (
        await client.get("/api/v1/schedule", params={"status": "active", "agent_id": "reporter"})
    ).json()
    assert [j["id"] for j in listed] == [job_id]
    assert (await client.get("/api/v1/schedule", params={"agent_id": "nobody"})).json() == []

    r = await client.put(f"/api/v1/schedule/{job_id}", json={"cron_expr": "0 0 */2 * * *"})
    assert r.status_code == 200, r.text
    assert r.json()["cron_expr"] == "0 0 */2 * * *"

    paused = (await client.post(f"/api/v1/schedule/{job_id}/pause")).json()
    assert paused["status"] == "paused"
    resumed = (await client.post(f"/api/v1/schedule/{job_id}/resume")).json()
    assert resumed["status"] == "active"

    run = (
        await client.post(f"/api/v1/schedule/{job_id}/run", json={"input": "Run with custom input"})
    ).json()
    assert run["status"] == "succeeded", run
    assert run["output"] == "report for Run with custom input"
    assert run["execution_time_ms"] >= 0

    history = (await client.get(f"/api/v1/schedule/{job_id}/history", params={"limit": 20})).json()
    assert [h["id"] for h in history] == [run["id"]]
    failed = (await client.get(f"/api/v1/schedule/{job_id}/history", params={"status": "failed"})).json()
    assert failed == []

    nxt = (await client.get(f"/api/v1/schedule/{job_id}/next_run")).json()
    assert nxt["next_run"] == resumed["next_run"]

    health = (await client.get("/api/v1/health/scheduler", params={"detail": "full"})).json()
    assert health["status"] == "healthy"
    assert health["active_jobs"] == 1
    assert health["metrics"]["runs_total"] == 1
    assert health["metrics"]["runs_succeeded"] == 1
    if rt.location.is_postgres:  # one node of a shared store: which one, and how many are alive
        assert health["node"]["id"] == rt.store.list_nodes()[0]["id"] and health["nodes_alive"] == 1
    else:
        assert "node" not in health and rt.store.list_nodes() == []

    deleted = await client.delete(f"/api/v1/schedule/{job_id}")
    assert deleted.json()["deleted"] is True
    assert (await client.get(f"/api/v1/schedule/{job_id}")).status_code == 404
    assert rt.store.get_job("hourly-report") is None


async def test_bad_requests_get_clear_errors(api: tuple[Runtime, httpx.AsyncClient]) -> None:
    _, client = api
    json_type = {"Content-Type": "application/json"}
    r = await client.post("/api/v1/schedule", content=b"{not json", headers=json_type)
    assert r.status_code == 400 and r.json()["code"] == "INVALID_JSON"
    r = await client.post("/api/v1/schedule", json={**JOB, "cron_expr": "0 0 25 * * *"})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_JOB"
    found = [(d["field"], d["code"], d["severity"]) for d in r.json()["details"]]
    assert found == [("cron_expr", "SYM201", "error"), ("webhook_url", "SYM305", "warning")]
    r = await client.post("/api/v1/schedule", json={**JOB, "at": "2030-01-01T00:00:00Z"})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_JOB"
    r = await client.post("/api/v1/schedule", json={**JOB, "colour": "blue"})
    assert r.status_code == 400 and r.json()["details"][0] == {
        "field": "colour", "code": "SYM102", "severity": "error",
        "message": "Extra inputs are not permitted", "help": None,
    }  # fmt: skip
    inline = {**JOB, "agent": {"name": "x", "command": ["sh", "-c", "id"]}}
    r = await client.post("/api/v1/schedule", json=inline)
    assert r.status_code == 400 and r.json()["details"][0]["field"] == "agent"
    r = await client.get("/api/v1/schedule/nope/history", params={"limit": "many"})
    assert r.status_code == 400 and r.json()["details"][0]["field"] == "limit"
    r = await client.post("/api/v1/runs/nope/approve")
    assert r.status_code == 404 and r.json()["code"] == "RUN_NOT_FOUND"


def test_symbi_up_api_needs_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SYMBI_API_TOKEN", "SYMBI_API_KEY")}
    proc = subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "up", "--api", "--db", str(tmp_path / "x.db")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "SYMBI_API_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr
    short = subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "up", "--api", "--db", str(tmp_path / "x.db")],
        capture_output=True,
        text=True,
        env={**env, "SYMBI_API_TOKEN": "abc"},
        timeout=60,
        check=False,
    )
    assert short.returncode == 2
    assert "too short" in short.stderr


def test_symbi_up_serves_the_api_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "SYMBI_API_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "symbi_lang.cli.main", "up", "--api", "--api-port", "0", "--db", "api.db"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = None
        for line in proc.stdout:
            if line.startswith("api: "):
                url = line.split()[1]
                break
        assert url is not None and url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/health/scheduler", timeout=10).status_code == 401
        r = httpx.get(f"{url}/health/scheduler", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert r.status_code == 200
        assert r.json()["is_running"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "symbi up: stopped" in out


async def test_audit_events_over_the_api(api: tuple[Runtime, httpx.AsyncClient]) -> None:
    _, client = api
    job_id = (await client.post("/api/v1/schedule", json=JOB)).json()["id"]
    await client.post(f"/api/v1/schedule/{job_id}/pause")
    events = (await client.get("/api/v1/audit", params={"job": "hourly-report"})).json()
    types = [e["event_type"] for e in events]
    assert types[0] == "CronJobPaused"  # newest first
    assert "CronJobCreated" in types
    only = (await client.get("/api/v1/audit", params={"type": "CronJobCreated"})).json()
    assert {e["event_type"] for e in only} == {"CronJobCreated"}
    assert all(e["job_name"] == "hourly-report" for e in only)
    later = (await client.get("/api/v1/audit", params={"since": "2999-01-01T00:00:00Z"})).json()
    assert later == []
    bad = await client.get("/api/v1/audit", params={"since": "yesterday"})
    assert bad.status_code == 400


def _spec_python_sdk_example(base_url: str) -> dict[str, object]:
    """The spec's Python SDK example, against our server (import path aside)."""
    from symbi_runtime.client import ApiError, SymbiontClient

    seen: dict[str, object] = {}
    with SymbiontClient(base_url=base_url, api_key=TOKEN) as client:
        job = client.schedule.create(
            name="hourly-metrics",
            agent_id="reporter",
            cron_expr="0 0 * * * *",
            session_mode="ephemeral_with_summary",
            delivery=["log_file"],
        )
        seen["created"] = job.id
        seen["listed"] = [j.name for j in client.schedule.list(agent_id="reporter")]
        details = client.schedule.get(job.id)
        seen["cron"] = details.cron_expr
        seen["next_run"] = details.next_run
        client.schedule.update(job.id, cron_expr="0 */30 * * * *")
        seen["updated_cron"] = client.schedule.get(job.id).cron_expr
        run = client.schedule.run_now(job.id, input="Generate metrics report")
        seen["run_output"] = run.output
        client.schedule.pause(job.id)
        seen["paused"] = client.schedule.get(job.id).status
        seen["failures"] = [
            r.error_message for r in client.schedule.get_history(job.id, status="failed", limit=5)
        ]
        client.schedule.resume(job.id)
        health = client.schedule.health()
        seen["health"] = (health.status, health.active_jobs, health.in_flight_jobs)
        seen["audit"] = [e.event_type for e in client.audit(job="hourly-metrics")][-1]
        try:
            client.schedule.get("no-such-job")
        except ApiError as e:
            seen["missing"] = (e.status, e.message)
    return seen


async def test_the_python_client_runs_the_spec_sdk_example(
    api: tuple[Runtime, httpx.AsyncClient], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, client = api
    monkeypatch.chdir(tmp_path)  # log_file delivery writes under ./.symbi/logs
    seen = await asyncio.to_thread(_spec_python_sdk_example, str(client.base_url).removesuffix("/"))
    assert seen["listed"] == ["hourly-metrics"]
    assert seen["cron"] == "0 0 * * * *"
    assert seen["next_run"] is not None
    assert seen["updated_cron"] == "0 */30 * * * *"
    assert seen["run_output"] == "report for Generate metrics report"
    assert seen["paused"] == "paused"
    assert seen["failures"] == []
    assert seen["health"] == ("healthy", 1, 0)
    assert seen["audit"] == "CronJobCreated"
    assert seen["missing"] == (404, "no job 'no-such-job'")


async def test_a_job_loaded_from_files_is_run_but_not_changed_over_the_api(
    api: tuple[Runtime, httpx.AsyncClient], tmp_path: Path
) -> None:
    rt, client = api
    source = tmp_path / "jobs.symbi"
    source.write_text(
        'agent echoer {\n    command: ["cat"]\n}\n\n'
        'schedule echo_job {\n    agent: "echoer"\n    cron: "0 0 * * * *"\n}\n'
    )
    rt.load_file(source)
    r = await client.put("/api/v1/schedule/echo_job", json={"cron_expr": "0 30 * * * *"})
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "DEFINED_IN_FILE" and str(source) in r.json()["error"]
    r = await client.put("/api/v1/schedules/echo_job", json={"cron_expression": "0 30 * * * *"})
    assert r.status_code == 409 and str(source) in r.json()["error"]
    assert (await client.delete("/api/v1/schedule/echo_job")).status_code == 409
    assert rt.store.get_job("echo_job").definition.cron_expr == "0 0 * * * *"  # type: ignore[union-attr]
    assert (await client.post("/api/v1/schedule/echo_job/pause")).json()["status"] == "paused"
    assert (await client.post("/api/v1/schedules/echo_job/resume")).json()["status"] == "active"
    run = (await client.post("/api/v1/schedule/echo_job/run", json={"input": "still mine"})).json()
    assert run["output"] == "still mine"


def test_symbi_up_tls_flags_need_each_other_and_files(tmp_path: Path) -> None:
    env = {**os.environ, "SYMBI_API_TOKEN": TOKEN}
    base = [sys.executable, "-m", "symbi_lang.cli.main", "up", "--db", str(tmp_path / "x.db")]
    for extra, message in (
        (["--api", "--api-tls-cert", str(tmp_path / "c.pem")], "both --api-tls-cert and --api-tls-key"),
        (["--api-tls-cert", "c.pem", "--api-tls-key", "k.pem"], "need --api"),
        (["--api", "--api-tls-cert", "nope.pem", "--api-tls-key", "nope.pem"], "nope.pem: no such file"),
    ):
        proc = subprocess.run(
            [*base, *extra], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
