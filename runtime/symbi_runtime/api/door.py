"""The door: what every request body must be before any handler sees it (pure ASGI middleware).

- The size limit is enforced while reading: a `Content-Length` over the limit is refused before a
  byte is read, and a chunked body is refused as soon as it passes the limit (never buffered whole).
- A non-empty body needs `Content-Type: application/json` (415 otherwise).
- The body must be JSON nested at most `MAX_DEPTH` deep (a 100k-deep array is a 400, not a crash).
The body read here is replayed to the application unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from symbi_runtime.api.errors import STATUS, ErrorCode, error_body

Scope_ = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope_, Receive, Send], Awaitable[None]]

MAX_DEPTH = 32


class BodyTooLarge(Exception):
    pass


def nesting_depth(text: str) -> int:
    """The deepest nesting of `[`/`{` outside strings (a linear scan; no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def body_problem(body: bytes, content_type: str) -> tuple[ErrorCode, str] | None:
    """Why `body` cannot be handed to a handler, or None."""
    if not body.strip():
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        return (
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            "a request body must be sent as Content-Type: application/json",
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return ErrorCode.INVALID_JSON, "the body is not UTF-8"
    if nesting_depth(text) > MAX_DEPTH:
        return ErrorCode.INVALID_JSON, f"the body nests deeper than {MAX_DEPTH} levels"
    try:
        json.loads(text, parse_constant=_no_constant)
    except ValueError as e:
        return ErrorCode.INVALID_JSON, f"invalid JSON: {e}"
    return None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class BodyGuard:
    """Reads, limits and validates request bodies before the application runs."""

    def __init__(self, app: App, *, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope_, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await _answer(send, ErrorCode.PAYLOAD_TOO_LARGE, f"the request body is over {self.limit} bytes")
            return
        try:
            body = await self._read(receive)
        except BodyTooLarge:
            await _answer(send, ErrorCode.PAYLOAD_TOO_LARGE, f"the request body is over {self.limit} bytes")
            return
        problem = body_problem(body, headers.get("content-type", ""))
        if problem is not None:
            await _answer(send, *problem)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


async def _answer(send: Send, code: ErrorCode, message: str) -> None:
    payload = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": STATUS[code],
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
