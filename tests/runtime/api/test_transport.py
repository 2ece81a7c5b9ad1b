"""HTTPS with --api-tls-cert/--api-tls-key (a self-signed certificate made here), and the warning for
a non-loopback address served without TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import ssl
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from symbi_runtime.api import serve_api
from symbi_runtime.runtime import Runtime

TOKEN = "tls-token-0123456789"


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # valid 2020-2100: never expires under faketime
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


async def test_the_api_serves_https_with_a_given_certificate(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    async with Runtime(db_path=tmp_path / "tls.db", env={}) as rt:
        server = await serve_api(rt, token=TOKEN, port=0, tls_cert=cert, tls_key=key)
        try:
            assert server.url.startswith("https://127.0.0.1:")
            trusted = ssl.create_default_context(cafile=str(cert))
            async with httpx.AsyncClient(verify=trusted, timeout=10) as client:
                r = await client.get(f"{server.url}/api/v1/health")
                assert r.status_code == 200 and r.json()["status"] == "healthy"
            async with httpx.AsyncClient(verify=True, timeout=10) as client:  # not trusted by default
                with pytest.raises(httpx.ConnectError):
                    await client.get(f"{server.url}/api/v1/health")
        finally:
            await server.close()


async def test_non_loopback_without_tls_logs_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with Runtime(db_path=tmp_path / "w.db", env={}) as rt:
        with caplog.at_level(logging.WARNING, logger="symbi_runtime.api"):
            server = await serve_api(rt, token=TOKEN, host="0.0.0.0", port=0)
            await server.close()
            quiet = await serve_api(rt, token=TOKEN, host="127.0.0.1", port=0)
            await quiet.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "0.0.0.0 without TLS" in warnings[0]


async def test_tls_needs_both_files(tmp_path: Path) -> None:
    cert, _ = _self_signed(tmp_path)
    async with Runtime(db_path=tmp_path / "x.db", env={}) as rt:
        with pytest.raises(ValueError, match="both"):
            await serve_api(rt, token=TOKEN, port=0, tls_cert=cert)
