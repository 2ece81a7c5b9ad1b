"""The policy gate inside the real run pipeline: a Runtime on a fake clock and a real SQLite file.

Denials are recorded `denied` with their reason, approvals park runs until decided (approve → executed
with the original input, deny → `denied`, no decision → `missed`), and an AgentPin failure denies the
run with an `identity: …` reason and an `AgentPinVerificationFailed` audit event without the token.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from symbi_runtime.agents import AgentCall
from symbi_runtime.clock import FakeClock
from symbi_runtime.config import AgentPinSettings, Config, SchedulerConfig
from symbi_runtime.runtime import Runtime
from symbi_runtime.store import RunRecord

from symbi_lang.ir import AgentDefinition, AllowedHours, JobDefinition, Policy

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
DOMAIN = "agents.example.com"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    """An AgentPin issuer with one P-256 key, published as a discovery directory."""

    def __init__(self, directory: Path, agents: list[str]) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        n = self.key.public_key().public_numbers()
        jwk = {
            "kid": "key-2026",
            "kty": "EC",
            "crv": "P-256",
            "x": b64(n.x.to_bytes(32, "big")),
            "y": b64(n.y.to_bytes(32, "big")),
        }
        declared = [{"agent_id": a, "name": a, "status": "active", "capabilities": ["run:*"]} for a in agents]
        document = {
            "agentpin_version": "0.1",
            "entity": DOMAIN,
            "entity_type": "maker",
            "public_keys": [jwk],
            "agents": declared,
            "max_delegation_depth": 1,
            "updated_at": "2026-01-01T00:00:00Z",
        }
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"{DOMAIN}.json").write_text(json.dumps(document))
        self.directory = directory

    def token(self, sub: str, jti: str = "cred-0001") -> str:
        now = int(T0.timestamp())
        claims = {"iss": DOMAIN, "sub": sub, "aud": "symbi", "iat": now - 60, "exp": now + 7200, "jti": jti}
        claims["capabilities"] = ["run:jobs"]
        header = {"alg": "ES256", "typ": "agentpin-credential+jwt", "kid": "key-2026"}
        signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
        return signing_input + "." + b64(self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))


class Harness:
    """A Runtime on a fake clock with an `echo` agent that records its calls."""

    def __init__(self, db_path: Path, clock: FakeClock, config: Config, env: dict[str, str]) -> None:
        self.clock = clock
        self.rt = Runtime(config, db_path=db_path, clock=clock, env=env, rng=random.Random(3))
        self.rt.open()
        self.calls: list[AgentCall] = []
        self.task: asyncio.Task[None] | None = None

        async def echo(call: AgentCall) -> str:
            self.calls.append(call)
            return f"echo: {call.input}"

        self.rt.register_agent("echo", echo)

    def start(self) -> None:
        self.task = asyncio.create_task(self.rt.run())

    async def settle(self) -> None:
        scheduler = self.rt.scheduler
        scheduler.wake()
        now = self.clock.now()
        await scheduler.wait_until(
            lambda: scheduler.last_tick_at is not None and scheduler.last_tick_at >= now
        )

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.settle()

    async def wait_for_status(self, run_id: str, status: str) -> RunRecord:
        def reached() -> bool:
            run = self.rt.store.get_run(run_id)
            return run is not None and run.status == status

        await self.rt.scheduler.wait_until(reached, 10)
        run = self.rt.store.get_run(run_id)
        assert run is not None
        return run

    def runs(self, job: str) -> list[RunRecord]:
        return list(reversed(self.rt.store.list_runs(job=job, limit=1000)))

    async def close(self) -> None:
        if self.task is not None and not self.task.done():
            self.rt.stop()
            await self.task
        self.rt.close()


MakeHarness = Callable[..., Harness]


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[MakeHarness]:
    made: list[Harness] = []

    def make(config: Config | None = None, env: dict[str, str] | None = None) -> Harness:
        h = Harness(tmp_path / "symbi.db", FakeClock(T0), config or Config(), env or {})
        made.append(h)
        return h

    yield make
    for h in made:
        await h.close()


def echo_job(name: str = "deploy", **changes: Any) -> JobDefinition:
    fields: dict[str, Any] = {
        "name": name,
        "agent_id": "echo",
        "cron_expr": "0 * * * * *",
        "input": "ship v2",
    }
    fields.update(changes)
    return JobDefinition(**fields)


# --- deny ----------------------------------------------------------------------------------------------


async def test_a_denied_run_is_recorded_with_its_reason_and_never_executes(harness: MakeHarness) -> None:
    h = harness(Config(scheduler=SchedulerConfig(environment="staging")))
    h.rt.add_job(echo_job(policy=Policy(allowed_environments=("production",))))

    run = await h.rt.run_job_now("deploy")

    reason = "environment: 'staging' is not one of the allowed environments (production)"
    assert (run.status, run.error, run.output) == ("denied", reason, None)
    assert h.calls == []
    [event] = h.rt.store.list_audit(event_type="CronJobDenied")
    assert (event.run_id, event.job_name, event.details["reason"]) == (run.id, "deploy", reason)
    job = h.rt.store.get_job("deploy")
    assert job is not None and job.last_status == "denied" and job.consecutive_failures == 0


async def test_a_scheduled_fire_outside_allowed_hours_is_denied(harness: MakeHarness) -> None:
    h = harness()
    # 12:01 UTC is 07:01 in New York: outside 09:00–17:00 local.
    h.rt.add_job(
        echo_job(timezone="America/New_York", policy=Policy(allowed_hours=AllowedHours("09:00", "17:00")))
    )
    h.start()
    await h.advance(60)
    await h.rt.scheduler.wait_until(lambda: [r.status for r in h.runs("deploy")] == ["denied"])
    [run] = h.runs("deploy")
    assert run.error == (
        "allowed_hours: 07:01 America/New_York is outside the window 09:00–17:00 (end exclusive)"
    )
    assert run.scheduled_for == T0 + timedelta(minutes=1) and run.trigger == "schedule"


async def test_required_capabilities_are_checked_against_the_loaded_agent_definition(
    harness: MakeHarness,
) -> None:
    h = harness()
    agent = AgentDefinition(name="echo", capabilities=("deployment",))
    h.rt.add_job(
        echo_job(agent=agent, policy=Policy(require_capabilities=("deployment", "production_write")))
    )
    run = await h.rt.run_job_now("deploy")
    assert (run.status, run.error) == (
        "denied",
        "capabilities: agent 'echo' does not declare production_write",
    )


# --- approval ------------------------------------------------------------------------------------------


def approval_job() -> JobDefinition:
    return echo_job(policy=Policy(require_approval=True, approver="ops-lead"))


async def test_an_approved_run_executes_with_its_original_input(harness: MakeHarness) -> None:
    h = harness(Config(scheduler=SchedulerConfig(approval_timeout_seconds=600)))
    h.rt.add_job(approval_job())
    h.start()

    parked = await h.rt.run_job_now("deploy", input="release 7")

    assert (parked.status, parked.approver) == ("awaiting_approval", "ops-lead")
    assert parked.expires_at == T0 + timedelta(seconds=600)
    assert (
        parked.detail["approval_reason"] == "schedule 'deploy' requires approval by ops-lead before each run"
    )
    assert h.calls == []
    requested = h.rt.store.list_audit(event_type="CronJobApprovalRequested")
    assert [e.run_id for e in requested] == [parked.id]

    h.clock.advance(30)
    h.rt.store.decide_approval(parked.id, approve=True, actor="cli:alice", reason="go", now=h.clock.now())
    await h.settle()
    done = await h.wait_for_status(parked.id, "succeeded")

    assert done.output == "echo: release 7" and [c.input for c in h.calls] == ["release 7"]
    assert (done.decision, done.decision_reason, done.approver) == ("approved", "go", "cli:alice")
    assert [e.actor for e in h.rt.store.list_audit(event_type="CronJobApproved")] == ["cli:alice"]


async def test_a_denied_approval_never_executes(harness: MakeHarness) -> None:
    h = harness()
    h.rt.add_job(approval_job())
    h.start()
    parked = await h.rt.run_job_now("deploy")
    denied = h.rt.store.decide_approval(parked.id, approve=False, actor="cli:bob", reason="not today", now=T0)
    await h.settle()
    assert (denied.status, denied.decision, denied.decision_reason) == ("denied", "denied", "not today")
    assert h.calls == []
    [event] = h.rt.store.list_audit(event_type="CronJobApprovalDenied")
    assert (event.actor, event.details) == ("cli:bob", {"reason": "not today"})


async def test_an_undecided_approval_expires_as_missed(harness: MakeHarness) -> None:
    h = harness(Config(scheduler=SchedulerConfig(approval_timeout_seconds=300)))
    h.rt.add_job(approval_job())
    h.start()
    parked = await h.rt.run_job_now("deploy")
    h.rt.store.set_job_status("deploy", "paused", now=T0)  # no new fires while time passes
    await h.advance(299)
    assert h.rt.store.get_run(parked.id).status == "awaiting_approval"  # type: ignore[union-attr]
    await h.advance(1)
    missed = await h.wait_for_status(parked.id, "missed")
    assert missed.error == "approval not given before it expired"
    assert h.calls == []
    with pytest.raises(Exception, match="not awaiting approval"):
        h.rt.store.decide_approval(parked.id, approve=True, actor="late", reason=None, now=h.clock.now())


# --- AgentPin ------------------------------------------------------------------------------------------


def pinned_config(directory: Path) -> Config:
    return Config(agentpin=AgentPinSettings(domain=DOMAIN, discovery_dir=directory, audience="symbi"))


async def test_a_valid_credential_lets_the_run_execute(harness: MakeHarness, tmp_path: Path) -> None:
    issuer = Issuer(tmp_path / "discovery", ["echo"])
    h = harness(pinned_config(issuer.directory), {"AGENT_PIN_JWT": issuer.token("echo")})
    h.rt.add_job(echo_job(agent_pin_jwt="${AGENT_PIN_JWT}", policy=Policy(require_agent_pin=True)))
    run = await h.rt.run_job_now("deploy")
    assert (run.status, run.output) == ("succeeded", "echo: ship v2")
    assert h.rt.store.list_audit(event_type="AgentPinVerificationFailed") == []


async def test_an_agentpin_failure_denies_the_run_and_audits_without_the_token(
    harness: MakeHarness, tmp_path: Path
) -> None:
    issuer = Issuer(tmp_path / "discovery", ["echo", "impostor"])
    token = issuer.token("impostor", jti="cred-9999")
    h = harness(pinned_config(issuer.directory), {"AGENT_PIN_JWT": token})
    h.rt.add_job(echo_job(agent_pin_jwt="${AGENT_PIN_JWT}", policy=Policy(require_agent_pin=True)))

    run = await h.rt.run_job_now("deploy")

    assert run.status == "denied" and h.calls == []
    assert run.error == "identity: agent_mismatch: credential is for agent 'impostor', expected 'echo'"
    [event] = h.rt.store.list_audit(event_type="AgentPinVerificationFailed")
    assert {k: event.details[k] for k in ("code", "iss", "sub", "kid", "jti")} == {
        "code": "agent_mismatch",
        "iss": DOMAIN,
        "sub": "impostor",
        "kid": "key-2026",
        "jti": "cred-9999",
    }
    assert event.job_name == "deploy" and event.run_id == run.id
    everything = repr(h.rt.store.list_audit(limit=1000)) + repr(h.rt.store.list_runs(limit=1000))
    assert token not in everything and token.split(".")[2] not in everything


async def test_an_unset_credential_variable_is_an_identity_denial(
    harness: MakeHarness, tmp_path: Path
) -> None:
    issuer = Issuer(tmp_path / "discovery", ["echo"])
    h = harness(pinned_config(issuer.directory), {})
    h.rt.add_job(echo_job(agent_pin_jwt="${AGENT_PIN_JWT}"))
    run = await h.rt.run_job_now("deploy")
    assert run.status == "denied"
    assert (
        run.error
        == "identity: unresolved_variable: agent_pin_jwt: environment variable AGENT_PIN_JWT is not set"
    )
    [event] = h.rt.store.list_audit(event_type="AgentPinVerificationFailed")
    assert event.details["code"] == "unresolved_variable"
