"""Why an AgentPin credential was rejected: stable error codes and the exceptions that carry them."""

from __future__ import annotations

from enum import StrEnum


class AgentPinErrorCode(StrEnum):
    """Stable, machine-readable reasons for rejecting a credential (the wire spelling is the value)."""

    # The token as a string: shape, encoding, JSON.
    MALFORMED_TOKEN = "malformed_token"
    TOKEN_TOO_LARGE = "token_too_large"
    DUPLICATE_JSON_KEY = "duplicate_json_key"
    # The JOSE header.
    ALGORITHM_NOT_ALLOWED = "algorithm_not_allowed"
    INVALID_TOKEN_TYPE = "invalid_token_type"
    UNSUPPORTED_HEADER = "unsupported_header"
    INVALID_KEY_ID = "invalid_key_id"
    # The claims.
    MISSING_CLAIM = "missing_claim"
    INVALID_CLAIM = "invalid_claim"
    INVALID_ISSUER = "invalid_issuer"
    ISSUER_MISMATCH = "issuer_mismatch"
    AGENT_MISMATCH = "agent_mismatch"
    AUDIENCE_MISMATCH = "audience_mismatch"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    ISSUED_IN_FUTURE = "issued_in_future"
    LIFETIME_TOO_LONG = "lifetime_too_long"
    # The issuer's discovery and revocation documents.
    DISCOVERY_NOT_FOUND = "discovery_not_found"
    DISCOVERY_INVALID = "discovery_invalid"
    ENTITY_MISMATCH = "entity_mismatch"
    REVOCATION_INVALID = "revocation_invalid"
    KEY_NOT_FOUND = "key_not_found"
    INVALID_KEY = "invalid_key"
    KEY_EXPIRED = "key_expired"
    INVALID_SIGNATURE = "invalid_signature"
    CREDENTIAL_REVOKED = "credential_revoked"
    AGENT_REVOKED = "agent_revoked"
    KEY_REVOKED = "key_revoked"
    AGENT_NOT_FOUND = "agent_not_found"
    AGENT_INACTIVE = "agent_inactive"
    CAPABILITY_EXCEEDED = "capability_exceeded"
    CONSTRAINT_VIOLATION = "constraint_violation"
    # Obtaining the credential at all (job-level helper).
    MISSING_CREDENTIAL = "missing_credential"
    UNRESOLVED_VARIABLE = "unresolved_variable"
    # The verifier has no expected domain or no trust source (a setup problem, still a refusal).
    NOT_CONFIGURED = "not_configured"


class AgentPinError(Exception):
    """A verification step failed; `verify_credential` turns it into an invalid result."""

    def __init__(self, code: AgentPinErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TrustSourceError(Exception):
    """A trust source (discovery directory, trust bundle file) cannot be used at all: a setup error."""
