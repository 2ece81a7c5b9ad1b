"""Document symbols: schedules and agents, with their fields and nested blocks as children."""

from __future__ import annotations

from lsprotocol import types

from symbi_lang.ast import Block, Field
from symbi_lsp.documents import ParsedDocument, WorkspaceAnalysis, block_name, name_span

_KIND = {"schedule": types.SymbolKind.Event, "agent": types.SymbolKind.Class}


def document_symbols(doc: ParsedDocument) -> list[types.DocumentSymbol]:
    """The outline of `doc`."""
    from symbi_lsp.features.upstream import upstream_symbols

    found = [_block_symbol(doc, b, top=True) for b in doc.module.items] + upstream_symbols(doc)
    return sorted(found, key=lambda s: (s.range.start.line, s.range.start.character))


def _block_symbol(doc: ParsedDocument, block: Block, *, top: bool) -> types.DocumentSymbol:
    name = block_name(block) if top else None
    selection = name_span(block) if top else block.kind_span
    children = [
        _block_symbol(doc, e, top=False) if isinstance(e, Block) else _field_symbol(doc, e)
        for e in block.body
    ]
    return types.DocumentSymbol(
        name=name or block.kind if not top else (name or f"({block.kind} without a name)"),
        detail=block.kind if top else None,
        kind=_KIND.get(block.kind, types.SymbolKind.Struct) if top else types.SymbolKind.Struct,
        range=doc.lines.lsp_range(block.span),
        selection_range=doc.lines.lsp_range(selection),
        children=children,
    )


def _field_symbol(doc: ParsedDocument, field: Field) -> types.DocumentSymbol:
    raw = doc.text[field.value.span.start.offset : field.value.span.end.offset]
    detail = raw if len(raw) <= 60 and "\n" not in raw else None
    return types.DocumentSymbol(
        name=field.name,
        detail=detail,
        kind=types.SymbolKind.Field,
        range=doc.lines.lsp_range(field.span),
        selection_range=doc.lines.lsp_range(field.name_span),
    )


def workspace_symbols(analysis: WorkspaceAnalysis, query: str) -> list[types.WorkspaceSymbol]:
    """Schedules and agents of every workspace document whose name contains `query` (any case)."""
    wanted = query.lower()
    found: list[types.WorkspaceSymbol] = []
    for doc in analysis.documents.values():
        for block in doc.module.items:
            name = block_name(block)
            if name is None or wanted not in name.lower():
                continue
            found.append(
                types.WorkspaceSymbol(
                    name=name,
                    kind=_KIND.get(block.kind, types.SymbolKind.Struct),
                    container_name=block.kind,
                    location=types.Location(uri=doc.uri, range=doc.lines.lsp_range(name_span(block))),
                )
            )
    return found
