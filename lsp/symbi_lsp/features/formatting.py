"""Document formatting: exactly what `symbi fmt` writes, as one edit over the whole document."""

from __future__ import annotations

from lsprotocol import types

from symbi_lsp.documents import ParsedDocument


def format_document(doc: ParsedDocument) -> list[types.TextEdit] | None:
    """The edits that format `doc`: [] when it is already formatted, None when it cannot be (syntax
    errors: the formatter refuses rather than guess)."""
    from symbi_lang.fmt import format_text

    result = format_text(doc.text, path=doc.path)
    if not result.ok:
        return None
    if not result.changed:
        return []
    whole = doc.lines.lsp_range_of_offsets(0, len(doc.text))
    return [types.TextEdit(range=whole, new_text=result.output)]
