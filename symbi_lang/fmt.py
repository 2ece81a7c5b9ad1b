"""The canonical layout of `.symbi` text: `format_module(module) -> str`, `format_text(text) -> FormatResult`.

The canonical style (the layout is decided by the tree, not by how the input was laid out, except that
blank lines between entries are kept):

- 4-space indentation; LF line endings; one final newline; no trailing whitespace.
- Blocks: `kind [label] {` … `}`; an empty block is `kind [label] {}`; a comma after a block is dropped.
- Fields: `name: value`, one space after the colon, one field per line, no commas between fields.
- Lists: inline `[a, b]` when every item is inline, nothing inside is commented and the line fits in
  `LINE_WIDTH` columns; otherwise one item per line, each followed by a comma (trailing comma included).
- Maps: `{}` when empty; `{ key: value }` inline when there is one entry with an inline value, no comment
  inside and the line fits; otherwise one `key: value` per line, no commas. Keys keep their spelling
  (bare or quoted, quoted keys byte for byte).
- Strings are written exactly as in the source (`${VAR}`, `$${` and escapes untouched; the language has
  only double quotes). Numbers are written as in the source. A triple-quoted string written on one line
  stays as written; one spanning lines becomes an opening quote triple, its dedented lines at the
  field's indentation, and the closing triple on its own line (an empty one becomes six quotes). The
  parser dedents, so the value is unchanged; lines inside such a string are content and keep any
  trailing whitespace, and a string from a CRLF file keeps its carriage returns.
- Top-level blocks are separated by exactly one blank line. Elsewhere a run of blank lines between two
  entries (or comments) becomes one blank line; there is never a blank line right after an opening or
  before a closing bracket.
- Items of upstream Symbiont's dialect (`metadata`, `function`, upstream `agent` and `schedule`, …) are
  kept byte for byte from their first to their last token (`symbi fmt --migrate` rewrites upstream
  schedules into our dialect); only the blank lines around them follow the rules above.
- Comments (`#` and `//`) are kept with their text (trailing whitespace removed). A comment alone on its
  line is attached to the entry (or closing bracket) that follows it and indented like it; a comment after
  code on the same line stays at the end of the output line holding that code, two spaces after it.
  A list or map that contains a comment is never inlined.

`format_text` formats only a file without syntax errors, and only returns output that re-parses to the
same tree (compared without positions) with the same comments, and that formats to itself again.
"""

from __future__ import annotations

import bisect
import gc
import sys
from collections import deque
from dataclasses import dataclass

from symbi_lang.ast import (
    Block,
    BoolValue,
    Comment,
    ErrorValue,
    Field,
    IdentValue,
    ListValue,
    MapEntry,
    MapValue,
    Module,
    NumberValue,
    StringValue,
    Value,
)
from symbi_lang.diagnostics import sort_diagnostics
from symbi_lang.span import line_start_offsets
from symbi_lang.upstream.nodes import UpstreamItem

__all__ = ["INDENT", "LINE_WIDTH", "FormatResult", "format_module", "format_text", "structure"]

#: One level of indentation.
INDENT = "    "
#: Lists and maps are inlined only when their whole line fits in this many columns.
LINE_WIDTH = 100


@dataclass(frozen=True, slots=True)
class FormatResult:
    """The outcome of `format_text`: `output` is the formatted text when `ok`, else the input unchanged."""

    ok: bool
    output: str
    changed: bool
    reason: str | None = None


def format_text(text: str, *, path: str = "<stdin>") -> FormatResult:
    """Format `text`, refusing (ok=False, with a reason) for syntax errors or an unprovable result."""
    from symbi_lang.parser import parse

    gc_was_enabled = gc.isenabled()
    gc.disable()  # the trees are acyclic; collection passes over them make big files superlinear
    try:
        parsed = parse(text, path=path)
        errors = sort_diagnostics(d for d in parsed.diagnostics if d.is_error)
        if errors:
            first = errors[0]
            where = f"{first.span.start.line}:{first.span.start.column}"
            count = f"{len(errors)} syntax error{'s' if len(errors) != 1 else ''}"
            return FormatResult(False, text, False, f"{count} (first at {where}: {first.message})")
        before = structure(parsed.module)
        output = format_module(parsed.module)
        reparsed = parse(output, path=path)
        if not reparsed.ok:
            return FormatResult(False, text, False, "formatter bug: the output does not parse")
        if structure(reparsed.module) != before:
            return FormatResult(False, text, False, "formatter bug: the output parses to a different tree")
        if format_module(reparsed.module) != output:
            return FormatResult(False, text, False, "formatter bug: formatting the output changes it again")
    except RecursionError:
        return FormatResult(False, text, False, "the file is nested too deeply to format")
    finally:
        if gc_was_enabled:
            gc.enable()
    return FormatResult(True, output, output != text, None)


