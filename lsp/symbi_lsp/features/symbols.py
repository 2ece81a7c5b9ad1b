"""Document symbols: schedules and agents, with their fields and nested blocks as children."""

from __future__ import annotations

from lsprotocol import types

from symbi_lang.ast import Block, Field, StringValue
from symbi_lsp.documents import ParsedDocument

_KIND = {"schedule": types.SymbolKind.Event, "agent": types.SymbolKind.Class}


def block_name(block: Block) -> str | None:
    """The name a top-level block is known by: its label or its `name:` field."""
    if block.label:
        return block.label
    name = block.field("name")
    if name is not None and isinstance(name.value, StringValue):
        return name.value.value
    return None


def document_symbols(doc: ParsedDocument) -> list[types.DocumentSymbol]:
    """The outline of `doc`."""
    return [_block_symbol(doc, b, top=True) for b in doc.module.items]


def _block_symbol(doc: ParsedDocument, block: Block, *, top: bool) -> types.DocumentSymbol:
    name = block_name(block) if top else None
    selection = block.label_span or block.kind_span
    if top and block.label is None:
        field = block.field("name")
        if field is not None:
            selection = field.value.span
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
