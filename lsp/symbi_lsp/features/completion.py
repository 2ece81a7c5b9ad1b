"""Completion: field names valid in the current block, enum values, agent names of the workspace,
environment variable names after `${` inside a string, and time zones, cron presets and runtime
environment names (`features/value_words.py`)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from lsprotocol import types

from symbi_lang.ast import Block, StringValue
from symbi_lang.schema import BLOCKS, Format, Shape, block_spec, field_spec
from symbi_lsp.documents import ParsedDocument, WorkspaceAnalysis
from symbi_lsp.features.value_words import value_word_items
from symbi_lsp.locate import Cursor, locate, locate_while_typing, map_offset

TRIGGER_CHARACTERS = ["{", '"', ":", " "]

_ENV_REF = re.compile(r"\$\{([A-Za-z0-9_]*)$")
_VALUE_AFTER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?P<rest>.*)$")
_NAME_SO_FAR = re.compile(r"^\s*[A-Za-z_0-9]*$")
_BOOLEANS = ("true", "false")


def completions(
    doc: ParsedDocument,
    analysis: WorkspaceAnalysis,
    offset: int,
    env: Mapping[str, str],
    *,
    snippets: bool = False,
    clean: ParsedDocument | None = None,
) -> list[types.CompletionItem]:
    """Completion items at `offset` of `doc`; `clean` is the last version of the document without
    syntax errors, whose block structure stands in for what a half-typed entry broke."""
    from symbi_lsp.features.upstream import upstream_completions

    upstream = upstream_completions(doc, offset)
    if upstream is not None:
        return upstream
    line0 = doc.lines.lsp_position_of_offset(offset).line
    prefix = doc.text[doc.lines.line_start(line0) : offset]
    if clean is not None and clean is not doc and any(d.is_error for d in doc.syntax):
        cursor = locate_while_typing(
            doc.module, offset, clean.module, map_offset(clean.text, doc.text, offset)
        )
    else:
        cursor = locate(doc.module, offset)
    # the line's own quotes, or the parsed string around the cursor (a triple-quoted string spans lines)
    in_string = _in_string(prefix) or (
        isinstance(cursor.value, StringValue)
        and cursor.value.span.start.offset < offset < cursor.value.span.end.offset
    )
    if in_string:
        env_ref = _ENV_REF.search(prefix)
        if env_ref is not None:
            start = offset - len(env_ref.group(1))
            return _env_items(doc, start, offset, env)
    value_of = _value_field(cursor, prefix)
    if value_of is not None:
        container, name = value_of
        typed = prefix[prefix.rfind('"') + 1 :] if in_string and '"' in prefix else ""
        typed_range = doc.lines.lsp_range_of_offsets(offset - len(typed), offset) if in_string else None
        special = value_word_items(container, name, typed, typed_range, analysis, env)
        if special is not None:
            return special
        return _value_items(container, name, analysis, in_string=in_string)
    if in_string or not _NAME_SO_FAR.match(prefix):
        return []
    path = cursor.entry.container if cursor.entry is not None else cursor.block_path
    if not path:
        return _top_level_items(snippets)
    present = _present_names(cursor, path)
    return _field_items(path, present, snippets)


def _in_string(prefix: str) -> bool:
    """Whether the end of `prefix` (the line up to the cursor) is inside a `"…"` string."""
    inside = False
    i = 0
    while i < len(prefix):
        ch = prefix[i]
        if inside and ch == "\\":
            i += 2
            continue
        if ch == '"':
            inside = not inside
        elif not inside and (ch == "#" or prefix.startswith("//", i)):
            return False
        i += 1
    return inside


def _value_field(cursor: Cursor, prefix: str) -> tuple[tuple[str, ...], str] | None:
    """(block path, field name) when the cursor stands where a field's value goes."""
    entry = cursor.entry
    if entry is not None and not cursor.on_name and cursor.offset > entry.name_span.end.offset:
        return entry.container, entry.name
    match = _VALUE_AFTER.match(prefix)
    if match is not None:
        path = entry.container if entry is not None else cursor.block_path
        return path, match.group(1)
    return None


