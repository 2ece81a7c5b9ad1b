"""AgentPin credential verification (ES256, offline discovery), per the AgentPin protocol."""

from symbi_lang.capabilities import capability_covers

from .credential import (
    ALGORITHM,
    CLOCK_SKEW_SECONDS,
    MAX_LIFETIME_SECONDS,
    MAX_TOKEN_CHARS,
    TOKEN_TYPE,
    VerificationResult,
    verify_credential,
)
from .discovery import (
    AgentDeclaration,
    DiscoveryDocument,
    DomainTrust,
    Revocations,
    UnusableKey,
    VerificationKey,
    parse_discovery_document,
    parse_revocation_document,
)
from .errors import AgentPinError, AgentPinErrorCode, TrustSourceError
from .resolvers import DiscoveryDirectory, KeyResolver, TrustBundle, open_trust_source

__all__ = [
    "ALGORITHM",
    "CLOCK_SKEW_SECONDS",
    "MAX_LIFETIME_SECONDS",
    "MAX_TOKEN_CHARS",
    "TOKEN_TYPE",
    "AgentDeclaration",
    "AgentPinError",
    "AgentPinErrorCode",
    "DiscoveryDirectory",
    "DiscoveryDocument",
    "DomainTrust",
    "KeyResolver",
    "Revocations",
    "TrustBundle",
    "TrustSourceError",
    "UnusableKey",
    "VerificationKey",
    "VerificationResult",
    "capability_covers",
    "open_trust_source",
    "parse_discovery_document",
    "parse_revocation_document",
    "verify_credential",
]