def format_module(module: Module) -> str:
    """The canonical text of a parsed module without syntax errors (`ValueError` for an error value).

    The module's `text` places comments (end of line or own line) and blank lines; a module built
    without it gets every comment on its own line and no blank lines inside blocks.
    """
    return _Printer(module).run()


# --- structural comparison --------------------------------------------------------------------------

Structure = tuple[object, ...]


def structure(module: Module) -> Structure:
    """A position-free description of a module: what formatting must preserve (tree and comment texts)."""
    return (
        tuple(_block_structure(b) for b in module.items),
        tuple(_comment_text(c) for c in sorted(module.comments, key=lambda c: c.span.start.offset)),
        tuple(("upstream", u.kind, u.label, _verbatim(module, u)) for u in module.upstream),
    )


def _verbatim(module: Module, item: UpstreamItem) -> str:
    return module.text[item.span.start.offset : item.span.end.offset]


def top_level(module: Module) -> list[Block | UpstreamItem]:
    """The file's items in source order: our blocks and upstream items (not the blocks derived from them)."""
    ours: list[Block | UpstreamItem] = [b for b in module.items if b.origin is None]
    return sorted([*ours, *module.upstream], key=lambda x: x.span.start.offset)


def _block_structure(block: Block) -> Structure:
    body = tuple(
        _block_structure(e) if isinstance(e, Block) else ("field", e.name, _value_structure(e.value))
        for e in block.body
    )
    return ("block", block.kind, block.label, body)


def _value_structure(value: Value) -> Structure:
    if isinstance(value, StringValue):
        return ("string", value.value, value.triple)
    if isinstance(value, NumberValue):
        return ("number", value.raw)
    if isinstance(value, BoolValue):
        return ("bool", value.value)
    if isinstance(value, IdentValue):
        return ("ident", value.name)
    if isinstance(value, ListValue):
        return ("list", tuple(_value_structure(v) for v in value.items))
    if isinstance(value, MapValue):
        return ("map", tuple((e.key, e.quoted, _value_structure(e.value)) for e in value.entries))
    return ("error",)


def _comment_text(comment: Comment) -> str:
    return comment.text.rstrip()


# --- the printer ------------------------------------------------------------------------------------


