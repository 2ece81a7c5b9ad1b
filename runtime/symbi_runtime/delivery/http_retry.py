"""POSTing JSON with the delivery retry policy (shared by the webhook and Slack channels).

Retries connection errors, timeouts, 5xx and 429 with exponential backoff (Retry-After honoured within
the cap); any other answer is final. Error texts name the host only and never carry a secret.
"""

from __future__ import annotations

import functools
import json
import logging
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from symbi_runtime.delivery.clock import DeliveryClock
from symbi_runtime.delivery.redaction import Secrets, redact_url
from symbi_runtime.delivery.settings import DeliverySettings

logger = logging.getLogger("symbi_runtime.delivery")

USER_AGENT = "symbi-delivery/1"


class RedactRequestUrls(logging.Filter):
    """httpx logs every request's full URL at INFO; webhook URLs carry credentials in their path and
    query (a Slack incoming webhook is nothing but its URL), so those records keep `scheme://host` only."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            isinstance(record.msg, str)
            and record.msg.startswith("HTTP Request:")
            and isinstance(args, tuple)
            and len(args) >= 2
        ):
            record.args = (args[0], redact_url(str(args[1])), *args[2:])
        return True


def _install_url_redaction() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactRequestUrls) for f in httpx_logger.filters):
        httpx_logger.addFilter(RedactRequestUrls())


_install_url_redaction()


@dataclass(frozen=True, slots=True)
class PostOutcome:
    """The last attempt of a POST: its response, or why no response came."""

    attempts: int
    response: httpx.Response | None
    transport_error: str | None

    def failure(self, where: str, scrub: Callable[[str], str] = str) -> str:
        """Why the POST counts as failed when the caller rejects it (for the receipt's error). `scrub`
        removes secrets from the response body before it is cut short (a cut secret would not match)."""
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        if self.response is None:
            return f"{self.transport_error}{tries}"
        return f"HTTP {self.response.status_code} from {where}{tries}{_body_hint(self.response, scrub)}"


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """httpx's default verifying TLS context, built once per process: loading the CA bundle for every
    new client costs tens of milliseconds, more than the delivery itself on a loopback or LAN hook."""
    return httpx.create_ssl_context()


def check_http_url(url: str) -> str | None:
    """Why `url` cannot be posted to (not http/https, no host), or None when it can."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "is not a valid URL"
    if parsed.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parsed.host:
        return "has no host"
    return None


async def post_json(
    url: str,
    payload: Any,
    *,
    headers: Mapping[str, str],
    settings: DeliverySettings,
    clock: DeliveryClock,
    secrets: Secrets,
    channel: str,
) -> PostOutcome:
    """POST `payload` as JSON to `url`, retrying transient failures; never raises for HTTP trouble."""
    where = redact_url(url)
    body = json.dumps(payload, ensure_ascii=False).encode()
    # Lower-cased keys so a job's own Content-Type replaces ours instead of being sent twice.
    sent = {"content-type": "application/json; charset=utf-8", "user-agent": USER_AGENT}
    sent.update({k.lower(): v for k, v in headers.items()})
    attempts = settings.http_attempts
    response: httpx.Response | None = None
    error: str | None = None
    async with httpx.AsyncClient(
        timeout=settings.webhook_timeout_seconds, follow_redirects=False, verify=shared_tls_context()
    ) as client:
        for attempt in range(1, attempts + 1):
            retry_after: float | None = None
            try:
                response = await client.post(url, content=body, headers=sent)
            except httpx.TransportError as exc:
                response = None
                error = secrets.scrub(_describe(exc, where))
                if _untrusted_certificate(exc):
                    return PostOutcome(attempt, None, error)  # will not heal by retrying
            else:
                error = None
                if not _retryable(response.status_code):
                    return PostOutcome(attempt, response, None)
                retry_after = _retry_after(response, clock.now())
            if attempt == attempts:
                break
            delay = settings.backoff(attempt)
            if retry_after is not None:
                delay = min(retry_after, settings.retry_backoff_max_seconds)
            why = error if response is None else f"HTTP {response.status_code} from {where}"
            logger.warning(
                "%s delivery attempt %d/%d failed (%s); retrying in %.2fs",
                channel,
                attempt,
                attempts,
                why,
                delay,
            )
            await clock.sleep(delay)
    return PostOutcome(attempts, response, error)


def _untrusted_certificate(exc: BaseException) -> bool:
    """Whether the failure is a certificate the verifier rejected (anywhere in the exception chain)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _retry_after(response: httpx.Response, now: datetime) -> float | None:
    """Seconds the server asked us to wait (delta-seconds or an HTTP date), or None."""
    raw = response.headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _describe(exc: httpx.TransportError, where: str) -> str:
    # httpx messages may embed the full URL; they are scrubbed by the caller, and we lead with the host.
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out talking to {where}"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {where}: {exc}"
    return f"{type(exc).__name__} talking to {where}: {exc}"


def _body_hint(response: httpx.Response, scrub: Callable[[str], str] = str) -> str:
    """A short, single-line excerpt of an error body (Slack says `invalid_token`, `no_service`…)."""
    text = " ".join(scrub(response.text).split())[:200]
    return f": {text}" if text else ""
