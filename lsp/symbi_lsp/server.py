"""The symbi language server: pygls wiring from LSP messages to the feature functions.

Every request reads the one `ParsedDocument` of its (uri, version) and the cached workspace analysis;
nothing here parses or converts positions itself. Diagnostics are published at once on open and save,
and after a quiet period (the debounce, 200 ms by default) on change, with the document's version.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from symbi_lsp.documents import ParsedDocument, Workspace, WorkspaceAnalysis
from symbi_lsp.features.code_lens import LensRefresh
from symbi_lsp.features.diagnostics import lsp_diagnostics
from symbi_lsp.positions import encoding_name

log = logging.getLogger(__name__)

#: The default quiet period after a change before diagnostics are computed, in seconds.
DEFAULT_DEBOUNCE = 0.2
#: `initializationOptions` key overriding the debounce, in milliseconds.
DEBOUNCE_OPTION = "diagnosticsDebounceMs"

#: The files whose changes on disk the server asks to hear about.
WATCHED_FILES = "**/*.symbi"

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("symbi")
    except PackageNotFoundError:
        return "unknown"


class SymbiLanguageServer(LanguageServer):
    """A pygls server holding the workspace of parsed documents, the debounce timers and the clock."""

    def __init__(
        self,
        *,
        debounce: float = DEFAULT_DEBOUNCE,
        clock: Clock = _utc_now,
        env: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            "symbi-lsp", _version(), text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.documents = Workspace(env)
        self.env = self.documents.env
        self.debounce = debounce
        self.clock = clock
        self.related_information = True
        self.snippets = False
        self.can_watch_files = False
        self._pending: dict[str, asyncio.TimerHandle] = {}
        # Set at `initialize` when the client can refresh code lenses (`features.code_lens`).
        self.lens_refresh: LensRefresh | None = None
        self._published: dict[str, list[types.Diagnostic]] = {}

    # --- documents ----------------------------------------------------------------------------------

    def document(self, uri: str) -> ParsedDocument | None:
        """The parsed document of the editor's current text for `uri` (parsed once per version)."""
        text_doc = self.workspace.text_documents.get(uri)
        if text_doc is None:
            return self.documents.get(uri)
        return self.documents.open(uri, text_doc.source, text_doc.version)

    def analysis(self) -> WorkspaceAnalysis:
        """The workspace analysis, after bringing every open document up to its current version."""
        for uri in list(self.workspace.text_documents):
            self.document(uri)
        return self.documents.analysis()

    # --- diagnostics --------------------------------------------------------------------------------

    def schedule_diagnostics(self, uri: str) -> None:
        """Publish diagnostics for `uri` once no change has arrived for the debounce period."""
        self.cancel_diagnostics(uri)
        if self.debounce <= 0:
            self.publish_diagnostics(uri)
            return
        loop = asyncio.get_running_loop()
        self._pending[uri] = loop.call_later(self.debounce, self._debounced, uri)

    def cancel_diagnostics(self, uri: str) -> None:
        handle = self._pending.pop(uri, None)
        if handle is not None:
            handle.cancel()

    def _debounced(self, uri: str) -> None:
        self._pending.pop(uri, None)
        try:
            self.publish_diagnostics(uri)
        except Exception:  # a timer callback has nobody to report to: log instead of losing it
            log.exception("publishing diagnostics for %s failed", uri)

    def publish_diagnostics(self, uri: str) -> None:
        """Publish `uri`'s diagnostics now, and refresh other open documents whose diagnostics changed
        (a cross-file duplicate may have appeared or gone)."""
        analysis = self.analysis()
        for other in self.documents.open_uris:
            doc = self.documents.get(other)
            if doc is None:
                continue
            diagnostics = lsp_diagnostics(doc, analysis, related_information=self.related_information)
            if other != uri and self._published.get(other) == diagnostics:
                continue
            if other != uri and other in self._pending:
                continue  # its own debounced publication is on the way
            self._published[other] = diagnostics
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=other, diagnostics=diagnostics, version=doc.version)
            )

    def clear_diagnostics(self, uri: str) -> None:
        self.cancel_diagnostics(uri)
        self._published.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    # --- configuration ------------------------------------------------------------------------------

    def configure(self, params: types.InitializeParams) -> None:
        """Read the client's capabilities, workspace folders and `initializationOptions`."""
        self.documents.encoding = encoding_name(self.workspace.position_encoding)
        caps = params.capabilities.text_document
        publish = caps.publish_diagnostics if caps is not None else None
        self.related_information = bool(publish and publish.related_information)
        completion = caps.completion if caps is not None else None
        item = completion.completion_item if completion is not None else None
        self.snippets = bool(item and item.snippet_support)
        workspace = params.capabilities.workspace
        watched = workspace.did_change_watched_files if workspace is not None else None
        self.can_watch_files = bool(watched and watched.dynamic_registration)
        lens = workspace.code_lens if workspace is not None else None
        if lens is not None and lens.refresh_support:
            self.lens_refresh = LensRefresh(self.clock, lambda: self.workspace_code_lens_refresh(None))
        folders = [f.uri for f in params.workspace_folders or []]
        if not folders and params.root_uri:
            folders = [params.root_uri]
        self.documents.set_folders(folders)
        options = params.initialization_options
        if isinstance(options, dict):
            self._apply_options(options)

    async def watch_symbi_files(self) -> None:
        """Ask the client to report changes of `.symbi` files, so that cross-file checks see files
        edited outside the editor (clients such as VS Code can do this without being asked)."""
        if not self.can_watch_files:
            return
        watcher = types.FileSystemWatcher(glob_pattern=WATCHED_FILES)
        registration = types.Registration(
            id="symbi-watched-files",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=[watcher]),
        )
        try:
            await self.client_register_capability_async(
                types.RegistrationParams(registrations=[registration])
            )
        except Exception as e:  # the client refused: cross-file checks then see disk files as first read
            log.warning("could not register file watching: %s", e)

    def _apply_options(self, options: dict[str, Any]) -> None:
        raw = options.get(DEBOUNCE_OPTION)
        if isinstance(raw, int | float) and not isinstance(raw, bool) and 0 <= raw <= 10_000:
            self.debounce = raw / 1000
        elif raw is not None:
            log.warning("ignoring %s=%r: expected milliseconds between 0 and 10000", DEBOUNCE_OPTION, raw)


def create_server(
    *, debounce: float = DEFAULT_DEBOUNCE, clock: Clock = _utc_now, env: Mapping[str, str] | None = None
) -> SymbiLanguageServer:
    """A server with every feature registered."""
    from symbi_lsp import handlers

    server = SymbiLanguageServer(debounce=debounce, clock=clock, env=env)
    handlers.register(server)
    return server
