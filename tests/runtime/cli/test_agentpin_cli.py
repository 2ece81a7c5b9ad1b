"""`symbi agentpin verify`: output shapes, exit codes, credential sources; in-process and as a process."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import agentpin
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from symbi_runtime.cli.agentpin import app
from typer.testing import CliRunner

DOMAIN = "agents.example.com"
AGENT = "reporter"
AT = "2026-03-02T12:00:00+00:00"
NOW = int(datetime.fromisoformat(AT).timestamp())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    """One issuer domain with a P-256 key, as a discovery directory (and the same document as a bundle)."""

    def __init__(self, root: Path) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        n = self.key.public_key().public_numbers()
        jwk = {
            "kid": "k1",
            "kty": "EC",
            "crv": "P-256",
            "x": b64(n.x.to_bytes(32, "big")),
            "y": b64(n.y.to_bytes(32, "big")),
        }
        self.document = {
            "agentpin_version": "0.1",
            "entity": DOMAIN,
            "entity_type": "maker",
            "public_keys": [jwk],
            "agents": [{"agent_id": AGENT, "name": "R", "status": "active", "capabilities": ["read:*"]}],
            "max_delegation_depth": 1,
            "updated_at": "2026-01-01T00:00:00Z",
        }
        self.directory = root / "discovery"
        self.directory.mkdir()
        (self.directory / f"{DOMAIN}.json").write_text(json.dumps(self.document))
        self.bundle = root / "bundle.json"
        self.bundle.write_text(json.dumps({"documents": [self.document], "revocations": []}))

    def token(self, **claims: Any) -> str:
        body: dict[str, Any] = {
            "iss": DOMAIN,
            "sub": AGENT,
            "aud": "symbi",
            "iat": NOW - 60,
            "exp": NOW + 3600,
            "jti": "cred-1",
            "capabilities": ["read:reports"],
        }
        body.update(claims)
        header = {"alg": "ES256", "typ": "agentpin-credential+jwt", "kid": "k1"}
        signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(body).encode())
        return signing_input + "." + b64(self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    return Issuer(tmp_path)


runner = CliRunner()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ./symbi.toml and no SYMBI_AGENTPIN_* from the surroundings."""
    monkeypatch.chdir(tmp_path)
    for name in ("DOMAIN", "DISCOVERY_DIR", "TRUST_BUNDLE", "REQUIRED", "AUDIENCE"):
        monkeypatch.delenv(f"SYMBI_AGENTPIN_{name}", raising=False)


