"""The one place where symbi positions (1-based, code points) meet LSP positions (0-based, code units).

`symbi_lang` spans count columns in code points and carry 0-based code-point offsets. LSP counts
characters in the negotiated position encoding: UTF-16 code units by default (a character outside the
Basic Multilingual Plane, such as an emoji, counts twice), or UTF-8 bytes / UTF-32 code points when the
client asked for them. Every feature goes through a `LineIndex`; nothing else does this arithmetic.
"""

from __future__ import annotations

import bisect

from lsprotocol import types

from symbi_lang.span import Position, Span, line_start_offsets

UTF16 = "utf-16"
UTF8 = "utf-8"
UTF32 = "utf-32"


def encoding_name(kind: object) -> str:
    """The wire name (`utf-16`, …) of a negotiated position encoding (an lsprotocol enum or a string)."""
    name = str(getattr(kind, "value", kind) or UTF16).lower()
    return name if name in (UTF8, UTF16, UTF32) else UTF16


def _units(segment: str, encoding: str) -> int:
    """Length of `segment` in code units of `encoding`."""
    if encoding == UTF32 or segment.isascii():
        return len(segment)
    if encoding == UTF8:
        return len(segment.encode("utf-8", "surrogatepass"))
    return len(segment) + sum(1 for ch in segment if ord(ch) > 0xFFFF)


class LineIndex:
    """Converts between offsets / symbi positions and LSP positions for one text."""

    __slots__ = ("_ascii", "_encoding", "_starts", "text")

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self._encoding = encoding_name(encoding)
        self._starts = line_start_offsets(text)
        # With only ASCII (or with UTF-32) a code-unit column is a code-point column: no scanning.
        self._ascii = self._encoding == UTF32 or text.isascii()

    @property
    def encoding(self) -> str:
        return self._encoding

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line_start(self, line0: int) -> int:
        """Offset of the first character of 0-based line `line0` (clamped to the text)."""
        if line0 < 0:
            return 0
        if line0 >= len(self._starts):
            return len(self.text)
        return self._starts[line0]

    def line_end(self, line0: int) -> int:
        """Offset just past the last character of line `line0`, before its `\\n` (and `\\r`)."""
        if line0 + 1 < len(self._starts):
            end = self._starts[line0 + 1] - 1
            if end > self._starts[line0] and self.text[end - 1] == "\r":
                end -= 1
            return end
        return len(self.text)

    # --- symbi → LSP --------------------------------------------------------------------------------

    def lsp_position_of_offset(self, offset: int) -> types.Position:
        """The LSP position of a 0-based code-point offset (clamped to the text)."""
        offset = max(0, min(offset, len(self.text)))
        line0 = self._line_of(offset)
        start = self._starts[line0]
        if self._ascii:
            return types.Position(line=line0, character=offset - start)
        return types.Position(line=line0, character=_units(self.text[start:offset], self._encoding))

    def lsp_position(self, position: Position) -> types.Position:
        """The LSP position of a symbi `Position` (its offset is authoritative)."""
        return self.lsp_position_of_offset(position.offset)

    def lsp_range(self, span: Span) -> types.Range:
        """The LSP range of a symbi `Span`."""
        return types.Range(start=self.lsp_position(span.start), end=self.lsp_position(span.end))

    def lsp_range_of_offsets(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.lsp_position_of_offset(start), end=self.lsp_position_of_offset(end))

    # --- LSP → symbi --------------------------------------------------------------------------------

    def offset(self, position: types.Position) -> int:
        """The code-point offset of an LSP position; a character past the line end means the line end."""
        if position.line >= len(self._starts):
            return len(self.text)
        start = self._starts[position.line]
        end = self.line_end(position.line)
        if self._ascii:
            return min(start + position.character, end)
        units = 0
        i = start
        while i < end and units < position.character:
            units += _units(self.text[i], self._encoding)
            i += 1
        return i

    def position(self, position: types.Position) -> Position:
        """The symbi `Position` (1-based line and column) of an LSP position."""
        offset = self.offset(position)
        line0 = self._line_of(offset)
        return Position(line0 + 1, offset - self._starts[line0] + 1, offset)

    def _line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset) - 1


def span_range_without_text(span: Span) -> types.Range:
    """An LSP range for a span in a file whose text the server does not hold.

    Code-point columns stand in for code units: exact for text in the Basic Multilingual Plane (UTF-16)
    and only used for related locations in files that could not be read.
    """
    return types.Range(
        start=types.Position(line=max(span.start.line - 1, 0), character=max(span.start.column - 1, 0)),
        end=types.Position(line=max(span.end.line - 1, 0), character=max(span.end.column - 1, 0)),
    )
