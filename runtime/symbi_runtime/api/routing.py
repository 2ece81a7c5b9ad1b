"""Declaring a route declares its scope: `route(router, "GET", "/schedules", Scope.READ, …)`.

This is the one place a route's required scope is written. The scope becomes a FastAPI dependency
(checked before the handler runs), the operation's `x-required-scope` in the OpenAPI document, and a
row of the route → scope table (`scope_table()`, published in the README and the document). A route
added later (backfill, explain) is one `route(...)` call in its own module, listed in `ROUTERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from fastapi import APIRouter, Depends, Request

from symbi_runtime.api.auth import Caller, authorize
from symbi_runtime.api.errors import STATUS, ErrorBody, ErrorCode
from symbi_runtime.api.settings import Scope

_ERROR_STATUSES = sorted({s for s in STATUS.values()})


def requires(scope: Scope) -> Callable[[Request], Caller]:
    """A dependency that authorizes the request for `scope` and returns the caller."""

    def dependency(request: Request) -> Caller:
        caller = authorize(request, request.app.state.api.settings, scope)
        request.state.caller = caller
        return caller

    dependency.__name__ = f"requires_{scope.value}"
    return dependency


def route(
    router: APIRouter,
    method: str,
    path: str,
    scope: Scope,
    *,
    summary: str,
    status_code: int = 200,
    response_model: Any = None,
    tags: list[str | Enum] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated handler for `method path`, requiring `scope`."""
    errors: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorBody, "description": _describe(status)} for status in _ERROR_STATUSES
    }
    return router.api_route(
        path,
        methods=[method],
        summary=summary,
        status_code=status_code,
        response_model=response_model,
        dependencies=[Depends(requires(scope))],
        responses=errors,
        openapi_extra={"x-required-scope": scope.value, "security": _security(scope)},
        tags=tags,
    )


def _security(scope: Scope) -> list[dict[str, list[str]]]:
    return [] if scope is Scope.PUBLIC else [{"bearer": [scope.value]}]


def _describe(status: int) -> str:
    codes = [c.value for c in ErrorCode if STATUS[c] == status]
    return "Error: " + ", ".join(codes)


def scope_table(app: Any) -> list[tuple[str, str, str]]:
    """(method, path, scope) for every operation of the app's OpenAPI document, sorted by path."""
    rows = []
    for path, operations in app.openapi()["paths"].items():
        for method, op in operations.items():
            rows.append((method.upper(), path, op.get("x-required-scope", "?")))
    return sorted(rows, key=lambda r: (r[1], r[0]))
