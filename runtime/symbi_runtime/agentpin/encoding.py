"""Strict decoding of the untrusted parts of a credential: base64url, JSON, domain names and key ids."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from .errors import AgentPinError, AgentPinErrorCode

_B64URL = re.compile(r"[A-Za-z0-9_-]*\Z")
# One or more LDH labels (RFC 1123), 253 characters at most. No ports, paths, dots at either end.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})*\Z")
# Key ids are opaque names (upstream uses SHA-256 hex or "example-2026-01"); nothing path-like.
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}\Z")


def b64url_decode(segment: str) -> bytes:
    """Decode unpadded base64url, rejecting padding, stray characters and non-canonical encodings."""
    if not _B64URL.match(segment) or len(segment) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not unpadded base64url") from exc
    # Unused low bits in the last character would let one signature have many spellings.
    if b64url_encode(data) != segment:
        raise ValueError("non-canonical base64url")
    return data


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise AgentPinError(AgentPinErrorCode.DUPLICATE_JSON_KEY, f"duplicate JSON key {short(key)}")
        obj[key] = value
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json_object(data: bytes | str, what: str, code: AgentPinErrorCode) -> dict[str, Any]:
    """Parse a JSON object strictly: duplicate keys raise DUPLICATE_JSON_KEY, anything else `code`."""
    try:
        value = json.loads(data, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
    except AgentPinError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, huge integers
        raise AgentPinError(code, f"{what} is not valid JSON") from exc
    if not isinstance(value, dict):
        raise AgentPinError(code, f"{what} is not a JSON object")
    return value


def is_plain_domain(value: object) -> bool:
    """True for a bare DNS name such as `example.com` (never a path, URL or port)."""
    return isinstance(value, str) and _DOMAIN.match(value) is not None


def is_plain_key_id(value: object) -> bool:
    """True for an opaque key id: letters, digits, `._:-`, at most 128 characters, no `..`."""
    return isinstance(value, str) and _KEY_ID.match(value) is not None and ".." not in value


def short(value: object, limit: int = 80) -> str:
    """A bounded repr for messages, so attacker-sized values never bloat logs."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
