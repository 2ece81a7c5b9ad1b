"""Constraints: a credential may narrow the issuer's limits for an agent, never widen them; the upstream
`agentpin` package agrees on credentials it issued."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import agentpin
import pytest
from symbi_runtime.agentpin import AgentPinErrorCode, DiscoveryDirectory, verify_credential
from symbi_runtime.agentpin.constraints import domain_allowed, rate_per_hour

DECLARED = {
    "data_classification_max": "confidential",
    "rate_limit": "100/minute",
    "allowed_domains": ["*.example.com", "api.partner.org"],
}


def verify(issuer: Any, constraints: object, declared: object = DECLARED) -> Any:
    issuer.agents[0]["constraints"] = declared
    claims = {} if constraints is None else {"constraints": constraints}
    return verify_credential(
        issuer.token(claims),
        resolver=issuer.write(),
        now=issuer.now,
        expected_agent=issuer.agent,
        expected_domain=issuer.domain,
    )


@pytest.mark.parametrize(
    "constraints",
    [
        None,  # no constraints: the issuer's apply
        {},
        {
            "data_classification_max": "internal",
            "rate_limit": "1/second",
            "allowed_domains": ["a.example.com"],
        },
        {
            "data_classification_max": "confidential",
            "rate_limit": "6000/hour",
            "allowed_domains": ["api.partner.org"],
        },
        {"something_else": True},
    ],
)
def test_narrower_or_equal_constraints_are_valid(issuer: Any, constraints: object) -> None:
    result = verify(issuer, constraints)
    assert result.valid, result.message


@pytest.mark.parametrize(
    ("constraints", "message"),
    [
        (
            {"data_classification_max": "restricted"},
            "data_classification_max 'restricted' exceeds the issuer's",
        ),
        ({"data_classification_max": "top-secret"}, "data_classification_max 'top-secret' exceeds"),
        ({"rate_limit": "101/minute"}, "rate_limit '101/minute' exceeds the issuer's '100/minute'"),
        ({"rate_limit": "2/second"}, "rate_limit '2/second' exceeds"),
        ({"rate_limit": "lots"}, "rate_limit 'lots' exceeds"),
        ({"allowed_domains": ["example.com"]}, "allowed_domains 'example.com' outside the issuer's"),
        ({"allowed_domains": ["evil.org", "a.example.com"]}, "allowed_domains 'evil.org' outside"),
        ({"allowed_domains": "a.example.com"}, "allowed_domains is not a list of domain names"),
    ],
)
def test_wider_or_unreadable_constraints_are_refused(issuer: Any, constraints: object, message: str) -> None:
    result = verify(issuer, constraints)
    assert not result.valid and result.error_code is AgentPinErrorCode.CONSTRAINT_VIOLATION
    assert message in result.message


def test_constraints_must_be_objects(issuer: Any) -> None:
    result = verify(issuer, ["not", "an", "object"])
    assert result.error_code is AgentPinErrorCode.INVALID_CLAIM
    issuer.agents[0]["constraints"] = "high"
    with pytest.raises(Exception, match="constraints is not an object"):
        issuer.write().resolve(issuer.domain)


def test_without_declared_constraints_anything_goes(issuer: Any) -> None:
    assert verify(issuer, {"rate_limit": "1000000/second"}, declared=None).valid


def test_helpers() -> None:
    assert [rate_per_hour(r) for r in ("5/second", "5/minute", "5/hour", "5/day", "x/hour", "5", 5)] == [
        18000,
        300,
        5,
        None,
        None,
        None,
        None,
    ]
    assert domain_allowed("*.example.com", "a.b.example.com")
    assert not domain_allowed("*.example.com", "example.com")
    assert not domain_allowed("*.example.com", "badexample.com")
    assert domain_allowed("example.com", "example.com")


DOMAIN = "maker.example"
AGENT = "urn:agentpin:maker.example:bot"


@pytest.mark.parametrize(
    ("constraints", "valid"),
    [
        ({"data_classification_max": "internal"}, True),
        ({"data_classification_max": "restricted"}, False),
        ({"rate_limit": "50/minute"}, True),
        ({"rate_limit": "2/second"}, False),
        ({"allowed_domains": ["x.example.com"]}, True),
        ({"allowed_domains": ["x.other.org"]}, False),
    ],
)
def test_upstream_issued_constraints_get_the_upstream_verdict(
    tmp_path: Path, constraints: dict[str, Any], valid: bool
) -> None:
    private_pem, public_pem = agentpin.generate_key_pair()
    kid = agentpin.generate_key_id(public_pem)
    declared = {
        "data_classification_max": "confidential",
        "rate_limit": "100/minute",
        "allowed_domains": ["*.example.com"],
    }
    agents = [
        {
            "agent_id": AGENT,
            "name": "Bot",
            "status": "active",
            "capabilities": ["read:*"],
            "constraints": declared,
        }
    ]
    document = agentpin.build_discovery_document(
        DOMAIN, "maker", [agentpin.pem_to_jwk(public_pem, kid)], agents, 1, "2026-01-01T00:00:00Z"
    )
    (tmp_path / f"{DOMAIN}.json").write_text(json.dumps(document))
    token = agentpin.issue_credential(
        private_pem, kid, DOMAIN, AGENT, None, [agentpin.Capability("read:data")], constraints, None, 600
    )

    upstream = agentpin.verify_credential_offline(token, document, None, agentpin.KeyPinStore(), None)
    ours = verify_credential(
        token,
        resolver=DiscoveryDirectory(tmp_path),
        now=datetime.now(UTC),  # upstream stamps iat from the wall clock
        expected_agent=AGENT,
        expected_domain=DOMAIN,
    )
    assert upstream.valid is valid
    assert ours.valid is valid, ours.message
    if not valid:
        assert ours.error_code is AgentPinErrorCode.CONSTRAINT_VIOLATION
