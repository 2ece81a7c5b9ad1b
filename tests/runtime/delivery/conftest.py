"""Fixtures for delivery tests: a message factory, a clock that records backoff instead of waiting, and a
loopback SMTP server (aiosmtpd) that requires STARTTLS with a freshly generated self-signed certificate
and AUTH LOGIN."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from symbi_runtime.delivery import DeliveryMessage

from symbi_lang.ir import JobDefinition

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
SMTP_USER = "mailer"
SMTP_PASSWORD = "s3cret-smtp-password"


class RecordingClock:
    """A delivery clock whose sleeps return at once and are recorded (the backoff schedule)."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return T0

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> RecordingClock:
    return RecordingClock()


def make_message(output: str = "all good\n", *, status: str = "succeeded", **job: Any) -> DeliveryMessage:
    """A finished run of a job built from `job` fields (name defaults to `report`)."""
    fields: dict[str, Any] = {"name": "report", "agent_id": "reporter", "cron_expr": "0 0 9 * * *"}
    fields.update(job)
    return DeliveryMessage(
        job=JobDefinition(**fields),
        job_id="job-0001",
        run_id="run-0001",
        scheduled_for=T0,
        started_at=T0 + timedelta(seconds=1),
        finished_at=T0 + timedelta(seconds=3),
        status=status,
        output=output,
    )


# --- SMTP ------------------------------------------------------------------------------------------


@dataclass
class SmtpHandler:
    """Collects accepted messages; can answer the first `fail_first` DATA commands with a 451."""

    fail_first: int = 0
    messages: list[Envelope] = field(default_factory=list)
    data_commands: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.data_commands += 1
        if self.data_commands <= self.fail_first:
            return "451 4.3.0 try again later"
        self.messages.append(envelope)
        return "250 OK"


@dataclass
class LoginLog:
    """Which mechanisms clients used, and whether the session was under TLS when they did."""

    attempts: list[tuple[str, str, bool]] = field(default_factory=list)

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        user = auth_data.login.decode()
        ok = user == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
        encrypted = server.transport is not None and server.transport.get_extra_info("sslcontext") is not None
        self.attempts.append((mechanism, user, encrypted))
        return AuthResult(success=ok, handled=False)


class LoopbackController(Controller):
    """aiosmtpd's controller bound to an ephemeral port (it only knows fixed ports)."""

    def _create_server(self) -> Any:
        async def create() -> asyncio.AbstractServer:
            server = await self.loop.create_server(
                self._factory_invoker, host=self.hostname, port=0, ssl=self.ssl_context
            )
            self.port = server.sockets[0].getsockname()[1]
            return server

        return create()


@dataclass
class SmtpServer:
    host: str
    port: int
    ca_file: Path
    handler: SmtpHandler
    logins: LoginLog


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost and its key, as PEM files."""
    directory = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def start_smtp(
    tls_files: tuple[Path, Path], *, fail_first: int = 0, starttls: bool = True, implicit: bool = False
) -> tuple[LoopbackController, SmtpServer]:
    cert_path, key_path = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    handler = SmtpHandler(fail_first=fail_first)
    logins = LoginLog()
    tls: dict[str, Any] = {}
    if implicit:  # TLS from the first byte: the session is encrypted without STARTTLS
        tls = {"ssl_context": context, "auth_require_tls": False}
    elif starttls:
        tls = {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    controller = LoopbackController(
        handler,
        hostname="127.0.0.1",
        authenticator=logins,
        auth_exclude_mechanism=["PLAIN"],
        **tls,
    )
    controller.start()
    return controller, SmtpServer("127.0.0.1", controller.port, cert_path, handler, logins)


@pytest.fixture
def smtp_server(tls_files: tuple[Path, Path]) -> Iterator[SmtpServer]:
    controller, server = start_smtp(tls_files)
    yield server
    controller.stop()


@pytest.fixture
def flaky_smtp_server(tls_files: tuple[Path, Path]) -> Iterator[SmtpServer]:
    controller, server = start_smtp(tls_files, fail_first=2)
    yield server
    controller.stop()


@pytest.fixture
def implicit_tls_smtp_server(tls_files: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """A server speaking TLS from the first byte (SMTPS, as on port 465)."""
    controller, server = start_smtp(tls_files, implicit=True)
    yield server
    controller.stop()


@pytest.fixture
def plain_smtp_server(tls_files: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """A server that offers no STARTTLS (and so must not receive a password)."""
    controller, server = start_smtp(tls_files, starttls=False)
    yield server
    controller.stop()


@pytest.fixture
def message_for() -> Any:
    """`message_for(output, status=..., **job_fields)` builds a DeliveryMessage."""
    return make_message
