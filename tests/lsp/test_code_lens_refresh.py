"""Code lenses follow the clock: when the next run shown goes by, the server asks the client to refresh
(`workspace/codeLens/refresh`) and the new lens shows the following run. Real server, real client; the
server's clock is injected (`clock_server.py`) to start two seconds before a fire."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from .test_e2e import PYTHONPATH

HERE = Path(__file__).parent
START = "2026-11-24T05:59:58+00:00"
TEXT = 'schedule morning {\n  agent: "a"\n  cron: "0 0 6 * * *"\n}\n'
pytestmark = pytest.mark.asyncio(loop_scope="module")


class RefreshClient(LanguageClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refreshed = asyncio.Event()


def on_refresh(ls: RefreshClient, params: None) -> None:
    ls.refreshed.set()


def make_client() -> RefreshClient:
    client = RefreshClient(converter_factory=default_converter)
    features = {
        **DEFAULT_CLIENT_FEATURES,
        types.WORKSPACE_CODE_LENS_REFRESH: on_refresh,
        types.CLIENT_REGISTER_CAPABILITY: lambda ls, params: None,
    }
    register_lsp_features(client, features)
    return client


@pytest_lsp.fixture(  # type: ignore[untyped-decorator]
    scope="module",
    config=ClientServerConfig(
        server_command=[sys.executable, str(HERE / "clock_server.py"), START],
        client_factory=make_client,
        server_env={"PATH": "/usr/bin:/bin", **PYTHONPATH},
    ),
)
async def client(lsp_client: RefreshClient) -> AsyncIterator[None]:
    capabilities = client_capabilities("visual-studio-code")
    assert capabilities.workspace is not None and capabilities.workspace.code_lens is not None
    assert capabilities.workspace.code_lens.refresh_support
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            workspace_folders=[types.WorkspaceFolder(uri=HERE.as_uri(), name="lsp")],
        )
    )
    yield
    await lsp_client.shutdown_session()


async def _titles(client: RefreshClient, uri: str) -> list[str]:
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert lenses is not None
    return [lens.command.title for lens in lenses if lens.command is not None]


async def test_the_lens_is_refreshed_when_the_next_run_goes_by(client: RefreshClient) -> None:
    uri = (HERE / "lens_refresh.symbi").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="symbi", version=1, text=TEXT)
        )
    )
    [first] = await _titles(client, uri)
    assert re.fullmatch(
        r"next run: Tue 2026-11-24 06:00 UTC \(in [012]s\)", first
    )  # the clock started at 05:59:58
    await asyncio.wait_for(client.refreshed.wait(), timeout=30)
    [after] = await _titles(client, uri)
    assert re.fullmatch(r"next run: Wed 2026-11-25 06:00 UTC \(in 23h 59m\)", after)
