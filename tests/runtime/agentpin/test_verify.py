"""verify_credential: the positive path and every rejection, each pinned to its error code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from symbi_runtime.agentpin import (
    AgentPinErrorCode,
    DiscoveryDirectory,
    KeyResolver,
    VerificationResult,
    verify_credential,
)

E = AgentPinErrorCode


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def check(issuer: Any, token: str, resolver: KeyResolver | None = None, **kw: Any) -> VerificationResult:
    args: dict[str, Any] = {
        "now": issuer.now,
        "expected_agent": issuer.agent,
        "expected_domain": issuer.domain,
        "audience": "scheduler.example.org",
    }
    args.update(kw)
    return verify_credential(token, resolver=resolver or issuer.write(), **args)


def rejected(result: VerificationResult, code: AgentPinErrorCode, token: str) -> None:
    assert not result.valid
    assert result.error_code == code, result.message
    assert result.capabilities == ()
    # The token (or its signature) must never leak into messages that end up in audit logs.
    for part in (token, *token.split(".")):
        assert len(part) < 16 or part not in result.message


# --- positive --------------------------------------------------------------------------------------


def test_der_signed_token_is_valid(issuer: Any) -> None:
    token = issuer.token()
    result = check(issuer, token)
    assert result == VerificationResult(
        valid=True,
        error_code=None,
        message="credential is valid",
        agent_id=issuer.agent,
        issuer="example.com",
        kid="example-2026-01",
        jti="cred-0001",
        capabilities=("read:reports", "write:reports.daily"),
    )


def test_raw_jose_signature_is_valid(issuer: Any) -> None:
    assert check(issuer, issuer.token(signature="raw")).valid


def test_pyjwt_issued_token_is_valid(issuer: Any) -> None:
    claims = {
        "iss": issuer.domain,
        "sub": issuer.agent,
        "aud": "scheduler.example.org",
        "iat": issuer.now_ts,
        "exp": issuer.now_ts + 600,
        "jti": "pyjwt-1",
        "capabilities": ["read:reports"],
    }
    token = pyjwt.encode(
        claims, issuer.key, algorithm="ES256", headers={"typ": "agentpin-credential+jwt", "kid": issuer.kid}
    )
    assert len(base64.urlsafe_b64decode(token.split(".")[2] + "==")) == 64  # pyjwt emits raw r||s
    result = check(issuer, token)
    assert result.valid, result.message
    assert result.jti == "pyjwt-1"


def test_optional_checks_can_be_left_out(issuer: Any) -> None:
    token = issuer.token(drop=("aud", "nbf"))
    result = check(issuer, token, expected_agent=None, expected_domain=None, audience=None)
    assert result.valid, result.message


def test_surrounding_whitespace_is_ignored(issuer: Any) -> None:
    assert check(issuer, "  " + issuer.token() + "\n").valid


def test_naive_now_is_a_programming_error(issuer: Any) -> None:
    with pytest.raises(ValueError):
        verify_credential(
            issuer.token(),
            resolver=issuer.write(),
            now=issuer.now.replace(tzinfo=None),
            expected_agent=None,
            expected_domain=None,
        )


# --- token shape -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda t: t.rsplit(".", 1)[0], E.MALFORMED_TOKEN),
        (lambda t: t + ".extra", E.MALFORMED_TOKEN),
        (lambda t: "", E.MALFORMED_TOKEN),
        (lambda t: "a.b", E.MALFORMED_TOKEN),
        (lambda t: t.replace(".", ".!", 1), E.MALFORMED_TOKEN),
        (lambda t: t + "=", E.MALFORMED_TOKEN),
        (lambda t: b64(b"[1,2]") + t[t.index(".") :], E.MALFORMED_TOKEN),
        (lambda t: b64(b"{not json") + t[t.index(".") :], E.MALFORMED_TOKEN),
        (lambda t: b64(b'{"alg": NaN}') + t[t.index(".") :], E.MALFORMED_TOKEN),
        (lambda t: t + "A" * (16 * 1024), E.TOKEN_TOO_LARGE),
    ],
    ids=[
        "two-segments",
        "four-segments",
        "empty",
        "tiny",
        "bad-alphabet",
        "padding",
        "header-array",
        "header-not-json",
        "nan",
        "oversized",
    ],
)
def test_malformed_tokens(issuer: Any, make: Callable[[str], str], code: AgentPinErrorCode) -> None:
    token = make(issuer.token())
    rejected(check(issuer, token), code, token)


def test_non_canonical_base64_signature_is_rejected(issuer: Any) -> None:
    token = issuer.token(signature="raw")  # 64 bytes -> 86 chars, last char carries 4 unused bits
    head, sig = token.rsplit(".", 1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = sig[:-1] + alphabet[alphabet.index(sig[-1]) ^ 1]  # same decoded bytes, different text
    rejected(check(issuer, head + "." + twin), E.MALFORMED_TOKEN, head + "." + twin)


def test_duplicate_header_key(issuer: Any) -> None:
    hj = '{"alg":"ES256","typ":"agentpin-credential+jwt","kid":"example-2026-01","kid":"other"}'
    token = issuer.token(header_json=hj)
    rejected(check(issuer, token), E.DUPLICATE_JSON_KEY, token)


def test_duplicate_payload_key(issuer: Any) -> None:
    claims = json.dumps({**_claims(issuer), "sub": issuer.agent})
    pj = claims[:-1] + ', "sub": "urn:agentpin:example.com:admin"}'
    token = issuer.token(payload_json=pj)
    rejected(check(issuer, token), E.DUPLICATE_JSON_KEY, token)


def _claims(issuer: Any) -> dict[str, Any]:
    return {
        "iss": issuer.domain,
        "sub": issuer.agent,
        "aud": "scheduler.example.org",
        "iat": issuer.now_ts,
        "exp": issuer.now_ts + 600,
        "jti": "j",
        "capabilities": [],
    }


# --- header ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "HS256", "ES384", "es256", "RS256", "", None, ["ES256"]])
def test_algorithm_is_pinned(issuer: Any, alg: object) -> None:
    token = issuer.token(header={"alg": alg})
    rejected(check(issuer, token), E.ALGORITHM_NOT_ALLOWED, token)


def test_alg_none_without_signature(issuer: Any) -> None:
    header = b64(json.dumps({"alg": "none", "typ": "agentpin-credential+jwt", "kid": issuer.kid}).encode())
    token = header + "." + b64(json.dumps(_claims(issuer)).encode()) + "."
    rejected(check(issuer, token), E.ALGORITHM_NOT_ALLOWED, token)


def test_hs256_signed_with_the_public_key(issuer: Any) -> None:
    """The classic key-confusion attack: HMAC keyed with the verifier's public key."""
    pem = issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64(json.dumps({"alg": "HS256", "typ": "agentpin-credential+jwt", "kid": issuer.kid}).encode())
    signing_input = header + "." + b64(json.dumps(_claims(issuer)).encode())
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + b64(mac)
    rejected(check(issuer, token), E.ALGORITHM_NOT_ALLOWED, token)


