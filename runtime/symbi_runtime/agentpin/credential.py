"""Verifying an AgentPin credential: an ES256 JWT whose `sub` is the agent and `iss` its issuer domain."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA256

from symbi_lang.capabilities import capability_covers

from .constraints import check_within, parse_constraints
from .discovery import ACTIVE, DomainTrust, UnusableKey, VerificationKey
from .encoding import b64url_decode, is_plain_domain, is_plain_key_id, load_json_object, short
from .errors import AgentPinError, AgentPinErrorCode
from .resolvers import KeyResolver

ALGORITHM = "ES256"
TOKEN_TYPE = "agentpin-credential+jwt"
MAX_TOKEN_CHARS = 16 * 1024
CLOCK_SKEW_SECONDS = 60
MAX_LIFETIME_SECONDS = 24 * 3600
# Header parameters that would make the token choose its own key or demand extensions we lack.
_REFUSED_HEADERS = frozenset({"crit", "jku", "jwk", "x5u", "x5c", "b64"})
_ECDSA_SHA256 = ECDSA(SHA256())

E = AgentPinErrorCode


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The outcome of verifying one credential. On failure the identity fields hold what the token
    claimed (unverified, for audit) and `capabilities` is empty."""

    valid: bool
    error_code: AgentPinErrorCode | None
    message: str
    agent_id: str | None = None
    issuer: str | None = None
    kid: str | None = None
    jti: str | None = None
    capabilities: tuple[str, ...] = ()


@dataclass(slots=True)
class _Seen:
    """What the token claimed so far (mutable: filled in as verification proceeds)."""

    agent_id: str | None = None
    issuer: str | None = None
    kid: str | None = None
    jti: str | None = None


@dataclass(frozen=True, slots=True)
class _Claims:
    iss: str
    sub: str
    jti: str
    iat: int
    exp: int
    nbf: int | None
    aud: tuple[str, ...] | None
    capabilities: tuple[str, ...]
    constraints: Mapping[str, Any] | None


