"""The FastAPI application: routers, the door, error handlers and the OpenAPI document.

`ROUTERS` lists every router; a new resource (backfill, explain) adds its module here and declares
each route's scope with `routing.route`.
"""

from __future__ import annotations

import json
import logging
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from symbi_runtime.api import fleet_routes, health_routes, schedules, seed_routes
from symbi_runtime.api.door import BodyGuard
from symbi_runtime.api.errors import DESCRIPTIONS, STATUS, ApiProblem, ErrorCode, error_body
from symbi_runtime.api.service import ApiState
from symbi_runtime.api.settings import ApiSettings, Scope
from symbi_runtime.store import PermanentStoreError, TransientStoreError

logger = logging.getLogger("symbi_runtime.api")

API_PREFIX = "/api/v1"
ROUTERS = (seed_routes.router, schedules.router, health_routes.router, fleet_routes.router)
DOCUMENT_RESOURCE = "openapi.json"
TITLE = "symbi scheduler API"
ERRORS_INTRO = 'Errors are `{"error", "code", "details"}`. Error codes:'


def build_app(state: ApiState | None) -> FastAPI:
    """The app (no state: only for generating the OpenAPI document)."""
    app = FastAPI(title=TITLE, version="1", openapi_url=None, docs_url=None, redoc_url=None)
    for router in ROUTERS:
        app.include_router(router)
    app.state.api = state
    app.add_exception_handler(ApiProblem, _problem)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(TransientStoreError, _store_busy)  # type: ignore[arg-type]
    app.add_exception_handler(PermanentStoreError, _store_unusable)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _crash)
    app.state.api_document = document(app)
    return app


def create_app(runtime: Any, settings: ApiSettings) -> Any:
    """The ASGI application serving `runtime`: FastAPI behind the body guard."""
    app = build_app(ApiState(runtime, settings))
    return BodyGuard(app, max_body_bytes=settings.max_body_bytes)


# --- errors ------------------------------------------------------------------------------------------


async def _problem(request: Request, exc: ApiProblem) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="symbi"'} if exc.code is ErrorCode.UNAUTHORIZED else None
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


_SYM_FOR = {"extra_forbidden": "SYM102", "missing": "SYM107"}


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    details = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        where = loc[0] if loc and loc[0] in ("query", "path") else None
        path = ".".join(loc[1:] if where else loc)
        kind = str(err.get("type", ""))
        message = str(err.get("msg", "invalid value"))
        if kind in ("model_type", "model_attributes_type", "dict_type"):
            message = "must be a JSON object"
        code = _SYM_FOR.get(kind, "SYM109" if kind.startswith(("greater_than", "less_than")) else "SYM103")
        details.append({"field": path, "code": code, "severity": "error", "message": message, "help": None})
    first = details[0] if details else {"field": "", "message": "invalid request"}
    summary = f"{first['field'] or 'body'}: {first['message']}"
    return JSONResponse(error_body(ErrorCode.VALIDATION_ERROR, summary, details), status_code=400)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 405:
        code, message = ErrorCode.METHOD_NOT_ALLOWED, f"{request.method} is not allowed on {request.url.path}"
    elif exc.status_code == 404:
        code, message = ErrorCode.NOT_FOUND, f"no route {request.url.path}"
    else:
        code = next((c for c in ErrorCode if STATUS[c] == exc.status_code), ErrorCode.VALIDATION_ERROR)
        message = str(exc.detail)
    return JSONResponse(error_body(code, message), status_code=STATUS[code], headers=exc.headers)


async def _store_busy(request: Request, exc: TransientStoreError) -> JSONResponse:
    logger.warning("HTTP API %s %s: job store busy: %s", request.method, request.url.path, exc)
    body = error_body(ErrorCode.STORE_UNAVAILABLE, "the job store is temporarily unavailable; retry shortly")
    return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})


async def _store_unusable(request: Request, exc: PermanentStoreError) -> JSONResponse:
    logger.error("HTTP API %s %s: job store unusable: %s", request.method, request.url.path, exc)
    body = error_body(ErrorCode.INTERNAL_ERROR, "the job store cannot be used; see the server log")
    return JSONResponse(body, status_code=500)


async def _crash(request: Request, exc: Exception) -> JSONResponse:
    logger.error("HTTP API %s %s failed: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    logger.debug("traceback", exc_info=exc)
    return JSONResponse(
        error_body(ErrorCode.INTERNAL_ERROR, "internal error; see the server log"), status_code=500
    )


# --- the OpenAPI document ----------------------------------------------------------------------------


def document(app: FastAPI) -> dict[str, Any]:
    """OpenAPI 3.1 with our error contract: no FastAPI 422s, error codes and the scope table listed."""
    doc = app.openapi()
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    rows = []
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            op.get("responses", {}).pop("422", None)
            scope = op.get("x-required-scope", "?")
            rows.append(f"| `{method.upper()}` | `{path}` | {scope} |")
            if "requestBody" in op:
                op["requestBody"]["content"] = {
                    "application/json": op["requestBody"]["content"]["application/json"]
                }
    doc["components"]["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from symbi.toml [[api.tokens]] or SYMBI_API_TOKEN",
        }
    }
    codes = "\n".join(f"| `{c.value}` | {STATUS[c]} | {DESCRIPTIONS[c]} |" for c in ErrorCode)
    scopes = ", ".join(f"`{s.value}`" for s in Scope if s is not Scope.PUBLIC)
    doc["info"]["description"] = (
        ERRORS_INTRO
        + "\n\n| code | status | meaning |\n|---|---|---|\n"
        + f"{codes}\n\nScopes: {scopes} (`admin` includes all; `public` needs no token). Route → scope:\n\n"
        "| method | path | scope |\n|---|---|---|\n" + "\n".join(sorted(rows, key=lambda r: r.split("|")[2]))
    )
    doc["x-error-codes"] = [c.value for c in ErrorCode]
    return _sorted(doc)


def _sorted(value: dict[str, Any]) -> dict[str, Any]:
    """Keys sorted at every level (a stable file for diffs and code generators)."""
    data: dict[str, Any] = json.loads(json.dumps(value, sort_keys=True))
    return data


def document_text() -> str:
    """The document as committed: `python -m symbi_runtime.api > runtime/symbi_runtime/openapi.json`."""
    return json.dumps(document_from_app(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def document_from_app() -> dict[str, Any]:
    doc: dict[str, Any] = build_app(None).state.api_document
    return doc


def committed_document() -> dict[str, Any]:
    """The shipped `symbi_runtime/openapi.json`."""
    data: dict[str, Any] = json.loads(files("symbi_runtime").joinpath(DOCUMENT_RESOURCE).read_text("utf-8"))
    return data
