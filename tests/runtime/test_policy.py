"""The policy gate: each check, their order, and AgentPin identity with real ES256 credentials."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st
from symbi_runtime.agentpin import DiscoveryDirectory
from symbi_runtime.audit import SecurityEventType
from symbi_runtime.config import AgentPinSettings
from symbi_runtime.policy import (
    Allow,
    Deny,
    PolicyContext,
    PolicyGate,
    RequiresApproval,
    evaluate,
    parse_clock,
    within,
)

from symbi_lang.ir import AgentDefinition, AllowedHours, JobDefinition, Policy

NOW = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)  # a Monday, 02:30 UTC
DOMAIN = "agents.example.com"
AGENT = "deploy-agent"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    """An AgentPin issuer domain with one P-256 key, published as an offline discovery directory."""

    def __init__(self, directory: Path, capabilities: list[str] | None = None) -> None:
        self.directory = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.key.public_key().public_numbers()
        jwk = {
            "kid": "k1",
            "kty": "EC",
            "crv": "P-256",
            "x": b64(numbers.x.to_bytes(32, "big")),
            "y": b64(numbers.y.to_bytes(32, "big")),
            "use": "sig",
        }
        self.document: dict[str, Any] = {
            "agentpin_version": "0.1",
            "entity": DOMAIN,
            "entity_type": "maker",
            "public_keys": [jwk],
            "agents": [
                {
                    "agent_id": AGENT,
                    "name": "Deployer",
                    "status": "active",
                    "capabilities": capabilities or ["deploy:*", "read:*", "write:*"],
                }
            ],
            "max_delegation_depth": 1,
            "updated_at": "2026-01-01T00:00:00Z",
        }
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"{DOMAIN}.json").write_text(json.dumps(self.document))

    def token(self, *, issued: datetime = NOW, **claims: Any) -> str:
        now = int(issued.timestamp())
        body: dict[str, Any] = {
            "iss": DOMAIN,
            "sub": AGENT,
            "aud": "symbi",
            "iat": now - 60,
            "nbf": now - 60,
            "exp": now + 3600,
            "jti": "cred-42",
            "capabilities": ["deploy:production", "read:*"],
        }
        body.update(claims)
        header = {"alg": "ES256", "typ": "agentpin-credential+jwt", "kid": "k1"}
        signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(body).encode())
        signature = self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        return signing_input + "." + b64(signature)


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    return Issuer(tmp_path / "discovery")


def job_with(**policy: Any) -> JobDefinition:
    extra = {k: policy.pop(k) for k in ("agent_pin_jwt", "timezone", "agent") if k in policy}
    return JobDefinition(
        name="production-deploy", agent_id=AGENT, cron_expr="0 0 0 * * 0", policy=Policy(**policy), **extra
    )


def ctx(**changes: Any) -> PolicyContext:
    return replace(PolicyContext(environment="production", now=NOW), **changes)


def pin_ctx(
    issuer: Issuer, token: str | None = None, *, agentpin: AgentPinSettings | None = None, **changes: Any
) -> PolicyContext:
    settings = agentpin or AgentPinSettings(domain=DOMAIN, discovery_dir=issuer.directory)
    env = {"AGENT_PIN_JWT": token} if token is not None else {}
    return ctx(agentpin=settings, env=env, job_id="job-1", run_id="run-1", **changes)


def test_a_job_without_policy_is_allowed() -> None:
    assert evaluate(job_with(), None, ctx()) == (Allow(), [])


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(job_with(), None, ctx(now=datetime(2026, 1, 1)))


# --- AgentPin ------------------------------------------------------------------------------------------


def test_a_valid_credential_from_the_environment_is_allowed(issuer: Issuer) -> None:
    job = job_with(require_agent_pin=True, agent_pin_jwt="${AGENT_PIN_JWT}")
    assert evaluate(job, None, pin_ctx(issuer, issuer.token())) == (Allow(), [])


def test_a_credential_for_another_agent_is_denied_and_audited_without_the_token(issuer: Issuer) -> None:
    token = issuer.token(sub="other-agent", jti="cred-77")
    job = job_with(require_agent_pin=True, agent_pin_jwt="${AGENT_PIN_JWT}")

    decision, events = evaluate(job, None, pin_ctx(issuer, token))

    assert decision == Deny(
        "identity: agent_mismatch: credential is for agent 'other-agent', expected 'deploy-agent'"
    )
    [event] = events
    assert event.type is SecurityEventType.AGENT_PIN_VERIFICATION_FAILED
    assert (event.job_id, event.run_id, event.actor) == ("job-1", "run-1", "policy")
    assert {k: event.details[k] for k in ("code", "iss", "sub", "kid", "jti")} == {
        "code": "agent_mismatch",
        "iss": DOMAIN,
        "sub": "other-agent",
        "kid": "k1",
        "jti": "cred-77",
    }
    assert token not in repr(events) and token.split(".")[2] not in repr(events)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iat": int(NOW.timestamp()) - 7200, "exp": int(NOW.timestamp()) - 120}, "identity: expired:"),
        ({"iss": "evil.example.net"}, "identity: issuer_mismatch:"),
        ({"aud": "someone-else"}, None),  # no audience configured: not checked
    ],
)
def test_claims_are_checked_against_the_configuration(
    issuer: Issuer, claims: dict[str, Any], reason: str | None
) -> None:
    job = job_with(agent_pin_jwt="${AGENT_PIN_JWT}")
    decision, events = evaluate(job, None, pin_ctx(issuer, issuer.token(**claims)))
    if reason is None:
        assert decision == Allow() and events == []
    else:
        assert isinstance(decision, Deny) and decision.reason.startswith(reason)
        assert len(events) == 1


def test_the_configured_audience_must_be_in_the_credential(issuer: Issuer) -> None:
    job = job_with(agent_pin_jwt="${AGENT_PIN_JWT}")
    settings = AgentPinSettings(domain=DOMAIN, discovery_dir=issuer.directory, audience="scheduler-7")
    decision, _ = evaluate(job, None, pin_ctx(issuer, issuer.token(), agentpin=settings))
    assert decision == Deny("identity: audience_mismatch: credential audience does not include 'scheduler-7'")


def test_an_unset_credential_variable_is_denied(issuer: Issuer) -> None:
    job = job_with(require_agent_pin=True, agent_pin_jwt="${AGENT_PIN_JWT}")
    decision, [event] = evaluate(job, None, pin_ctx(issuer))
    assert decision == Deny(
        "identity: unresolved_variable: agent_pin_jwt: environment variable AGENT_PIN_JWT is not set"
    )
    assert event.details["code"] == "unresolved_variable" and event.details["sub"] is None


def test_require_agent_pin_without_a_credential_is_denied(issuer: Issuer) -> None:
    decision, [event] = evaluate(job_with(require_agent_pin=True), None, pin_ctx(issuer))
    assert decision == Deny(
        "identity: missing_credential: schedule 'production-deploy' requires an AgentPin credential"
        " but has no agent_pin_jwt"
    )
    assert event.details["code"] == "missing_credential"


def test_the_global_requirement_applies_to_every_job(issuer: Issuer) -> None:
    settings = AgentPinSettings(domain=DOMAIN, discovery_dir=issuer.directory, required=True)
    decision, _ = evaluate(job_with(), None, pin_ctx(issuer, agentpin=settings))
    assert isinstance(decision, Deny) and decision.reason.startswith("identity: missing_credential:")


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        (None, "identity: not_configured: no expected AgentPin domain"),
        (AgentPinSettings(domain=DOMAIN), "identity: not_configured: no AgentPin trust source"),
        (
            AgentPinSettings(domain=DOMAIN, discovery_dir=Path("/nonexistent/discovery")),
            "identity: not_configured: discovery directory /nonexistent/discovery does not exist",
        ),
    ],
)
def test_verification_fails_closed_when_not_configured(
    issuer: Issuer, settings: AgentPinSettings | None, reason: str
) -> None:
    job = job_with(agent_pin_jwt="${AGENT_PIN_JWT}")
    decision, [event] = evaluate(job, None, ctx(agentpin=settings, env={"AGENT_PIN_JWT": issuer.token()}))
    assert isinstance(decision, Deny) and decision.reason.startswith(reason)
    assert event.details["code"] == "not_configured"


def test_a_trust_bundle_works_like_a_discovery_directory(issuer: Issuer, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"documents": [issuer.document], "revocations": []}))
    settings = AgentPinSettings(domain=DOMAIN, trust_bundle=bundle)
    job = job_with(agent_pin_jwt="${AGENT_PIN_JWT}")
    assert evaluate(job, None, ctx(agentpin=settings, env={"AGENT_PIN_JWT": issuer.token()}))[0] == Allow()


def test_a_revoked_credential_is_denied(issuer: Issuer) -> None:
    (issuer.directory / f"{DOMAIN}.revocations.json").write_text(
        json.dumps(
            {
                "agentpin_version": "0.1",
                "entity": DOMAIN,
                "updated_at": "2026-02-01T00:00:00Z",
                "revoked_credentials": [{"jti": "cred-42", "revoked_at": "2026-02-01T00:00:00Z"}],
                "revoked_agents": [],
                "revoked_keys": [],
            }
        )
    )
    job = job_with(agent_pin_jwt="${AGENT_PIN_JWT}")
    decision, [event] = evaluate(job, None, pin_ctx(issuer, issuer.token()))
    assert isinstance(decision, Deny) and decision.reason.startswith("identity: credential_revoked:")
    assert event.details["jti"] == "cred-42"


def test_a_shared_resolver_is_used_when_given(issuer: Issuer) -> None:
    job = job_with(agent_pin_jwt="${AGENT_PIN_JWT}")
    # The settings point nowhere; the resolver passed in is what counts.
    settings = AgentPinSettings(domain=DOMAIN, discovery_dir=Path("/nonexistent"))
    context = ctx(agentpin=settings, resolver=DiscoveryDirectory(issuer.directory))
    context = replace(context, env={"AGENT_PIN_JWT": issuer.token()})
    assert evaluate(job, None, context)[0] == Allow()


# --- environments --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ("production", Allow()),
        ("staging", Allow()),
        ("dev", Deny("environment: 'dev' is not one of the allowed environments (staging, production)")),
        (
            None,
            Deny(
                "environment: the runtime environment is not set"
                " (SYMBI_ENVIRONMENT or [scheduler] environment);"
                " this schedule runs only in: staging, production"
            ),
        ),
    ],
)
def test_allowed_environments(environment: str | None, expected: Any) -> None:
    job = job_with(allowed_environments=("staging", "production"))
    assert evaluate(job, None, ctx(environment=environment))[0] == expected


# --- hours ---------------------------------------------------------------------------------------------


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2026, 3, 2, hh, mm, ss, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "now", "allowed"),
    [
        ("00:00", "04:00", at(0, 0), True),
        ("00:00", "04:00", at(3, 59, 59), True),
        ("00:00", "04:00", at(4, 0), False),  # end exclusive
        ("00:00", "04:00", at(23, 59), False),
        ("22:00", "02:00", at(23, 30), True),  # across midnight
        ("22:00", "02:00", at(1, 59), True),
        ("22:00", "02:00", at(2, 0), False),
        ("22:00", "02:00", at(12, 0), False),
        ("18:00", "24:00", at(23, 59, 59), True),
        ("18:00", "24:00", at(0, 0), False),
        ("09:00", "09:00", at(3, 0), True),  # equal bounds: all day
    ],
)
def test_allowed_hours_in_utc(start: str, end: str, now: datetime, allowed: bool) -> None:
    decision, _ = evaluate(job_with(allowed_hours=AllowedHours(start, end)), None, ctx(now=now))
    assert (decision == Allow()) is allowed
    if not allowed:
        assert decision == Deny(
            f"allowed_hours: {now:%H:%M} UTC is outside the window {start}–{end} (end exclusive)"
        )


def test_allowed_hours_follow_the_schedules_timezone() -> None:
    # 2026-03-02 is before the US switch to DST: New York is UTC-5.
    job = job_with(allowed_hours=AllowedHours("09:00", "17:00"), timezone="America/New_York")
    assert evaluate(job, None, ctx(now=at(14, 0)))[0] == Allow()
    assert evaluate(job, None, ctx(now=at(13, 59)))[0] == Deny(
        "allowed_hours: 08:59 America/New_York is outside the window 09:00–17:00 (end exclusive)"
    )
    # After the switch (2026-03-08) the same UTC instant is 10:00 local.
    assert evaluate(job, None, ctx(now=at(14, 0) + timedelta(days=7)))[0] == Allow()
    assert evaluate(job, None, ctx(now=at(21, 0) + timedelta(days=7)))[0] == Deny(
        "allowed_hours: 17:00 America/New_York is outside the window 09:00–17:00 (end exclusive)"
    )


@pytest.mark.parametrize(
    ("hours", "timezone", "reason"),
    [
        (AllowedHours("9am", "17:00"), "UTC", "allowed_hours: '9am' is not a time of day (HH:MM)"),
        (
            AllowedHours("25:00", "17:00"),
            "UTC",
            "allowed_hours: '25:00' is not a time of day (00:00 to 23:59)",
        ),
        (
            AllowedHours("24:00", "17:00"),
            "UTC",
            "allowed_hours: '24:00' is not a time of day (00:00 to 23:59)",
        ),
        (AllowedHours("09:00", "17:00"), "Mars/Olympus", "allowed_hours: unknown timezone 'Mars/Olympus'"),
    ],
)
def test_unusable_windows_deny_with_a_reason(hours: AllowedHours, timezone: str, reason: str) -> None:
    assert evaluate(job_with(allowed_hours=hours, timezone=timezone), None, ctx())[0] == Deny(reason)


times = st.times().map(lambda t: t.replace(microsecond=0))


@given(moment=times, start=times, end=times)
def test_a_window_across_midnight_is_the_complement_of_the_reverse_window(
    moment: time, start: time, end: time
) -> None:
    if start != end:
        assert within(moment, start, end) != within(moment, end, start)


def test_parse_clock_accepts_seconds_and_end_of_day() -> None:
    assert parse_clock("07:05:09", end=False) == time(7, 5, 9)
    assert parse_clock("24:00", end=True) is None


# --- capabilities --------------------------------------------------------------------------------------


def agent(*capabilities: str) -> AgentDefinition:
    return AgentDefinition(name=AGENT, capabilities=capabilities)


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        (("deployment", "production_write"), Allow()),
        (("deployment",), Deny("capabilities: agent 'deploy-agent' does not declare production_write")),
        ((), Deny("capabilities: agent 'deploy-agent' does not declare deployment, production_write")),
    ],
)
def test_required_capabilities_must_be_declared(declared: tuple[str, ...], expected: Any) -> None:
    job = job_with(require_capabilities=("deployment", "production_write"))
    assert evaluate(job, agent(*declared), ctx())[0] == expected


def test_wildcards_and_the_jobs_own_agent_definition_count() -> None:
    job = job_with(require_capabilities=("read:reports.daily",), agent=agent("read:*"))
    assert evaluate(job, None, ctx())[0] == Allow()
    undefined = job_with(require_capabilities=("read:x",))
    assert evaluate(undefined, None, ctx())[0] == Deny(
        "capabilities: agent 'deploy-agent' (no definition) does not declare read:x"
    )


# --- approval and order --------------------------------------------------------------------------------


def test_approval_is_requested_then_satisfied_once_approved() -> None:
    job = replace(job_with(require_approval=True), policy=Policy(require_approval=True, approver="ops-lead"))
    assert evaluate(job, None, ctx())[0] == RequiresApproval(
        approver="ops-lead",
        reason="schedule 'production-deploy' requires approval by ops-lead before each run",
        policy_id="production-deploy/require_approval",
    )
    assert evaluate(job, None, ctx(approved=True))[0] == Allow()


def test_the_first_failing_check_in_order_wins(issuer: Issuer) -> None:
    everything = dict(
        require_approval=True,
        require_capabilities=("deployment",),
        allowed_hours=AllowedHours("10:00", "11:00"),
        allowed_environments=("production",),
        require_agent_pin=True,
        agent_pin_jwt="${AGENT_PIN_JWT}",
    )
    good = pin_ctx(issuer, issuer.token(issued=at(10, 30)), now=at(10, 30))
    bad_pin = replace(good, env={"AGENT_PIN_JWT": issuer.token(issued=at(10, 30), sub="intruder")})
    declared = agent("deployment")

    def reason(context: PolicyContext, who: AgentDefinition | None = declared) -> str:
        decision, _ = evaluate(job_with(**everything), who, context)
        return decision.reason if not isinstance(decision, Allow) else "allow"

    wrong_everything = replace(bad_pin, environment="dev", now=at(11, 15))
    assert reason(wrong_everything, None).startswith("identity:")
    assert reason(replace(good, environment="dev", now=at(11, 15)), None).startswith("environment:")
    assert reason(replace(good, now=at(11, 15)), None).startswith("allowed_hours:")
    assert reason(good, None).startswith("capabilities:")
    assert reason(good).startswith("schedule 'production-deploy' requires approval")
    assert reason(replace(good, approved=True)) == "allow"


# --- PolicyGate: the trust source opened once ------------------------------------------------------


def test_the_gate_reuses_its_trust_source_and_sees_new_revocations(issuer: Issuer) -> None:
    gate = PolicyGate()
    job = job_with(agent_pin_jwt="${AGENT_PIN_JWT}")
    context = pin_ctx(issuer, issuer.token())
    assert gate(job, None, context) == (Allow(), [])
    [(_, first)] = gate._sources.values()
    (issuer.directory / f"{DOMAIN}.revocations.json").write_text(
        json.dumps({"entity": DOMAIN, "revoked_credentials": [{"jti": "cred-42"}]})
    )
    decision, _ = gate(job, None, context)
    assert isinstance(decision, Deny) and decision.reason.startswith("identity: credential_revoked:")
    [(_, second)] = gate._sources.values()
    assert second is first


def test_the_gate_reloads_a_changed_trust_bundle(issuer: Issuer, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"documents": [issuer.document]}))
    gate = PolicyGate()
    job = job_with(agent_pin_jwt="${AGENT_PIN_JWT}")
    context = ctx(
        agentpin=AgentPinSettings(domain=DOMAIN, trust_bundle=bundle), env={"AGENT_PIN_JWT": issuer.token()}
    )
    assert gate(job, None, context)[0] == Allow()
    suspended = dict(issuer.document, agents=[dict(issuer.document["agents"][0], status="suspended")])
    bundle.write_text(json.dumps({"documents": [suspended], "revocations": []}))
    decision, _ = gate(job, None, context)
    assert isinstance(decision, Deny) and decision.reason.startswith("identity: agent_inactive:")


def test_the_gate_reports_a_missing_trust_source_like_evaluate(issuer: Issuer) -> None:
    gate = PolicyGate()
    settings = AgentPinSettings(domain=DOMAIN, discovery_dir=Path("/nonexistent/discovery"))
    decision, [event] = gate(job_with(agent_pin_jwt="x.y.z"), None, ctx(agentpin=settings))
    assert isinstance(decision, Deny) and decision.reason.startswith("identity: not_configured: discovery")
    assert event.details["code"] == "not_configured" and gate._sources == {}