@pytest.mark.parametrize("typ", ["JWT", "agentpin-credential+JWT", None])
def test_token_type(issuer: Any, typ: object) -> None:
    token = issuer.token(header={"typ": typ}) if typ else issuer.token(drop=("typ",))
    rejected(check(issuer, token), E.INVALID_TOKEN_TYPE, token)


@pytest.mark.parametrize("name", ["jku", "jwk", "x5u", "crit"])
def test_headers_that_pick_keys_or_extensions_are_refused(issuer: Any, name: str) -> None:
    token = issuer.token(header={name: "https://attacker.example/keys.json"})
    rejected(check(issuer, token), E.UNSUPPORTED_HEADER, token)


@pytest.mark.parametrize("kid", ["../../etc/passwd", "keys/example", "..", "a..b", "key\\1", "", 7, None])
def test_key_id_must_be_plain(issuer: Any, kid: object) -> None:
    token = issuer.token(header={"kid": kid}) if kid is not None else issuer.token(drop=("kid",))
    rejected(check(issuer, token), E.INVALID_KEY_ID, token)


def test_unknown_key_id(issuer: Any) -> None:
    token = issuer.token(header={"kid": "example-2099-01"})
    rejected(check(issuer, token), E.KEY_NOT_FOUND, token)


# --- signature -------------------------------------------------------------------------------------


def _flip(i: int) -> Callable[[bytes], bytes]:
    return lambda sig: sig[:i] + bytes([sig[i] ^ 0x01]) + sig[i + 1 :]


