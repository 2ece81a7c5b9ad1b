"""The API as a contract: every measured bad body is a field-level 4xx, errors are JSON with stable codes,
and the served OpenAPI document is the committed one. One regression test per finding of issue 9."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from symbi_runtime.api.app import committed_document, document_from_app
from symbi_runtime.api.errors import ErrorCode

from .conftest import ServeFactory

GOOD = {"name": "hourly", "agent_id": "reporter", "cron_expr": "0 0 * * * *"}
ERROR_KEYS = {"error", "code", "details"}


def _bad(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


MEASURED: list[tuple[str, dict[str, Any], str]] = [
    ("input as an object", _bad(input={"a": 1}), "input"),
    ("timezone 123", _bad(timezone=123), "timezone"),
    ("cron_expr a list", _bad(cron_expr=["*"]), "cron_expr"),
    ("at a number", {"name": "x", "agent_id": "reporter", "at": 5}, "at"),
    ("max_concurrent -1", _bad(max_concurrent=-1), "max_concurrent"),
    ("max_concurrent 0", _bad(max_concurrent=0), "max_concurrent"),
    ("max_concurrent 1e30", _bad(max_concurrent=1e30), "max_concurrent"),
    ("max_concurrent '3'", _bad(max_concurrent="3"), "max_concurrent"),
    ("max_concurrent true", _bad(max_concurrent=True), "max_concurrent"),
    ("jitter 'abc'", _bad(jitter="abc"), "jitter"),
    ("timezone null", _bad(timezone=None), "timezone"),
    ("delivery [1]", _bad(delivery=[1]), "delivery.0"),
    ("delivery ['nope']", _bad(delivery=["nope"]), "delivery"),
    ("email_recipients [1]", _bad(email_recipients=[1]), "email_recipients.0"),
    ("webhook_headers {'a': 1}", _bad(webhook_headers={"a": 1}), "webhook_headers.a"),
    ("max_retries -5", _bad(max_retries=-5), "max_retries"),
    ("policy.max_runtime '-1s'", _bad(policy={"max_runtime": "-1s"}), "policy.max_runtime"),
    ("heartbeat.max_iterations -1", _bad(heartbeat={"max_iterations": -1}), "heartbeat.max_iterations"),
    ("agent.command []", _bad(agent={"name": "x", "command": []}), "agent"),
    ("name ../../etc", _bad(name="../../etc"), "name"),
    ("name with NUL", _bad(name="a\x00b"), "name"),
    ("name with U+202E", _bad(name="evil\u202etxt"), "name"),
    ("name of 5000 characters", _bad(name="n" * 5000), "name"),
]


@pytest.mark.parametrize(("case", "body", "field"), MEASURED, ids=[m[0] for m in MEASURED])
async def test_measured_bad_bodies_are_field_level_400s(
    serve: ServeFactory, case: str, body: dict[str, Any], field: str
) -> None:
    async with serve() as s:
        r = await s.client.post("/api/v1/schedule", json=body)
        assert r.status_code == 400, (case, r.text)
        err = r.json()
        assert set(err) == ERROR_KEYS
        assert err["code"] in {"VALIDATION_ERROR", "INVALID_JOB"}
        assert field in [d["field"] for d in err["details"]], err
        assert all(re.fullmatch(r"SYM\d{3}", d["code"]) for d in err["details"])
        assert s.rt.store.list_jobs() == []  # nothing stored
        assert (await s.client.get("/api/v1/schedule")).status_code == 200


async def test_same_codes_and_messages_as_symbi_check(serve: ServeFactory, tmp_path: Path) -> None:
    """A job body and the equivalent .symbi file produce the same diagnostics."""
    from symbi_lang.api import Source, analyze

    async with serve() as s:
        r = await s.client.post("/api/v1/schedule", json=_bad(max_concurrent=0, jitter="abc"))
        api_side = {(d["code"], d["message"]) for d in r.json()["details"] if d["severity"] == "error"}
    text = (
        'schedule {\n name: "hourly"\n agent: "reporter"\n cron: "0 0 * * * *"\n'
        ' max_concurrent: 0\n jitter: "abc"\n}\n'
    )
    check_side = {(d.code, d.message) for d in analyze([Source("x.symbi", text)]).diagnostics if d.is_error}
    assert api_side == check_side and len(api_side) == 2


async def test_nan_and_deep_nesting_are_400_and_the_server_keeps_serving(serve: ServeFactory) -> None:
    async with serve() as s:
        json_type = {"Content-Type": "application/json"}
        nan = b'{"name": "n", "agent_id": "reporter", "cron_expr": "0 0 * * * *", "max_concurrent": NaN}'
        r = await s.client.post("/api/v1/schedule", content=nan, headers=json_type)
        assert r.status_code == 400 and r.json()["code"] == "INVALID_JSON"
        deep = b"[" * 100_000 + b"]" * 100_000
        r = await s.client.post("/api/v1/schedule", content=deep, headers=json_type)
        assert r.status_code == 400 and r.json()["code"] == "INVALID_JSON"
        assert (await s.client.get("/api/v1/schedule")).json() == []


async def test_force_must_be_a_boolean(serve: ServeFactory) -> None:
    async with serve() as s:
        await s.client.post("/api/v1/schedule", json=GOOD)
        r = await s.client.post("/api/v1/schedule/hourly/run", json={"force": "no"})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "force"


async def test_input_object_never_reaches_the_scheduler(serve: ServeFactory) -> None:
    """The finding: an object `input` was stored and broke every tick. Now refused; jobs keep firing."""
    async with serve() as s:
        assert (await s.client.post("/api/v1/schedule", json=_bad(input={"a": 1}))).status_code == 400
        r = await s.client.post("/api/v1/schedule", json=_bad(input="fine"))
        assert r.status_code == 201
        run = (await s.client.post("/api/v1/schedule/hourly/run")).json()
        assert run["output"] == "report for fine"


async def test_bodies_need_json_content_type_and_a_size_limit_enforced_while_reading(
    serve: ServeFactory,
) -> None:
    async with serve(api_table={"max_body_bytes": 4096}) as s:
        r = await s.client.post(
            "/api/v1/schedule", content=json.dumps(GOOD), headers={"Content-Type": "text/plain"}
        )
        assert r.status_code == 415 and r.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
        big = b'{"name": "' + b"x" * 10_000 + b'"}'
        r = await s.client.post("/api/v1/schedule", content=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"

        # A chunked body is refused as soon as it passes the limit, with the rest never read.
        chunked = b"Transfer-Encoding: chunked\r\n\r\n1388\r\n" + b"x" * 5000 + b"\r\n"
        answer = await asyncio.to_thread(_raw_post, s.url, chunked)
        assert answer.startswith("HTTP/1.1 413") and "PAYLOAD_TOO_LARGE" in answer
        # A 10 MB declared body is refused from its headers, before the body is sent.
        answer = await asyncio.to_thread(_raw_post, s.url, b"Content-Length: 10000000\r\n\r\n")
        assert answer.startswith("HTTP/1.1 413") and "PAYLOAD_TOO_LARGE" in answer
        assert s.rt.store.list_jobs() == []


def _raw_post(url: str, rest: bytes) -> str:
    """POST with hand-written framing: `rest` is the last headers, the blank line and any body."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/schedule HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + rest
        )
        received = b""
        while chunk := sock.recv(4096):  # the server closes after its answer
            received += chunk
        return received.decode()


