"""Are secrets kept out of the file: header credentials and AgentPin tokens as `${VAR}` references?"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

from symbi_lang import codes
from symbi_lang.ast import Block, MapValue, Module, StringValue
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.walk import entries
from symbi_lang.diagnostics import Diagnostic

#: Header names that carry credentials.
SECRET_HEADER = re.compile(r"auth|token|key|secret|passw|cookie|signature|credential|session", re.IGNORECASE)
#: Values that are credentials whatever the header is called.
SECRET_VALUE = re.compile(r"^(bearer|basic|token)\s+\S", re.IGNORECASE)


def url_credential(url: str) -> str | None:
    """What secret a literal URL carries, if any: a password, or a token-like query parameter."""
    parts = urlsplit(url)
    if parts.password:
        return "a password"
    for key, value in parse_qsl(parts.query, keep_blank_values=False):
        if value and SECRET_HEADER.search(key):
            return f"query parameter `{key}`"
    return None


SHELL_STYLE_ONLY = re.compile(r"(?:\w+ )?\$[A-Za-z_][A-Za-z0-9_]*")


def check_secrets(module: Module, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Literal credentials in `webhook_headers`, `webhook_url` and `agent_pin_jwt` (warnings)."""
    for item in module.items:
        if item.kind != "schedule":
            continue
        headers = item.field("webhook_headers")
        if headers is not None and isinstance(headers.value, (MapValue, Block)):
            for e in entries(headers.value):
                node = e.node
                if not isinstance(node, StringValue) or not node.value.strip() or "${" in node.value:
                    continue
                if SHELL_STYLE_ONLY.fullmatch(node.value.strip()):
                    continue  # `$API_KEY`: a reference written wrong (SYM507 says so), not a literal secret
                if SECRET_HEADER.search(e.name) or SECRET_VALUE.match(node.value):
                    env = re.sub(r"[^A-Z0-9]+", "_", e.name.upper()).strip("_") or "SECRET"
                    scheme = node.value.split()[0] + " " if SECRET_VALUE.match(node.value) else ""
                    yield codes.LITERAL_SECRET_HEADER.at(
                        node.span,
                        header=e.name,
                        help=f'use a reference resolved when the job runs: "{scheme}${{{env}}}"',
                    )
        url = item.field("webhook_url")
        if url is not None and isinstance(url.value, StringValue) and "${" not in url.value.value:
            what = url_credential(url.value.value)
            if what is not None:
                yield codes.LITERAL_URL_CREDENTIAL.at(
                    url.value.span,
                    name="webhook_url",
                    what=what,
                    help='put the whole URL in the environment: `webhook_url: "${WEBHOOK_URL}"`',
                )
        jwt = item.field("agent_pin_jwt")
        if (
            jwt is not None
            and isinstance(jwt.value, StringValue)
            and jwt.value.value
            and "${" not in jwt.value.value
        ):
            yield codes.LITERAL_AGENT_PIN.at(jwt.value.span, help='write `agent_pin_jwt: "${AGENT_PIN_JWT}"`')
