"""Source positions: every AST node and diagnostic carries a `Span`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Position:
    """A point in a source text: 1-based line and column (in code points), 0-based offset."""

    line: int
    column: int
    offset: int


@dataclass(frozen=True, slots=True)
class Span:
    """A range in one source file; `end` is exclusive."""

    path: str
    start: Position
    end: Position

    def cover(self, other: Span) -> Span:
        """The smallest span containing both spans (same file assumed)."""
        start = self.start if self.start.offset <= other.start.offset else other.start
        end = self.end if self.end.offset >= other.end.offset else other.end
        return Span(self.path, start, end)

    def contains_offset(self, offset: int) -> bool:
        return self.start.offset <= offset <= self.end.offset


def position_at(text: str, offset: int, line_starts: list[int] | None = None) -> Position:
    """The `Position` of `offset` in `text` (offset clamped to the text)."""
    offset = max(0, min(offset, len(text)))
    if line_starts is None:
        line_starts = line_start_offsets(text)
    lo, hi = 0, len(line_starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if line_starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return Position(lo + 1, offset - line_starts[lo] + 1, offset)


def line_start_offsets(text: str) -> list[int]:
    """Offsets at which each line of `text` starts (line 1 at index 0)."""
    starts = [0]
    find = text.find
    i = find("\n")
    while i != -1:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def span_of(text: str, path: str, start: int, end: int, line_starts: list[int] | None = None) -> Span:
    """A span for the offsets `start`..`end` of `text`."""
    if line_starts is None:
        line_starts = line_start_offsets(text)
    return Span(path, position_at(text, start, line_starts), position_at(text, end, line_starts))