def _value_items(
    container: tuple[str, ...], name: str, analysis: WorkspaceAnalysis, *, in_string: bool
) -> list[types.CompletionItem]:
    spec = field_spec(container, name)
    if spec is None:
        return []
    words: list[tuple[str, types.CompletionItemKind, str | None]] = []
    if spec.format is Format.AGENT_REF:
        for doc, block in analysis.agents():
            if block.label:
                words.append((block.label, types.CompletionItemKind.Class, f"agent in {doc.path}"))
    elif spec.enum:
        words += [(e, types.CompletionItemKind.EnumMember, spec.name) for e in spec.enum]
    elif Shape.BOOLEAN in spec.shapes:
        words += [(b, types.CompletionItemKind.Keyword, None) for b in _BOOLEANS]
    seen: set[str] = set()
    items: list[types.CompletionItem] = []
    for word, kind, detail in words:
        if word in seen:
            continue
        seen.add(word)
        quoted = word not in _BOOLEANS and not in_string
        items.append(
            types.CompletionItem(
                label=word, kind=kind, detail=detail, insert_text=f'"{word}"' if quoted else word
            )
        )
    return items


def _present_names(cursor: Cursor, path: tuple[str, ...]) -> set[str]:
    if cursor.blocks and tuple(b.kind for b in cursor.blocks) == path:
        block = cursor.blocks[-1]
        typed = cursor.entry.name if cursor.entry is not None and cursor.on_name else None
        names = {e.kind if isinstance(e, Block) else e.name for e in block.body}
        if typed is not None:
            names.discard(typed)
        return names
    return set()


def _field_items(path: tuple[str, ...], present: set[str], snippets: bool) -> list[types.CompletionItem]:
    spec = block_spec(path)
    if spec is None:
        return []
    items: list[types.CompletionItem] = []
    for name, fspec in spec.fields.items():
        if name in present:
            continue
        if Shape.BLOCK in fspec.shapes:
            text = f"{name} {{\n\t$0\n}}" if snippets else f"{name} {{"
        elif fspec.shapes == (Shape.STRING,) and snippets:
            text = f'{name}: "$0"'
        elif fspec.shapes == (Shape.STRING_LIST,) and snippets:
            text = f"{name}: [$0]"
        else:
            text = f"{name}: "
        items.append(
            types.CompletionItem(
                label=name,
                kind=types.CompletionItemKind.Module
                if Shape.BLOCK in fspec.shapes
                else types.CompletionItemKind.Field,
                detail=fspec.shape_text,
                documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=fspec.markdown),
                insert_text=text,
                insert_text_format=types.InsertTextFormat.Snippet
                if snippets
                else types.InsertTextFormat.PlainText,
                sort_text=("0" if fspec.required else "1") + name,
            )
        )
    return items


def _top_level_items(snippets: bool) -> list[types.CompletionItem]:
    items = []
    for kind, spec in BLOCKS.items():
        if not spec.top_level:
            continue
        text = f"{kind} ${{1:name}} {{\n\t$0\n}}" if snippets else f"{kind} "
        items.append(
            types.CompletionItem(
                label=kind,
                kind=types.CompletionItemKind.Keyword,
                documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=spec.doc),
                insert_text=text,
                insert_text_format=types.InsertTextFormat.Snippet
                if snippets
                else types.InsertTextFormat.PlainText,
            )
        )
    return items


def _env_items(
    doc: ParsedDocument, start: int, end: int, env: Mapping[str, str]
) -> list[types.CompletionItem]:
    range_ = doc.lines.lsp_range_of_offsets(start, end)
    return [
        types.CompletionItem(
            label=name,
            kind=types.CompletionItemKind.Variable,
            detail="environment variable",
            text_edit=types.TextEdit(range=range_, new_text=name),
        )
        for name in sorted(env)
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)
    ]
