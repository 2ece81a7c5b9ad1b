"""`symbi agentpin verify`: check an AgentPin credential offline, as the scheduler's policy gate would.

Keys come only from `--discovery-dir` or `--trust-bundle` (never from the network or the token). Options
left out are taken from the configuration the scheduler uses (`[scheduler.agentpin]` of `--config` or
./symbi.toml, and the `SYMBI_AGENTPIN_*` variables), so the check matches the policy gate's.
`--format json` prints `{"valid", "error_code", "message", "agent_id", "issuer"}` (error_code null when
valid; agent_id and issuer are what the token claims, also when it is rejected). Exit codes: 0 valid,
1 not valid, 2 usage errors (missing or unusable trust source, unreadable credential file, bad config).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

EXIT_INVALID = 1
EXIT_USAGE = 2
# A credential file larger than this is not a credential (the verifier's own limit is 16 KiB).
MAX_CREDENTIAL_FILE_BYTES = 64 * 1024

app = typer.Typer(
    name="agentpin",
    help="Verify AgentPin credentials offline.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


class VerifyFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@app.callback()
def agentpin() -> None:
    """AgentPin credentials (ES256 JWTs whose `sub` is the agent and `iss` its issuer domain)."""


def _usage(message: str) -> NoReturn:
    typer.echo(f"symbi agentpin: error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _read_credential(value: str) -> str:
    """The token itself, read from a file, or from stdin for `-`."""
    if value == "-":
        return sys.stdin.read(MAX_CREDENTIAL_FILE_BYTES).strip()
    try:
        is_file = Path(value).is_file()
    except (OSError, ValueError):  # a token is no file name (too long, odd characters)
        is_file = False
    if not is_file:
        # A JWT is three base64url segments with no `/`; anything path-like that is not a file is a
        # mistyped file name, not a malformed token.
        if "/" in value or value.endswith((".jwt", ".txt", ".json", ".token")):
            _usage(f"no such credential file: {value}")
        return value
    try:
        with Path(value).open("rb") as f:
            data = f.read(MAX_CREDENTIAL_FILE_BYTES + 1)
    except OSError as exc:
        _usage(f"cannot read credential file {value}: {exc.strerror or exc}")
    if len(data) > MAX_CREDENTIAL_FILE_BYTES:
        _usage(f"credential file {value} is larger than {MAX_CREDENTIAL_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        _usage(f"credential file {value} is not UTF-8 text")


def _parse_time(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _usage(f"--at: {value!r} is not an ISO 8601 time")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@app.command()
def verify(
    credential: Annotated[
        str, typer.Option("--credential", help="The credential (a JWT), a file holding it, or - for stdin.")
    ],
    agent: Annotated[
        str | None, typer.Option("--agent", help="Expected agent id (the credential's sub).")
    ] = None,
    domain: Annotated[
        str | None,
        typer.Option(
            "--domain", help="Expected issuer domain (iss). Default: $SYMBI_AGENTPIN_DOMAIN or the config."
        ),
    ] = None,
    discovery_dir: Annotated[
        Path | None,
        typer.Option("--discovery-dir", help="Directory of {domain}.json and {domain}.revocations.json."),
    ] = None,
    trust_bundle: Annotated[
        Path | None, typer.Option("--trust-bundle", help="AgentPin trust bundle JSON file.")
    ] = None,
    audience: Annotated[
        str | None, typer.Option("--audience", help="Audience the credential must name (aud).")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Verify as of this ISO 8601 time (default: now; UTC if naive).")
    ] = None,
    fmt: Annotated[VerifyFormat, typer.Option("--format", help="text or json.")] = VerifyFormat.TEXT,
    config: Annotated[
        Path | None, typer.Option("--config", help="symbi.toml to use (default: ./symbi.toml if present).")
    ] = None,
) -> None:
    """Verify an AgentPin credential against an offline discovery directory or trust bundle."""
    from symbi_runtime.agentpin import TrustSourceError, open_trust_source, verify_credential
    from symbi_runtime.config import ConfigError, load_config

    if discovery_dir is not None and trust_bundle is not None:
        _usage("give one of --discovery-dir and --trust-bundle, not both")
    try:
        settings = load_config(config, dict(os.environ)).agentpin
    except ConfigError as exc:
        _usage(str(exc))
    if discovery_dir is None and trust_bundle is None:
        discovery_dir, trust_bundle = settings.discovery_dir, settings.trust_bundle
        if discovery_dir is None and trust_bundle is None:
            _usage("give --discovery-dir or --trust-bundle (or configure [scheduler.agentpin])")
    try:
        resolver = open_trust_source(discovery_dir, trust_bundle)
    except TrustSourceError as exc:
        _usage(str(exc))
    expected_domain = domain if domain is not None else settings.domain
    audience = audience if audience is not None else settings.audience
    now = _parse_time(at)
    token = _read_credential(credential)

    result = verify_credential(
        token,
        resolver=resolver,
        now=now,
        expected_agent=agent,
        expected_domain=expected_domain,
        audience=audience,
    )
    if fmt is VerifyFormat.JSON:
        document = {
            "valid": result.valid,
            "error_code": None if result.error_code is None else str(result.error_code),
            "message": result.message,
            "agent_id": result.agent_id,
            "issuer": result.issuer,
        }
        typer.echo(json.dumps(document, ensure_ascii=False))
    elif result.valid:
        typer.echo(
            f"valid: agent {result.agent_id} issued by {result.issuer} (kid {result.kid}, jti {result.jti})"
        )
        typer.echo(f"capabilities: {', '.join(result.capabilities) or '(none)'}")
    else:
        typer.echo(f"invalid: {result.error_code}: {result.message}")
    raise typer.Exit(0 if result.valid else EXIT_INVALID)


if __name__ == "__main__":
    app()
