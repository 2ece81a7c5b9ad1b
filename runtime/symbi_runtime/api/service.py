"""What the routes do to a runtime: jobs checked like files, least-privilege rules, the actor.

Every job body (seed or upstream shape) is turned into Job IR JSON and checked by
`symbi_lang.json_jobs` (the `symbi check` rules, with the runtime's past-`at` rule), then by the API's
own rules: `${VAR}` only from `[api] allowed_variables`, webhook hosts only from
`[scheduler.delivery] allowed_hosts`, and no definition changes to jobs a `.symbi` file defines.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from symbi_lang import codes
from symbi_lang.interpolation import Reference, scan
from symbi_lang.ir import JobDefinition, SourceRef
from symbi_lang.json_jobs import FieldProblem, check_json_job
from symbi_runtime.api.auth import Caller
from symbi_runtime.api.errors import ApiProblem, ErrorCode
from symbi_runtime.api.settings import ApiSettings
from symbi_runtime.delivery.egress import API_SOURCE, host_allowed
from symbi_runtime.loading import tolerate_passed_times
from symbi_runtime.runtime import LoadError, Runtime
from symbi_runtime.store import (
    JobRecord,
    PermanentStoreError,
    RunRecord,
    StoreError,
    TransientStoreError,
)

logger = logging.getLogger("symbi_runtime.api")


@dataclass
class ApiState:
    """One runtime served over HTTP, with the API's settings."""

    runtime: Runtime
    settings: ApiSettings
    started: float = field(default_factory=time.monotonic)
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    # --- lookups -----------------------------------------------------------------------------------

    def job(self, key: str) -> JobRecord:
        job = self.runtime.store.get_job(key)
        if job is None:
            raise ApiProblem(ErrorCode.SCHEDULE_NOT_FOUND, f"no job {key!r}")
        return job

    def run(self, run_id: str) -> RunRecord:
        run = self.runtime.store.get_run(run_id)
        if run is None:
            raise ApiProblem(ErrorCode.RUN_NOT_FOUND, f"no run {run_id!r}")
        return run

    def now(self) -> datetime:
        return self.runtime.clock.now()

    # --- jobs ----------------------------------------------------------------------------------------

    def create(self, data: dict[str, Any], caller: Caller) -> tuple[JobRecord, list[FieldProblem]]:
        if self.runtime.store.get_job(str(data.get("name", ""))) is not None:
            raise ApiProblem(
                ErrorCode.SCHEDULE_EXISTS, f"a job named {data['name']!r} exists; use PUT to change it"
            )
        job, warnings = self.checked(data)
        return self.save(job, caller), warnings

    def update(
        self, record: JobRecord, changes: dict[str, Any], caller: Caller
    ) -> tuple[JobRecord, list[FieldProblem]]:
        refuse_if_from_file(record)
        if "name" in changes and changes["name"] != record.name:
            raise ApiProblem(
                ErrorCode.VALIDATION_ERROR,
                "a job cannot be renamed; create a new one and delete this one",
                [_detail("name", "a job cannot be renamed")],
            )
        merged = {**editable(record.definition), **changes}
        if changes.get("cron_expr") is not None:
            merged.pop("at", None)
        if changes.get("at") is not None:
            merged.pop("cron_expr", None)
            merged.pop("one_shot", None)  # an `at` job fires once by itself
        job, warnings = self.checked(merged)
        return self.save(job, caller), warnings

    def checked(self, data: dict[str, Any]) -> tuple[JobDefinition, list[FieldProblem]]:
        """`data` as a checked job made over the API, or ApiProblem naming every bad field."""
        settings, rt = self.settings, self.runtime
        outside = [
            (path, ref.name)
            for path, ref in references_in(data)
            if ref.name not in settings.allowed_variables
        ]
        if outside:
            refused = [
                _detail(path, f"${{{name}}} is not in [api] allowed_variables of {settings.source}")
                for path, name in outside
            ]
            names = sorted({f"${{{name}}}" for _, name in outside})
            raise ApiProblem(
                ErrorCode.VARIABLE_NOT_ALLOWED,
                f"jobs made over the API may not reference {', '.join(names)}",
                refused,
            )
        self._check_hosts(data)
        env = {k: v for k, v in rt.env.items() if k in settings.allowed_variables}
        ctx = replace(rt.check_context(), env=env, now=self.now())
        store = rt.store

        def adjust(diagnostics: Any, modules: Any) -> list[Any]:
            return tolerate_passed_times(diagnostics, modules, lambda name: store.get_job(name) is not None)

        result = check_json_job(data, ctx, adjust=adjust)
        agent = str(data.get("agent_id", ""))
        warnings = [
            w
            for w in result.warnings
            if not (w.code == codes.AGENT_NOT_DEFINED.code and rt.knows_agent(agent))
        ]
        if result.job is None:
            first = result.errors[0]
            raise ApiProblem(
                ErrorCode.INVALID_JOB,
                f"{first.field or 'job'}: {first.message}"
                + (" (and more)" if len(result.errors) > 1 else ""),
                [p.to_dict() for p in (*result.errors, *warnings)],
            )
        return replace(result.job, source=SourceRef(file=API_SOURCE)), warnings

    def _check_hosts(self, data: Mapping[str, Any]) -> None:
        url = data.get("webhook_url")
        if not isinstance(url, str):
            return
        allowed = self.runtime.config.delivery.allowed_hosts
        host = urlsplit(url).hostname or ""
        if not allowed:
            why = (
                "jobs made over the API may only deliver to hosts in [scheduler.delivery] allowed_hosts, "
                "and none are listed"
            )
        elif "${" in (urlsplit(url).netloc or url):
            why = "the webhook host must be written out (not a ${VAR}) so it can be checked"
        elif not host_allowed(host, allowed):
            why = f"host {host or '(none)'} is not in [scheduler.delivery] allowed_hosts"
        else:
            return
        raise ApiProblem(ErrorCode.HOST_NOT_ALLOWED, f"webhook_url: {why}", [_detail("webhook_url", why)])

    def save(self, job: JobDefinition, caller: Caller) -> JobRecord:
        try:
            return self.runtime.add_job(job, actor=caller.principal).record
        except LoadError as e:
            raise ApiProblem(ErrorCode.INVALID_JOB, str(e)) from None

    # --- actions -------------------------------------------------------------------------------------

    def set_status(self, record: JobRecord, status: str, caller: Caller) -> JobRecord:
        with conflicts():
            updated = self.runtime.store.set_job_status(
                record.id, status, now=self.now(), actor=caller.principal
            )
        self.runtime.scheduler.wake()
        return updated

    def delete(self, record: JobRecord, caller: Caller) -> None:
        refuse_if_from_file(record)
        self.runtime.store.remove_job(record.id, now=self.now(), actor=caller.principal)

    async def run_now(self, record: JobRecord, text: str | None, *, force: bool) -> RunRecord:
        with conflicts():
            return await self.runtime.run_job_now(record.id, text, force=force)

    def trigger(self, record: JobRecord) -> None:
        """Start a manual run without waiting for it (upstream's `/trigger`)."""

        async def run() -> None:
            try:
                await self.runtime.run_job_now(record.id, None, force=False)
            except Exception as e:  # recorded by the scheduler when it got that far; logged either way
                logger.warning("triggered run of %s did not start: %s", record.name, e)

        task = asyncio.get_running_loop().create_task(run())
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def decide(self, run_id: str, *, approve: bool, reason: str | None, caller: Caller) -> RunRecord:
        run = self.run(run_id)
        job = self.runtime.store.get_job(run.job_id)
        required = run.approver or (job.definition.policy.approver if job is not None else None)
        if required and required != caller.principal:
            raise ApiProblem(
                ErrorCode.FORBIDDEN,
                f"run {run.id} needs approval by {required!r}; this token is {caller.principal!r}",
            )
        with conflicts():
            decided = self.runtime.store.decide_approval(
                run.id, approve=approve, actor=caller.principal, reason=reason, now=self.now()
            )
        self.runtime.scheduler.wake()
        return decided