@pytest.mark.parametrize(
    ("form", "mangle"),
    [
        ("der", lambda s: s[:-1]),
        ("der", lambda s: s[:-5]),
        ("der", lambda s: s + b"\x00"),
        ("der", _flip(-1)),
        ("der", _flip(1)),  # the DER length byte
        ("raw", lambda s: s[:63]),
        ("raw", lambda s: s + b"\x00"),
        ("raw", _flip(10)),
        ("raw", _flip(40)),
        ("raw", lambda s: b""),
        ("raw", lambda s: b"\x00" * 64),
    ],
    ids=[
        "der-truncated-1",
        "der-truncated-5",
        "der-trailing",
        "der-flip-s",
        "der-flip-len",
        "raw-63",
        "raw-65",
        "raw-flip-r",
        "raw-flip-s",
        "empty",
        "raw-zero",
    ],
)
def test_bad_signatures(issuer: Any, form: Any, mangle: Callable[[bytes], bytes]) -> None:
    token = issuer.token(signature=form, mangle_signature=mangle)
    rejected(check(issuer, token), E.INVALID_SIGNATURE, token)


def test_signature_by_another_key(issuer: Any) -> None:
    token = issuer.token(key=ec.generate_private_key(ec.SECP256R1()))
    rejected(check(issuer, token), E.INVALID_SIGNATURE, token)


def test_tampered_payload(issuer: Any) -> None:
    h, _, s = issuer.token().split(".")
    forged = _claims(issuer) | {"capabilities": ["read:everything"]}
    token = h + "." + b64(json.dumps(forged).encode()) + "." + s
    rejected(check(issuer, token), E.INVALID_SIGNATURE, token)


# --- identity claims -------------------------------------------------------------------------------


def test_agent_mismatch(issuer: Any) -> None:
    token = issuer.token()
    result = check(issuer, token, expected_agent="urn:agentpin:example.com:other")
    rejected(result, E.AGENT_MISMATCH, token)
    assert result.agent_id == issuer.agent  # claimed identity kept for the audit event


def test_issuer_mismatch(issuer: Any, tmp_path: Path) -> None:
    other = type(issuer)(directory=issuer.directory, domain="other.example")
    other.agents = issuer.agents
    other.write()
    token = other.token({"iss": "other.example"})
    rejected(check(issuer, token), E.ISSUER_MISMATCH, token)


@pytest.mark.parametrize(
    "iss", ["../outside", "a/b", "example.com/..", "example.com:443", "https://example.com", ".", "x..y", ""]
)
def test_issuer_must_be_a_plain_domain(issuer: Any, tmp_path: Path, iss: str) -> None:
    # A readable document sits where a traversal would land; the verifier must not get that far.
    (issuer.directory.parent / "outside.json").write_text(json.dumps(issuer.document(entity="../outside")))
    token = issuer.token({"iss": iss})
    code = E.INVALID_CLAIM if iss == "" else E.INVALID_ISSUER
    rejected(check(issuer, token, expected_domain=None), code, token)


def test_audience_mismatch(issuer: Any) -> None:
    token = issuer.token({"aud": "someone-else"})
    rejected(check(issuer, token), E.AUDIENCE_MISMATCH, token)


def test_missing_audience_when_one_is_expected(issuer: Any) -> None:
    token = issuer.token(drop=("aud",))
    rejected(check(issuer, token), E.AUDIENCE_MISMATCH, token)


@pytest.mark.parametrize("aud", ["*", ["x", "scheduler.example.org"]])
def test_audience_wildcard_and_list(issuer: Any, aud: object) -> None:
    assert check(issuer, issuer.token({"aud": aud})).valid


@pytest.mark.parametrize("name", ["iss", "sub", "jti", "iat", "exp", "capabilities"])
def test_required_claims(issuer: Any, name: str) -> None:
    token = issuer.token(drop=(name,))
    rejected(check(issuer, token), E.MISSING_CLAIM, token)


@pytest.mark.parametrize(
    ("claims"),
    [
        {"exp": "1772370000"},
        {"exp": 1772370000.5},
        {"iat": True},
        {"nbf": "0"},
        {"sub": 5},
        {"capabilities": "read:reports"},
        {"capabilities": [1]},
        {"aud": 3},
    ],
    ids=lambda c: next(iter(c)) + "-" + type(next(iter(c.values()))).__name__,
)
def test_claim_types(issuer: Any, claims: dict[str, Any]) -> None:
    token = issuer.token(claims)
    rejected(check(issuer, token), E.INVALID_CLAIM, token)


