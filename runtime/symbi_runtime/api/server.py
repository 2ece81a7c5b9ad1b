"""Serving the API with uvicorn on the runtime's event loop: loopback by default, HTTPS on request."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symbi_runtime.api.app import API_PREFIX, create_app
from symbi_runtime.api.settings import ApiSettings, parse_api_table

logger = logging.getLogger("symbi_runtime.api")


@dataclass
class ApiServer:
    """A running API server: its address and how to stop it."""

    host: str
    port: int
    _server: Any
    _task: asyncio.Task[None]
    scheme: str = "http"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    async def close(self) -> None:
        self._server.should_exit = True
        await self._task


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _quiet_server_class() -> type[Any]:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """uvicorn's server without its signal handling: the runtime owns SIGINT/SIGTERM."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return QuietServer


async def serve_api(
    runtime: Any,
    *,
    token: str | None = None,
    settings: ApiSettings | None = None,
    host: str = "127.0.0.1",
    port: int = 8080,
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
) -> ApiServer:
    """Start the API on the running event loop (port 0 picks a free port).

    `settings` carries tokens and allow-lists; `token` alone is the single-admin shortcut."""
    import uvicorn

    if settings is None:
        settings = parse_api_table({}, {}, shortcut=token)
    elif token:
        settings = parse_api_table({}, {}, shortcut=token) if not settings.tokens else settings
    if not settings.tokens:
        raise ValueError("the HTTP API needs at least one token (SYMBI_API_TOKEN or [[api.tokens]])")
    if (tls_cert is None) != (tls_key is None):
        raise ValueError("give both --api-tls-cert and --api-tls-key, or neither")
    tls = tls_cert is not None
    if not tls and not is_loopback(host):
        logger.warning(
            "the HTTP API listens on %s without TLS: tokens and job definitions cross the network in clear "
            "text; use --api-tls-cert/--api-tls-key or a TLS-terminating proxy",
            host,
        )
    config = uvicorn.Config(
        create_app(runtime, settings),
        host=host,
        port=port,
        lifespan="off",
        log_level="warning",
        access_log=False,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
    )
    server = _quiet_server_class()(config)

    async def serve() -> None:
        try:
            await server.serve()
        except SystemExit:  # uvicorn exits the process when it cannot bind; we report it instead
            raise OSError(f"the HTTP API could not listen on {host}:{port}") from None

    task = asyncio.create_task(serve())
    while not server.started:
        if task.done():
            await task  # raises the bind error
            raise OSError(f"the HTTP API could not listen on {host}:{port}")
        await asyncio.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
    scheme = "https" if tls else "http"
    logger.info("HTTP API listening on %s://%s:%s%s", scheme, host, bound, API_PREFIX)
    return ApiServer(host, int(bound), server, task, scheme)