@contextmanager
def conflicts() -> Iterator[None]:
    """A store refusal (no such run, not awaiting approval) is a 409; a store that cannot answer is not
    the client's fault and goes to the app's 503/500 handlers."""
    try:
        yield
    except (TransientStoreError, PermanentStoreError):
        raise
    except StoreError as e:
        raise ApiProblem(ErrorCode.CONFLICT, str(e)) from None


def defined_in(job: JobDefinition) -> str | None:
    """The `.symbi` file a job comes from, or None (made over the API, `cron add --json`, in-process)."""
    file = job.source.file
    return file if file and not file.startswith("<") else None


def refuse_if_from_file(record: JobRecord) -> None:
    file = defined_in(record.definition)
    if file is not None:
        raise ApiProblem(
            ErrorCode.DEFINED_IN_FILE,
            f"job {record.name!r} is defined by {file}; change the file "
            "(over the API it can be paused, resumed and triggered)",
        )


def editable(job: JobDefinition) -> dict[str, Any]:
    """The stored definition as a body the API would accept (no derived or provenance keys)."""
    data = job.to_dict()
    for key in ("source", "agent"):
        data.pop(key, None)
    return {k: v for k, v in data.items() if v is not None}


def references_in(value: Any, path: str = "") -> Iterator[tuple[str, Reference]]:
    """Every `${VAR}` in the strings of a JSON value (keys included), with the field path."""
    if isinstance(value, str):
        for item in scan(value):
            if isinstance(item, Reference):
                yield path, item
    elif isinstance(value, Mapping):
        for key, sub in value.items():
            here = f"{path}.{key}" if path else str(key)
            yield from references_in(str(key), here)
            yield from references_in(sub, here)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from references_in(sub, f"{path}[{i}]")


def _detail(field_path: str, message: str, code: str = "VALIDATION_ERROR") -> dict[str, Any]:
    return {"field": field_path, "code": code, "severity": "error", "message": message, "help": None}
