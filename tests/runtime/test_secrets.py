"""Secrets end to end: `${VAR}` values (webhook header and URL key, Slack token, AgentPin JWT) are resolved
only when used. A real Runtime loads a .symbi file, runs its jobs and delivers to loopback servers that
receive the resolved values; afterwards the SQLite files (with -wal), the log directory, the runtime's log
records, the audit table and every CLI listing are searched for each secret, which appears nowhere."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from pytest_httpserver import HTTPServer
from symbi_runtime.agents import AgentCall
from symbi_runtime.clock import FakeClock
from symbi_runtime.config import AgentPinSettings, Config
from symbi_runtime.delivery import DeliverySettings
from symbi_runtime.runtime import Runtime
from werkzeug import Request, Response

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
DOMAIN = "agents.example.com"
MARK = "S3CR3T"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def issue(directory: Path, agents: list[str]) -> ec.EllipticCurvePrivateKey:
    """Publish a discovery document for DOMAIN declaring `agents`; return the signing key."""
    key = ec.generate_private_key(ec.SECP256R1())
    n = key.public_key().public_numbers()
    jwk = {
        "kid": "k1",
        "kty": "EC",
        "crv": "P-256",
        "x": b64(n.x.to_bytes(32, "big")),
        "y": b64(n.y.to_bytes(32, "big")),
    }
    document = {
        "agentpin_version": "0.1",
        "entity": DOMAIN,
        "entity_type": "maker",
        "public_keys": [jwk],
        "agents": [
            {"agent_id": a, "name": a, "status": "active", "capabilities": ["report:*"]} for a in agents
        ],
        "max_delegation_depth": 1,
        "updated_at": "2026-01-01T00:00:00Z",
    }
    directory.mkdir(parents=True)
    (directory / f"{DOMAIN}.json").write_text(json.dumps(document))
    return key


def token(key: ec.EllipticCurvePrivateKey, sub: str, jti: str) -> str:
    now = int(T0.timestamp())
    claims = {
        "iss": DOMAIN,
        "sub": sub,
        "iat": now - 60,
        "exp": now + 3600,
        "jti": jti,
        "capabilities": ["report:daily"],
    }
    header = {"alg": "ES256", "typ": "agentpin-credential+jwt", "kid": "k1"}
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    return signing_input + "." + b64(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))


SCHEDULES = """
agent courier {
  description: "echoes its input"
}

schedule {
  name: "secret-report"
  agent: "courier"
  cron: "0 0 9 * * *"
  input: "daily numbers"
  agent_pin_jwt: "${PIN_JWT}"
  policy {
    require_agent_pin: true
  }
  delivery: ["webhook", "slack", "log_file", "stdout"]
  webhook_url: "HOOK_BASE/ingest?key=${HOOK_KEY}"
  webhook_headers: {
    "Authorization": "Bearer ${HOOK_TOKEN}"
  }
  slack_channel: "#ops"
}

schedule {
  name: "rejected-hook"
  agent: "courier"
  cron: "0 0 10 * * *"
  delivery: ["webhook", "log_file"]
  webhook_url: "HOOK_BASE/reject"
  webhook_headers: {
    "Authorization": "Bearer ${HOOK_TOKEN}"
  }
}

