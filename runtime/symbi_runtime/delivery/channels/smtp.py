"""The `email` channel: one message per run over SMTP (STARTTLS or implicit TLS, login when configured).

smtplib is blocking, so each send runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from symbi_lang.interpolation import UnresolvedVariable
from symbi_runtime.delivery.channel import failed, succeeded
from symbi_runtime.delivery.clock import DeliveryClock
from symbi_runtime.delivery.message import DeliveryMessage, DeliveryReceipt
from symbi_runtime.delivery.redaction import Secrets
from symbi_runtime.delivery.settings import DeliverySettings

logger = logging.getLogger("symbi_runtime.delivery")


@dataclass(frozen=True, slots=True)
class _SmtpTarget:
    """Connection settings with every `${VAR}` resolved; lives only for one delivery."""

    host: str
    port: int
    timeout: float
    starttls: bool
    implicit_tls: bool
    tls: ssl.SSLContext
    username: str | None
    password: str | None


def email_subject(message: DeliveryMessage) -> str:
    """`[symbi] {job} {status}` on one line."""
    return " ".join(f"[symbi] {message.job.name} {message.status}".split())


class EmailChannel:
    """Sends the run to `job.email_recipients` from `email_from`."""

    name = "email"

    def __init__(self, clock: DeliveryClock) -> None:
        self._clock = clock

    async def deliver(
        self, message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str]
    ) -> DeliveryReceipt:
        job = message.job
        if not job.email_recipients:
            return failed(self.name, self._clock, f"job {job.name!r} has no email_recipients")
        if not settings.smtp_host:
            return failed(self.name, self._clock, "smtp_host is not set in [scheduler.delivery]")
        if not settings.email_from:
            return failed(self.name, self._clock, "email_from is not set in [scheduler.delivery]")
        secrets = Secrets()
        try:
            target = _target(settings, env, secrets)
            sender = secrets.resolve(settings.email_from, env)
            recipients = [secrets.resolve(r, env) for r in job.email_recipients]
        except UnresolvedVariable as exc:
            return failed(self.name, self._clock, str(exc))
        except (OSError, ssl.SSLError) as exc:  # an unreadable smtp_ca_file
            return failed(self.name, self._clock, f"cannot load smtp_ca_file: {exc}")
        if target.username and not (target.starttls or target.implicit_tls):
            return failed(
                self.name,
                self._clock,
                "refusing to send SMTP credentials without TLS: "
                "set smtp_starttls or smtp_implicit_tls in [scheduler.delivery]",
            )
        email = self._compose(message, sender, recipients)

        attempts = settings.smtp_attempts
        for attempt in range(1, attempts + 1):
            try:
                refused = await asyncio.to_thread(_send, target, email, sender, recipients)
            except (smtplib.SMTPException, OSError) as exc:
                error = secrets.scrub(_describe(exc, target))
                if attempt == attempts or not _transient(exc):
                    return failed(self.name, self._clock, error, attempts=attempt)
                delay = settings.backoff(attempt)
                logger.warning(
                    "email delivery attempt %d/%d failed (%s); retrying in %.2fs",
                    attempt,
                    attempts,
                    error,
                    delay,
                )
                await self._clock.sleep(delay)
                continue
            accepted = len(recipients) - len(refused)
            if refused:
                # Partly delivered: a success for some recipients, still a failure of the job's intent.
                return failed(
                    self.name,
                    self._clock,
                    secrets.scrub("refused: " + ", ".join(f"{r} ({c[0]})" for r, c in refused.items())),
                    attempts=attempt,
                    detail=f"{accepted} of {len(recipients)} recipients",
                )
            return succeeded(self.name, self._clock, _count(accepted), attempts=attempt)
        raise AssertionError("unreachable: the loop returns on its last attempt")

    def _compose(self, message: DeliveryMessage, sender: str, recipients: list[str]) -> EmailMessage:
        email = EmailMessage()
        email["Subject"] = email_subject(message)
        email["From"] = sender
        email["To"] = ", ".join(recipients)
        email["Date"] = format_datetime(self._clock.now())
        # An explicit domain: make_msgid's default looks up the FQDN, which can stall on broken DNS.
        email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "symbi.invalid")
        email["X-Symbi-Job"] = " ".join(message.job.name.split())
        email["X-Symbi-Run"] = " ".join(message.run_id.split())
        email.set_content(message.render_text())
        return email


def _target(settings: DeliverySettings, env: Mapping[str, str], secrets: Secrets) -> _SmtpTarget:
    username = settings.smtp_username
    password = settings.smtp_password
    return _SmtpTarget(
        host=secrets.resolve(settings.smtp_host or "", env),
        port=settings.smtp_port,
        timeout=settings.smtp_timeout_seconds,
        starttls=settings.smtp_starttls and not settings.smtp_implicit_tls,
        implicit_tls=settings.smtp_implicit_tls,
        tls=_tls_context(settings),
        username=None if username is None else secrets.resolve(username, env, secret=True),
        password=None if password is None else secrets.resolve(password, env, secret=True),
    )


def _tls_context(settings: DeliverySettings) -> ssl.SSLContext:
    if not settings.smtp_verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    cafile = None if settings.smtp_ca_file is None else str(settings.smtp_ca_file)
    context = ssl.create_default_context()
    if cafile:
        # In addition to the system store, so a private CA does not stop public relays from verifying.
        context.load_verify_locations(cafile=cafile)
    return context


def _send(
    target: _SmtpTarget, email: EmailMessage, sender: str, recipients: list[str]
) -> dict[str, tuple[int, bytes]]:
    smtp: smtplib.SMTP
    if target.implicit_tls:
        smtp = smtplib.SMTP_SSL(target.host, target.port, timeout=target.timeout, context=target.tls)
    else:
        smtp = smtplib.SMTP(target.host, target.port, timeout=target.timeout)
    with smtp:
        smtp.ehlo()
        if target.starttls:
            smtp.starttls(context=target.tls)
            smtp.ehlo()
        if target.username:
            smtp.login(target.username, target.password or "")
        return smtp.send_message(email, from_addr=sender, to_addrs=recipients)


def _transient(exc: BaseException) -> bool:
    """Worth another attempt: the server was unreachable, hung up, or answered 4xx."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    # Plain socket trouble (refused, reset, timed out); TLS and protocol errors will not heal.
    return not isinstance(exc, smtplib.SMTPException | ssl.SSLError)


def _describe(exc: BaseException, target: _SmtpTarget) -> str:
    where = f"{target.host}:{target.port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"SMTP login to {where} rejected ({exc.smtp_code} {_text(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{r} ({c[0]})" for r, c in exc.recipients.items())
        return f"every recipient was refused by {where}: {refused}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP server {where} answered {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPNotSupportedError) and target.starttls:
        return f"SMTP server {where} does not offer STARTTLS ({exc})"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection to SMTP server {where} refused"
    if isinstance(exc, TimeoutError):
        return f"timed out talking to SMTP server {where}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS with SMTP server {where} failed: {exc}"
    return f"{type(exc).__name__} talking to SMTP server {where}: {exc}"


def _text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return " ".join(text.split())


def _count(n: int) -> str:
    return f"{n} recipient" if n == 1 else f"{n} recipients"