# --- time ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offsets", "code"),
    [
        ({"iat": -3600, "exp": -61}, E.EXPIRED),
        ({"iat": -3600, "exp": -60}, E.EXPIRED),
        ({"nbf": 61}, E.NOT_YET_VALID),
        ({"iat": 61, "nbf": 0}, E.ISSUED_IN_FUTURE),
        ({"iat": 0, "exp": 24 * 3600 + 1}, E.LIFETIME_TOO_LONG),
        ({"iat": 0, "exp": 0}, E.INVALID_CLAIM),
    ],
    ids=["expired", "expired-at-skew-edge", "nbf-future", "iat-future", "lifetime-24h+1s", "exp-eq-iat"],
)
def test_time_rejections(issuer: Any, offsets: dict[str, int], code: AgentPinErrorCode) -> None:
    token = issuer.token({k: issuer.now_ts + v for k, v in offsets.items()})
    rejected(check(issuer, token), code, token)


@pytest.mark.parametrize(
    "offsets",
    [
        {"iat": -3600, "exp": -59},
        {"nbf": 60},
        {"iat": 60, "nbf": 60, "exp": 600},
        {"iat": 0, "nbf": 0, "exp": 24 * 3600},
    ],
    ids=["exp-within-skew", "nbf-within-skew", "iat-within-skew", "lifetime-exactly-24h"],
)
def test_time_edges_accepted(issuer: Any, offsets: dict[str, int]) -> None:
    token = issuer.token({k: issuer.now_ts + v for k, v in offsets.items()})
    result = check(issuer, token)
    assert result.valid, result.message


# --- discovery document ----------------------------------------------------------------------------


def test_missing_discovery_document(issuer: Any) -> None:
    token = issuer.token()
    rejected(
        check(issuer, token, resolver=DiscoveryDirectory(issuer.directory)), E.DISCOVERY_NOT_FOUND, token
    )


def test_entity_must_match_issuer(issuer: Any) -> None:
    token = issuer.token()
    rejected(check(issuer, token, resolver=issuer.write(entity="evil.example")), E.ENTITY_MISMATCH, token)


@pytest.mark.parametrize(
    "text", ["{", "[]", '{"entity": "example.com"}', '{"entity": "example.com", "public_keys": []}']
)
def test_unusable_discovery_document(issuer: Any, text: str) -> None:
    (issuer.directory / "example.com.json").write_text(text)
    token = issuer.token()
    rejected(check(issuer, token, resolver=DiscoveryDirectory(issuer.directory)), E.DISCOVERY_INVALID, token)


def test_duplicate_key_in_discovery_document(issuer: Any) -> None:
    text = json.dumps(issuer.document())
    (issuer.directory / "example.com.json").write_text(text[:-1] + ', "entity": "example.com"}')
    token = issuer.token()
    resolver = DiscoveryDirectory(issuer.directory)
    rejected(check(issuer, token, resolver=resolver), E.DUPLICATE_JSON_KEY, token)


def _off_curve(jwk: dict[str, Any]) -> dict[str, Any]:
    y = base64.urlsafe_b64decode(jwk["y"] + "=")
    y2 = (int.from_bytes(y, "big") ^ 1).to_bytes(32, "big")
    return jwk | {"y": b64(y2)}


@pytest.mark.parametrize(
    "variant",
    ["p384", "off-curve", "oct", "rsa", "short-x", "private-d", "use-enc", "no-verify-op"],
)
def test_unusable_keys(issuer: Any, variant: str) -> None:
    jwk = issuer.document()["public_keys"][0]
    if variant == "p384":
        p384 = ec.generate_private_key(ec.SECP384R1()).public_key().public_numbers()
        jwk = jwk | {
            "crv": "P-384",
            "x": b64(p384.x.to_bytes(48, "big")),
            "y": b64(p384.y.to_bytes(48, "big")),
        }
    elif variant == "off-curve":
        jwk = _off_curve(jwk)
    elif variant == "oct":
        jwk = {"kid": issuer.kid, "kty": "oct", "k": b64(b"secret")}
    elif variant == "rsa":
        n = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key().public_numbers()
        jwk = {"kid": issuer.kid, "kty": "RSA", "n": b64(n.n.to_bytes(128, "big")), "e": "AQAB"}
    elif variant == "short-x":
        jwk = jwk | {"x": jwk["x"][:-2]}
    elif variant == "private-d":
        jwk = jwk | {"d": b64(b"\x01" * 32)}
    elif variant == "use-enc":
        jwk = jwk | {"use": "enc"}
    elif variant == "no-verify-op":
        jwk = jwk | {"key_ops": ["sign"]}
    token = issuer.token()
    rejected(check(issuer, token, resolver=issuer.write(public_keys=[jwk])), E.INVALID_KEY, token)