def verify(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["verify", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_a_valid_credential_prints_the_documented_json_and_exits_0(issuer: Issuer) -> None:
    code, out, _ = verify(
        "--credential", issuer.token(), "--agent", AGENT, "--domain", DOMAIN,
        "--discovery-dir", str(issuer.directory), "--audience", "symbi", "--at", AT, "--format", "json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out) == {
        "valid": True,
        "error_code": None,
        "message": "credential is valid",
        "agent_id": AGENT,
        "issuer": DOMAIN,
    }


def test_text_output_names_the_identity_and_capabilities(issuer: Issuer) -> None:
    code, out, _ = verify("--credential", issuer.token(), "--trust-bundle", str(issuer.bundle), "--at", AT)
    assert code == 0
    assert out == (
        f"valid: agent {AGENT} issued by {DOMAIN} (kid k1, jti cred-1)\ncapabilities: read:reports\n"
    )


@pytest.mark.parametrize(
    ("claims", "args", "error_code"),
    [
        ({"sub": "intruder"}, ["--agent", AGENT], "agent_mismatch"),
        ({}, ["--domain", "other.example.org"], "issuer_mismatch"),
        ({"exp": NOW - 120, "iat": NOW - 600}, [], "expired"),
        ({}, ["--audience", "not-symbi"], "audience_mismatch"),
    ],
)
def test_an_invalid_credential_exits_1_with_its_error_code(
    issuer: Issuer, claims: dict[str, Any], args: list[str], error_code: str
) -> None:
    code, out, _ = verify(
        "--credential", issuer.token(**claims), "--discovery-dir", str(issuer.directory), "--at", AT,
        "--format", "json", *args,
    )  # fmt: skip
    document = json.loads(out)
    assert code == 1
    assert document["valid"] is False and document["error_code"] == error_code
    assert document["issuer"] == claims.get("iss", DOMAIN)


def test_text_output_of_an_invalid_credential(issuer: Issuer) -> None:
    code, out, _ = verify("--credential", "a.b", "--discovery-dir", str(issuer.directory))
    assert (code, out) == (1, "invalid: malformed_token: credential has 2 segments, expected 3\n")


def test_the_credential_may_come_from_a_file(issuer: Issuer, tmp_path: Path) -> None:
    path = tmp_path / "agent.jwt"
    path.write_text(issuer.token() + "\n")
    code, out, _ = verify("--credential", str(path), "--discovery-dir", str(issuer.directory), "--at", AT)
    assert code == 0 and out.startswith("valid:")


def test_the_expected_domain_defaults_to_the_environment(issuer: Issuer) -> None:
    args = [
        "--credential",
        issuer.token(),
        "--discovery-dir",
        str(issuer.directory),
        "--at",
        AT,
        "--format",
        "json",
    ]
    code, out, _ = verify(*args, env={"SYMBI_AGENTPIN_DOMAIN": "elsewhere.example"})
    assert code == 1 and json.loads(out)["error_code"] == "issuer_mismatch"
    assert verify(*args, env={"SYMBI_AGENTPIN_DOMAIN": DOMAIN})[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --discovery-dir or --trust-bundle (or configure [scheduler.agentpin])"),
        (
            ["--discovery-dir", "D", "--trust-bundle", "B"],
            "give one of --discovery-dir and --trust-bundle, not both",
        ),
        (["--discovery-dir", "/nonexistent/dir"], "discovery directory /nonexistent/dir does not exist"),
        (["--trust-bundle", "/nonexistent/bundle.json"], "cannot read trust bundle bundle.json"),
        (["--discovery-dir", ".", "--at", "yesterday"], "--at: 'yesterday' is not an ISO 8601 time"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    code, out, err = verify("--credential", "x.y.z", *args)
    assert code == 2 and out == ""
    assert err.startswith("symbi agentpin: error: ") and message in err
    assert err.count("\n") == 1


def test_missing_options_come_from_the_schedulers_configuration(issuer: Issuer, tmp_path: Path) -> None:
    config = tmp_path / "symbi.toml"
    config.write_text(
        "[scheduler.agentpin]\n"
        f'domain = "{DOMAIN}"\n'
        f'discovery_dir = "{issuer.directory}"\n'
        'audience = "another-audience"\n'
    )
    base = ["--credential", issuer.token(), "--at", AT, "--format", "json", "--config", str(config)]
    code, out, _ = verify(*base)
    assert code == 1 and json.loads(out)["error_code"] == "audience_mismatch"  # the config's audience
    assert verify(*base, "--audience", "symbi")[0] == 0  # an option given wins over the config
    env = {"SYMBI_AGENTPIN_TRUST_BUNDLE": str(issuer.bundle), "SYMBI_AGENTPIN_DOMAIN": DOMAIN}
    assert (
        verify("--credential", issuer.token(), "--at", AT, "--config", str(tmp_path / "none.toml"), env=env)[
            0
        ]
        == 2
    )
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    assert verify("--credential", issuer.token(), "--at", AT, "--config", str(empty), env=env)[0] == 0


def test_a_broken_configuration_is_a_usage_error(issuer: Issuer, tmp_path: Path) -> None:
    config = tmp_path / "symbi.toml"
    config.write_text("[scheduler.agentpin]\ndomian = 'x'\n")
    code, out, err = verify("--credential", issuer.token(), "--config", str(config))
    assert (code, out) == (2, "")
    assert "unknown key 'domian'" in err and "did you mean 'domain'" in err


def symbi(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "agentpin", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_symbi_agentpin_verify_as_a_process_reads_stdin(issuer: Issuer) -> None:
    ok = symbi("verify", "--credential", "-", "--discovery-dir", str(issuer.directory), "--at", AT,
               "--format", "json", stdin=issuer.token())  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["valid"] is True
    tampered = issuer.token()[:-4] + "AAAA"
    bad = symbi("verify", "--credential", tampered, "--discovery-dir", str(issuer.directory), "--at", AT)
    assert bad.returncode == 1 and bad.stdout.startswith("invalid: invalid_signature:")
    assert tampered not in bad.stdout + bad.stderr


def test_a_credential_issued_by_the_upstream_agentpin_package_verifies(tmp_path: Path) -> None:
    private_pem, public_pem = agentpin.generate_key_pair()
    kid = agentpin.generate_key_id(public_pem)
    document = agentpin.build_discovery_document(
        DOMAIN,
        "maker",
        [agentpin.pem_to_jwk(public_pem, kid)],
        [{"agent_id": AGENT, "name": "R", "status": "active", "capabilities": ["read:*"]}],
        1,
        "2026-01-01T00:00:00Z",
    )
    (tmp_path / f"{DOMAIN}.json").write_text(json.dumps(document))
    token = agentpin.issue_credential(
        private_pem, kid, DOMAIN, AGENT, "symbi", [agentpin.Capability("read:data")], None, None, 600
    )
    result = symbi("verify", "--credential", token, "--agent", AGENT, "--domain", DOMAIN,
                   "--discovery-dir", str(tmp_path), "--audience", "symbi", "--format", "json")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == {
        "valid": True,
        "error_code": None,
        "message": "credential is valid",
        "agent_id": AGENT,
        "issuer": DOMAIN,
    }


def test_a_mistyped_credential_file_name_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "symbi_lang.cli.main",
            "agentpin",
            "verify",
            "--credential",
            "nofile.jwt",
            "--domain",
            "example.com",
            "--discovery-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "no such credential file: nofile.jwt" in result.stderr
