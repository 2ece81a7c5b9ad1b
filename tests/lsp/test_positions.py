"""`LineIndex`: symbi offsets/positions ↔ LSP positions, including characters outside the BMP."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types
from symbi_lsp.positions import UTF8, UTF16, UTF32, LineIndex

from symbi_lang.span import Position, Span, position_at

# "🕘" (U+1F558) is one code point, two UTF-16 code units, four UTF-8 bytes.
TEXT = 'a: "🕘 x"\nb: "é🕘🕘y"\n'


def lsp(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def test_ascii_offsets_map_to_columns() -> None:
    index = LineIndex("ab\ncd\n")
    assert index.lsp_position_of_offset(4) == lsp(1, 1)
    assert index.offset(lsp(1, 1)) == 4
    assert index.line_count == 3


@pytest.mark.parametrize(
    ("offset", "utf16", "utf8", "utf32"),
    [
        (4, 4, 4, 4),  # just before the clock
        (5, 6, 8, 5),  # just after it: two UTF-16 units, four bytes
        (7, 8, 10, 7),  # after " x"
        (13, 4, 4, 4),  # line 2: `b: "` then é
        (14, 5, 6, 5),  # after é (one UTF-16 unit, two bytes)
        (16, 9, 14, 7),  # after both clocks
    ],
)
def test_astral_characters_count_per_encoding(offset: int, utf16: int, utf8: int, utf32: int) -> None:
    line = 0 if offset < 9 else 1
    for encoding, expected in ((UTF16, utf16), (UTF8, utf8), (UTF32, utf32)):
        index = LineIndex(TEXT, encoding)
        assert index.lsp_position_of_offset(offset) == lsp(line, expected), encoding
        assert index.offset(lsp(line, expected)) == offset, encoding


def test_symbi_span_converts_through_its_offsets() -> None:
    index = LineIndex(TEXT)
    start = position_at(TEXT, 13)
    end = position_at(TEXT, 17)
    assert start == Position(2, 5, 13)
    assert index.lsp_range(Span("f", start, end)) == types.Range(start=lsp(1, 4), end=lsp(1, 10))
    assert index.position(lsp(1, 10)) == end


def test_out_of_range_lsp_positions_clamp_to_the_line_or_text() -> None:
    index = LineIndex("ab\r\ncd")
    assert index.offset(lsp(0, 99)) == 2  # before the \r\n
    assert index.offset(lsp(7, 0)) == 6
    assert index.lsp_position_of_offset(99) == lsp(1, 2)


def test_a_position_inside_a_surrogate_pair_moves_past_the_character() -> None:
    index = LineIndex("🕘x")
    assert index.offset(lsp(0, 1)) == 1
    assert index.offset(lsp(0, 2)) == 1
    assert index.offset(lsp(0, 3)) == 2


@given(st.text(alphabet=st.sampled_from(["a", "\n", "é", "🕘", "中", " ", "\U00010348"]), max_size=40))
def test_round_trip_every_offset(text: str) -> None:
    for encoding in (UTF16, UTF8, UTF32):
        index = LineIndex(text, encoding)
        for offset in range(len(text) + 1):
            pos = index.lsp_position_of_offset(offset)
            assert index.offset(pos) == offset
            assert index.position(pos) == position_at(text, offset)
        # UTF-16 columns agree with Python's own encoder
        if encoding == UTF16 and text:
            last = index.lsp_position_of_offset(len(text))
            line_text = text.split("\n")[-1]
            assert last.character == len(line_text.encode("utf-16-le")) // 2


def test_encoding_names_from_lsprotocol_enums_and_strings() -> None:
    from symbi_lsp.positions import encoding_name

    assert encoding_name(types.PositionEncodingKind.Utf32) == UTF32
    assert encoding_name(types.PositionEncodingKind.Utf8) == UTF8
    assert encoding_name("utf-16") == UTF16
    assert encoding_name(None) == UTF16
    assert encoding_name("latin-1") == UTF16
    assert LineIndex("🕘x", types.PositionEncodingKind.Utf32).lsp_position_of_offset(2) == lsp(0, 2)
