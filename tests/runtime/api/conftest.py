"""A runtime served over HTTP on loopback, configurable per test (tokens, allow-lists)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from symbi_runtime.agents import AgentCall
from symbi_runtime.api import serve_api
from symbi_runtime.api.settings import parse_api_table
from symbi_runtime.clock import FakeClock
from symbi_runtime.config import Config
from symbi_runtime.delivery.settings import DeliverySettings
from symbi_runtime.runtime import Runtime

ADMIN = "admin-token-0123456789"
NOW = "2026-11-20T12:00:00+00:00"


@dataclass
class Served:
    rt: Runtime
    url: str
    client: httpx.AsyncClient

    def as_(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


ServeFactory = Callable[..., Any]


@pytest.fixture
def serve(tmp_path: Path) -> ServeFactory:
    @asynccontextmanager
    async def start(
        *,
        api_table: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        allowed_hosts: tuple[str, ...] = ("hooks.example",),
        delivery: DeliverySettings | None = None,
    ) -> AsyncIterator[Served]:
        from datetime import datetime

        env = env or {}
        settings = DeliverySettings(allowed_hosts=allowed_hosts) if delivery is None else delivery
        clock = FakeClock(datetime.fromisoformat(NOW))
        async with Runtime(
            Config(delivery=settings), db_path=tmp_path / "api.db", env=env, clock=clock
        ) as rt:

            async def reporter(call: AgentCall) -> str:
                return f"report for {call.input or 'nothing'}"

            rt.register_agent("reporter", reporter)
            scheduler = asyncio.create_task(rt.run())
            server = await serve_api(
                rt, settings=parse_api_table(api_table or {}, env, shortcut=ADMIN), port=0
            )
            headers = {"Authorization": f"Bearer {ADMIN}"}
            async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=20) as client:
                yield Served(rt, server.url, client)
            await server.close()
            rt.stop()
            await scheduler

    return start
