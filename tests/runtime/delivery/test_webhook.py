"""The webhook channel against a real loopback HTTP server (pytest-httpserver)."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from symbi_runtime.delivery import DeliveryMessage, DeliveryRouter, DeliverySettings
from werkzeug import Request, Response

SETTINGS = DeliverySettings(webhook_retry_attempts=3, retry_backoff_seconds=0.5, retry_backoff_max_seconds=5)
MakeMessage = Callable[..., DeliveryMessage]


def webhook_job(url: str, **extra: Any) -> dict[str, Any]:
    return {"delivery": ("webhook",), "webhook_url": url, **extra}


async def test_posts_the_run_as_json_with_headers_resolved_at_send_time(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    httpserver.expect_request(
        "/ingest", method="POST", headers={"Authorization": "Bearer k-123456", "X-Static": "yes"}
    ).respond_with_json({"ok": True})
    message = message_for(
        "report body\n",
        **webhook_job(
            httpserver.url_for("/ingest"),
            webhook_headers=(("Authorization", "Bearer ${METRICS_API_KEY}"), ("X-Static", "yes")),
        ),
    )
    router = DeliveryRouter(SETTINGS, {"METRICS_API_KEY": "k-123456"}, clock=clock)

    [receipt] = await router.route(message)

    assert (receipt.channel, receipt.ok, receipt.attempts, receipt.detail) == ("webhook", True, 1, "HTTP 200")
    [(request, _response)] = httpserver.log
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.get_json() == {
        "job": {"name": "report", "id": "job-0001", "agent": "reporter"},
        "run": {
            "id": "run-0001",
            "scheduled_for": "2026-03-02T12:00:00+00:00",
            "started_at": "2026-03-02T12:00:01+00:00",
            "finished_at": "2026-03-02T12:00:03+00:00",
            "status": "succeeded",
        },
        "output": "report body\n",
        "error": None,
    }
    # The job definition still holds the reference, never the value.
    assert message.job.webhook_headers[0] == ("Authorization", "Bearer ${METRICS_API_KEY}")


async def test_a_job_content_type_replaces_the_default_instead_of_doubling_it(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    httpserver.expect_request("/x").respond_with_data("ok")
    message = message_for(
        **webhook_job(httpserver.url_for("/x"), webhook_headers=(("Content-Type", "application/json"),))
    )
    [receipt] = await DeliveryRouter(SETTINGS, {}, clock=clock).route(message)
    assert receipt.ok
    [(request, _)] = httpserver.log
    assert request.headers.getlist("Content-Type") == ["application/json"]


def _sequence(*statuses: int, headers: dict[str, str] | None = None) -> Callable[[Request], Response]:
    """A handler answering with `statuses` in turn (the last one repeated)."""
    calls = iter(statuses)
    last = statuses[-1]

    def handler(request: Request) -> Response:
        status = next(calls, last)
        return Response("try later" if status >= 400 else "ok", status=status, headers=headers or {})

    return handler


async def test_retries_with_exponential_backoff_until_the_server_recovers(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    httpserver.expect_request("/flaky").respond_with_handler(_sequence(503, 502, 200))
    [receipt] = await DeliveryRouter(SETTINGS, {}, clock=clock).route(
        message_for(**webhook_job(httpserver.url_for("/flaky")))
    )
    assert receipt.ok and receipt.attempts == 3
    assert len(httpserver.log) == 3
    assert clock.sleeps == [0.5, 1.0]


async def test_gives_up_after_the_configured_attempts_and_says_why(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    httpserver.expect_request("/down").respond_with_handler(_sequence(500))
    settings = DeliverySettings(
        webhook_retry_attempts=4, retry_backoff_seconds=1, retry_backoff_max_seconds=3
    )
    [receipt] = await DeliveryRouter(settings, {}, clock=clock).route(
        message_for(**webhook_job(httpserver.url_for("/down")))
    )
    assert not receipt.ok
    assert receipt.attempts == 4 and len(httpserver.log) == 4
    assert clock.sleeps == [1, 2, 3]  # doubled each time, capped at retry_backoff_max_seconds
    assert receipt.detail == "HTTP 500"
    assert receipt.error is not None
    assert receipt.error.startswith(
        f"HTTP 500 from http://{httpserver.host}:{httpserver.port} after 4 attempts"
    )


async def test_a_client_error_is_final(httpserver: HTTPServer, message_for: MakeMessage, clock: Any) -> None:
    httpserver.expect_request("/bad").respond_with_handler(_sequence(400, 200))
    [receipt] = await DeliveryRouter(SETTINGS, {}, clock=clock).route(
        message_for(**webhook_job(httpserver.url_for("/bad")))
    )
    assert not receipt.ok and receipt.attempts == 1 and len(httpserver.log) == 1
    assert clock.sleeps == []


async def test_retry_after_is_honoured_within_the_cap(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    httpserver.expect_request("/limited").respond_with_handler(
        _sequence(429, 429, 200, headers={"Retry-After": "100"})
    )
    settings = DeliverySettings(
        webhook_retry_attempts=3, retry_backoff_seconds=0.5, retry_backoff_max_seconds=7
    )
    [receipt] = await DeliveryRouter(settings, {}, clock=clock).route(
        message_for(**webhook_job(httpserver.url_for("/limited")))
    )
    assert receipt.ok and receipt.attempts == 3
    assert clock.sleeps == [7, 7]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_unreachable_server_is_retried_then_reported(message_for: MakeMessage, clock: Any) -> None:
    port = _closed_port()
    [receipt] = await DeliveryRouter(SETTINGS, {}, clock=clock).route(
        message_for(**webhook_job(f"http://127.0.0.1:{port}/hook"))
    )
    assert not receipt.ok and receipt.attempts == 3
    assert receipt.detail == "not delivered"
    assert receipt.error is not None and f"cannot connect to http://127.0.0.1:{port}" in receipt.error


@pytest.fixture
def stalled_server(httpserver: HTTPServer) -> Iterator[tuple[HTTPServer, threading.Event]]:
    release = threading.Event()

    def handler(request: Request) -> Response:
        release.wait(10)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(handler)
    yield httpserver, release
    release.set()
    # The stalled request finishes on the server's thread after the test; wait for it to be logged and
    # clear it, so it cannot land in the next test's `httpserver.log`.
    deadline = time.monotonic() + 10
    while not any(req.path == "/slow" for req, _ in httpserver.log) and time.monotonic() < deadline:
        time.sleep(0.01)
    httpserver.clear()


async def test_a_server_that_does_not_answer_times_out(
    stalled_server: tuple[HTTPServer, threading.Event], message_for: MakeMessage, clock: Any
) -> None:
    server, _release = stalled_server
    settings = DeliverySettings(webhook_timeout_seconds=0.2, webhook_retry_attempts=1)
    [receipt] = await DeliveryRouter(settings, {}, clock=clock).route(
        message_for(**webhook_job(server.url_for("/slow")))
    )
    assert not receipt.ok
    assert receipt.error == f"timed out talking to http://{server.host}:{server.port}"


async def test_an_unset_header_variable_fails_the_receipt_without_a_request(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    httpserver.expect_request("/x").respond_with_data("ok")
    message = message_for(
        **webhook_job(httpserver.url_for("/x"), webhook_headers=(("Authorization", "Bearer ${NOPE}"),))
    )
    [receipt] = await DeliveryRouter(SETTINGS, {}, clock=clock).route(message)
    assert not receipt.ok and receipt.attempts == 0
    assert receipt.error == "environment variable NOPE is not set"
    assert httpserver.log == []


async def test_secrets_echoed_by_the_server_never_reach_the_receipt(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    secret = "tok-9f8e7d6c5b4a"

    def echo(request: Request) -> Response:
        return Response(f"rejected {request.headers['Authorization']} for {request.full_path}", status=401)

    httpserver.expect_request("/hook").respond_with_handler(echo)
    message = message_for(
        **webhook_job(
            httpserver.url_for("/hook") + "?key=${HOOK_KEY}",
            webhook_headers=(("Authorization", "Bearer ${HOOK_TOKEN}"),),
        )
    )
    env = {"HOOK_TOKEN": secret, "HOOK_KEY": "query-key-31337"}
    [receipt] = await DeliveryRouter(SETTINGS, env, clock=clock).route(message)
    assert not receipt.ok
    assert receipt.error is not None and receipt.error.startswith("HTTP 401")
    text = repr(receipt.to_dict())
    assert secret not in text and "query-key-31337" not in text
    assert "***" in receipt.error


async def test_a_url_that_is_not_http_is_rejected(message_for: MakeMessage, clock: Any) -> None:
    [receipt] = await DeliveryRouter(SETTINGS, {}, clock=clock).route(
        message_for(**webhook_job("file:///etc/passwd"))
    )
    assert not receipt.ok and receipt.error == "webhook_url must start with http:// or https://"


async def test_the_http_clients_request_log_shows_the_host_only(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    httpserver.expect_request("/services/T1/B2/tokenpath").respond_with_data("ok")
    url = httpserver.url_for("/services/T1/B2/tokenpath") + "?key=${KEY}"
    [receipt] = await DeliveryRouter(SETTINGS, {"KEY": "query-secret-77"}, clock=clock).route(
        message_for(**webhook_job(url))
    )
    assert receipt.ok
    [record] = [r for r in caplog.records if r.name == "httpx"]
    assert record.getMessage() == (
        f'HTTP Request: POST http://{httpserver.host}:{httpserver.port} "HTTP/1.0 200 OK"'
    )


async def test_the_configured_auth_header_applies_when_the_job_sets_none(
    httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    httpserver.expect_request("/a", headers={"Authorization": "Bearer from-config-123"}).respond_with_data(
        "ok"
    )
    httpserver.expect_request("/b", headers={"Authorization": "Bearer from-job-456"}).respond_with_data("ok")
    settings = DeliverySettings(webhook_auth_header="${SYMBI_WEBHOOK_AUTH_HEADER}", webhook_retry_attempts=1)
    env = {"SYMBI_WEBHOOK_AUTH_HEADER": "Bearer from-config-123", "JOB_TOKEN": "from-job-456"}
    router = DeliveryRouter(settings, env, clock=clock)
    [default] = await router.route(message_for(**webhook_job(httpserver.url_for("/a"))))
    own = message_for(
        **webhook_job(httpserver.url_for("/b"), webhook_headers=(("authorization", "Bearer ${JOB_TOKEN}"),))
    )
    [overridden] = await router.route(own)
    assert default.ok and overridden.ok
    assert [r.headers.getlist("Authorization") for r, _ in httpserver.log] == [
        ["Bearer from-config-123"],
        ["Bearer from-job-456"],
    ]


async def test_https_webhooks_verify_the_server_certificate(
    tls_files: tuple[Path, Path], message_for: MakeMessage, clock: Any
) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_files)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.expect_request("/hook").respond_with_data("ok")
    server.start()
    try:
        url = f"https://127.0.0.1:{server.port}/hook"
        [receipt] = await DeliveryRouter(SETTINGS, {}, clock=clock).route(message_for(**webhook_job(url)))
    finally:
        server.clear()
        server.stop()
    # A self-signed certificate is not trusted: nothing was delivered, the reason says so, and an
    # untrusted certificate is not retried.
    assert not receipt.ok and receipt.error is not None
    assert receipt.attempts == 1 and clock.sleeps == []
    assert "CERTIFICATE_VERIFY_FAILED" in receipt.error
    assert receipt.error.startswith(f"cannot connect to https://127.0.0.1:{server.port}")
