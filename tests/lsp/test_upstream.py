"""The language server on upstream-dialect files, through pytest-lsp's real client and `symbi lsp`."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

sys.path.insert(0, str(Path(__file__).parent))  # the recording client of the end-to-end tests
from test_e2e import WORKSPACE, RecordingClient, make_client

pytestmark = pytest.mark.asyncio(loop_scope="module")
OPENED: list[str] = []

UPSTREAM = """// upstream dialect
metadata {
    version = "1.0"
}

policy weekday_only {
    allow: run(job) if weekday(now())
}

agent up_reporter(topic: String) -> Report {
    capabilities = ["reports"]
}

schedule up_nightly {
    cron = "0 0 9 * * *"
    agent = up_reporter
    policy = "weekday_only"

}
"""


def _pos(text: str, needle: str, delta: int = 0) -> types.Position:
    offset = text.index(needle) + delta
    line = text.count("\n", 0, offset)
    return types.Position(line=line, character=offset - (text.rfind("\n", 0, offset) + 1))


@pytest_lsp.fixture(  # type: ignore[untyped-decorator]
    scope="module",
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "symbi_lang.cli.main", "lsp"],
        client_factory=make_client,
    ),
)
async def client(lsp_client: RecordingClient) -> AsyncIterator[None]:
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=WORKSPACE.as_uri(), name="workspace")],
            initialization_options={"diagnosticsDebounceMs": 50},
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest_asyncio.fixture(loop_scope="module", autouse=True)
async def close_documents(client: RecordingClient) -> AsyncIterator[None]:
    yield
    while OPENED:
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=OPENED.pop()))
        )


async def _open(client: RecordingClient, name: str, text: str) -> types.PublishDiagnosticsParams:
    uri = (WORKSPACE / name).as_uri()
    OPENED.append(uri)
    mark = len(client.published)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="symbi", version=1, text=text)
        )
    )
    return await client.publication(uri, start=mark, version=1)


def _doc(name: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=(WORKSPACE / name).as_uri())


async def test_diagnostics_on_an_upstream_file_are_the_dialect_note_and_the_policy_info(
    client: RecordingClient,
) -> None:
    published = await _open(client, "up_diag.symbi", UPSTREAM)
    codes = sorted(str(d.code) for d in published.diagnostics)
    assert codes == ["SYM022", "SYM404"]
    assert all(d.severity != types.DiagnosticSeverity.Error for d in published.diagnostics)
    info = next(d for d in published.diagnostics if d.code == "SYM404")
    assert "not enforced" in info.message
    assert info.range.start == _pos(UPSTREAM, '"weekday_only"')


async def test_symbols_list_every_upstream_item_in_order(client: RecordingClient) -> None:
    await _open(client, "up_symbols.symbi", UPSTREAM)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=_doc("up_symbols.symbi"))
    )
    assert symbols is not None
    names = [(s.name, s.detail) for s in symbols if isinstance(s, types.DocumentSymbol)]
    assert names == [
        ("metadata", "metadata"),
        ("weekday_only", "policy"),
        ("up_reporter", "agent"),
        ("up_nightly", "schedule"),
    ]
    policy = next(s for s in symbols if isinstance(s, types.DocumentSymbol) and s.name == "weekday_only")
    assert [c.name for c in policy.children or []] == ["allow"]


async def test_hover_on_an_upstream_key_and_on_a_policy_id(client: RecordingClient) -> None:
    await _open(client, "up_hover.symbi", UPSTREAM)
    key = await client.text_document_hover_async(
        types.HoverParams(
            text_document=_doc("up_hover.symbi"), position=_pos(UPSTREAM, "agent = up_reporter", 1)
        )
    )
    assert key is not None and isinstance(key.contents, types.MarkupContent)
    assert "schedule's own name is the agent" in key.contents.value
    policy = await client.text_document_hover_async(
        types.HoverParams(text_document=_doc("up_hover.symbi"), position=_pos(UPSTREAM, '"weekday_only"', 3))
    )
    assert policy is not None and isinstance(policy.contents, types.MarkupContent)
    assert (
        "not enforced" in policy.contents.value
        and "allow: run(job) if weekday(now())" in policy.contents.value
    )


async def test_completion_offers_the_upstream_keys_not_yet_given(client: RecordingClient) -> None:
    await _open(client, "up_complete.symbi", UPSTREAM)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=_doc("up_complete.symbi"), position=_pos(UPSTREAM, "\n\n}", 1))
    )
    assert result is not None
    items = result.items if isinstance(result, types.CompletionList) else result
    labels = {i.label for i in items}
    assert labels == {"at", "timezone", "one_shot", "deliver", "audit"}
    assert all((i.insert_text or "").endswith(" = ") for i in items)


async def test_go_to_definition_from_agent_and_policy_references(client: RecordingClient) -> None:
    await _open(client, "up_def.symbi", UPSTREAM)
    agent = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=_doc("up_def.symbi"), position=_pos(UPSTREAM, "= up_reporter", 3)
        )
    )
    assert isinstance(agent, types.Location)
    assert agent.range.start == _pos(UPSTREAM, "up_reporter(topic")
    policy = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=_doc("up_def.symbi"), position=_pos(UPSTREAM, '"weekday_only"', 2)
        )
    )
    assert isinstance(policy, types.Location)
    assert policy.range.start == _pos(UPSTREAM, "weekday_only {")
