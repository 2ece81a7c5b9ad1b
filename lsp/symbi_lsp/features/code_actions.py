"""Quick fixes: the `fixes` that checks attach to diagnostics, as code actions with workspace edits."""

from __future__ import annotations

from collections.abc import Iterable

from lsprotocol import types

from symbi_lang.diagnostics import TextEdit
from symbi_lsp.documents import ParsedDocument, WorkspaceAnalysis
from symbi_lsp.features.diagnostics import to_lsp


def _overlaps(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and (
        b.start.line,
        b.start.character,
    ) <= (a.end.line, a.end.character)


def quick_fixes(
    doc: ParsedDocument, analysis: WorkspaceAnalysis, range_: types.Range, *, related_information: bool = True
) -> list[types.CodeAction]:
    """A code action per fix of every diagnostic of `doc` that touches `range_`."""
    actions: list[types.CodeAction] = []
    for diagnostic in analysis.diagnostics_for(doc.path):
        if not diagnostic.fixes:
            continue
        lsp_diagnostic = to_lsp(diagnostic, doc, analysis, related_information=related_information)
        if not _overlaps(lsp_diagnostic.range, range_):
            continue
        preferred = len(diagnostic.fixes) == 1
        for fix in diagnostic.fixes:
            actions.append(
                types.CodeAction(
                    title=fix.title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[lsp_diagnostic],
                    is_preferred=preferred,
                    edit=workspace_edit(fix.edits, doc, analysis),
                )
            )
    return actions


def workspace_edit(
    edits: Iterable[TextEdit], doc: ParsedDocument, analysis: WorkspaceAnalysis
) -> types.WorkspaceEdit:
    """The LSP form of symbi text edits (which may touch other documents of the workspace)."""
    changes: dict[str, list[types.TextEdit]] = {}
    for edit in edits:
        target = doc if edit.span.path == doc.path else analysis.documents.get(edit.span.path)
        if target is None:
            continue
        changes.setdefault(target.uri, []).append(
            types.TextEdit(range=target.lines.lsp_range(edit.span), new_text=edit.new_text)
        )
    return types.WorkspaceEdit(changes=changes)
