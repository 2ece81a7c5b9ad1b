"""OpenAI-compatible endpoint agents, against a real loopback HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from symbi_runtime.agents import AgentCall, AgentError, EndpointAgent, Message
from werkzeug import Request, Response

SECRET = "sk-test-0123456789"


def completion(content: object) -> dict[str, object]:
    message = {"role": "assistant", "content": content}
    return {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": message}]}


def make(httpserver: HTTPServer, **kw: object) -> EndpointAgent:
    options: dict[str, object] = {"name": "llm", "model": "test-model", "api_key_env": "LLM_KEY"}
    options.update(kw)
    return EndpointAgent(httpserver.url_for("/v1"), **options)  # type: ignore[arg-type]


ENV = {"LLM_KEY": SECRET}


async def test_posts_model_prompt_session_and_input(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(
        "/v1/chat/completions",
        method="POST",
        headers={"Authorization": f"Bearer {SECRET}"},
        json={
            "model": "test-model",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "earlier question"},
                {"role": "assistant", "content": "earlier answer"},
                {"role": "user", "content": "status?"},
            ],
        },
    ).respond_with_json(completion("all green"))
    agent = make(httpserver, system_prompt="You are terse.")
    call = AgentCall(
        "llm",
        "status?",
        messages=(Message("user", "earlier question"), Message("assistant", "earlier answer")),
        env=ENV,
    )
    assert await agent.run(call) == "all green"
    httpserver.check_assertions()


async def test_completions_suffix_is_not_doubled_and_url_references_resolve(httpserver: HTTPServer) -> None:
    expected = httpserver.expect_oneshot_request("/v1/chat/completions", method="POST")
    expected.respond_with_json(completion("ok"))
    base = httpserver.url_for("/")
    port = base.rsplit(":", 1)[1].rstrip("/")
    agent = EndpointAgent("http://localhost:${LLM_PORT}/v1/chat/completions/", name="llm")
    assert await agent.run(AgentCall("llm", "", env={"LLM_PORT": port})) == "ok"
    assert agent.request_body(AgentCall("llm", "in")) == {"messages": [{"role": "user", "content": "in"}]}


async def test_key_is_read_at_call_time_and_missing_key_is_clear(httpserver: HTTPServer) -> None:
    agent = make(httpserver)
    with pytest.raises(AgentError, match=r"environment variable LLM_KEY .* is not set"):
        await agent.run(AgentCall("llm", "x", env={"OTHER": "1"}))
    httpserver.expect_oneshot_request(
        "/v1/chat/completions", headers={"Authorization": "Bearer rotated"}
    ).respond_with_json(completion("ok"))
    assert await agent.run(AgentCall("llm", "x", env={"LLM_KEY": "rotated"})) == "ok"


async def test_http_error_reports_status_and_body_excerpt_without_the_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/chat/completions").respond_with_data(
        f"upstream overloaded; your key {SECRET} " + "z" * 1000, status=503
    )
    with pytest.raises(AgentError) as info:
        await make(httpserver).run(AgentCall("llm", "x", env=ENV))
    message = str(info.value)
    assert "returned HTTP 503: upstream overloaded" in message
    assert SECRET not in message
    assert len(message) < 600


@pytest.mark.parametrize(
    ("respond", "expected"),
    [
        (lambda r: r.respond_with_data("<html>oops", content_type="text/html"), "returned invalid JSON"),
        (lambda r: r.respond_with_json({"error": "nope"}), "returned no choices[0].message.content"),
        (lambda r: r.respond_with_json({"choices": []}), "returned no choices[0].message.content"),
        (lambda r: r.respond_with_json(completion({"parts": 1})), "returned non-text content (dict)"),
    ],
)
async def test_bad_responses_are_clear_errors(httpserver: HTTPServer, respond: object, expected: str) -> None:
    respond(httpserver.expect_request("/v1/chat/completions"))  # type: ignore[operator]
    with pytest.raises(AgentError) as info:
        await make(httpserver).run(AgentCall("llm", "x", env=ENV))
    assert expected in str(info.value)


async def test_null_content_is_empty_output(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/chat/completions").respond_with_json(completion(None))
    assert await make(httpserver).run(AgentCall("llm", "x", env=ENV)) == ""


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


async def test_timeout_is_a_clear_error(httpserver: HTTPServer, release: threading.Event) -> None:
    def stall(request: Request) -> Response:
        release.wait(10)
        return Response(json.dumps(completion("late")), content_type="application/json")

    httpserver.expect_request("/v1/chat/completions").respond_with_handler(stall)
    agent = make(httpserver, timeout_seconds=0.2)
    with pytest.raises(AgentError, match=r"/v1/chat/completions did not answer within 0.2s"):
        await agent.run(AgentCall("llm", "x", env=ENV))


async def test_connection_refused_is_a_clear_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    agent = EndpointAgent(f"http://127.0.0.1:{port}/v1", name="llm")
    with pytest.raises(AgentError, match=r"request to http://127.0.0.1:\d+/v1/chat/completions failed"):
        await agent.run(AgentCall("llm", "x", env={"X": "1"}))


async def test_errors_show_the_unresolved_url(httpserver: HTTPServer) -> None:
    # A `${VAR}` in the endpoint may carry a secret: messages show the reference, not its value.
    httpserver.expect_request("/v1/chat/completions").respond_with_data("bad", status=401)
    agent = EndpointAgent(httpserver.url_for("/") + "${PREFIX}", name="llm")
    with pytest.raises(AgentError) as info:
        await agent.run(AgentCall("llm", "x", env={"PREFIX": "v1"}))
    assert "${PREFIX}/chat/completions returned HTTP 401" in str(info.value)


async def test_oversized_response_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/chat/completions").respond_with_json(completion("z" * 50_000))
    agent = make(httpserver, max_response_bytes=10_000)
    with pytest.raises(AgentError, match=r"/v1/chat/completions sent a response over 10000 bytes"):
        await agent.run(AgentCall("llm", "x", env=ENV))
    assert await make(httpserver).run(AgentCall("llm", "x", env=ENV)) == "z" * 50_000