async def test_404_and_405_are_json_errors(serve: ServeFactory) -> None:
    async with serve() as s:
        r = await s.client.get("/api/v1/nothing-here")
        assert r.status_code == 404 and r.json() == {
            "error": "no route /api/v1/nothing-here",
            "code": "NOT_FOUND",
            "details": None,
        }
        r = await s.client.patch("/api/v1/schedule")
        assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED"
        r = await s.client.get("/api/v1/schedule/nope")
        assert r.status_code == 404 and r.json()["code"] == "SCHEDULE_NOT_FOUND"


async def test_no_error_message_exposes_internals(serve: ServeFactory) -> None:
    async with serve() as s:
        for body in (_bad(policy={"allowed_hours": {"start": 1}}), _bad(heartbeat=[]), _bad(agent_id="")):
            r = await s.client.post("/api/v1/schedule", json=body)
            assert r.status_code == 400
            assert "argument" not in r.text and "Traceback" not in r.text and "JobIn" not in r.text


async def test_a_past_at_is_created_with_a_warning(serve: ServeFactory) -> None:
    async with serve() as s:
        r = await s.client.post(
            "/api/v1/schedule", json={"name": "late", "agent_id": "reporter", "at": "2026-11-20T11:00:00Z"}
        )
        assert r.status_code == 201, r.text
        assert [w["code"] for w in r.json()["warnings"]] == ["SYM209"]


