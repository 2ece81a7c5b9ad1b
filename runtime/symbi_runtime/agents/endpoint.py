"""OpenAI-compatible chat agents: `endpoint: "https://…/v1"` with `model` and `system_prompt`.

One call is one `POST {endpoint}/chat/completions` (the suffix is not added twice) with
`{"model": model, "messages": [system_prompt, *session messages, {"role": "user", "content": input}]}`.
The output is `choices[0].message.content`. The API key is read from the environment variable named by
`api_key_env` at call time (sent as `Authorization: Bearer …`) and never appears in errors.
`${VAR}` references in the endpoint URL are resolved at call time as well.
"""

from __future__ import annotations

import functools
import json
import os
import ssl
from typing import Any

import httpx

from symbi_lang.interpolation import UnresolvedVariable, references, resolve
from symbi_runtime.agents.call import AgentCall, AgentError
from symbi_runtime.delivery.egress import egress_problem
from symbi_runtime.delivery.redaction import Secrets

DEFAULT_TIMEOUT_SECONDS = 120.0  # per network operation (connect, each read); max_runtime bounds the whole
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
BODY_EXCERPT_CHARS = 300
COMPLETIONS_PATH = "/chat/completions"


class EndpointAgent:
    """Calls an OpenAI-compatible `/chat/completions` endpoint over httpx."""

    def __init__(
        self,
        endpoint: str,
        *,
        name: str,
        model: str | None = None,
        system_prompt: str | None = None,
        api_key_env: str | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
        allowed_hosts: tuple[str, ...] = (),
    ) -> None:
        self.endpoint = endpoint
        self.allowed_hosts = allowed_hosts
        self.name = name
        self.model = model
        self.system_prompt = system_prompt
        self.api_key_env = api_key_env
        self.timeout_seconds = timeout_seconds
        self.max_response_bytes = max_response_bytes
        self._transport = transport

    def url(self, env: dict[str, str] | None = None) -> str:
        """The request URL; with `env=None` the unresolved form (`${VAR}` kept) used in messages."""
        raw = self.endpoint if env is None else resolve(self.endpoint, env)
        # The suffix goes on the path, before any query string (`…/v1?api-version=…`).
        base, sep, query = raw.partition("?")
        base = base.rstrip("/")
        if not base.endswith(COMPLETIONS_PATH):
            base += COMPLETIONS_PATH
        return base + sep + query

    def request_body(self, call: AgentCall) -> dict[str, Any]:
        """The JSON document POSTed for `call` (documented above; pinned by tests)."""
        messages: list[dict[str, str]] = []
        if self.system_prompt:
            messages.append({"role": "system", "content": self.system_prompt})
        messages.extend(m.to_dict() for m in call.messages)
        messages.append({"role": "user", "content": call.input})
        body: dict[str, Any] = {"messages": messages}
        if self.model:
            body = {"model": self.model, **body}
        return body

    async def run(self, call: AgentCall) -> str:
        env = dict(call.env) if call.env else dict(os.environ)
        try:
            url = self.url(env)
        except UnresolvedVariable as e:
            raise AgentError(f"agent {self.name!r}: endpoint: {e}") from None
        refused = egress_problem(url, self.allowed_hosts, api_job=False)
        if refused:
            raise AgentError(f"agent {self.name!r}: endpoint: {refused}")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        secret: str | None = None
        if self.api_key_env:
            secret = env.get(self.api_key_env)
            if not secret:
                raise AgentError(
                    f"agent {self.name!r}: environment variable {self.api_key_env} "
                    "(its api_key_env) is not set"
                )
            headers["Authorization"] = f"Bearer {secret}"
        # Every value resolved into the URL, and the key, are scrubbed from anything we report.
        hidden = Secrets()
        for ref in references(self.endpoint):
            hidden.add(env.get(ref.name))
        hidden.add(secret)
        secret_values = hidden
        shown = _redact(self.url(), secret_values)  # the unresolved URL: a `${VAR}` in it may be a secret
        try:
            async with httpx.AsyncClient(
                timeout=self.timeout_seconds,
                transport=self._transport,
                follow_redirects=False,
                verify=_ssl_context(),
            ) as client:
                request = client.build_request("POST", url, json=self.request_body(call), headers=headers)
                response = await client.send(request, stream=True)
                try:
                    body = await _read_capped(response, self.max_response_bytes, self.name, shown)
                finally:
                    await response.aclose()
        except httpx.TimeoutException:
            raise AgentError(
                f"agent {self.name!r}: {shown} did not answer within {self.timeout_seconds:g}s"
            ) from None
        except httpx.HTTPError as e:
            detail = _redact(str(e).replace(url, shown), secret_values) or type(e).__name__
            raise AgentError(f"agent {self.name!r}: request to {shown} failed: {detail}") from None
        text = body.decode(response.encoding or "utf-8", errors="replace")
        if response.status_code >= 400:
            excerpt = _excerpt(text, secret_values)
            raise AgentError(
                f"agent {self.name!r}: {shown} returned HTTP {response.status_code}"
                + (f": {excerpt}" if excerpt else "")
            )
        return _content(body, text, self.name, shown, secret_values)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default verification context, built once: building it costs ~60 ms (CA bundle load)."""
    return httpx.create_ssl_context()


async def _read_capped(response: httpx.Response, limit: int, name: str, shown: str) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise AgentError(f"agent {name!r}: {shown} sent a response over {limit} bytes")
    return bytes(body)


def _content(body: bytes, text: str, name: str, shown: str, secret: Secrets) -> str:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise AgentError(
            f"agent {name!r}: {shown} returned invalid JSON: {_excerpt(text, secret)!r}"
        ) from None
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise AgentError(
            f"agent {name!r}: {shown} returned no choices[0].message.content: "
            f"{_excerpt(json.dumps(data, ensure_ascii=False), secret)}"
        ) from None
    if content is None:
        return ""
    if not isinstance(content, str):
        raise AgentError(f"agent {name!r}: {shown} returned non-text content ({type(content).__name__})")
    return content


def _redact(text: str, secrets: Secrets) -> str:
    return secrets.scrub(text)


def _excerpt(text: str, secret: Secrets) -> str:
    text = _redact(" ".join(text.split()), secret)
    return text if len(text) <= BODY_EXCERPT_CHARS else text[:BODY_EXCERPT_CHARS] + "…"