def test_one_broken_key_does_not_spoil_the_others(issuer: Any) -> None:
    good = issuer.document()["public_keys"][0]
    broken = {"kid": "legacy", "kty": "RSA", "n": "AQAB", "e": "AQAB"}
    assert check(issuer, issuer.token(), resolver=issuer.write(public_keys=[broken, good])).valid


def test_expired_key(issuer: Any) -> None:
    jwk = issuer.document()["public_keys"][0] | {"exp": "2026-02-01T00:00:00Z"}
    token = issuer.token()
    rejected(check(issuer, token, resolver=issuer.write(public_keys=[jwk])), E.KEY_EXPIRED, token)


def test_agent_not_declared(issuer: Any) -> None:
    issuer.agents = [{"agent_id": "urn:agentpin:example.com:other", "status": "active", "capabilities": []}]
    token = issuer.token()
    rejected(check(issuer, token), E.AGENT_NOT_FOUND, token)


@pytest.mark.parametrize("status", ["suspended", "deprecated", "inactive", None])
def test_agent_not_active(issuer: Any, status: str | None) -> None:
    issuer.agents[0] = issuer.agents[0] | {"status": status}
    token = issuer.token()
    rejected(check(issuer, token), E.AGENT_INACTIVE, token)


def test_capabilities_must_be_declared(issuer: Any) -> None:
    token = issuer.token({"capabilities": ["read:reports", "delete:reports"]})
    result = check(issuer, token)
    rejected(result, E.CAPABILITY_EXCEEDED, token)
    assert "delete:reports" in result.message
    assert "'read:reports'" not in result.message


@pytest.mark.parametrize(
    ("claimed", "ok"),
    [
        (["read:anything"], True),  # read:* wildcard
        (["write:reports"], True),
        (["write:reports.daily.eu"], True),  # dotted sub-resource
        (["write:reportsX"], False),  # a prefix is not a sub-resource
        (["write:*"], False),
        (["admin:reports"], False),
        ([], True),
    ],
)
def test_capability_matching(issuer: Any, claimed: list[str], ok: bool) -> None:
    result = check(issuer, issuer.token({"capabilities": claimed}))
    assert result.valid is ok, result.message


# --- revocation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("revocations", "code"),
    [
        ({"revoked_credentials": [{"jti": "cred-0001", "reason": "key_compromise"}]}, E.CREDENTIAL_REVOKED),
        ({"revoked_agents": [{"agent_id": "urn:agentpin:example.com:reporter"}]}, E.AGENT_REVOKED),
        ({"revoked_keys": [{"kid": "example-2026-01"}]}, E.KEY_REVOKED),
        ({"revoked_keys": "all"}, E.REVOCATION_INVALID),
        ({"revoked_keys": [{"key": "x"}]}, E.REVOCATION_INVALID),
        ({"entity": "other.example"}, E.REVOCATION_INVALID),
    ],
    ids=["jti", "agent", "key", "not-a-list", "entry-without-id", "wrong-entity"],
)
def test_revocations(issuer: Any, revocations: dict[str, Any], code: AgentPinErrorCode) -> None:
    token = issuer.token()
    doc = {"agentpin_version": "0.1", "entity": issuer.domain} | revocations
    rejected(check(issuer, token, resolver=issuer.write(revocations=doc)), code, token)


def test_unrelated_revocations_do_not_reject(issuer: Any) -> None:
    doc = {
        "entity": issuer.domain,
        "revoked_credentials": [{"jti": "cred-0002"}],
        "revoked_agents": [{"agent_id": "urn:agentpin:example.com:other"}],
        "revoked_keys": [{"kid": "example-2025-01"}],
    }
    assert check(issuer, issuer.token(), resolver=issuer.write(revocations=doc)).valid


def test_unreadable_revocation_document_fails_closed(issuer: Any) -> None:
    resolver = issuer.write()
    (issuer.directory / "example.com.revocations.json").write_text("{oops")
    token = issuer.token()
    rejected(check(issuer, token, resolver=resolver), E.REVOCATION_INVALID, token)


# --- robustness ------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300) | st.builds(lambda a, b, c: f"{a}.{b}.{c}", st.text(), st.text(), st.text()))
def test_arbitrary_input_never_raises(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    resolver = DiscoveryDirectory(tmp_path_factory.getbasetemp())
    result = verify_credential(
        text,
        resolver=resolver,
        now=datetime(2026, 3, 1, tzinfo=UTC),
        expected_agent=None,
        expected_domain=None,
    )
    assert not result.valid
    assert result.error_code is not None
