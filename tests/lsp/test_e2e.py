"""End to end: the real server (`symbi lsp` on stdio) driven by pytest-lsp's real client."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

WORKSPACE = Path(__file__).parent / "workspace"
PYTHONPATH = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}

BROKEN = """schedule daily {
  agent: "reporter"
  cron "0 0 9 * * *"
}
"""
FIXED = BROKEN.replace('cron "', 'cron: "')


class RecordingClient(LanguageClient):
    """pytest-lsp's client, keeping every publishDiagnostics in order so a test can wait for the one
    it expects without missing a notification that arrived before it started waiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.published: list[types.PublishDiagnosticsParams] = []
        self._arrived = asyncio.Event()
        self.registrations: list[types.Registration] = []
        self.registered = asyncio.Event()

    def record(self, params: types.PublishDiagnosticsParams) -> None:
        self.diagnostics[params.uri] = params.diagnostics
        self.published.append(params)
        self._arrived.set()

    async def publication(
        self, uri: str, *, start: int, version: int | None = None
    ) -> types.PublishDiagnosticsParams:
        """The first publication for `uri` (at `version`, if given) from index `start` of the log."""
        i = start
        while True:
            while i < len(self.published):
                params = self.published[i]
                i += 1
                if params.uri == uri and (version is None or params.version == version):
                    return params
            self._arrived.clear()
            await self._arrived.wait()


def record_diagnostics(ls: RecordingClient, params: types.PublishDiagnosticsParams) -> None:
    ls.record(params)


def record_registration(ls: RecordingClient, params: types.RegistrationParams) -> None:
    ls.registrations.extend(params.registrations)
    ls.registered.set()


def make_client() -> RecordingClient:
    client = RecordingClient(converter_factory=default_converter)
    features = {
        **DEFAULT_CLIENT_FEATURES,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: record_diagnostics,
        types.CLIENT_REGISTER_CAPABILITY: record_registration,
    }
    register_lsp_features(client, features)
    return client


# One server for the whole module (starting one costs about a second); each test closes what it opened.
pytestmark = pytest.mark.asyncio(loop_scope="module")
OPENED: list[str] = []


@pytest_lsp.fixture(  # type: ignore[untyped-decorator]
    scope="module",
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "symbi_lang.cli.main", "lsp"],  # `symbi lsp`
        client_factory=make_client,
        # PYTHONPATH passes through so that the server runs the code under test, not an installed copy.
        server_env={"SYMBI_TEST_TOKEN": "x", "PATH": "/usr/bin:/bin", **PYTHONPATH},
    ),
)
async def client(lsp_client: RecordingClient) -> AsyncIterator[None]:
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=WORKSPACE.as_uri(), name="workspace")],
            initialization_options={"diagnosticsDebounceMs": 150},
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest_asyncio.fixture(loop_scope="module", autouse=True)
async def close_documents(client: RecordingClient) -> AsyncIterator[None]:
    yield
    while OPENED:
        uri = OPENED.pop()
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )


def _uri(name: str) -> str:
    return (WORKSPACE / name).as_uri()


async def _open(
    client: RecordingClient, name: str, text: str, version: int = 1
) -> types.PublishDiagnosticsParams:
    uri = _uri(name)
    OPENED.append(uri)
    mark = len(client.published)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="symbi", version=version, text=text)
        )
    )
    return await client.publication(uri, start=mark, version=version)


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits to an ASCII text (character = column)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def off(p: types.Position) -> int:
        return offsets[p.line] + p.character

    for edit in sorted(edits, key=lambda e: off(e.range.start), reverse=True):
        text = text[: off(edit.range.start)] + edit.new_text + text[off(edit.range.end) :]
    return text


