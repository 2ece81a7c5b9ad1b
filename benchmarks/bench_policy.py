"""Benchmarks for the policy gate, AgentPin verification, audit writes and metrics (issue 4). Prints figures.

    python benchmarks/bench_policy.py [--n N]

1. `policy.evaluate` per run: no policy; environment + hours + capabilities; AgentPin with the trust
   source opened per evaluation (what happens when no resolver is passed) and with a shared resolver.
2. `verify_credential` alone against a cached discovery directory.
3. `audit.write` into a real SQLite store (one transaction per event).
4. `Metrics.run_finished` + `render()` with 100 jobs × 3 statuses.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from symbi_runtime.agentpin import DiscoveryDirectory, verify_credential
from symbi_runtime.audit import AuditEvent, SecurityEventType, write
from symbi_runtime.config import AgentPinSettings
from symbi_runtime.metrics import Metrics
from symbi_runtime.policy import PolicyContext, PolicyGate, evaluate
from symbi_runtime.store import SqliteStore

from symbi_lang.ir import AgentDefinition, AllowedHours, JobDefinition, Policy

NOW = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)
DOMAIN = "agents.example.com"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_issuer(directory: Path) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    n = key.public_key().public_numbers()
    jwk = {
        "kid": "k1",
        "kty": "EC",
        "crv": "P-256",
        "x": b64(n.x.to_bytes(32, "big")),
        "y": b64(n.y.to_bytes(32, "big")),
    }
    agents = [{"agent_id": f"agent-{i}", "status": "active", "capabilities": ["run:*"]} for i in range(50)]
    document = {"agentpin_version": "0.1", "entity": DOMAIN, "public_keys": [jwk], "agents": agents}
    (directory / f"{DOMAIN}.json").write_text(json.dumps(document))
    now = int(NOW.timestamp())
    claims = {
        "iss": DOMAIN,
        "sub": "agent-7",
        "iat": now,
        "exp": now + 3600,
        "jti": "j",
        "capabilities": ["run:x"],
    }
    header = {"alg": "ES256", "typ": "agentpin-credential+jwt", "kid": "k1"}
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    return signing_input + "." + b64(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))


def per_call_us(fn: Callable[[], object], n: int) -> float:
    """Median of 5 batches, microseconds per call."""
    fn()
    batches = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        batches.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(batches)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "discovery").mkdir()
        token = make_issuer(root / "discovery")
        settings = AgentPinSettings(domain=DOMAIN, discovery_dir=root / "discovery")
        env = {"PIN": token}

        plain = JobDefinition(name="j", agent_id="agent-7", cron_expr="0 * * * * *")
        gated = JobDefinition(
            name="j",
            agent_id="agent-7",
            cron_expr="0 * * * * *",
            timezone="Europe/Berlin",
            policy=Policy(
                allowed_environments=("production",),
                allowed_hours=AllowedHours("00:00", "06:00"),
                require_capabilities=("deploy",),
            ),
        )
        pinned = JobDefinition(name="j", agent_id="agent-7", cron_expr="0 * * * * *", agent_pin_jwt="${PIN}")
        agent = AgentDefinition(name="agent-7", capabilities=("deploy",))
        ctx = PolicyContext(environment="production", now=NOW, env=env, agentpin=settings)
        shared = PolicyContext(
            environment="production",
            now=NOW,
            env=env,
            agentpin=settings,
            resolver=DiscoveryDirectory(root / "discovery"),
        )
        assert evaluate(pinned, agent, ctx)[0].__class__.__name__ == "Allow"
        assert evaluate(gated, agent, ctx)[0].__class__.__name__ == "Allow"

        gate = PolicyGate()
        show("policy.evaluate, no policy", per_call_us(lambda: evaluate(plain, agent, ctx), n))
        show(
            "policy.evaluate, env + hours (tz) + capabilities",
            per_call_us(lambda: evaluate(gated, agent, ctx), n),
        )
        show(
            "policy.evaluate, AgentPin, trust source per call",
            per_call_us(lambda: evaluate(pinned, agent, ctx), n // 4),
        )
        show(
            "policy.evaluate, AgentPin, shared resolver",
            per_call_us(lambda: evaluate(pinned, agent, shared), n),
        )
        show("PolicyGate(), AgentPin (trust source cached)", per_call_us(lambda: gate(pinned, agent, ctx), n))
        resolver = DiscoveryDirectory(root / "discovery")

        def verify() -> object:
            return verify_credential(
                token, resolver=resolver, now=NOW, expected_agent="agent-7", expected_domain=DOMAIN
            )

        show("verify_credential, cached discovery directory", per_call_us(verify, n))

        store = SqliteStore.open(root / "audit.db")
        event = AuditEvent(SecurityEventType.CRON_JOB_FAILED, details={"reason": "boom", "code": "x"})
        show(
            "audit.write (one SQLite transaction each)", per_call_us(lambda: write(store, event, NOW), n // 4)
        )
        store.close()

        metrics = Metrics()
        for i in range(100):
            for status in ("succeeded", "failed", "denied"):
                metrics.run_finished(f"job-{i}", status, 0.5)
        show("Metrics.run_finished", per_call_us(lambda: metrics.run_finished("job-1", "succeeded", 0.2), n))
        size = len(metrics.render())
        show(f"Metrics.render, 100 jobs x 3 statuses ({size} bytes)", per_call_us(metrics.render, 50))


def show(label: str, microseconds: float) -> None:
    print(f"{label + ':':<62}{microseconds:10.1f} µs")


if __name__ == "__main__":
    main()
