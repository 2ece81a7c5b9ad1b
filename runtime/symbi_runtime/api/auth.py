"""Who is calling: the bearer token names a principal with scopes; every route declares one scope.

Tokens are compared as SHA-256 digests with `hmac.compare_digest`, against every configured token
(no early exit), so timing reveals neither a token nor which one matched. The actor recorded for an
action is the token's principal, never a value from the body.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.requests import Request

from symbi_runtime.api.errors import ApiProblem, ErrorCode
from symbi_runtime.api.settings import ApiSettings, Scope, TokenSpec, digest


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal behind a request (anonymous on public routes)."""

    principal: str
    scopes: frozenset[Scope]

    def allows(self, scope: Scope) -> bool:
        return scope is Scope.PUBLIC or Scope.ADMIN in self.scopes or scope in self.scopes


ANONYMOUS = Caller("anonymous", frozenset())


def identify(request: Request, settings: ApiSettings) -> Caller | None:
    """The caller whose token the request carries, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return None
    wanted = digest(given.strip())
    found: TokenSpec | None = None
    for token in settings.tokens:
        if hmac.compare_digest(wanted, token.sha256) and found is None:
            found = token
    return None if found is None else Caller(found.principal, found.scopes)


def authorize(request: Request, settings: ApiSettings, scope: Scope) -> Caller:
    """The caller, when allowed `scope`; raises 401 (no/unknown token) or 403 (scope missing)."""
    if scope is Scope.PUBLIC:
        return identify(request, settings) or ANONYMOUS
    caller = identify(request, settings)
    if caller is None:
        raise ApiProblem(ErrorCode.UNAUTHORIZED, "missing or invalid bearer token")
    if not caller.allows(scope):
        raise ApiProblem(
            ErrorCode.FORBIDDEN, f"this route needs the '{scope.value}' scope; {caller.principal} lacks it"
        )
    return caller
