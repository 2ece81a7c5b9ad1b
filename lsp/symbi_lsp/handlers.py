"""LSP message handlers: each turns request parameters into a call of one feature function."""

from __future__ import annotations

from lsprotocol import types

from symbi_lsp.features.code_actions import quick_fixes
from symbi_lsp.features.code_lens import code_lenses, next_change
from symbi_lsp.features.completion import TRIGGER_CHARACTERS, completions
from symbi_lsp.features.definition import definition, references
from symbi_lsp.features.formatting import format_document
from symbi_lsp.features.hover import hover
from symbi_lsp.features.symbols import document_symbols, workspace_symbols
from symbi_lsp.server import SymbiLanguageServer


def register(server: SymbiLanguageServer) -> None:
    """Register every feature on `server`."""

    @server.feature(types.INITIALIZE)
    def on_initialize(ls: SymbiLanguageServer, params: types.InitializeParams) -> None:
        ls.configure(params)

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls: SymbiLanguageServer, params: types.InitializedParams) -> None:
        await ls.watch_symbi_files()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def on_open(ls: SymbiLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.cancel_diagnostics(params.text_document.uri)
        ls.publish_diagnostics(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def on_change(ls: SymbiLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule_diagnostics(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def on_save(ls: SymbiLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.cancel_diagnostics(params.text_document.uri)
        ls.publish_diagnostics(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def on_close(ls: SymbiLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        if ls.lens_refresh is not None:
            ls.lens_refresh.forget(uri)
        ls.documents.close(uri)
        ls.clear_diagnostics(uri)
        for other in ls.documents.open_uris:
            ls.publish_diagnostics(other)
            break  # one publication refreshes every open document whose diagnostics changed

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def on_files_changed(ls: SymbiLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.documents.files_changed()
        for other in ls.documents.open_uris:
            ls.publish_diagnostics(other)
            break

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def on_folders_changed(ls: SymbiLanguageServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        ls.documents.set_folders(ls.workspace.folders)
        for other in ls.documents.open_uris:
            ls.publish_diagnostics(other)
            break

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: SymbiLanguageServer, params: types.HoverParams) -> types.Hover | None:
        doc = ls.document(params.text_document.uri)
        if doc is None:
            return None
        return hover(doc, ls.analysis(), doc.lines.offset(params.position), ls.clock(), ls.env)

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS)
    )
    def on_completion(ls: SymbiLanguageServer, params: types.CompletionParams) -> types.CompletionList | None:
        doc = ls.document(params.text_document.uri)
        if doc is None:
            return None
        offset = doc.lines.offset(params.position)
        clean = ls.documents.last_clean(doc.uri)
        items = completions(doc, ls.analysis(), offset, ls.env, snippets=ls.snippets, clean=clean)
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    def on_code_lens(ls: SymbiLanguageServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        doc = ls.document(params.text_document.uri)
        if doc is None:
            return []
        now = ls.clock()
        if ls.lens_refresh is not None:
            ls.lens_refresh.shown(doc.uri, next_change(doc, now))
        return code_lenses(doc, now)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def on_definition(ls: SymbiLanguageServer, params: types.DefinitionParams) -> types.Location | None:
        doc = ls.document(params.text_document.uri)
        if doc is None:
            return None
        return definition(doc, ls.analysis(), doc.lines.offset(params.position))

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def on_references(ls: SymbiLanguageServer, params: types.ReferenceParams) -> list[types.Location]:
        doc = ls.document(params.text_document.uri)
        if doc is None:
            return []
        offset = doc.lines.offset(params.position)
        return references(doc, ls.analysis(), offset, include_declaration=params.context.include_declaration)

    @server.feature(types.WORKSPACE_SYMBOL)
    def on_workspace_symbols(
        ls: SymbiLanguageServer, params: types.WorkspaceSymbolParams
    ) -> list[types.WorkspaceSymbol]:
        return workspace_symbols(ls.analysis(), params.query)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def on_symbols(ls: SymbiLanguageServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        doc = ls.document(params.text_document.uri)
        return [] if doc is None else document_symbols(doc)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def on_formatting(
        ls: SymbiLanguageServer, params: types.DocumentFormattingParams
    ) -> list[types.TextEdit] | None:
        doc = ls.document(params.text_document.uri)
        return None if doc is None else format_document(doc)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def on_code_action(ls: SymbiLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        doc = ls.document(params.text_document.uri)
        if doc is None:
            return []
        return quick_fixes(doc, ls.analysis(), params.range, related_information=ls.related_information)
