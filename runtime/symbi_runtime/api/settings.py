"""The `[api]` table of symbi.toml: who may call the API (tokens, principals, scopes) and which `${VAR}`
references jobs created over it may use.

    [api]
    allowed_variables = ["REPORT_CHANNEL"]   # ${VAR}s API-created jobs may reference (default: none)
    max_body_bytes = 1000000

    [[api.tokens]]
    principal = "security-team"              # the actor recorded in the audit log
    scopes = ["read", "approve"]             # read, write, approve, audit, admin
    secret = "${SECURITY_TEAM_TOKEN}"        # resolved from the environment at start-up …
    # sha256 = "9f86d081…"                   # … or the hex SHA-256 of the token (nothing secret stored)

`SYMBI_API_TOKEN` in the environment adds one more token: principal `api` with the `admin` scope.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from symbi_lang.interpolation import UnresolvedVariable, resolve
from symbi_runtime.config import ConfigError

MIN_TOKEN_CHARS = 16
DEFAULT_MAX_BODY_BYTES = 1_000_000
SHORTCUT_PRINCIPAL = "api"
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")


class Scope(StrEnum):
    """What a token may do. `admin` includes every other scope; the others are independent."""

    READ = "read"
    WRITE = "write"
    APPROVE = "approve"
    AUDIT = "audit"
    ADMIN = "admin"
    #: Routes anyone may call (no token): health and the OpenAPI document.
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """One accepted bearer token, kept as its SHA-256 digest (never the token itself)."""

    principal: str
    scopes: frozenset[Scope]
    sha256: str


@dataclass(frozen=True, slots=True)
class ApiSettings:
    tokens: tuple[TokenSpec, ...] = ()
    allowed_variables: frozenset[str] = frozenset()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    source: str = "configuration"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def shortcut_token(token: str) -> TokenSpec:
    """`SYMBI_API_TOKEN`: the single-admin shortcut."""
    token = token.strip()
    if len(token) < MIN_TOKEN_CHARS:
        raise ValueError(f"the HTTP API token must be at least {MIN_TOKEN_CHARS} characters")
    return TokenSpec(SHORTCUT_PRINCIPAL, frozenset({Scope.ADMIN}), digest(token))


def load_api_settings(
    config_file: Path | None, env: Mapping[str, str], *, shortcut: str | None = None
) -> ApiSettings:
    """The `[api]` table of `config_file` (none: defaults) plus the `SYMBI_API_TOKEN` shortcut."""
    table: Mapping[str, Any] = {}
    where = str(config_file) if config_file else "configuration"
    if config_file is not None and config_file.is_file():
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"{where}: cannot read: {e}") from None
        raw = data.get("api", {})
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: [api] must be a table")
        table = raw
    return parse_api_table(table, env, where=where, shortcut=shortcut)


def parse_api_table(
    table: Mapping[str, Any],
    env: Mapping[str, str],
    *,
    where: str = "configuration",
    shortcut: str | None = None,
) -> ApiSettings:
    known = {"tokens", "allowed_variables", "max_body_bytes"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            f"{where}: [api] unknown key(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    variables = table.get("allowed_variables", [])
    if not isinstance(variables, list) or not all(
        isinstance(v, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v) for v in variables
    ):
        raise ConfigError(f"{where}: [api] allowed_variables must be a list of variable names")
    max_body = table.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)
    if isinstance(max_body, bool) or not isinstance(max_body, int) or not 1024 <= max_body <= 100_000_000:
        raise ConfigError(f"{where}: [api] max_body_bytes must be an integer from 1024 to 100000000")
    raw_tokens = table.get("tokens", [])
    if not isinstance(raw_tokens, list):
        raise ConfigError(f"{where}: [api] tokens must be an array of tables ([[api.tokens]])")
    tokens = [_token(t, i + 1, env, where) for i, t in enumerate(raw_tokens)]
    if shortcut:
        tokens.append(shortcut_token(shortcut))
    principals = [t.principal for t in tokens]
    dupes = sorted({p for p in principals if principals.count(p) > 1})
    if dupes:
        raise ConfigError(f"{where}: [api] principal(s) {', '.join(dupes)} given twice")
    return ApiSettings(tuple(tokens), frozenset(variables), max_body, where)


def _token(raw: Any, n: int, env: Mapping[str, str], where: str) -> TokenSpec:
    here = f"{where}: [[api.tokens]] #{n}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{here} must be a table")
    unknown = sorted(set(raw) - {"principal", "scopes", "secret", "sha256"})
    if unknown:
        raise ConfigError(f"{here}: unknown key(s): {', '.join(unknown)}")
    principal = raw.get("principal")
    if not isinstance(principal, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}", principal):
        raise ConfigError(f"{here}: principal must be 1-64 letters, digits, '.', '_', '@' or '-'")
    scopes_raw = raw.get("scopes")
    names = {s.value for s in Scope if s is not Scope.PUBLIC}
    if not isinstance(scopes_raw, list) or not scopes_raw or not all(s in names for s in scopes_raw):
        raise ConfigError(
            f"{here} ({principal}): scopes must be a non-empty list of {', '.join(sorted(names))}"
        )
    secret, hashed = raw.get("secret"), raw.get("sha256")
    if (secret is None) == (hashed is None):
        raise ConfigError(f'{here} ({principal}): give exactly one of secret = "${{VAR}}" and sha256')
    if secret is not None:
        if not isinstance(secret, str) or "${" not in secret:
            raise ConfigError(
                f"{here} ({principal}): secret must be a ${{VAR}} reference (keep tokens out of the file), "
                "or store its sha256"
            )
        try:
            value = resolve(secret, env).strip()
        except UnresolvedVariable as e:
            raise ConfigError(f"{here} ({principal}): {e}") from None
        if len(value) < MIN_TOKEN_CHARS:
            raise ConfigError(
                f"{here} ({principal}): the token must be at least {MIN_TOKEN_CHARS} characters"
            )
        sha = digest(value)
    else:
        if not isinstance(hashed, str) or not _HEX64.match(hashed.lower()):
            raise ConfigError(f"{here} ({principal}): sha256 must be 64 hex digits")
        sha = hashed.lower()
    return TokenSpec(principal, frozenset(Scope(s) for s in scopes_raw), sha)