schedule {
  name: "impostor"
  agent: "courier"
  cron: "0 0 11 * * *"
  agent_pin_jwt: "${WRONG_PIN_JWT}"
  delivery: ["log_file"]
}
"""


async def symbi_outputs(commands: list[list[str]], env: dict[str, str], cwd: Path) -> list[str]:
    """Run the real `symbi` entry point once per command (concurrently); stdout + stderr of each."""

    async def one(args: list[str]) -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "symbi_lang.cli.main",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=cwd,
        )
        out, err = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode == 0, (args, err.decode())
        return out.decode() + err.decode()

    return list(await asyncio.gather(*(one(args) for args in commands)))


async def test_secrets_reach_their_destination_and_nothing_else(
    tmp_path: Path, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = issue(tmp_path / "discovery", ["courier", "someone-else"])
    secrets = {
        "HOOK_TOKEN": f"hook-{MARK}-1a2b3c4d",
        "HOOK_KEY": f"key-{MARK}-5e6f7a8b",
        "SLACK_TOKEN": f"xoxb-{MARK}-9c0d1e2f",
        "PIN_JWT": token(key, "courier", "cred-good"),
        "WRONG_PIN_JWT": token(key, "someone-else", "cred-stolen"),
    }
    env = dict(secrets)

    httpserver.expect_request(
        "/ingest",
        method="POST",
        query_string={"key": secrets["HOOK_KEY"]},
        headers={"Authorization": f"Bearer {secrets['HOOK_TOKEN']}"},
    ).respond_with_json({"ok": True})
    httpserver.expect_request(
        "/api/chat.postMessage", headers={"Authorization": f"Bearer {secrets['SLACK_TOKEN']}"}
    ).respond_with_json({"ok": True})

    def reject(request: Request) -> Response:  # a server that echoes the credential back in its error
        return Response(f"invalid credentials {request.headers.get('Authorization')}", status=401)

    httpserver.expect_request("/reject").respond_with_handler(reject)

    logs = tmp_path / "logs"
    config = Config(
        delivery=DeliverySettings(
            slack_api_token="${SLACK_TOKEN}",
            slack_api_base_url=httpserver.url_for("/api"),
            log_dir=logs,
            webhook_retry_attempts=1,
        ),
        agentpin=AgentPinSettings(domain=DOMAIN, discovery_dir=tmp_path / "discovery"),
    )
    db = tmp_path / "state" / "symbi.db"
    source = tmp_path / "secret.symbi"
    source.write_text(SCHEDULES.replace("HOOK_BASE", httpserver.url_for("").rstrip("/")))

    async def courier(call: AgentCall) -> str:
        return f"report for {call.job_name}: {call.input}"

    stdout = io.StringIO()
    async with Runtime(config, db_path=db, clock=FakeClock(T0), env=env, stdout=stdout) as rt:
        rt.register_agent("courier", courier)
        rt.load_file(source)
        good = await rt.run_job_now("secret-report")
        rejected = await rt.run_job_now("rejected-hook")
        impostor = await rt.run_job_now("impostor")
        audit = repr(rt.store.list_audit(limit=10_000))
        runs = repr(rt.store.list_runs(limit=10_000))
        jobs = repr(rt.store.list_jobs())
        # While the runtime is open, recent writes sit in the -wal file; read every file of the database.
        open_files = {p.name: p.read_bytes() for p in db.parent.iterdir()}

    # The secrets were used: each destination received its resolved credential.
    assert good.status == "succeeded", good.error
    assert [(r["channel"], r["ok"]) for r in good.receipts] == [
        ("webhook", True),
        ("slack", True),
        ("log_file", True),
        ("stdout", True),
    ]
    assert len(httpserver.log) == 3
    # A failed delivery changes neither the run's status nor its output.
    assert rejected.status == "succeeded" and rejected.output == "report for rejected-hook: "
    assert [(r["channel"], r["ok"]) for r in rejected.receipts] == [("webhook", False), ("log_file", True)]
    assert rejected.receipts[0]["error"] == (
        f"HTTP 401 from http://localhost:{httpserver.port}: invalid credentials ***"
    )
    assert impostor.status == "denied" and (impostor.error or "").startswith("identity: agent_mismatch:")

    # …and appear nowhere else.
    values = list(secrets.values())
    values += [secrets["PIN_JWT"].split(".")[2], secrets["WRONG_PIN_JWT"].split(".")[2]]  # signatures alone

    def assert_clean(where: str, text: str) -> None:
        assert MARK not in text, f"a secret leaked into {where}"
        for value in values:
            assert value not in text, f"a secret leaked into {where}"

    assert "symbi.db-wal" in open_files
    closed_files = [p.read_bytes() for p in db.parent.iterdir()]
    database = b"".join([*open_files.values(), *closed_files])
    assert b"${HOOK_TOKEN}" in database  # the reference is stored, never its value
    assert_clean("the database files", database.decode("utf-8", "replace"))
    log_text = "".join(p.read_text() for p in sorted(logs.iterdir()))
    assert "report for secret-report: daily numbers" in log_text
    assert_clean("the log directory", log_text)
    # Our records and those of the HTTP client we drive (the loopback test server's own log is not ours).
    records = [r for r in caplog.records if r.name.split(".")[0] in ("symbi_runtime", "httpx", "httpcore")]
    assert any(r.name == "httpx" for r in records)
    assert_clean("the runtime's log records", "\n".join(r.getMessage() for r in records))
    assert_clean("stdout delivery", stdout.getvalue())
    assert "AgentPinVerificationFailed" in audit and "cred-stolen" in audit
    assert_clean("the audit table", audit)
    assert_clean("run records", runs)
    assert_clean("job records", jobs)

    cli_env = {**os.environ, **secrets, "SYMBI_DB": str(db), "NO_COLOR": "1"}
    commands: list[list[str]] = [["cron", "history", "secret-report", "--format", "csv"]]
    for fmt in ("json", "table"):
        commands += [["cron", "list", "--format", fmt], ["audit", "--format", fmt]]
        for job in ("secret-report", "rejected-hook", "impostor"):
            commands += [["cron", "status", job, "--format", fmt], ["cron", "history", job, "--format", fmt]]
    outputs = await symbi_outputs(commands, cli_env, tmp_path)
    combined = "\n".join(outputs)
    assert "${HOOK_TOKEN}" in combined and "AgentPinVerificationFailed" in combined
    assert_clean("CLI output", combined)
