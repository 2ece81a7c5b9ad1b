"""Delivery settings: the typed form of `[scheduler.delivery]` in symbi.toml.

String values may hold `${VAR}` references; channels resolve them at send time from the environment
they are given, so secrets never sit resolved in the settings object, the store or the logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How each built-in channel reaches the outside world; built by the runtime's config loader."""

    # HTTP channels (webhook and Slack share the timeout and retry policy).
    webhook_timeout_seconds: float = 30.0
    # Total attempts per delivery, the first included; values below 1 mean a single attempt.
    webhook_retry_attempts: int = 3
    # Delay before retry n (1-based) is `retry_backoff_seconds * 2**(n-1)`, never above the cap;
    # a Retry-After header replaces the computed delay, still within the cap.
    retry_backoff_seconds: float = 1.0
    retry_backoff_max_seconds: float = 30.0
    # `Authorization` value for webhooks whose job sets none (the spec's SYMBI_WEBHOOK_AUTH_HEADER);
    # normally a `${VAR}` reference, resolved at send time.
    webhook_auth_header: str | None = None

    # Slack: `chat.postMessage` when a token is set (it honours the job's channel), else the webhook.
    slack_api_token: str | None = None
    slack_webhook_url: str | None = None
    slack_default_channel: str | None = None
    slack_api_base_url: str = "https://slack.com/api"

    # Email over SMTP.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    # STARTTLS on a plain connection (port 587), or TLS from the first byte (`smtp_implicit_tls`, port 465).
    # A login is never sent over a connection without TLS.
    smtp_starttls: bool = True
    smtp_implicit_tls: bool = False
    smtp_timeout_seconds: float = 30.0
    # Attempts for failures that happen before the server accepted the message (refused, 4xx).
    smtp_retry_attempts: int = 3
    # Extra CA bundle to trust (a private relay's self-signed certificate); verification stays on.
    smtp_ca_file: Path | None = None
    # Turning verification off exposes the password to anyone on the path; for lab setups only.
    smtp_verify: bool = True
    email_from: str | None = None

    # Hosts runs may send to (webhook, Slack, endpoint agents); empty: any host for jobs from files and
    # none for jobs made over the HTTP API (see symbi_runtime.delivery.egress).
    allowed_hosts: tuple[str, ...] = ()

    # The `log_file` channel writes `{log_dir}/{job}.log`.
    log_dir: Path = Path(".symbi/logs")

    @property
    def http_attempts(self) -> int:
        """Total attempts for webhook and Slack posts (at least one)."""
        return max(1, self.webhook_retry_attempts)

    @property
    def smtp_attempts(self) -> int:
        """Total attempts for an email (at least one)."""
        return max(1, self.smtp_retry_attempts)

    def backoff(self, retry: int) -> float:
        """The delay before retry number `retry` (1-based): exponential from the base, capped."""
        # The exponent is bounded so a large retry count cannot overflow the float before the cap applies.
        delay = self.retry_backoff_seconds * (1 << min(max(0, retry - 1), 30))
        return max(0.0, min(delay, self.retry_backoff_max_seconds))
