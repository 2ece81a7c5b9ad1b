"""Document formatting: what `symbi fmt` writes, as the few line edits that turn the text into it.

Replacing the whole document would move the cursor to the end and make one undo step of everything in
some editors; edits of only the changed lines (difflib's opcodes over lines) keep both.
"""

from __future__ import annotations

import difflib

from lsprotocol import types

from symbi_lsp.documents import ParsedDocument


def line_edits(old: str, new: str) -> list[tuple[int, int, str]]:
    """`(start offset, end offset, replacement)` edits over whole lines of `old` that make `new`,
    in document order and not overlapping."""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    starts = [0]
    for line in old_lines:
        starts.append(starts[-1] + len(line))
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    return [
        (starts[i1], starts[i2], "".join(new_lines[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def format_document(doc: ParsedDocument) -> list[types.TextEdit] | None:
    """The edits that format `doc`: [] when it is already formatted, None when it cannot be (syntax
    errors: the formatter refuses rather than guess)."""
    from symbi_lang.fmt import format_text

    result = format_text(doc.text, path=doc.path)
    if not result.ok:
        return None
    if not result.changed:
        return []
    return [
        types.TextEdit(range=doc.lines.lsp_range_of_offsets(start, end), new_text=text)
        for start, end, text in line_edits(doc.text, result.output)
    ]
