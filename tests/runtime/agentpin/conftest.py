"""Fixtures for AgentPin tests: an issuer with a fresh P-256 key, its discovery directory, and a token
builder that can produce every malformed variant the verifier must reject."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from symbi_runtime.agentpin import DiscoveryDirectory

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
NOW_TS = int(NOW.timestamp())
DOMAIN = "example.com"
AGENT = "urn:agentpin:example.com:reporter"
KID = "example-2026-01"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey, kid: str) -> dict[str, Any]:
    pub = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    n = pub.public_numbers()
    size = (pub.curve.key_size + 7) // 8
    crv = {"secp256r1": "P-256", "secp384r1": "P-384"}[pub.curve.name]
    return {
        "kid": kid,
        "kty": "EC",
        "crv": crv,
        "x": b64(n.x.to_bytes(size, "big")),
        "y": b64(n.y.to_bytes(size, "big")),
        "use": "sig",
        "key_ops": ["verify"],
    }


def default_claims() -> dict[str, Any]:
    return {
        "iss": DOMAIN,
        "sub": AGENT,
        "aud": "scheduler.example.org",
        "iat": NOW_TS - 60,
        "exp": NOW_TS + 3600,
        "nbf": NOW_TS - 60,
        "jti": "cred-0001",
        "agentpin_version": "0.1",
        "capabilities": ["read:reports", "write:reports.daily"],
    }


@dataclass
class Issuer:
    """One issuer domain with one signing key, written as a discovery directory under `directory`."""

    directory: Path
    now: datetime = NOW
    now_ts: int = NOW_TS
    agent: str = AGENT
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    domain: str = DOMAIN
    kid: str = KID
    agents: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "agent_id": AGENT,
                "name": "Reporter",
                "status": "active",
                "capabilities": ["read:*", "write:reports"],
            }
        ]
    )

    def document(self, **overrides: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "agentpin_version": "0.1",
            "entity": self.domain,
            "entity_type": "maker",
            "public_keys": [public_jwk(self.key, self.kid)],
            "agents": self.agents,
            "max_delegation_depth": 2,
            "updated_at": "2026-01-01T00:00:00Z",
        }
        doc.update(overrides)
        return doc

    def write(self, revocations: dict[str, Any] | None = None, **overrides: Any) -> DiscoveryDirectory:
        (self.directory / f"{self.domain}.json").write_text(json.dumps(self.document(**overrides)))
        rev_path = self.directory / f"{self.domain}.revocations.json"
        if revocations is not None:
            rev_path.write_text(json.dumps(revocations))
        elif rev_path.exists():
            rev_path.unlink()
        return DiscoveryDirectory(self.directory)

    def token(
        self,
        claims: dict[str, Any] | None = None,
        *,
        header: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
        signature: Literal["der", "raw"] = "der",
        header_json: str | None = None,
        payload_json: str | None = None,
        key: ec.EllipticCurvePrivateKey | None = None,
        mangle_signature: Callable[[bytes], bytes] | None = None,
    ) -> str:
        h: dict[str, Any] = {"alg": "ES256", "typ": "agentpin-credential+jwt", "kid": self.kid}
        h.update(header or {})
        c = default_claims()
        c.update(claims or {})
        for name in drop:
            h.pop(name, None)
            c.pop(name, None)
        signing_input = (
            b64((header_json or json.dumps(h)).encode()) + "." + b64((payload_json or json.dumps(c)).encode())
        )
        der = (key or self.key).sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        sig = der
        if signature == "raw":
            r, s = decode_dss_signature(der)
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        if mangle_signature is not None:
            sig = mangle_signature(sig)
        return signing_input + "." + b64(sig)


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    d = tmp_path / "discovery"
    d.mkdir()
    return Issuer(directory=d)
