"""`symbi lsp` as a command: help, bad options, and the `--tcp` transport through a real client."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient


def _symbi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_the_transport_options() -> None:
    result = _symbi("lsp", "--help")
    assert result.returncode == 0, result.stderr
    for option in ("--tcp", "--host", "--port"):
        assert option in result.stdout


def test_a_bad_port_is_a_usage_error_without_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "symbi_lsp", "--port", "70000"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--port" in result.stderr


def test_stdio_flag_that_clients_pass_is_accepted() -> None:
    # vscode-languageclient and others append `--stdio`; an `exit` notification ends the server at once.
    exit_message = b'{"jsonrpc":"2.0","method":"exit"}'
    message = b"Content-Length: %d\r\n\r\n%s" % (len(exit_message), exit_message)
    result = subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "lsp", "--stdio"],
        input=message,
        capture_output=True,
        timeout=60,
    )
    assert b"No such option" not in result.stderr and b"Traceback" not in result.stderr
    assert _symbi("lsp", "--stdio", "--tcp").returncode == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def tcp_server() -> Iterator[int]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "symbi_lsp", "--tcp", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def _connect(client: LanguageClient, port: int) -> None:
    """Connect once the server listens (it has no readiness signal: retry refused connections)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        try:
            await client.start_tcp("127.0.0.1", port)
            return
        except OSError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.05)


async def test_tcp_transport_serves_diagnostics(tcp_server: int, tmp_path: Path) -> None:
    client = LanguageClient("test", "1")
    published: asyncio.Queue[types.PublishDiagnosticsParams] = asyncio.Queue()

    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        published.put_nowait(params)

    client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(on_diagnostics)
    await _connect(client, tcp_server)
    result = await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf32])
            ),
            root_uri=tmp_path.as_uri(),
        )
    )
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf32
    assert result.server_info is not None and result.server_info.name == "symbi-lsp"
    client.initialized(types.InitializedParams())
    uri = (tmp_path / "a.symbi").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="symbi", version=7, text='schedule s {\n  input: "🕘🕘" 1\n}\n'
            )
        )
    )
    params = await asyncio.wait_for(published.get(), timeout=20)
    assert params.uri == uri and params.version == 7
    [syntax] = [d for d in params.diagnostics if str(d.code).startswith("SYM0")]
    # UTF-32 was negotiated: the two clocks count one character each (UTF-16 would say 16)
    assert syntax.range.start == types.Position(line=1, character=14)
    # no related-information support announced: the help travels in the message
    assert all(d.related_information is None for d in params.diagnostics)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()  # type: ignore[no-untyped-call]
