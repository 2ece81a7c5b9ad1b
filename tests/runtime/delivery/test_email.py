"""The email channel against loopback aiosmtpd requiring STARTTLS (self-signed cert) and AUTH LOGIN."""

from __future__ import annotations

import email
from collections.abc import Callable
from email.message import Message
from typing import Any

from symbi_runtime.delivery import DeliveryMessage, DeliveryRouter, DeliverySettings

MakeMessage = Callable[..., DeliveryMessage]
ENV = {"SMTP_USER": "mailer", "SMTP_PASS": "s3cret-smtp-password"}
RECIPIENTS = ("ops@example.com", "security@example.com")


def smtp_settings(server: Any, **extra: Any) -> DeliverySettings:
    values: dict[str, Any] = {
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_username": "${SMTP_USER}",
        "smtp_password": "${SMTP_PASS}",
        "smtp_ca_file": server.ca_file,
        "smtp_timeout_seconds": 5,
        "email_from": "symbi@example.com",
        "retry_backoff_seconds": 0.5,
    }
    values.update(extra)
    return DeliverySettings(**values)


def email_job(**extra: Any) -> dict[str, Any]:
    return {"delivery": ("email",), "email_recipients": RECIPIENTS, **extra}


def parsed(envelope: Any) -> Message:
    return email.message_from_bytes(envelope.original_content)


async def test_sends_over_starttls_after_auth_login(
    smtp_server: Any, message_for: MakeMessage, clock: Any
) -> None:
    router = DeliveryRouter(smtp_settings(smtp_server), ENV, clock=clock)
    [receipt] = await router.route(message_for("nightly scan: 0 findings\n", **email_job()))

    assert receipt.ok and receipt.detail == "2 recipients" and receipt.attempts == 1
    assert smtp_server.logins.attempts == [("LOGIN", "mailer", True)]
    [envelope] = smtp_server.handler.messages
    assert envelope.mail_from == "symbi@example.com"
    assert envelope.rcpt_tos == list(RECIPIENTS)
    mail = parsed(envelope)
    assert mail["Subject"] == "[symbi] report succeeded"
    assert mail["To"] == "ops@example.com, security@example.com"
    assert (mail["X-Symbi-Job"], mail["X-Symbi-Run"]) == ("report", "run-0001")
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes) and b"nightly scan: 0 findings" in payload


async def test_a_rejected_login_fails_without_retrying_or_leaking_the_password(
    smtp_server: Any, message_for: MakeMessage, clock: Any
) -> None:
    env = {"SMTP_USER": "mailer", "SMTP_PASS": "wrong-password-123"}
    [receipt] = await DeliveryRouter(smtp_settings(smtp_server), env, clock=clock).route(
        message_for(**email_job())
    )
    assert not receipt.ok and receipt.attempts == 1 and clock.sleeps == []
    assert receipt.error is not None
    assert receipt.error.startswith(f"SMTP login to {smtp_server.host}:{smtp_server.port} rejected (535")
    assert "wrong-password-123" not in repr(receipt)
    assert smtp_server.handler.messages == []


async def test_temporary_failures_are_retried_with_backoff(
    flaky_smtp_server: Any, message_for: MakeMessage, clock: Any
) -> None:
    [receipt] = await DeliveryRouter(smtp_settings(flaky_smtp_server), ENV, clock=clock).route(
        message_for(**email_job())
    )
    assert receipt.ok and receipt.attempts == 3
    assert clock.sleeps == [0.5, 1.0]
    assert flaky_smtp_server.handler.data_commands == 3
    assert len(flaky_smtp_server.handler.messages) == 1


async def test_an_untrusted_certificate_stops_before_login(
    smtp_server: Any, message_for: MakeMessage, clock: Any
) -> None:
    settings = smtp_settings(smtp_server, smtp_ca_file=None)
    [receipt] = await DeliveryRouter(settings, ENV, clock=clock).route(message_for(**email_job()))
    assert not receipt.ok and receipt.attempts == 1
    assert receipt.error is not None
    assert receipt.error.startswith(f"TLS with SMTP server {smtp_server.host}:{smtp_server.port} failed")
    assert smtp_server.logins.attempts == [] and smtp_server.handler.messages == []


async def test_a_server_without_starttls_never_receives_the_password(
    plain_smtp_server: Any, message_for: MakeMessage, clock: Any
) -> None:
    [receipt] = await DeliveryRouter(smtp_settings(plain_smtp_server), ENV, clock=clock).route(
        message_for(**email_job())
    )
    assert not receipt.ok
    assert receipt.error is not None and "does not offer STARTTLS" in receipt.error
    assert plain_smtp_server.logins.attempts == [] and plain_smtp_server.handler.messages == []


async def test_implicit_tls_delivers_and_logs_in_encrypted(
    implicit_tls_smtp_server: Any, message_for: MakeMessage, clock: Any
) -> None:
    settings = smtp_settings(implicit_tls_smtp_server, smtp_implicit_tls=True)
    [receipt] = await DeliveryRouter(settings, ENV, clock=clock).route(message_for(**email_job()))
    assert receipt.ok, receipt.error
    assert implicit_tls_smtp_server.logins.attempts == [("LOGIN", "mailer", True)]
    assert len(implicit_tls_smtp_server.handler.messages) == 1


async def test_credentials_are_never_sent_without_tls(
    plain_smtp_server: Any, message_for: MakeMessage, clock: Any
) -> None:
    settings = smtp_settings(plain_smtp_server, smtp_starttls=False)
    [receipt] = await DeliveryRouter(settings, ENV, clock=clock).route(message_for(**email_job()))
    assert not receipt.ok and receipt.attempts == 0
    assert receipt.error == (
        "refusing to send SMTP credentials without TLS: "
        "set smtp_starttls or smtp_implicit_tls in [scheduler.delivery]"
    )
    assert plain_smtp_server.handler.messages == []


async def test_an_unauthenticated_relay_without_tls_is_allowed(
    plain_smtp_server: Any, message_for: MakeMessage, clock: Any
) -> None:
    settings = smtp_settings(plain_smtp_server, smtp_starttls=False, smtp_username=None, smtp_password=None)
    [receipt] = await DeliveryRouter(settings, {}, clock=clock).route(message_for(**email_job()))
    assert receipt.ok and receipt.detail == "2 recipients"
    assert plain_smtp_server.logins.attempts == [] and len(plain_smtp_server.handler.messages) == 1


async def test_missing_configuration_is_reported_per_setting(message_for: MakeMessage, clock: Any) -> None:
    router = DeliveryRouter(DeliverySettings(email_from="a@b.c"), {}, clock=clock)
    [no_recipients] = await router.route(message_for(delivery=("email",)))
    [no_host] = await router.route(message_for(**email_job()))
    assert no_recipients.error == "job 'report' has no email_recipients"
    assert no_host.error == "smtp_host is not set in [scheduler.delivery]"