async def test_broken_file_gets_diagnostics_at_the_right_range_and_fixing_clears_them(
    client: RecordingClient,
) -> None:
    published = await _open(client, "broken.symbi", BROKEN)
    [diagnostic] = published.diagnostics
    assert diagnostic.code == "SYM002"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    # the value after `cron` (line 3, columns 8..21 in 1-based terms)
    assert diagnostic.range == types.Range(
        start=types.Position(line=2, character=7), end=types.Position(line=2, character=20)
    )
    assert diagnostic.related_information is not None
    assert "help: write `cron: …`" in [r.message for r in diagnostic.related_information]

    # three quick edits (fix, break, fix again) are debounced into one publication, for the last version
    uri = _uri("broken.symbi")
    mark = len(client.published)
    for version, (start, end, text) in enumerate([(6, 6, ":"), (6, 7, ""), (6, 6, ":")], start=2):
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=2, character=start),
                            end=types.Position(line=2, character=end),
                        ),
                        text=text,
                    )
                ],
            )
        )
    cleared = await client.publication(uri, start=mark)
    assert cleared.version == 4
    assert list(cleared.diagnostics) == []


async def test_quick_fix_applied_to_the_text_repairs_the_file(client: RecordingClient) -> None:
    published = await _open(client, "quickfix.symbi", BROKEN)
    uri = _uri("quickfix.symbi")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=published.diagnostics[0].range,
            context=types.CodeActionContext(diagnostics=list(published.diagnostics)),
        )
    )
    assert actions is not None
    [action] = [a for a in actions if isinstance(a, types.CodeAction)]
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.title == "Insert `:` after `cron`"
    assert action.edit is not None and action.edit.changes is not None
    assert _apply(BROKEN, list(action.edit.changes[uri])) == FIXED


async def test_hover_on_a_field_name_shows_its_documentation(client: RecordingClient) -> None:
    await _open(client, "hover.symbi", FIXED)
    result = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=_uri("hover.symbi")),
            position=types.Position(line=2, character=3),
        )
    )
    assert result is not None
    assert isinstance(result.contents, types.MarkupContent)
    assert result.contents.value.startswith("**`cron`**")
    assert "seconds first" in result.contents.value
    assert result.range == types.Range(
        start=types.Position(line=2, character=2), end=types.Position(line=2, character=6)
    )


async def test_hover_on_a_cron_value_shows_its_reading_and_next_fires(client: RecordingClient) -> None:
    await _open(client, "hover_cron.symbi", FIXED)
    result = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=_uri("hover_cron.symbi")),
            position=types.Position(line=2, character=12),
        )
    )
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    text = result.contents.value
    assert "Next 5 fire times" in text
    fires = re.findall(r"^- \w{3} \d{4}-\d\d-\d\d 09:00 UTC \(in .+\)$", text, flags=re.MULTILINE)
    assert len(fires) == 5


async def test_completion_offers_fields_valid_in_the_block_and_agent_names(client: RecordingClient) -> None:
    text = 'agent drafter {\n  description: "r"\n}\n\nschedule s {\n  agent: \n  \n}\n'
    await _open(client, "complete.symbi", text)
    uri = _uri("complete.symbi")
    fields = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=6, character=2)
        )
    )
    assert isinstance(fields, types.CompletionList)
    labels = {i.label for i in fields.items}
    assert {"cron", "session_mode", "policy", "delivery"} <= labels
    assert "agent" not in labels  # already present in this block
    assert "system_prompt" not in labels  # an agent field, not a schedule field

    agents = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=5, character=9)
        )
    )
    assert isinstance(agents, types.CompletionList)
    # this file's agent and those of the workspace folder's other file
    assert {"drafter", "archivist", "reporter"} <= {i.label for i in agents.items}


async def test_completion_after_dollar_brace_lists_the_servers_environment(client: RecordingClient) -> None:
    text = 'schedule s {\n  input: "token ${SYMBI_TE"\n}\n'
    await _open(client, "env.symbi", text)
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=_uri("env.symbi")),
            position=types.Position(line=1, character=26),
        )
    )
    assert isinstance(result, types.CompletionList)
    [item] = [i for i in result.items if i.label == "SYMBI_TEST_TOKEN"]
    assert isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.range == types.Range(
        start=types.Position(line=1, character=18), end=types.Position(line=1, character=26)
    )


async def test_code_lens_shows_the_next_run_of_each_schedule(client: RecordingClient) -> None:
    text = (
        FIXED
        + '\nschedule berlin {\n  agent: "reporter"\n  cron: "0 30 6 * * *"\n  timezone: "Europe/Berlin"\n}\n'
    )
    await _open(client, "lens.symbi", text)
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=_uri("lens.symbi")))
    )
    assert lenses is not None
    titles = [lens.command.title for lens in lenses if lens.command is not None]
    assert len(titles) == 2
    assert re.fullmatch(r"next run: \w{3} \d{4}-\d\d-\d\d 09:00 UTC \(in .+\)", titles[0])
    assert re.fullmatch(r"next run: \w{3} \d{4}-\d\d-\d\d 06:30 CES?T \(in .+\)", titles[1])
    assert [lens.range.start.line for lens in lenses] == [0, 5]


