"""Issue 12 in the editor, through pytest-lsp's real client: the workspace's `[check] herd_threshold`,
the hover on a `timezone` (on the server's injected clock) and completion of zones, cron presets,
delivery channels (built-in and installed) and environment names."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

from .test_e2e import PYTHONPATH, RecordingClient, make_client

HERE = Path(__file__).parent
START = "2026-11-24T06:00:00+00:00"  # a Tuesday; Berlin is on CET (+01:00) until 2027-03-28
#: A folder holding a distribution's metadata that registers a `pager` channel (`symbi.delivery`).
CHANNEL_SITE = HERE / "channel_site"
SERVER_PYTHONPATH = os.pathsep.join(filter(None, [str(CHANNEL_SITE), PYTHONPATH.get("PYTHONPATH")]))
pytestmark = pytest.mark.asyncio(loop_scope="module")
FOLDER: list[Path] = []


@pytest_lsp.fixture(  # type: ignore[untyped-decorator]
    scope="module",
    config=ClientServerConfig(
        server_command=[sys.executable, str(HERE / "clock_server.py"), START],
        client_factory=make_client,
        server_env={"PATH": "/usr/bin:/bin", "PYTHONPATH": SERVER_PYTHONPATH, "SYMBI_ENVIRONMENT": "eu-prod"},
    ),
)
async def client(
    lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[None]:
    folder = tmp_path_factory.mktemp("fleet-workspace")
    (folder / "symbi.toml").write_text("[check]\nherd_threshold = 3\n", encoding="utf-8")
    (folder / "other.symbi").write_text(
        'schedule other {\n  agent: "a"\n  cron: "@daily"\n  policy { allowed_environments: ["qa-7"] }\n}\n',
        encoding="utf-8",
    )
    FOLDER[:] = [folder]
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name="fleet")],
            initialization_options={"diagnosticsDebounceMs": 50},
        )
    )
    yield
    await lsp_client.shutdown_session()


def _herd(n: int) -> str:
    agent = 'agent reporter {\n  command: ["echo", "hi"]\n}\n'
    return agent + "".join(
        f'schedule herd_{i} {{\n  agent: "reporter"\n  cron: "0 0 9 * * *"\n}}\n' for i in range(n)
    )


async def _publish(
    client: RecordingClient, uri: str, text: str, version: int
) -> types.PublishDiagnosticsParams:
    mark = len(client.published)
    if version == 1:
        item = types.TextDocumentItem(uri=uri, language_id="symbi", version=1, text=text)
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    else:
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
    return await asyncio.wait_for(client.publication(uri, start=mark, version=version), timeout=30)


def _check_codes(folder: Path, name: str) -> list[str]:
    """What `symbi check` says about the same file, from the same folder (so it reads the same toml)."""
    r = subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "check", name, "--format", "json", "--now", START],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": SERVER_PYTHONPATH},
    )
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads(r.stdout)
    items = doc["diagnostics"] if isinstance(doc, dict) else doc
    return sorted(d["code"] for d in items)


async def test_the_herd_threshold_comes_from_the_workspace_symbi_toml(client: RecordingClient) -> None:
    folder = FOLDER[0]
    path = folder / "herd.symbi"
    path.write_text(_herd(4), encoding="utf-8")
    uri = path.as_uri()
    four = await _publish(client, uri, _herd(4), 1)
    herds = [d for d in four.diagnostics if d.code == "SYM220"]
    assert len(herds) == 1, four.diagnostics  # 4 > 3: the default (20) would not warn
    assert herds[0].message.startswith("4 schedules fire in the same second")
    related = [r.message for r in herds[0].related_information or []]
    assert any("herd_threshold = 3" in m for m in related), related
    assert sorted(str(d.code) for d in four.diagnostics) == _check_codes(folder, "herd.symbi")

    three = await _publish(client, uri, _herd(3), 2)
    assert [d for d in three.diagnostics if d.code == "SYM220"] == []

    # Editing symbi.toml takes effect on the next analysis, with no restart and no watcher.
    (folder / "symbi.toml").write_text("[check]\nherd_threshold = 1\n", encoding="utf-8")
    again = await _publish(client, uri, _herd(3), 3)
    [herd] = [d for d in again.diagnostics if d.code == "SYM220"]
    assert herd.message.startswith("3 schedules fire in the same second")
    # A bad value leaves the default in place (and never stops diagnostics), as the log says.
    (folder / "symbi.toml").write_text('[check]\nherd_threshold = "many"\n', encoding="utf-8")
    bad = await _publish(client, uri, _herd(3), 4)
    assert [d for d in bad.diagnostics if d.code == "SYM220"] == []
    (folder / "symbi.toml").write_text("[check]\nherd_threshold = 3\n", encoding="utf-8")
    path.unlink()


def _position(text: str, offset: int) -> types.Position:
    """The LSP position of `offset` in an ASCII text."""
    return types.Position(
        line=text.count("\n", 0, offset), character=offset - (text.rfind("\n", 0, offset) + 1)
    )


async def _hover(client: RecordingClient, name: str, text: str, marker: str) -> str | None:
    uri = (FOLDER[0] / name).as_uri()
    await _publish(client, uri, text, 1)
    result = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=_position(text, text.index(marker) + 2),
        )
    )
    if result is None:
        return None
    assert isinstance(result.contents, types.MarkupContent)
    return result.contents.value


async def test_timezone_hover_uses_the_server_clock(client: RecordingClient) -> None:
    berlin = 'schedule s {\n  agent: "a"\n  cron: "0 0 9 * * *"\n  timezone: "Europe/Berlin"\n}\n'
    text = await _hover(client, "berlin.symbi", berlin, "Europe/Berlin")
    assert text is not None
    assert text.splitlines()[0] == "**`Europe/Berlin`**: UTC+01:00 now (CET)"
    assert "Local time now: Tue 2026-11-24 07:00:" in text  # the injected clock, not the wall clock
    assert "Next change: clocks go forward 1h at 2027-03-28 02:00 (CET +01:00 → CEST +02:00)." in text
    kolkata = berlin.replace("Europe/Berlin", "Asia/Kolkata")
    text = await _hover(client, "kolkata.symbi", kolkata, "Asia/Kolkata")
    assert text is not None and "UTC+05:30 now (IST)" in text and "No daylight-saving change ahead" in text
    bad = berlin.replace("Europe/Berlin", "Mars/Olympus")
    assert await _hover(client, "mars.symbi", bad, "Mars/Olympus") is None


async def _complete(client: RecordingClient, name: str, text: str, marker: str) -> list[types.CompletionItem]:
    uri = (FOLDER[0] / name).as_uri()
    await _publish(client, uri, text, 1)
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=_position(text, text.index(marker) + len(marker)),
        )
    )
    assert result is not None
    return list(result.items if isinstance(result, types.CompletionList) else result)


async def test_zones_are_ranked_by_prefix_then_city(client: RecordingClient) -> None:
    text = 'schedule s {\n  agent: "a"\n  timezone: "berl"\n}\n'
    items = await _complete(client, "zone.symbi", text, 'timezone: "berl')
    assert items[0].label == "Europe/Berlin"
    edit = items[0].text_edit
    assert isinstance(edit, types.TextEdit) and edit.new_text == "Europe/Berlin"
    assert (edit.range.start.character, edit.range.end.character) == (13, 17)  # replaces "berl"
    text = 'schedule s {\n  agent: "a"\n  timezone: "lon"\n}\n'
    labels = [i.label for i in await _complete(client, "zone2.symbi", text, 'timezone: "lon')]
    assert labels[:2] == ["Arctic/Longyearbyen", "Europe/London"]  # cities first, then substrings


async def test_cron_presets_channels_and_environments(client: RecordingClient) -> None:
    text = 'schedule s {\n  agent: "a"\n  cron: ""\n}\n'
    presets = {i.label: i.detail for i in await _complete(client, "cron.symbi", text, 'cron: "')}
    assert presets["0 0 9 * * 1-5"] == "at 09:00:00, Monday through Friday"
    assert {"@hourly", "@daily", "@weekly"} <= set(presets)

    text = 'schedule s {\n  agent: "a"\n  cron: "@daily"\n  delivery: [""]\n}\n'
    channels = {i.label: i.detail for i in await _complete(client, "channels.symbi", text, 'delivery: ["')}
    assert {"stdout", "log_file", "webhook", "slack", "email"} <= set(channels)
    assert channels["pager"] == "installed delivery channel (acme_pager:PagerChannel)"

    text = (
        'schedule s {\n  agent: "a"\n  cron: "@daily"\n  policy {\n    allowed_environments: [""]\n  }\n}\n'
    )
    envs = [i.label for i in await _complete(client, "envs.symbi", text, 'allowed_environments: ["')]
    # the server's SYMBI_ENVIRONMENT, a name another workspace file uses, and the common ones
    assert {"eu-prod", "qa-7", "production", "staging", "development"} <= set(envs)
