"""AgentPin constraints: a credential may narrow the limits its issuer sets for an agent, never widen them.

Three constraints are compared (as the AgentPin protocol defines them): `data_classification_max`
(public < internal < confidential < restricted), `rate_limit` ("N/second|minute|hour") and
`allowed_domains` (exact names or `*.suffix` patterns). A credential without constraints inherits the
issuer's. Where the issuer states a limit and the credential states one we cannot compare (an unknown
classification, an unreadable rate), the credential is refused: an unreadable limit is not a narrower one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .encoding import short
from .errors import AgentPinError, AgentPinErrorCode

CLASSIFICATION_ORDER = {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}
_PER_HOUR = {"second": 3600, "minute": 60, "hour": 1}


def parse_constraints(value: object, what: str, code: AgentPinErrorCode) -> Mapping[str, Any] | None:
    """A constraints object (None when absent); `code` names the document it came from."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise AgentPinError(code, f"{what} constraints is not an object")
    return value


def rate_per_hour(rate: object) -> int | None:
    """`"100/minute"` → 6000 requests per hour; None when unreadable."""
    if not isinstance(rate, str):
        return None
    count, sep, unit = rate.strip().partition("/")
    if not sep or not count.isdigit() or unit not in _PER_HOUR:
        return None
    return int(count) * _PER_HOUR[unit]


def domain_allowed(pattern: str, domain: str) -> bool:
    """`pattern` is a domain name, or `*.suffix` matching any name strictly under `suffix`."""
    if pattern == domain:
        return True
    if pattern.startswith("*."):
        return domain.endswith(pattern[1:]) and len(domain) > len(pattern) - 1
    return False


def check_within(declared: Mapping[str, Any] | None, claimed: Mapping[str, Any] | None) -> None:
    """Raise CONSTRAINT_VIOLATION unless `claimed` is at least as restrictive as `declared`."""
    if not declared or not claimed:
        return
    _classification(declared.get("data_classification_max"), claimed.get("data_classification_max"))
    _rate(declared.get("rate_limit"), claimed.get("rate_limit"))
    _domains(declared.get("allowed_domains"), claimed.get("allowed_domains"))


def _violation(message: str) -> AgentPinError:
    return AgentPinError(AgentPinErrorCode.CONSTRAINT_VIOLATION, message)


def _classification(declared: object, claimed: object) -> None:
    if declared is None or claimed is None:
        return
    limit = CLASSIFICATION_ORDER.get(declared) if isinstance(declared, str) else None
    asked = CLASSIFICATION_ORDER.get(claimed) if isinstance(claimed, str) else None
    if limit is None:
        return  # the issuer's own value is unreadable: it constrains nothing we can enforce
    if asked is None or asked > limit:
        raise _violation(f"data_classification_max {short(claimed)} exceeds the issuer's {short(declared)}")


def _rate(declared: object, claimed: object) -> None:
    if declared is None or claimed is None:
        return
    limit, asked = rate_per_hour(declared), rate_per_hour(claimed)
    if limit is None:
        return
    if asked is None or asked > limit:
        raise _violation(f"rate_limit {short(claimed)} exceeds the issuer's {short(declared)}")


def _domains(declared: object, claimed: object) -> None:
    if declared is None or claimed is None:
        return
    if not isinstance(declared, list) or not all(isinstance(d, str) for d in declared):
        return
    if not isinstance(claimed, list) or not all(isinstance(d, str) for d in claimed):
        raise _violation("allowed_domains is not a list of domain names")
    outside = [d for d in claimed if not any(domain_allowed(p, d) for p in declared)]
    if outside:
        raise _violation(f"allowed_domains {', '.join(map(short, outside))} outside the issuer's")
