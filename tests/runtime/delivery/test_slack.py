"""The slack channel against a loopback server: `chat.postMessage` with a token, and incoming webhooks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_httpserver import HTTPServer
from symbi_runtime.delivery import DeliveryMessage, DeliveryRouter, DeliverySettings
from werkzeug import Request, Response

MakeMessage = Callable[..., DeliveryMessage]
TOKEN = "xoxb-1111-2222-secret"


def api_settings(server: HTTPServer, **extra: Any) -> DeliverySettings:
    return DeliverySettings(
        slack_api_token="${SLACK_TOKEN}",
        slack_api_base_url=server.url_for("/api"),
        retry_backoff_seconds=0.25,
        **extra,
    )


async def test_chat_post_message_uses_the_token_and_the_jobs_channel(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    httpserver.expect_request(
        "/api/chat.postMessage", method="POST", headers={"Authorization": f"Bearer {TOKEN}"}
    ).respond_with_json({"ok": True, "ts": "1.2"})
    message = message_for("disk at <80%> & rising", delivery=("slack",), slack_channel="#security")
    router = DeliveryRouter(
        api_settings(httpserver, slack_default_channel="#ops"), {"SLACK_TOKEN": TOKEN}, clock=clock
    )

    [receipt] = await router.route(message)

    assert receipt.ok and receipt.detail == "posted to #security" and receipt.attempts == 1
    [(request, _)] = httpserver.log
    body = request.get_json()
    assert body["channel"] == "#security" and body["unfurl_links"] is False
    assert body["text"].startswith("*report* run `run-0001` succeeded")
    assert "disk at &lt;80%&gt; &amp; rising" in body["text"]  # Slack mrkdwn escaping


async def test_the_default_channel_applies_when_the_job_names_none(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    httpserver.expect_request("/api/chat.postMessage").respond_with_json({"ok": True})
    router = DeliveryRouter(
        api_settings(httpserver, slack_default_channel="#ops"), {"SLACK_TOKEN": TOKEN}, clock=clock
    )
    [receipt] = await router.route(message_for(delivery=("slack",)))
    assert receipt.ok and receipt.detail == "posted to #ops"
    assert httpserver.log[0][0].get_json()["channel"] == "#ops"


async def test_no_channel_anywhere_is_a_clear_failure(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    router = DeliveryRouter(api_settings(httpserver), {"SLACK_TOKEN": TOKEN}, clock=clock)
    [receipt] = await router.route(message_for(delivery=("slack",)))
    assert not receipt.ok
    assert receipt.error is not None and receipt.error.startswith("no Slack channel for job 'report'")
    assert httpserver.log == []


async def test_an_api_error_answered_with_http_200_is_a_failure(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    httpserver.expect_request("/api/chat.postMessage").respond_with_json(
        {"ok": False, "error": "channel_not_found"}
    )
    router = DeliveryRouter(api_settings(httpserver), {"SLACK_TOKEN": TOKEN}, clock=clock)
    [receipt] = await router.route(message_for(delivery=("slack",), slack_channel="#nowhere"))
    assert not receipt.ok and receipt.error == "Slack API error: channel_not_found"
    assert receipt.detail == "HTTP 200"


async def test_a_rejected_token_never_appears_in_the_receipt(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    def echo(request: Request) -> Response:
        return Response(f"invalid_auth for {request.headers['Authorization']}", status=403)

    httpserver.expect_request("/api/chat.postMessage").respond_with_handler(echo)
    router = DeliveryRouter(api_settings(httpserver), {"SLACK_TOKEN": TOKEN}, clock=clock)
    [receipt] = await router.route(message_for(delivery=("slack",), slack_channel="#c"))
    assert not receipt.ok and receipt.detail == "HTTP 403"
    assert receipt.error is not None and "invalid_auth" in receipt.error
    assert TOKEN not in repr(receipt)


async def test_an_unset_token_variable_is_reported_by_name(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    router = DeliveryRouter(api_settings(httpserver), {}, clock=clock)
    [receipt] = await router.route(message_for(delivery=("slack",), slack_channel="#c"))
    assert not receipt.ok and receipt.error == "environment variable SLACK_TOKEN is not set"


async def test_incoming_webhook_posts_text_and_keeps_its_url_secret(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    path = "/services/T0001/B0002/abcdefSECRET"
    httpserver.expect_request(path, method="POST").respond_with_handler(
        _sequence_responses(Response("boom", status=500), Response("ok"))
    )
    settings = DeliverySettings(slack_webhook_url="${SLACK_WEBHOOK}", retry_backoff_seconds=0.25)
    router = DeliveryRouter(settings, {"SLACK_WEBHOOK": httpserver.url_for(path)}, clock=clock)

    [receipt] = await router.route(message_for("line one", delivery=("slack",), slack_channel="#alerts"))

    assert receipt.ok and receipt.attempts == 2 and receipt.detail == "posted via incoming webhook"
    assert clock.sleeps == [0.25]
    body = httpserver.log[-1][0].get_json()
    assert body["channel"] == "#alerts" and "line one" in body["text"]


async def test_a_failing_incoming_webhook_names_the_host_only(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    path = "/services/T0001/B0002/abcdefSECRET"
    httpserver.expect_request(path).respond_with_data("no_service", status=404)
    settings = DeliverySettings(slack_webhook_url=httpserver.url_for(path))
    [receipt] = await DeliveryRouter(settings, {}, clock=clock).route(message_for(delivery=("slack",)))
    assert not receipt.ok
    assert receipt.error == f"HTTP 404 from http://{httpserver.host}:{httpserver.port}: no_service"
    assert "abcdefSECRET" not in repr(receipt)


async def test_slack_without_configuration_says_what_to_set(message_for: MakeMessage, clock: Any) -> None:
    [receipt] = await DeliveryRouter(DeliverySettings(), {}, clock=clock).route(
        message_for(delivery=("slack",))
    )
    assert not receipt.ok
    assert receipt.error == (
        "Slack is not configured: set slack_api_token or slack_webhook_url in [scheduler.delivery]"
    )


def _sequence_responses(*responses: Response) -> Callable[[Request], Response]:
    remaining = list(responses)

    def handler(request: Request) -> Response:
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return handler
