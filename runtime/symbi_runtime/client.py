"""A small Python client for the symbi HTTP API, shaped like the spec's Python SDK example.

    from symbi_runtime.client import SymbiontClient

    client = SymbiontClient(base_url="http://localhost:8080", api_key=os.environ["SYMBI_API_KEY"])
    job = client.schedule.create(name="hourly-metrics", agent_id="metrics-agent", cron_expr="0 0 * * * *")
    client.schedule.run_now(job.id, input="Generate metrics report")
    print(client.schedule.health().status)

Responses come back as `ApiObject`s (attribute access over the JSON, plus `.data` for the dict). Run
objects also answer `error_message` and `execution_time_ms`, the names the spec's examples use. A
non-2xx answer raises `ApiError` with the server's message and the HTTP status.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

import httpx


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class ApiObject:
    """Read-only attribute access over a JSON object (nested objects are wrapped too)."""

    __slots__ = ("data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = dict(data)

    def __getattr__(self, name: str) -> Any:
        try:
            value = self.data[name]
        except KeyError:
            raise AttributeError(name) from None
        return ApiObject(value) if isinstance(value, Mapping) else value

    def __repr__(self) -> str:
        return f"ApiObject({self.data!r})"


def _wrap(value: Any) -> Any:
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, Mapping):
        return ApiObject(value)
    return value


class ScheduleApi:
    """`/api/v1/schedule…` and `/api/v1/health/scheduler`."""

    def __init__(self, client: SymbiontClient) -> None:
        self._c = client

    def create(self, **job: Any) -> ApiObject:
        result: ApiObject = self._c.request("POST", "/schedule", json=job)
        return result

    def list(self, *, status: str | None = None, agent_id: str | None = None) -> builtins.list[ApiObject]:
        params = {k: v for k, v in (("status", status), ("agent_id", agent_id)) if v is not None}
        result: builtins.list[ApiObject] = self._c.request("GET", "/schedule", params=params)
        return result

    def get(self, job_id: str) -> ApiObject:
        result: ApiObject = self._c.request("GET", f"/schedule/{job_id}")
        return result

    def get_status(self, job_id: str) -> ApiObject:
        return self.get(job_id)

    def update(self, job_id: str, **changes: Any) -> ApiObject:
        result: ApiObject = self._c.request("PUT", f"/schedule/{job_id}", json=changes)
        return result

    def delete(self, job_id: str) -> ApiObject:
        result: ApiObject = self._c.request("DELETE", f"/schedule/{job_id}")
        return result

    def pause(self, job_id: str) -> ApiObject:
        result: ApiObject = self._c.request("POST", f"/schedule/{job_id}/pause")
        return result

    def resume(self, job_id: str) -> ApiObject:
        result: ApiObject = self._c.request("POST", f"/schedule/{job_id}/resume")
        return result

    def run_now(self, job_id: str, *, input: str | None = None, force: bool = False) -> ApiObject:
        body: dict[str, Any] = {"force": force}
        if input is not None:
            body["input"] = input
        result: ApiObject = self._c.request("POST", f"/schedule/{job_id}/run", json=body)
        return result

    def get_history(
        self, job_id: str, *, status: str | None = None, limit: int = 50
    ) -> builtins.list[ApiObject]:
        params: dict[str, Any] = {"limit": limit}
        if status is not None:
            params["status"] = status
        result: builtins.list[ApiObject] = self._c.request(
            "GET", f"/schedule/{job_id}/history", params=params
        )
        return result

    def next_run(self, job_id: str) -> ApiObject:
        result: ApiObject = self._c.request("GET", f"/schedule/{job_id}/next_run")
        return result

    def approve(self, run_id: str, *, reason: str | None = None) -> ApiObject:
        result: ApiObject = self._c.request("POST", f"/runs/{run_id}/approve", json={"reason": reason})
        return result

    def deny(self, run_id: str, *, reason: str) -> ApiObject:
        result: ApiObject = self._c.request("POST", f"/runs/{run_id}/deny", json={"reason": reason})
        return result

    def health(self) -> ApiObject:
        result: ApiObject = self._c.request("GET", "/health/scheduler", params={"detail": "full"})
        return result


class SymbiontClient:
    """A synchronous client; `timeout` bounds each request (a manual run waits for the run to end)."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 300.0) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/api/v1",
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
        )
        self.schedule = ScheduleApi(self)

    def audit(
        self, *, type: str | None = None, job: str | None = None, since: str | None = None, limit: int = 200
    ) -> list[ApiObject]:
        params: dict[str, Any] = {"limit": limit}
        params.update({k: v for k, v in (("type", type), ("job", job), ("since", since)) if v is not None})
        result: list[ApiObject] = self.request("GET", "/audit", params=params)
        return result

    def request(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        response = self._http.request(method, path, json=json, params=params)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            message = body.get("error") if isinstance(body, dict) else None
            raise ApiError(response.status_code, message or response.reason_phrase)
        return _wrap(body)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SymbiontClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
