"""Go to definition: from `agent: "x"` in a schedule to `agent x { … }` anywhere in the workspace."""

from __future__ import annotations

from lsprotocol import types

from symbi_lang.ast import value_text
from symbi_lsp.documents import ParsedDocument, WorkspaceAnalysis
from symbi_lsp.locate import locate


def definition(doc: ParsedDocument, analysis: WorkspaceAnalysis, offset: int) -> types.Location | None:
    """Where the agent referenced at `offset` is defined, if it is defined in the workspace."""
    cursor = locate(doc.module, offset)
    entry = cursor.entry
    if entry is None or entry.name != "agent" or cursor.block_path != ("schedule",) or cursor.value is None:
        return None
    name = value_text(cursor.value)
    if not name:
        return None
    found = analysis.find_agent(name)
    if found is None:
        return None
    target, block = found
    span = block.label_span or block.span
    return types.Location(uri=target.uri, range=target.lines.lsp_range(span))
