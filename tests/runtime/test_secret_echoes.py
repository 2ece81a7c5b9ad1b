"""Secrets echoed back by servers never reach errors or receipts, whole or in part (review findings)."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from symbi_runtime.agents import AgentCall, AgentError, EndpointAgent
from symbi_runtime.delivery import DeliveryMessage, DeliveryRouter, DeliverySettings
from symbi_runtime.delivery.redaction import Secrets
from werkzeug import Request, Response

from symbi_lang.ir import JobDefinition

URL_KEY = "epkeyURLsecret456"
TOKEN = "ghp_R3aLt0kenValue987"


def echo_path(request: Request) -> Response:
    return Response(f'{{"error": "bad request to {request.full_path}"}}', status=400)


async def test_endpoint_url_values_are_scrubbed_from_agent_errors(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/bad/v1/chat/completions").respond_with_handler(echo_path)
    agent = EndpointAgent(httpserver.url_for("/bad/v1") + "?key=${EP_KEY}", name="ep", model="m")
    with pytest.raises(AgentError) as caught:
        await agent.run(AgentCall("ep", "hi", env={"EP_KEY": URL_KEY}))
    message = str(caught.value)
    assert "returned HTTP 400" in message
    assert URL_KEY not in message
    assert "${EP_KEY}" in message  # the unresolved form says which variable was used


async def test_a_long_error_body_is_scrubbed_before_it_is_cut_short(httpserver: HTTPServer) -> None:
    def echo(request: Request) -> Response:
        return Response(f"failed: {request.full_path}", status=500)

    httpserver.expect_request("/fail").respond_with_handler(echo)
    job = JobDefinition(
        name="report",
        agent_id="reporter",
        cron_expr="0 0 9 * * *",
        delivery=("webhook",),
        webhook_url=httpserver.url_for("/fail") + "?pad=" + "x" * 150 + "&token=${WH_TOKEN}",
    )
    now = datetime(2026, 3, 2, tzinfo=UTC)
    message = DeliveryMessage(job, "job-1", "run-1", now, now, now, "succeeded", "output")
    settings = DeliverySettings(webhook_retry_attempts=1)
    [receipt] = await DeliveryRouter(settings, {"WH_TOKEN": TOKEN}).route(message)
    assert not receipt.ok
    text = f"{receipt.error} {receipt.detail}"
    for cut in range(6, len(TOKEN) + 1):
        assert TOKEN[:cut] not in text


def test_escaped_and_encoded_forms_of_a_secret_are_scrubbed() -> None:
    secrets = Secrets()
    value = 'hdr"secret\\quote with space'
    secrets.add(value)
    assert secrets.scrub('{"echo": "hdr\\"secret\\\\quote with space"}') == '{"echo": "***"}'
    assert secrets.scrub("/x?v=hdr%22secret%5Cquote%20with%20space") == "/x?v=***"


async def test_command_agents_do_not_get_the_runtime_credentials() -> None:
    from symbi_runtime.agents import CommandAgent

    agent = CommandAgent(
        ["sh", "-c", 'echo "api=$SYMBI_API_TOKEN slack=$SYMBI_SLACK_TOKEN mine=$MINE"'], name="nosy"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "SYMBI_API_TOKEN": "api-token-secret",
        "SYMBI_SLACK_TOKEN": "xoxb-1",
        "MINE": "ok",
    }
    assert await agent.run(AgentCall("nosy", "", env=env)) == "api= slack= mine=ok"


def test_a_new_job_store_is_private_to_its_user(tmp_path: Path) -> None:
    from symbi_runtime.store import SqliteStore

    db = tmp_path / "state" / "symbi.db"
    store = SqliteStore.open(db)
    store.close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