async def test_an_unknown_agent_is_accepted_with_a_warning(serve: ServeFactory) -> None:
    async with serve() as s:
        r = await s.client.post("/api/v1/schedule", json={**GOOD, "agent_id": "elsewhere"})
        assert r.status_code == 201
        assert [(w["code"], w["field"]) for w in r.json()["warnings"]] == [("SYM703", "agent_id")]
        r = await s.client.post("/api/v1/schedule", json={**GOOD, "name": "known"})
        assert r.json()["warnings"] == []


async def test_the_served_openapi_document_is_the_committed_one(serve: ServeFactory) -> None:
    async with serve() as s:
        for path in ("/api/v1/openapi.json", "/api-docs/openapi.json"):
            r = await s.client.get(path, headers={"Authorization": ""})
            assert r.status_code == 200
            assert r.json() == committed_document(), (
                "regenerate: python -m symbi_runtime.api > runtime/symbi_runtime/openapi.json"
            )
    doc = committed_document()
    assert doc == document_from_app()
    assert doc["openapi"].startswith("3.1")
    assert doc["x-error-codes"] == [c.value for c in ErrorCode]
    assert all(re.fullmatch(r"[A-Z][A-Z_]+", c) for c in doc["x-error-codes"])
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["x-required-scope"] in {"public", "read", "write", "approve", "audit", "admin"}, (
                method,
                path,
            )
            assert "422" not in op["responses"]
    assert doc["components"]["schemas"]["JobIn"]["examples"]


def test_the_readme_publishes_the_route_scope_table() -> None:
    from symbi_runtime.api.app import build_app
    from symbi_runtime.api.routing import scope_table

    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    for method, path, scope in scope_table(build_app(None)):
        assert f"| `{method}` | `{path}` | {scope} |" in readme, (method, path)


async def test_limit_and_count_are_honoured(serve: ServeFactory) -> None:
    async with serve() as s:
        for i in range(3):
            await s.client.post("/api/v1/schedule", json={**GOOD, "name": f"j{i}"})
        assert len((await s.client.get("/api/v1/schedules", params={"limit": 2})).json()) == 2
        assert len((await s.client.get("/api/v1/schedule", params={"limit": 1})).json()) == 1
        for _ in range(3):
            await s.client.post("/api/v1/schedule/j0/run")
        history = (await s.client.get("/api/v1/schedules/j0/history", params={"limit": 2})).json()
        assert len(history["history"]) == 2
        nxt = (await s.client.get("/api/v1/schedules/j0/next-runs", params={"count": 4})).json()
        assert len(nxt["next_runs"]) == 4 and nxt["next_runs"][0] == "2026-11-20T13:00:00+00:00"
        r = await s.client.get("/api/v1/schedules/j0/next-runs", params={"count": 0})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "count"


def test_every_store_reports_the_longest_run_for_scheduler_health(store: Any) -> None:
    stats = store.run_stats()
    assert stats["total"] == 0 and stats["longest_execution_time_ms"] is None
