"""The HTTP API (`/api/v1/…`, as the spec lists it) over a running `Runtime`, with bearer-token auth.

    handle = await serve_api(runtime, token=..., host="127.0.0.1", port=8080)
    ...
    await handle.close()

Every request needs `Authorization: Bearer <token>` (compared in constant time). The server listens on
loopback unless told otherwise. Job and run bodies keep `${VAR}` references unresolved, like every
other output of symbi. Errors are JSON: `{"error": "<message>"}` with a 4xx status.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from symbi_lang.ir import JobDefinition
from symbi_runtime.runtime import LoadError, Runtime
from symbi_runtime.store import JobRecord, PermanentStoreError, RunRecord, StoreError, TransientStoreError

logger = logging.getLogger("symbi_runtime.http_api")

API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 1_000_000
MAX_HISTORY = 1000
MIN_TOKEN_CHARS = 16
# Agent fields that make the runtime execute something: never accepted over the API (remote code execution).
EXECUTOR_KEYS = ("handler", "command", "endpoint")

Handler = Callable[[Request], Awaitable[Response]]


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def job_body(job: JobRecord) -> dict[str, Any]:
    """A job as the API returns it: scheduling state plus the full (unresolved) definition."""
    d = job.definition
    return {
        "id": job.id,
        "name": job.name,
        "agent_id": d.agent_id,
        "status": job.status,
        "cron_expr": d.cron_expr,
        "at": d.at,
        "timezone": d.timezone,
        "next_run": _iso(job.next_fire_at),
        "last_run": _iso(job.last_run_at),
        "last_status": job.last_status,
        "consecutive_failures": job.consecutive_failures,
        "run_count": job.run_count,
        "created_at": _iso(job.created_at),
        "updated_at": _iso(job.updated_at),
        "definition": d.to_dict(),
    }


def run_body(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "job_id": run.job_id,
        "job_name": run.job_name,
        "status": run.status,
        "trigger": run.trigger,
        "scheduled_for": _iso(run.scheduled_for),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "execution_time_ms": None if run.duration_seconds is None else round(run.duration_seconds * 1000),
        "input": run.input,
        "output": run.output,
        "error_message": run.error,
        "decision": run.decision,
        "decision_reason": run.decision_reason,
        "approver": run.approver,
        "receipts": list(run.receipts),
        "detail": dict(run.detail),
    }


class Api:
    """Route handlers bound to one runtime."""

    def __init__(self, runtime: Runtime, token: str) -> None:
        token = token.strip()
        if len(token) < MIN_TOKEN_CHARS:
            raise ValueError(f"the HTTP API token must be at least {MIN_TOKEN_CHARS} characters")
        self.rt = runtime
        self._token = token.encode()

    # --- plumbing -----------------------------------------------------------------------------------

    def guard(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            header = request.headers.get("authorization", "")
            scheme, _, given = header.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self._token):
                return JSONResponse(
                    {"error": "missing or invalid bearer token"},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="symbi"'},
                )
            try:
                return await handler(request)
            except ApiError as e:
                return JSONResponse({"error": e.message}, status_code=e.status)
            except TransientStoreError as e:
                # Busy, disk full, connection lost: nothing was changed; the client may retry.
                logger.warning("HTTP API %s %s: job store busy: %s", request.method, request.url.path, e)
                return JSONResponse(
                    {"error": "the job store is temporarily unavailable; retry shortly"},
                    status_code=503,
                    headers={"Retry-After": "1"},
                )
            except PermanentStoreError as e:
                logger.error("HTTP API %s %s: job store unusable: %s", request.method, request.url.path, e)
                return JSONResponse(
                    {"error": "the job store cannot be used; see the server log"}, status_code=500
                )
            except StoreError as e:
                return JSONResponse({"error": str(e)}, status_code=_store_status(str(e)))
            except Exception as e:  # a bug of ours: one log line, a 500, and the server keeps serving
                logger.error(
                    "HTTP API %s %s failed: %s: %s", request.method, request.url.path, type(e).__name__, e
                )
                logger.debug("traceback", exc_info=True)
                return JSONResponse({"error": "internal error; see the server log"}, status_code=500)

        return guarded

    def _job(self, request: Request) -> JobRecord:
        key = request.path_params["job_id"]
        job = self.rt.store.get_job(key)
        if job is None:
            raise ApiError(404, f"no job {key!r}")
        return job

    async def _json(self, request: Request, *, required: bool = True) -> dict[str, Any]:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, f"request body over {MAX_BODY_BYTES} bytes")
        if not body.strip():
            if required:
                raise ApiError(400, "expected a JSON object body")
            return {}
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ApiError(400, f"invalid JSON: {e}") from None
        if not isinstance(data, dict):
            raise ApiError(400, "expected a JSON object body")
        return data

    def _definition(
        self, data: dict[str, Any], *, from_client: dict[str, Any] | None = None
    ) -> JobDefinition:
        """Validate a job body. `from_client` is the part the client sent (default: all of `data`);
        only that part may not bind an executor (a stored job from files keeps its own agent)."""
        for key in ("name", "agent_id"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise ApiError(400, f"'{key}' must be a non-empty string")
        if (data.get("cron_expr") is None) == (data.get("at") is None):
            raise ApiError(400, "give exactly one of 'cron_expr' and 'at'")
        agent = (data if from_client is None else from_client).get("agent")
        if isinstance(agent, dict) and any(agent.get(k) for k in EXECUTOR_KEYS):
            raise ApiError(
                400,
                "an API job cannot define how its agent runs (handler, command, endpoint); "
                "refer to an agent loaded from .symbi files or registered in-process by 'agent_id'",
            )
        try:
            return JobDefinition.from_dict(data)
        except (ValueError, TypeError, KeyError) as e:
            raise ApiError(400, f"invalid job: {e}") from None

    def _save(self, job: JobDefinition) -> JobRecord:
        try:
            return self.rt.add_job(job).record
        except LoadError as e:
            raise ApiError(400, str(e)) from None

    @staticmethod
    def _limit(request: Request, default: int) -> int:
        raw = request.query_params.get("limit")
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"limit must be an integer, got {raw!r}") from None
        if not 1 <= value <= MAX_HISTORY:
            raise ApiError(400, f"limit must be 1-{MAX_HISTORY}")
        return value

    # --- schedule management ------------------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        job = self._definition(await self._json(request))
        if self.rt.store.get_job(job.name) is not None:
            raise ApiError(409, f"a job named {job.name!r} exists; use PUT to change it")
        return JSONResponse(job_body(self._save(job)), status_code=201)

    async def list(self, request: Request) -> Response:
        status = request.query_params.get("status")
        agent = request.query_params.get("agent_id") or request.query_params.get("agent")
        jobs = self.rt.store.list_jobs(status=status, agent=agent)
        return JSONResponse([job_body(j) for j in jobs])

    async def get(self, request: Request) -> Response:
        return JSONResponse(job_body(self._job(request)))

    async def update(self, request: Request) -> Response:
        job = self._job(request)
        changes = await self._json(request)
        if "name" in changes and changes["name"] != job.name:
            raise ApiError(400, "a job cannot be renamed; create a new one and delete this one")
        merged = {**job.definition.to_dict(), **changes}
        if "cron_expr" in changes and changes["cron_expr"] is not None:
            merged["at"] = None
        if "at" in changes and changes["at"] is not None:
            merged["cron_expr"] = None
        return JSONResponse(job_body(self._save(self._definition(merged, from_client=changes))))

    async def delete(self, request: Request) -> Response:
        job = self._job(request)
        self.rt.store.remove_job(job.id, now=self.rt.clock.now(), actor="api")
        return JSONResponse({"deleted": True, "id": job.id, "name": job.name})

    async def pause(self, request: Request) -> Response:
        job = self._job(request)
        record = self.rt.store.set_job_status(job.id, "paused", now=self.rt.clock.now(), actor="api")
        return JSONResponse(job_body(record))

    async def resume(self, request: Request) -> Response:
        job = self._job(request)
        record = self.rt.store.set_job_status(job.id, "active", now=self.rt.clock.now(), actor="api")
        self.rt.scheduler.wake()
        return JSONResponse(job_body(record))

    async def run(self, request: Request) -> Response:
        job = self._job(request)
        data = await self._json(request, required=False)
        text = data.get("input")
        if text is not None and not isinstance(text, str):
            raise ApiError(400, "'input' must be a string")
        force = bool(data.get("force", False))
        run = await self.rt.run_job_now(job.id, text, force=force)
        return JSONResponse(run_body(run))

    async def history(self, request: Request) -> Response:
        job = self._job(request)
        runs = self.rt.store.list_runs(
            job=job.id, status=request.query_params.get("status"), limit=self._limit(request, 50)
        )
        return JSONResponse([run_body(r) for r in runs])

    async def next_run(self, request: Request) -> Response:
        job = self._job(request)
        return JSONResponse({"id": job.id, "name": job.name, "next_run": _iso(job.next_fire_at)})

    # --- approvals ----------------------------------------------------------------------------------

    async def decide(self, request: Request, approve: bool) -> Response:
        data = await self._json(request, required=False)
        reason = data.get("reason")
        if not approve and not (isinstance(reason, str) and reason.strip()):
            raise ApiError(400, "denying a run needs a 'reason'")
        given = data.get("actor")
        actor = given if isinstance(given, str) and given.strip() else "api"
        run = self.rt.store.decide_approval(
            request.path_params["run_id"],
            approve=approve,
            actor=actor,
            reason=reason,
            now=self.rt.clock.now(),
        )
        self.rt.scheduler.wake()
        return JSONResponse(run_body(run))

    async def approve(self, request: Request) -> Response:
        return await self.decide(request, True)

    async def deny(self, request: Request) -> Response:
        return await self.decide(request, False)

    async def get_run(self, request: Request) -> Response:
        run = self.rt.store.get_run(request.path_params["run_id"])
        if run is None:
            raise ApiError(404, f"no run {request.path_params['run_id']!r}")
        return JSONResponse(run_body(run))

    # --- audit --------------------------------------------------------------------------------------

    async def audit(self, request: Request) -> Response:
        q = request.query_params
        since = None
        if q.get("since"):
            try:
                since = datetime.fromisoformat(q["since"].replace("Z", "+00:00"))
            except ValueError:
                raise ApiError(400, f"since must be an ISO 8601 date-time, got {q['since']!r}") from None
            if since.tzinfo is None:
                raise ApiError(400, "since needs a UTC offset (e.g. 2026-11-25T00:00:00Z)")
        records = self.rt.store.list_audit(
            event_type=q.get("type") or q.get("event_type"),
            job=q.get("job") or q.get("job_id"),
            since=since,
            limit=self._limit(request, 200),
        )
        return JSONResponse(
            [
                {
                    "id": r.id,
                    "event_type": r.event_type,
                    "at": _iso(r.at),
                    "actor": r.actor,
                    "job_id": r.job_id,
                    "job_name": r.job_name,
                    "run_id": r.run_id,
                    "details": r.details,
                }
                for r in records
            ]
        )

    # --- health -------------------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        stats = self.rt.store.run_stats()
        jobs = self.rt.store.job_counts()
        return JSONResponse(
            {
                "status": "healthy",
                "active_jobs": jobs.get("active", 0),
                "paused_jobs": jobs.get("paused", 0),
                "dead_letter_jobs": jobs.get("dead_letter", 0),
                "in_flight_jobs": self.rt.scheduler.in_flight(),
                "metrics": {
                    "runs_total": stats["total"],
                    "runs_succeeded": stats["succeeded"],
                    "runs_failed": stats["failed"],
                    "avg_execution_time_ms": stats["avg_execution_time_ms"],
                },
            }
        )


def _store_status(message: str) -> int:
    return 404 if message.startswith(("no job", "no run")) else 409


def create_app(runtime: Runtime, token: str) -> Starlette:
    api = Api(runtime, token)
    g = api.guard
    p = API_PREFIX
    routes = [
        Route(f"{p}/schedule", g(api.create), methods=["POST"]),
        Route(f"{p}/schedule", g(api.list), methods=["GET"]),
        Route(f"{p}/schedule/{{job_id}}", g(api.get), methods=["GET"]),
        Route(f"{p}/schedule/{{job_id}}", g(api.update), methods=["PUT"]),
        Route(f"{p}/schedule/{{job_id}}", g(api.delete), methods=["DELETE"]),
        Route(f"{p}/schedule/{{job_id}}/pause", g(api.pause), methods=["POST"]),
        Route(f"{p}/schedule/{{job_id}}/resume", g(api.resume), methods=["POST"]),
        Route(f"{p}/schedule/{{job_id}}/run", g(api.run), methods=["POST"]),
        Route(f"{p}/schedule/{{job_id}}/history", g(api.history), methods=["GET"]),
        Route(f"{p}/schedule/{{job_id}}/next_run", g(api.next_run), methods=["GET"]),
        Route(f"{p}/runs/{{run_id}}", g(api.get_run), methods=["GET"]),
        Route(f"{p}/runs/{{run_id}}/approve", g(api.approve), methods=["POST"]),
        Route(f"{p}/runs/{{run_id}}/deny", g(api.deny), methods=["POST"]),
        Route(f"{p}/audit", g(api.audit), methods=["GET"]),
        Route(f"{p}/health/scheduler", g(api.health), methods=["GET"]),
    ]
    return Starlette(routes=routes)


@dataclass
class ApiServer:
    """A running API server: its address and how to stop it."""

    host: str
    port: int
    _server: Any
    _task: asyncio.Task[None]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def close(self) -> None:
        self._server.should_exit = True
        await self._task


def _quiet_server_class() -> type[Any]:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """uvicorn's server without its signal handling: the runtime owns SIGINT/SIGTERM."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return QuietServer


async def serve_api(runtime: Runtime, *, token: str, host: str = "127.0.0.1", port: int = 8080) -> ApiServer:
    """Start the API on the running event loop (port 0 picks a free port)."""
    import uvicorn

    config = uvicorn.Config(
        create_app(runtime, token),
        host=host,
        port=port,
        lifespan="off",
        log_level="warning",
        access_log=False,
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
    logger.info("HTTP API listening on http://%s:%s%s", host, bound, API_PREFIX)
    return ApiServer(host, int(bound), server, task)