async def test_definition_jumps_to_an_agent_in_another_workspace_file(client: RecordingClient) -> None:
    text = 'schedule s {\n  agent: "archivist"\n  cron: "0 0 1 * * *"\n}\n'
    await _open(client, "definition.symbi", text)
    result = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=_uri("definition.symbi")),
            position=types.Position(line=1, character=12),
        )
    )
    assert isinstance(result, types.Location)
    assert result.uri == _uri("agents.symbi")
    # the server asked to hear about such files changing on disk
    await asyncio.wait_for(client.registered.wait(), timeout=20)
    [watch] = [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    assert watch.register_options == {"watchers": [{"globPattern": "**/*.symbi"}]}  # as received on the wire
    assert result.range == types.Range(
        start=types.Position(line=1, character=6), end=types.Position(line=1, character=15)
    )


@pytest.mark.parametrize("name", ["formatting.symbi"])
async def test_formatting_returns_what_symbi_fmt_writes(client: RecordingClient, name: str) -> None:
    from symbi_lang.fmt import format_text

    messy = 'schedule   s {\n      agent:"reporter"\n  cron:   "0 0 9 * * *",\n}\n'
    await _open(client, name, messy)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=_uri(name)),
            options=types.FormattingOptions(tab_size=2, insert_spaces=True),
        )
    )
    assert edits is not None
    expected = format_text(messy, path=name)
    assert expected.ok and expected.changed
    assert _apply(messy, list(edits)) == expected.output
    # line edits, not one edit over the whole document: the unchanged last line `}` is not touched
    assert all(
        e.range.end.line <= 3 and not (e.range.start.line == 0 and e.range.end.line == 4) for e in edits
    )


async def test_cross_file_duplicate_appears_in_the_other_open_document_and_goes_on_close(
    client: RecordingClient,
) -> None:
    text = 'schedule twin {\n  agent: "reporter"\n  cron: "0 0 9 * * *"\n}\n'
    first = await _open(client, "twin_a.symbi", text)
    assert list(first.diagnostics) == []
    second = await _open(client, "twin_b.symbi", text)
    [duplicate] = [d for d in second.diagnostics if d.code == "SYM701"]
    assert duplicate.related_information is not None
    assert _uri("twin_a.symbi") in {r.location.uri for r in duplicate.related_information}

    OPENED.remove(_uri("twin_b.symbi"))
    mark = len(client.published)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=_uri("twin_b.symbi")))
    )
    closed = await client.publication(_uri("twin_b.symbi"), start=mark)
    assert list(closed.diagnostics) == []  # a closed document's diagnostics are cleared


async def test_a_thundering_herd_is_a_warning_with_a_jitter_quick_fix(client: RecordingClient) -> None:
    # 21 schedules every minute on second 0: a herd whatever "now" is (SYM220, issue 12).
    blocks = "".join(
        f'schedule herd_{i} {{\n  agent: "reporter"\n  cron: "0 * * * * *"\n}}\n' for i in range(21)
    )
    text = 'agent reporter {\n  command: ["echo", "hi"]\n}\n' + blocks
    published = await _open(client, "herd.symbi", text)
    herds = [d for d in published.diagnostics if d.code == "SYM220"]
    assert len(herds) == 1
    [herd] = herds
    assert herd.severity == types.DiagnosticSeverity.Warning
    assert herd.message.startswith("21 schedules fire in the same second")
    assert herd.range.start.line == 5  # the first schedule's cron value
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=_uri("herd.symbi")),
            range=herd.range,
            context=types.CodeActionContext(diagnostics=[herd]),
        )
    )
    assert actions is not None
    titles = [a.title for a in actions if isinstance(a, types.CodeAction)]
    assert 'Add `jitter: "30s"` to `herd_0`' in titles or 'add `jitter: "30s"` to `herd_0`' in titles
