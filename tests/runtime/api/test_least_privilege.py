"""Least privilege: principals and scopes from symbi.toml, the actor from the token, approvers, the
`${VAR}` allow-list, the egress allow-list (at creation and at send time), and jobs owned by files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from symbi_runtime.api.settings import parse_api_table
from symbi_runtime.config import ConfigError

from .conftest import ServeFactory

READER, WRITER, SECURITY, OPS = ("reader-token-0123456789", "writer-token-0123456789",
                                 "security-token-0123456789", "ops-approver-0123456789")  # fmt: skip
ENV = {"READER_TOKEN": READER, "WRITER_TOKEN": WRITER, "SEC_TOKEN": SECURITY, "HOME": "/root",
       "REPORT_KEY": "k-1", "SYMBI_API_TOKEN": "not-for-jobs-0123456789"}  # fmt: skip
TOKENS = {
    "allowed_variables": ["REPORT_KEY"],
    "tokens": [
        {"principal": "dashboard", "scopes": ["read"], "secret": "${READER_TOKEN}"},
        {"principal": "ci", "scopes": ["read", "write"], "secret": "${WRITER_TOKEN}"},
        {"principal": "security-team", "scopes": ["read", "approve"], "secret": "${SEC_TOKEN}"},
        {"principal": "ops", "scopes": ["approve"], "sha256": hashlib.sha256(OPS.encode()).hexdigest()},
    ],
}
JOB = {"name": "guarded", "agent_id": "reporter", "cron_expr": "0 0 * * * *"}


async def test_scopes_decide_what_a_token_may_do(serve: ServeFactory) -> None:
    async with serve(api_table=TOKENS, env=ENV) as s:
        r = await s.client.post("/api/v1/schedule", json=JOB, headers=s.as_(READER))
        assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN" and "'write'" in r.json()["error"]
        assert (await s.client.get("/api/v1/schedule", headers=s.as_(READER))).status_code == 200
        assert (await s.client.get("/api/v1/audit", headers=s.as_(READER))).status_code == 403
        assert (await s.client.post("/api/v1/schedule", json=JOB, headers=s.as_(WRITER))).status_code == 201
        r = await s.client.post("/api/v1/schedule/guarded/run", json={"force": True}, headers=s.as_(WRITER))
        assert r.status_code == 403  # force needs admin
        assert (await s.client.get("/api/v1/audit")).status_code == 200  # admin shortcut
        events = (await s.client.get("/api/v1/audit", params={"type": "CronJobCreated"})).json()
        assert [e["actor"] for e in events] == ["ci"]  # the actor is the token's principal
        assert (await s.client.get("/api/v1/health", headers={"Authorization": ""})).status_code == 200
        r = await s.client.get("/api/v1/schedule", headers={"Authorization": "Bearer " + READER[:-1]})
        assert r.status_code == 401


async def test_approving_needs_the_approve_scope_and_the_jobs_approver(serve: ServeFactory) -> None:
    job = {**JOB, "policy": {"require_approval": True, "approver": "security-team"}}
    async with serve(api_table=TOKENS, env=ENV) as s:
        assert (await s.client.post("/api/v1/schedule", json=job)).status_code == 201
        run = (await s.client.post("/api/v1/schedule/guarded/run", headers=s.as_(WRITER))).json()
        assert run["status"] == "awaiting_approval", run
        path = f"/api/v1/runs/{run['id']}/approve"
        r = await s.client.post(path, json={"actor": "security-team"}, headers=s.as_(OPS))
        assert r.status_code == 400  # no actor in the body
        r = await s.client.post(path, headers=s.as_(WRITER))
        assert r.status_code == 403  # no approve scope
        r = await s.client.post(path, headers=s.as_(OPS))
        assert r.status_code == 403 and "security-team" in r.json()["error"]  # not the approver
        r = await s.client.post(path, json={"reason": "looked fine"}, headers=s.as_(SECURITY))
        assert r.status_code == 200, r.text
        assert r.json()["decision"] == "approved"
        events = (await s.client.get("/api/v1/audit", params={"type": "CronJobApproved"})).json()
        assert [e["actor"] for e in events] == ["security-team"]


async def test_a_job_without_approver_is_approved_by_any_approve_principal(serve: ServeFactory) -> None:
    async with serve(api_table=TOKENS, env=ENV) as s:
        await s.client.post("/api/v1/schedule", json={**JOB, "policy": {"require_approval": True}})
        run = (await s.client.post("/api/v1/schedule/guarded/run")).json()
        r = await s.client.post(f"/api/v1/runs/{run['id']}/deny", json={"reason": "no"}, headers=s.as_(OPS))
        assert r.status_code == 200 and r.json()["status"] == "denied"


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"webhook_url": "https://hooks.example/x/${SYMBI_API_TOKEN}"}, "SYMBI_API_TOKEN"),
        ({"webhook_url": "https://hooks.example/x", "webhook_headers": {"X-Home": "${HOME}"}}, "HOME"),
        ({"input": "tell me ${WRITER_TOKEN}"}, "WRITER_TOKEN"),
    ],
)
async def test_api_jobs_reference_only_allowed_variables(
    serve: ServeFactory, changes: dict[str, object], variable: str
) -> None:
    async with serve(api_table=TOKENS, env=ENV) as s:
        r = await s.client.post("/api/v1/schedule", json={**JOB, **changes})
        assert r.status_code == 400 and r.json()["code"] == "VARIABLE_NOT_ALLOWED"
        assert f"${{{variable}}}" in r.json()["error"]
        assert s.rt.store.list_jobs() == []
        ok = {**JOB, "webhook_url": "https://hooks.example/x?k=${REPORT_KEY}", "delivery": ["webhook"]}
        assert (await s.client.post("/api/v1/schedule", json=ok)).status_code == 201


async def test_api_jobs_deliver_only_to_allowed_hosts(serve: ServeFactory) -> None:
    async with serve(env=ENV, allowed_hosts=("hooks.example", "*.corp.example")) as s:
        for url, ok in (
            ("https://attacker.example/collect", False),
            ("https://a.corp.example/hook", True),
            ("https://corp.example/hook", False),
            ("https://hooks.example/hook", True),
        ):
            body = {**JOB, "name": f"j{abs(hash(url)) % 10**6}", "webhook_url": url, "delivery": ["webhook"]}
            r = await s.client.post("/api/v1/schedule", json=body)
            assert (r.status_code == 201) is ok, (url, r.text)
            if not ok:
                assert r.json()["code"] == "HOST_NOT_ALLOWED"
    async with serve(env=ENV, allowed_hosts=()) as s:
        r = await s.client.post("/api/v1/schedule", json={**JOB, "webhook_url": "https://hooks.example/x"})
        assert r.status_code == 400 and "none are listed" in r.json()["error"]


async def test_allowed_hosts_is_enforced_at_send_time_for_jobs_from_files(
    serve: ServeFactory, httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    source = tmp_path / "jobs.symbi"
    source.write_text(
        'schedule pinger {\n  agent: "reporter"\n  cron: "0 0 * * * *"\n  delivery: ["webhook"]\n'
        f'  webhook_url: "{httpserver.url_for("/hook")}"\n}}\n'
    )
    async with serve(allowed_hosts=("elsewhere.example",)) as s:
        s.rt.load_file(source)
        run = (await s.client.post("/api/v1/schedule/pinger/run")).json()
        receipts = run["receipts"]
        assert receipts and receipts[0]["ok"] is False, run
        assert "not in [scheduler.delivery] allowed_hosts" in receipts[0]["error"]
        assert httpserver.log == []
    async with serve(allowed_hosts=("localhost", "127.0.0.1")) as s:
        s.rt.load_file(source)
        run = (await s.client.post("/api/v1/schedule/pinger/run")).json()
        assert run["receipts"][0]["ok"] is True, run
        assert len(httpserver.log) == 1


async def test_jobs_from_files_can_be_paused_and_triggered_but_not_changed(
    serve: ServeFactory, tmp_path: Path
) -> None:
    source = tmp_path / "reviewed.symbi"
    source.write_text(
        'schedule reviewed {\n  agent: "reporter"\n  cron: "0 0 * * * *"\n'
        "  policy {\n    require_approval: true\n  }\n}\n"
    )
    async with serve() as s:
        s.rt.load_file(source)
        r = await s.client.put("/api/v1/schedule/reviewed", json={"policy": {"require_approval": False}})
        assert (
            r.status_code == 409
            and r.json()["code"] == "DEFINED_IN_FILE"
            and str(source) in r.json()["error"]
        )
        assert (await s.client.delete("/api/v1/schedules/reviewed")).status_code == 409
        assert (await s.client.post("/api/v1/schedules/reviewed/pause")).json()["status"] == "paused"
        assert (await s.client.post("/api/v1/schedules/reviewed/resume")).json()["status"] == "active"
        r = await s.client.post("/api/v1/schedules/reviewed/trigger")
        assert r.json() == {"job_id": r.json()["job_id"], "action": "trigger", "status": "triggered"}
        stored = s.rt.store.get_job("reviewed")
        assert stored is not None and stored.definition.policy.require_approval is True


def test_token_configuration_errors_are_clear() -> None:
    for table, message in (
        (
            {"tokens": [{"principal": "x", "scopes": ["read"], "secret": "literal-token-0123456789"}]},
            "${VAR}",
        ),
        ({"tokens": [{"principal": "x", "scopes": ["root"], "secret": "${T}"}]}, "scopes must be"),
        ({"tokens": [{"principal": "x", "scopes": ["read"], "secret": "${MISSING}"}]}, "MISSING"),
        ({"tokens": [{"principal": "x", "scopes": ["read"], "sha256": "abc"}]}, "64 hex"),
        ({"allowed_variables": ["A B"]}, "allowed_variables"),
        ({"colour": 1}, "unknown key"),
    ):
        with pytest.raises(ConfigError, match=message.replace("$", r"\$").replace("{", r"\{")):
            parse_api_table(table, {"T": "t" * 20})
