"""Go to definition and find references for agents: `agent: "x"` in a schedule ↔ `agent x { … }`."""

from __future__ import annotations

from lsprotocol import types

from symbi_lang.ast import Block, value_text
from symbi_lsp.documents import ParsedDocument, WorkspaceAnalysis, block_name, name_span
from symbi_lsp.locate import block_head_at, locate


def _referenced_agent(doc: ParsedDocument, offset: int) -> str | None:
    """The agent named by the `agent:` value of a schedule at `offset`."""
    cursor = locate(doc.module, offset)
    entry = cursor.entry
    if entry is None or entry.name != "agent" or cursor.block_path != ("schedule",) or cursor.value is None:
        return None
    return value_text(cursor.value) or None


def _defined_agent(doc: ParsedDocument, offset: int) -> str | None:
    """The agent whose definition's name (label or `name:` value) is at `offset`."""
    for block in doc.module.agents:
        span = name_span(block)
        if span.start.offset <= offset <= span.end.offset:
            return block_name(block)
    head = block_head_at(doc.module, offset)
    return block_name(head[1]) if head is not None and head[1].kind == "agent" else None


def _definition_of(
    doc: ParsedDocument, analysis: WorkspaceAnalysis, name: str
) -> tuple[ParsedDocument, Block] | None:
    """The definition of agent `name`: the one in `doc` itself when there is one (a name defined twice
    is an error elsewhere, but the reader means the agent beside the schedule), else the workspace's."""
    for block in doc.module.agents:
        if block_name(block) == name:
            return doc, block
    return analysis.find_agent(name)


def definition(doc: ParsedDocument, analysis: WorkspaceAnalysis, offset: int) -> types.Location | None:
    """Where the agent referenced at `offset` is defined, if it is defined in the workspace."""
    from symbi_lsp.features.upstream import policy_definition

    policy = policy_definition(doc, analysis, offset)
    if policy is not None:
        return policy
    name = _referenced_agent(doc, offset)
    found = _definition_of(doc, analysis, name) if name else None
    if found is None:
        return None
    target, block = found
    return types.Location(uri=target.uri, range=target.lines.lsp_range(name_span(block)))


def references(
    doc: ParsedDocument, analysis: WorkspaceAnalysis, offset: int, *, include_declaration: bool
) -> list[types.Location]:
    """The schedules using the agent at `offset` (a definition or a use), and its definition if asked."""
    name = _referenced_agent(doc, offset) or _defined_agent(doc, offset)
    if name is None:
        return []
    locations = [
        types.Location(uri=user.uri, range=user.lines.lsp_range(span))
        for user, span in analysis.agent_uses(name)
    ]
    if include_declaration:
        found = _definition_of(doc, analysis, name)
        if found is not None:
            target, block = found
            locations.insert(
                0, types.Location(uri=target.uri, range=target.lines.lsp_range(name_span(block)))
            )
    return locations
