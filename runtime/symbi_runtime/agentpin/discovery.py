"""What an issuer domain publishes: its discovery document (keys, agents) and its revocation document.

Documents are parsed once into typed values; key material problems are kept per key id, so one broken
key does not make the domain's other keys unusable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import (
    SECP256R1,
    EllipticCurvePublicKey,
    EllipticCurvePublicNumbers,
)

from .constraints import parse_constraints
from .encoding import b64url_decode, is_plain_key_id, short
from .errors import AgentPinError, AgentPinErrorCode

ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A usable ES256 public key from a discovery document."""

    kid: str
    public_key: EllipticCurvePublicKey
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UnusableKey:
    """A declared key id whose JWK cannot be used (wrong type or curve, off-curve point, …)."""

    kid: str
    message: str


@dataclass(frozen=True, slots=True)
class AgentDeclaration:
    """An agent the issuer declares, with its status and the capabilities it may be granted."""

    agent_id: str
    status: str
    capabilities: tuple[str, ...]
    # The limits the issuer sets for the agent's credentials (see `constraints.check_within`).
    constraints: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class DiscoveryDocument:
    """The parsed `{domain}.json`: the entity, its keys by kid and its agents by id."""

    entity: str
    keys: Mapping[str, VerificationKey | UnusableKey]
    agents: Mapping[str, AgentDeclaration]


@dataclass(frozen=True, slots=True)
class Revocations:
    """The parsed `{domain}.revocations.json`: revoked credential ids, agent ids and key ids."""

    credentials: frozenset[str] = field(default_factory=frozenset)
    agents: frozenset[str] = field(default_factory=frozenset)
    keys: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class DomainTrust:
    """Everything the verifier trusts about one issuer domain."""

    discovery: DiscoveryDocument
    revocations: Revocations = field(default_factory=Revocations)


def _invalid(message: str) -> AgentPinError:
    return AgentPinError(AgentPinErrorCode.DISCOVERY_INVALID, message)


def parse_discovery_document(data: Mapping[str, Any], *, domain: str) -> DiscoveryDocument:
    """Validate a discovery document for `domain`; raise AgentPinError on a structural problem."""
    entity = data.get("entity")
    if entity != domain:
        raise AgentPinError(
            AgentPinErrorCode.ENTITY_MISMATCH,
            f"discovery document entity {short(entity)} is not the issuer {short(domain)}",
        )
    raw_keys = data.get("public_keys")
    if not isinstance(raw_keys, list) or not raw_keys:
        raise _invalid("discovery document has no public_keys list")
    keys: dict[str, VerificationKey | UnusableKey] = {}
    for jwk in raw_keys:
        if not isinstance(jwk, dict) or not is_plain_key_id(jwk.get("kid")):
            raise _invalid("discovery document has a public key without a plain kid")
        kid = jwk["kid"]
        if kid in keys:
            raise _invalid(f"discovery document declares key {short(kid)} twice")
        keys[kid] = _parse_jwk(kid, jwk)
    raw_agents = data.get("agents", [])
    if not isinstance(raw_agents, list):
        raise _invalid("discovery document agents is not a list")
    agents: dict[str, AgentDeclaration] = {}
    for agent in raw_agents:
        if not isinstance(agent, dict) or not isinstance(agent.get("agent_id"), str):
            raise _invalid("discovery document has an agent without an agent_id")
        agent_id = agent["agent_id"]
        if agent_id in agents:
            raise _invalid(f"discovery document declares agent {short(agent_id)} twice")
        caps = agent.get("capabilities", [])
        if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
            raise _invalid(f"agent {short(agent_id)} capabilities is not a list of strings")
        status = agent.get("status")
        # A missing or odd status is not "active": fail closed.
        constraints = parse_constraints(
            agent.get("constraints"), f"agent {short(agent_id)}", AgentPinErrorCode.DISCOVERY_INVALID
        )
        agents[agent_id] = AgentDeclaration(
            agent_id, status if isinstance(status, str) else "", tuple(caps), constraints
        )
    return DiscoveryDocument(entity=domain, keys=keys, agents=agents)


def _parse_jwk(kid: str, jwk: Mapping[str, Any]) -> VerificationKey | UnusableKey:
    if jwk.get("kty") != "EC":
        return UnusableKey(kid, f"key {short(kid)} has kty {short(jwk.get('kty'))}, not EC")
    if jwk.get("crv") != "P-256":
        return UnusableKey(kid, f"key {short(kid)} has curve {short(jwk.get('crv'))}, not P-256")
    if "d" in jwk:
        return UnusableKey(kid, f"key {short(kid)} publishes private key material")
    if jwk.get("use", "sig") != "sig":
        return UnusableKey(kid, f"key {short(kid)} is not a signature key")
    key_ops = jwk.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        return UnusableKey(kid, f"key {short(kid)} does not allow verify")
    x, y = jwk.get("x"), jwk.get("y")
    try:
        if not isinstance(x, str) or not isinstance(y, str):
            raise ValueError("coordinates missing")
        xb, yb = b64url_decode(x), b64url_decode(y)
        if len(xb) != 32 or len(yb) != 32:
            raise ValueError("coordinates are not 32 bytes")
        numbers = EllipticCurvePublicNumbers(
            int.from_bytes(xb, "big"), int.from_bytes(yb, "big"), SECP256R1()
        )
        public_key = numbers.public_key()  # raises ValueError for a point not on the curve
    except ValueError:
        return UnusableKey(kid, f"key {short(kid)} is not a valid P-256 point")
    expires_at: datetime | None = None
    if "exp" in jwk:
        try:
            expires_at = datetime.fromisoformat(str(jwk["exp"]))
        except ValueError:
            return UnusableKey(kid, f"key {short(kid)} has an unreadable exp")
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
    return VerificationKey(kid, public_key, expires_at)


def parse_revocation_document(data: Mapping[str, Any], *, domain: str) -> Revocations:
    """Validate a revocation document for `domain`; anything unreadable fails closed."""

    def ids(list_name: str, id_name: str) -> frozenset[str]:
        entries = data.get(list_name, [])
        if not isinstance(entries, list):
            raise AgentPinError(AgentPinErrorCode.REVOCATION_INVALID, f"revocation {list_name} is not a list")
        out: set[str] = set()
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get(id_name), str):
                raise AgentPinError(
                    AgentPinErrorCode.REVOCATION_INVALID, f"revocation {list_name} entry has no {id_name}"
                )
            out.add(entry[id_name])
        return frozenset(out)

    entity = data.get("entity", domain)
    if entity != domain:
        raise AgentPinError(
            AgentPinErrorCode.REVOCATION_INVALID,
            f"revocation document entity {short(entity)} is not the issuer {short(domain)}",
        )
    return Revocations(
        credentials=ids("revoked_credentials", "jti"),
        agents=ids("revoked_agents", "agent_id"),
        keys=ids("revoked_keys", "kid"),
    )