class _Printer:
    """Walks the tree in source order, emitting lines and placing comments as it passes them."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.text = module.text
        self.line_starts = line_start_offsets(self.text)
        self.comments: deque[Comment] = deque(sorted(module.comments, key=lambda c: c.span.start.offset))
        self.comment_offsets = [c.span.start.offset for c in self.comments]
        self.lines: list[str] = []
        self.commented: set[int] = set()  # indexes of output lines that end with a comment
        self.prev_end: int | None = None  # source line where the previous element of this container ended
        self.prev_was_block = False  # top level only: the previous element was a block

    def run(self) -> str:
        for item in top_level(self.module):
            self.flush(item.span.start.offset, 0)
            self.separate(item.span.start.line, force=self.prev_was_block)
            if isinstance(item, UpstreamItem):
                self.line(_verbatim(self.module, item))
            else:
                self.block(item, 0)
            self.prev_end = item.span.end.line
            self.prev_was_block = True
        self.flush(sys.maxsize, 0)  # every comment left: after the last block
        return "\n".join(self.lines) + "\n" if self.lines else ""

    # lines, blank lines and comments ------------------------------------------------------------------
    def line(self, text: str) -> None:
        self.lines.append(text)

    def separate(self, start_line: int, *, force: bool = False) -> None:
        """Emit one blank line before an element if the source had one (or `force`), never first."""
        if self.prev_end is None:
            return
        if force or self.blank_between(self.prev_end, start_line):
            self.line("")

    def blank_between(self, after: int, before: int) -> bool:
        """Whether a blank source line lies strictly between lines `after` and `before`."""
        if not self.text:
            return False
        for n in range(after + 1, before):
            start = self.line_starts[n - 1]
            end = self.line_starts[n] if n < len(self.line_starts) else len(self.text)
            if not self.text[start:end].strip():
                return True
        return False

    def flush(self, offset: int, depth: int) -> None:
        """Emit every comment that starts before `offset` (comments are passed in source order)."""
        while self.comments and self.comments[0].span.start.offset < offset:
            comment = self.comments.popleft()
            text = _comment_text(comment)
            last = len(self.lines) - 1
            if self.is_trailing(comment) and last >= 0 and self.lines[last] and last not in self.commented:
                self.lines[last] += "  " + text
                self.commented.add(last)
                continue
            line = comment.span.start.line
            self.separate(line, force=depth == 0 and self.prev_was_block)
            self.line(INDENT * depth + text)
            self.commented.add(len(self.lines) - 1)
            self.prev_end = line if self.prev_end is None else max(self.prev_end, line)
            if depth == 0:
                self.prev_was_block = False

    def is_trailing(self, comment: Comment) -> bool:
        """A comment with code before it on its source line."""
        if not self.text:
            return False
        start = self.line_starts[comment.span.start.line - 1]
        return bool(self.text[start : comment.span.start.offset].strip())

    def has_comment(self, start: int, end: int) -> bool:
        """Whether a comment starts inside the source offsets `start`..`end`."""
        i = bisect.bisect_left(self.comment_offsets, start)
        return i < len(self.comment_offsets) and self.comment_offsets[i] < end

    # blocks and fields ------------------------------------------------------------------------------
    def block(self, block: Block, depth: int) -> None:
        indent = INDENT * depth
        header = indent + block.kind + (f" {block.label}" if block.label is not None else "")
        close = block.span.end.offset - 1
        if not block.body and not self.has_comment(block.span.start.offset, close):
            self.line(header + " {}")
            return
        self.line(header + " {")
        self.prev_end = None
        for entry in block.body:
            self.flush(entry.span.start.offset, depth + 1)
            self.separate(entry.span.start.line)
            if isinstance(entry, Block):
                self.block(entry, depth + 1)
            else:
                self.field(entry, depth + 1)
            self.prev_end = entry.span.end.line
        self.flush(close, depth + 1)
        self.line(indent + "}")

    def field(self, field: Field, depth: int) -> None:
        self.value(INDENT * depth + field.name + ": ", field.value, depth, "")

    # values -----------------------------------------------------------------------------------------
    def value(self, prefix: str, value: Value, depth: int, suffix: str) -> None:
        """Emit `value` starting on a line that begins with `prefix`; `suffix` follows its last token."""
        inline = self.inline(value)
        fits = inline is not None and len(prefix) + len(inline) + len(suffix) <= LINE_WIDTH
        if inline is not None and (fits or not isinstance(value, (ListValue, MapValue))):
            self.line(prefix + inline + suffix)
            return
        indent = INDENT * depth
        if isinstance(value, StringValue):  # a triple-quoted string spanning lines
            self.line(prefix + '"""')
            for text_line in value.value.split("\n"):
                self.line(indent + text_line if text_line else "")
            self.line(indent + '"""' + suffix)
            return
        if isinstance(value, ListValue):
            self.line(prefix + "[")
            self.prev_end = None
            for item in value.items:
                self.flush(item.span.start.offset, depth + 1)
                self.separate(item.span.start.line)
                self.value(INDENT * (depth + 1), item, depth + 1, ",")
                self.prev_end = item.span.end.line
            self.flush(value.span.end.offset - 1, depth + 1)
            self.line(indent + "]" + suffix)
            return
        if isinstance(value, MapValue):
            self.line(prefix + "{")
            self.prev_end = None
            for entry in value.entries:
                self.flush(entry.span.start.offset, depth + 1)
                self.separate(entry.span.start.line)
                self.value(INDENT * (depth + 1) + self.key(entry) + ": ", entry.value, depth + 1, "")
                self.prev_end = entry.span.end.line
            self.flush(value.span.end.offset - 1, depth + 1)
            self.line(indent + "}" + suffix)
            return
        raise ValueError("cannot format a tree with syntax errors in it")  # ErrorValue

    def inline(self, value: Value) -> str | None:
        """The one-line text of `value`, or None when it must span lines."""
        if isinstance(value, StringValue):
            if value.triple and "\n" in value.raw:
                return None if value.value else '""""""'
            return value.raw
        if isinstance(value, NumberValue):
            return value.raw
        if isinstance(value, BoolValue):
            return "true" if value.value else "false"
        if isinstance(value, IdentValue):
            return value.name
        if isinstance(value, ErrorValue):
            return None
        if self.has_comment(value.span.start.offset, value.span.end.offset):
            return None
        if isinstance(value, ListValue):
            parts = [self.inline(item) for item in value.items]
            if any(p is None for p in parts):
                return None
            return "[" + ", ".join(p for p in parts if p is not None) + "]"
        if not value.entries:
            return "{}"
        if len(value.entries) > 1:
            return None
        entry = value.entries[0]
        inner = self.inline(entry.value)
        return None if inner is None else "{ " + self.key(entry) + ": " + inner + " }"

    def key(self, entry: MapEntry) -> str:
        if not entry.quoted:
            return entry.key
        if self.text:
            return self.text[entry.key_span.start.offset : entry.key_span.end.offset]
        return quote(entry.key)


def quote(text: str) -> str:
    """`text` as a double-quoted string literal that the parser reads back as `text`."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