def verify_credential(
    token: str,
    *,
    resolver: KeyResolver,
    now: datetime,
    expected_agent: str | None,
    expected_domain: str | None,
    audience: str | None = None,
) -> VerificationResult:
    """Verify `token` offline against `resolver`'s keys at time `now` (timezone-aware).

    Never raises for a bad token or document; the message never contains the token.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    seen = _Seen()
    try:
        caps = _verify(
            token, resolver, int(now.timestamp()), now, expected_agent, expected_domain, audience, seen
        )
    except AgentPinError as exc:
        return VerificationResult(
            False, exc.code, exc.message, seen.agent_id, seen.issuer, seen.kid, seen.jti
        )
    return VerificationResult(
        True, None, "credential is valid", seen.agent_id, seen.issuer, seen.kid, seen.jti, caps
    )


def _verify(
    token: str,
    resolver: KeyResolver,
    now: int,
    now_dt: datetime,
    expected_agent: str | None,
    expected_domain: str | None,
    audience: str | None,
    seen: _Seen,
) -> tuple[str, ...]:
    # 1. Shape, before any decoding work.
    if not isinstance(token, str):
        raise AgentPinError(E.MALFORMED_TOKEN, "credential is not a string")
    token = token.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise AgentPinError(E.TOKEN_TOO_LARGE, f"credential is longer than {MAX_TOKEN_CHARS} characters")
    parts = token.split(".")
    if len(parts) != 3:
        raise AgentPinError(E.MALFORMED_TOKEN, f"credential has {len(parts)} segments, expected 3")
    try:
        header_bytes, payload_bytes, signature = (b64url_decode(p) for p in parts)
    except ValueError as exc:
        raise AgentPinError(E.MALFORMED_TOKEN, "credential segment is not unpadded base64url") from exc
    header = load_json_object(header_bytes, "credential header", E.MALFORMED_TOKEN)
    payload = load_json_object(payload_bytes, "credential payload", E.MALFORMED_TOKEN)

    # 2. Header: the algorithm is pinned, never negotiated.
    if header.get("alg") != ALGORITHM:
        raise AgentPinError(
            E.ALGORITHM_NOT_ALLOWED, f"algorithm {short(header.get('alg'))} is not {ALGORITHM}"
        )
    if header.get("typ") != TOKEN_TYPE:
        raise AgentPinError(
            E.INVALID_TOKEN_TYPE, f"token type {short(header.get('typ'))} is not {TOKEN_TYPE}"
        )
    refused = sorted(_REFUSED_HEADERS.intersection(header))
    if refused:
        raise AgentPinError(E.UNSUPPORTED_HEADER, f"header parameter {refused[0]!r} is not accepted")
    kid = header.get("kid")
    if kid is None:
        raise AgentPinError(E.INVALID_KEY_ID, "header has no kid")
    if not is_plain_key_id(kid):
        raise AgentPinError(E.INVALID_KEY_ID, f"kid {short(kid)} is not a plain key id")
    seen.kid = kid

    # 3. Claim shapes; the issuer must be a plain domain before it names a document.
    claims = _read_claims(payload)
    seen.agent_id, seen.issuer, seen.jti = claims.sub, claims.iss, claims.jti
    if not is_plain_domain(claims.iss):
        raise AgentPinError(E.INVALID_ISSUER, f"issuer {short(claims.iss)} is not a plain domain name")
    if expected_domain is not None and claims.iss != expected_domain:
        raise AgentPinError(
            E.ISSUER_MISMATCH,
            f"issuer {short(claims.iss)} is not the expected domain {short(expected_domain)}",
        )

    # 4. Key and signature. Everything after this reports on authentic claims only.
    trust = resolver.resolve(claims.iss)
    key = _find_key(trust, kid, now_dt)
    _check_signature(key, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)

    # 5. Who, for whom, and when.
    if expected_agent is not None and claims.sub != expected_agent:
        raise AgentPinError(
            E.AGENT_MISMATCH, f"credential is for agent {short(claims.sub)}, expected {short(expected_agent)}"
        )
    if audience is not None and (claims.aud is None or not ({audience, "*"} & set(claims.aud))):
        raise AgentPinError(E.AUDIENCE_MISMATCH, f"credential audience does not include {short(audience)}")
    _check_times(claims, now)

    # 6. Revocation, agent status, capabilities.
    revoked = trust.revocations
    if claims.jti in revoked.credentials:
        raise AgentPinError(E.CREDENTIAL_REVOKED, f"credential {short(claims.jti)} is revoked")
    if claims.sub in revoked.agents:
        raise AgentPinError(E.AGENT_REVOKED, f"agent {short(claims.sub)} is revoked")
    if kid in revoked.keys:
        raise AgentPinError(E.KEY_REVOKED, f"key {short(kid)} is revoked")
    agent = trust.discovery.agents.get(claims.sub)
    if agent is None:
        raise AgentPinError(E.AGENT_NOT_FOUND, f"agent {short(claims.sub)} is not declared by {claims.iss}")
    if agent.status != ACTIVE:
        raise AgentPinError(
            E.AGENT_INACTIVE, f"agent {short(claims.sub)} is {short(agent.status or 'unset')}"
        )
    exceeded = [
        c for c in claims.capabilities if not any(capability_covers(d, c) for d in agent.capabilities)
    ]
    if exceeded:
        raise AgentPinError(
            E.CAPABILITY_EXCEEDED,
            f"capabilities not declared for the agent: {', '.join(map(short, exceeded))}",
        )
    check_within(agent.constraints, claims.constraints)
    return claims.capabilities


def _read_claims(payload: dict[str, Any]) -> _Claims:
    def text(name: str) -> str:
        value = payload.get(name)
        if value is None:
            raise AgentPinError(E.MISSING_CLAIM, f"credential has no {name} claim")
        if not isinstance(value, str) or not value:
            raise AgentPinError(E.INVALID_CLAIM, f"claim {name} is not a non-empty string")
        return value

    def integer(name: str, *, required: bool = True) -> int | None:
        value = payload.get(name)
        if value is None:
            if required:
                raise AgentPinError(E.MISSING_CLAIM, f"credential has no {name} claim")
            return None
        # bool is an int in Python; 1.5e9 is a float in JSON. Neither is a NumericDate here.
        if type(value) is not int:
            raise AgentPinError(E.INVALID_CLAIM, f"claim {name} is not an integer")
        return value

    aud = payload.get("aud")
    audiences: tuple[str, ...] | None
    if aud is None:
        audiences = None
    elif isinstance(aud, str):
        audiences = (aud,)
    elif isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        audiences = tuple(aud)
    else:
        raise AgentPinError(E.INVALID_CLAIM, "claim aud is not a string or list of strings")
    caps = payload.get("capabilities")
    if caps is None:
        raise AgentPinError(E.MISSING_CLAIM, "credential has no capabilities claim")
    if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
        raise AgentPinError(E.INVALID_CLAIM, "claim capabilities is not a list of strings")
    iat, exp = integer("iat"), integer("exp")
    assert iat is not None and exp is not None
    return _Claims(
        iss=text("iss"),
        sub=text("sub"),
        jti=text("jti"),
        iat=iat,
        exp=exp,
        nbf=integer("nbf", required=False),
        aud=audiences,
        capabilities=tuple(caps),
        constraints=parse_constraints(payload.get("constraints"), "credential", E.INVALID_CLAIM),
    )


def _find_key(trust: DomainTrust, kid: str, now: datetime) -> VerificationKey:
    key = trust.discovery.keys.get(kid)
    if key is None:
        raise AgentPinError(E.KEY_NOT_FOUND, f"key {short(kid)} is not published by {trust.discovery.entity}")
    if isinstance(key, UnusableKey):
        raise AgentPinError(E.INVALID_KEY, key.message)
    if key.expires_at is not None and key.expires_at.timestamp() < now.timestamp() - CLOCK_SKEW_SECONDS:
        raise AgentPinError(E.KEY_EXPIRED, f"key {short(kid)} expired at {key.expires_at.isoformat()}")
    return key


def _check_signature(key: VerificationKey, signing_input: bytes, signature: bytes) -> None:
    """Accept a raw JOSE r||s signature (64 bytes) or a strict DER one (what agentpin tools emit)."""
    candidates: list[bytes] = []
    if len(signature) == 64:
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        candidates.append(encode_dss_signature(r, s))
    der = _strict_der(signature)
    if der is not None:
        candidates.append(der)
    if not candidates:
        raise AgentPinError(E.INVALID_SIGNATURE, "signature is neither 64-byte r||s nor DER ECDSA")
    for candidate in candidates:
        try:
            key.public_key.verify(candidate, signing_input, _ECDSA_SHA256)
        except InvalidSignature:
            continue
        return
    raise AgentPinError(E.INVALID_SIGNATURE, f"signature does not verify with key {short(key.kid)}")


def _strict_der(signature: bytes) -> bytes | None:
    try:
        r, s = decode_dss_signature(signature)
    except ValueError:
        return None
    # Re-encoding must give the same bytes: no trailing data, no alternative length forms.
    return signature if encode_dss_signature(r, s) == signature else None


def _check_times(claims: _Claims, now: int) -> None:
    if claims.exp <= claims.iat:
        raise AgentPinError(E.INVALID_CLAIM, "claim exp is not after iat")
    if claims.exp - claims.iat > MAX_LIFETIME_SECONDS:
        raise AgentPinError(
            E.LIFETIME_TOO_LONG,
            f"credential lifetime {claims.exp - claims.iat} s exceeds {MAX_LIFETIME_SECONDS} s",
        )
    if claims.iat > now + CLOCK_SKEW_SECONDS:
        raise AgentPinError(E.ISSUED_IN_FUTURE, "credential is issued in the future")
    if claims.nbf is not None and claims.nbf > now + CLOCK_SKEW_SECONDS:
        raise AgentPinError(E.NOT_YET_VALID, "credential is not valid yet (nbf)")
    if claims.exp <= now - CLOCK_SKEW_SECONDS:
        raise AgentPinError(E.EXPIRED, "credential has expired")
