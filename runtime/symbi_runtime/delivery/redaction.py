"""Keeping resolved secrets out of receipts and logs.

Every value resolved from the environment for a delivery is remembered and scrubbed out of any text
that leaves the channel; URLs are shown as `scheme://host[:port]` only, since paths and queries of
webhook URLs (Slack's in particular) are credentials.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

from symbi_lang.interpolation import references, resolve

REDACTED = "***"

# Shorter values are not worth hiding and would mangle unrelated text ("1", "on", "ok").
_MIN_SECRET_LENGTH = 4


class Secrets:
    """The secret values met while preparing one delivery; scrubs them out of text."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: str | None) -> None:
        """Remember `value` as secret, with the forms it takes when echoed back in JSON or in a URL."""
        if value is None or len(value) < _MIN_SECRET_LENGTH:
            return
        self._values.add(value)
        for form in (json.dumps(value)[1:-1], quote(value, safe=""), quote(value, safe="/:=&?@")):
            if len(form) >= _MIN_SECRET_LENGTH:
                self._values.add(form)

    def add_url(self, url: str) -> None:
        """Remember a URL whose path and query are secret (a Slack webhook, a tokenised endpoint)."""
        self.add(url)
        parts = urlsplit(url)
        self.add(parts.path)
        self.add(parts.query)

    def resolve(self, template: str, env: Mapping[str, str], *, secret: bool = False) -> str:
        """Resolve `${VAR}` in `template`, remembering every substituted value (and the result if `secret`).

        Raises `UnresolvedVariable` for an unset variable without a default.
        """
        value = resolve(template, env)
        for ref in references(template):
            self.add(env.get(ref.name))
        if secret:
            self.add(value)
        return value

    def scrub(self, text: str) -> str:
        """`text` with every remembered secret replaced by `***` (longest first, so overlaps vanish)."""
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, REDACTED)
        return text

    def merged(self, other: Secrets) -> Secrets:
        """A new set holding the values of both."""
        combined = Secrets()
        combined._values = self._values | other._values
        return combined


def redact_url(url: str) -> str:
    """`scheme://host[:port]` of `url`: enough to say where, nothing that authenticates."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<invalid URL>"
    if not parts.scheme or not host:
        return "<invalid URL>"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")
