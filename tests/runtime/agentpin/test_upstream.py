"""Interoperability: credentials, discovery documents, revocations and bundles made by the upstream
`agentpin` package (the reference implementation; a test-only dependency) verify with ours."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import agentpin
import pytest
from symbi_runtime.agentpin import (
    AgentPinErrorCode,
    DiscoveryDirectory,
    TrustBundle,
    TrustSourceError,
    verify_credential,
)

DOMAIN = "maker.example"
AGENT = "urn:agentpin:maker.example:scheduler-bot"


@pytest.fixture
def upstream(tmp_path: Path) -> dict[str, Any]:
    private_pem, public_pem = agentpin.generate_key_pair()
    kid = agentpin.generate_key_id(public_pem)
    document = agentpin.build_discovery_document(
        DOMAIN,
        "maker",
        [agentpin.pem_to_jwk(public_pem, kid)],
        [{"agent_id": AGENT, "name": "Bot", "status": "active", "capabilities": ["read:*", "write:reports"]}],
        2,
        "2026-01-01T00:00:00Z",
    )
    directory = tmp_path / "discovery"
    directory.mkdir()
    (directory / f"{DOMAIN}.json").write_text(json.dumps(document))
    token = agentpin.issue_credential(
        private_pem,
        kid,
        DOMAIN,
        AGENT,
        "symbi",
        [agentpin.Capability("read:data"), agentpin.Capability("write:reports")],
        None,
        None,
        3600,
    )
    return {"dir": directory, "doc": document, "token": token, "kid": kid, "private_pem": private_pem}


def _now() -> datetime:
    # Upstream stamps iat from the wall clock, so this test (not the verifier) reads it.
    return datetime.now(UTC)


def test_upstream_signs_with_der() -> None:
    private_pem, _public_pem = agentpin.generate_key_pair()
    token = agentpin.issue_credential(private_pem, "k1", DOMAIN, AGENT, None, [], None, None, 60)
    sig = base64.urlsafe_b64decode(token.split(".")[2] + "==")
    # An ASN.1 SEQUENCE of two INTEGERs (DER), not a 64-byte r||s.
    assert sig[0] == 0x30 and sig[1] == len(sig) - 2 and sig[2] == 0x02


def test_upstream_credential_verifies(upstream: dict[str, Any]) -> None:
    result = verify_credential(
        upstream["token"],
        resolver=DiscoveryDirectory(upstream["dir"]),
        now=_now(),
        expected_agent=AGENT,
        expected_domain=DOMAIN,
        audience="symbi",
    )
    assert result.valid, result.message
    assert (result.agent_id, result.issuer, result.kid) == (AGENT, DOMAIN, upstream["kid"])
    assert result.capabilities == ("read:data", "write:reports")


def test_upstream_agrees_it_is_valid(upstream: dict[str, Any]) -> None:
    ref = agentpin.verify_credential_offline(
        upstream["token"], upstream["doc"], None, agentpin.KeyPinStore(), "symbi"
    )
    assert ref.valid, ref.error_message


def test_upstream_revocation_document(upstream: dict[str, Any]) -> None:
    _, payload, _ = agentpin.decode_jwt_unverified(upstream["token"])
    revocations = agentpin.build_revocation_document(DOMAIN)
    agentpin.add_revoked_credential(revocations, payload["jti"], "key_compromise")
    (upstream["dir"] / f"{DOMAIN}.revocations.json").write_text(json.dumps(revocations))
    result = verify_credential(
        upstream["token"],
        resolver=DiscoveryDirectory(upstream["dir"]),
        now=_now(),
        expected_agent=AGENT,
        expected_domain=DOMAIN,
    )
    assert result.error_code == AgentPinErrorCode.CREDENTIAL_REVOKED


def test_upstream_trust_bundle(upstream: dict[str, Any], tmp_path: Path) -> None:
    bundle = agentpin.create_trust_bundle("2026-01-01T00:00:00Z")
    bundle["documents"].append(upstream["doc"])
    bundle["revocations"].append(agentpin.build_revocation_document(DOMAIN))
    path = tmp_path / "bundle.json"
    agentpin.save_trust_bundle(bundle, str(path))
    resolver = TrustBundle.from_file(path)
    assert resolver.domains == frozenset({DOMAIN})
    ok = verify_credential(
        upstream["token"], resolver=resolver, now=_now(), expected_agent=AGENT, expected_domain=DOMAIN
    )
    assert ok.valid, ok.message
    token = agentpin.issue_credential(
        upstream["private_pem"], upstream["kid"], "other.example", AGENT, None, [], None, None, 60
    )
    missing = verify_credential(
        token, resolver=resolver, now=_now(), expected_agent=AGENT, expected_domain=None
    )
    assert missing.error_code == AgentPinErrorCode.DISCOVERY_NOT_FOUND


def test_upstream_rejections_match_ours(upstream: dict[str, Any]) -> None:
    """Upstream-issued tokens that break the rules: wrong agent, over-claimed capabilities, too long."""
    private_pem, kid = upstream["private_pem"], upstream["kid"]
    resolver = DiscoveryDirectory(upstream["dir"])
    cases = {
        AgentPinErrorCode.CAPABILITY_EXCEEDED: agentpin.issue_credential(
            private_pem, kid, DOMAIN, AGENT, None, [agentpin.Capability("admin:everything")], None, None, 60
        ),
        AgentPinErrorCode.LIFETIME_TOO_LONG: agentpin.issue_credential(
            private_pem, kid, DOMAIN, AGENT, None, [], None, None, 2 * 86400
        ),
        AgentPinErrorCode.AGENT_NOT_FOUND: agentpin.issue_credential(
            private_pem, kid, DOMAIN, "urn:agentpin:maker.example:ghost", None, [], None, None, 60
        ),
    }
    for code, token in cases.items():
        result = verify_credential(
            token, resolver=resolver, now=_now(), expected_agent=None, expected_domain=DOMAIN
        )
        assert result.error_code == code, result.message


@pytest.mark.parametrize("content", [None, "{", '{"documents": {}}', '{"documents": [{"no": "entity"}]}'])
def test_unusable_bundle_file_is_a_setup_error(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "bundle.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(TrustSourceError):
        TrustBundle.from_file(path)


def test_bundle_with_two_documents_for_one_domain_is_ambiguous(upstream: dict[str, Any]) -> None:
    resolver = TrustBundle({"documents": [upstream["doc"], upstream["doc"]]})
    result = verify_credential(
        upstream["token"], resolver=resolver, now=_now(), expected_agent=AGENT, expected_domain=DOMAIN
    )
    assert result.error_code == AgentPinErrorCode.DISCOVERY_INVALID


def test_missing_discovery_directory_is_a_setup_error(tmp_path: Path) -> None:
    with pytest.raises(TrustSourceError):
        DiscoveryDirectory(tmp_path / "nope")
