"""Text to syntax tree: `parse(text, path=…) -> ParseResult`.

Lark LALR(1) over `grammar/symbi.lark` builds the AST in one pass (the transformer is inlined in the
parser, so no Lark tree is ever kept). A clean file takes Lark's own parse loop. A file with errors is
parsed again by a driver that feeds tokens one by one and recovers: it repairs the common mistakes
(missing `:`, missing value, missing `,` in a list, unclosed block, stray `}`, unterminated string,
bad character) with a labelled message at the exact token, and otherwise skips to the next line that
starts an entry, so that independent mistakes give one error each and no cascade.
"""

from __future__ import annotations

import bisect
import copy
import gc
import math
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from symbi_lang import codes
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
from symbi_lang.diagnostics import Diagnostic, Fix, TextEdit
from symbi_lang.span import Position, Span
from symbi_lang.upstream.hints import HINT_FIELDS, HINT_KINDS, needs_upstream, upstream_field_hint

#: Items that only make sense at the top level; one of these at column 1 inside a block means the
#: block above was never closed.
TOP_LEVEL_KINDS = frozenset({"schedule", "agent"})

_HINT_FIELDS = HINT_FIELDS
_HINT_KINDS = HINT_KINDS
_SCALARS = ("STRING", "TRIPLE_STRING", "NUMBER", "TRUE", "FALSE", "IDENT")
_VALUE_START = frozenset((*_SCALARS, "LBRACKET", "LBRACE"))
_VALUE_END = frozenset((*_SCALARS, "RBRACKET", "RBRACE"))
_CLOSER = {"block": "RBRACE", "map": "RBRACE", "list": "RBRACKET"}
_CLOSER_TEXT = {"RBRACE": "}", "RBRACKET": "]"}
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_TOKEN_WORDS = {
    "IDENT": "a name",
    "STRING": "a string",
    "TRIPLE_STRING": "a string",
    "NUMBER": "a number",
    "TRUE": "`true`",
    "FALSE": "`false`",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "LBRACKET": "`[`",
    "RBRACKET": "`]`",
    "COLON": "`:`",
    "COMMA": "`,`",
    "$END": "end of file",
}


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The module (always, possibly partial) and the syntax diagnostics."""

    module: Module
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def parse(text: str, *, path: str = "<input>") -> ParseResult:
    """Parse a whole `.symbi` text. Never raises for bad input: problems come back as diagnostics."""
    clean_parser = _clean_parser()
    clean = clean_parser.parse(text, path)
    return clean if clean is not None else _engine().parse(text, path, clean_parser.known)


# --- the AST builder ---------------------------------------------------------------------------------


class _Builder:
    """Lark callbacks that build AST nodes directly from tokens (no intermediate tree)."""

    def __init__(self) -> None:
        self.path = "<input>"
        self.diagnostics: list[Diagnostic] = []
        self.error_offsets: list[int] = []
        self.nested_top_level = False
        self.upstream_hint = False  # something upstream's dialect may have written (dialect.needs_upstream)

    def reset(self, path: str) -> None:
        self.path = path
        self.diagnostics = []
        self.error_offsets = []
        self.nested_top_level = False
        self.upstream_hint = False  # something upstream's dialect may have written (dialect.needs_upstream)

    # spans
    def _tok_span(self, tok: Any) -> Span:
        return Span(
            self.path,
            Position(tok.line, tok.column, tok.start_pos),
            Position(tok.end_line, tok.end_column, tok.end_pos),
        )

    def _span(self, first: Any, last: Any) -> Span:
        a = first.span if hasattr(first, "span") else self._tok_span(first)
        b = last.span if hasattr(last, "span") else self._tok_span(last)
        return Span(self.path, a.start, b.end)

    def _recovered(self, span: Span) -> bool:
        i = bisect.bisect_left(self.error_offsets, span.start.offset)
        return i < len(self.error_offsets) and self.error_offsets[i] < span.end.offset

    # rules
    def start(self, children: list[Any]) -> tuple[Block, ...]:
        return tuple(children)

    def block(self, children: list[Any]) -> Block:
        kind_tok = children[0]
        label_tok = children[1] if children[1].type == "IDENT" else None
        body_start = 3 if label_tok is not None else 2
        end = len(children) - 1 if children[-1].type == "COMMA" else len(children)
        body = tuple(children[body_start : end - 1])
        if kind_tok in _HINT_KINDS and (kind_tok != "policy" or label_tok is not None):
            self.upstream_hint = True
        span = self._span(kind_tok, children[end - 1])
        for e in body:
            if isinstance(e, Block) and e.kind in TOP_LEVEL_KINDS and e.kind_span.start.column == 1:
                self.nested_top_level = True
        return Block(
            span=span,
            kind=str(kind_tok),
            kind_span=self._tok_span(kind_tok),
            label=str(label_tok) if label_tok is not None else None,
            label_span=self._tok_span(label_tok) if label_tok is not None else None,
            body=body,
            recovered=bool(self.error_offsets) and self._recovered(span),
        )

    def field(self, children: list[Any]) -> Field:
        name_tok, value = children[0], children[2]
        if name_tok in _HINT_FIELDS and not self.upstream_hint:
            self.upstream_hint = upstream_field_hint(str(name_tok), value)
        return Field(self._span(name_tok, value), str(name_tok), self._tok_span(name_tok), value)

    def scalar(self, children: list[Any]) -> Value:
        tok = children[0]
        kind = tok.type
        span = self._tok_span(tok)
        if kind == "STRING":
            return self._string(tok, span)
        if kind == "TRIPLE_STRING":
            return self._triple(tok, span)
        if kind == "NUMBER":
            raw = str(tok)
            number = _number(raw)
            if number is None:
                shown = raw if len(raw) <= 24 else f"{raw[:10]}…{raw[-4:]} ({len(raw)} characters)"
                self.diagnostics.append(
                    codes.NUMBER_TOO_LARGE.at(
                        span, digits=shown, help=f"integers range from {-_INT_LIMIT} to {_INT_LIMIT - 1}"
                    )
                )
                return ErrorValue(span)
            return NumberValue(span, number, raw)
        if kind == "TRUE":
            return BoolValue(span, True)
        if kind == "FALSE":
            return BoolValue(span, False)
        if kind == "IDENT":
            return IdentValue(span, str(tok))
        return ErrorValue(span)

    def list_(self, children: list[Any]) -> ListValue:
        items = tuple(c for c in children[1:-1] if not _is_token(c))
        return ListValue(self._span(children[0], children[-1]), items)

    def map_(self, children: list[Any]) -> MapValue:
        return MapValue(self._span(children[0], children[-1]), tuple(children[1:-1]))

    def map_entry(self, children: list[Any]) -> MapEntry:
        key_tok, value = children[0], children[2]
        if key_tok.type == "STRING":
            key = self._string(key_tok, self._tok_span(key_tok)).value
        else:
            key = str(key_tok)
        return MapEntry(
            self._span(key_tok, value), key, self._tok_span(key_tok), key_tok.type == "STRING", value
        )

    # strings
    def _string(self, tok: Any, span: Span) -> StringValue:
        raw = str(tok)
        body = raw[1:-1]
        if "\\" not in body:
            return StringValue(span, body, raw, False, tok.start_pos + 1, True)
        return StringValue(span, self._unescape(body, tok), raw, False, tok.start_pos + 1, False)

    def _unescape(self, body: str, tok: Any) -> str:
        out: list[str] = []
        i, n = 0, len(body)
        while i < n:
            ch = body[i]
            if ch != "\\" or i + 1 >= n:
                out.append(ch)
                i += 1
                continue
            nxt = body[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
            elif nxt == "u" and _is_hex(body[i + 2 : i + 6]):
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
            else:
                start = tok.start_pos + 1 + i
                esc_span = Span(
                    self.path,
                    Position(tok.line, tok.column + 1 + i, start),
                    Position(tok.line, tok.column + 3 + i, start + 2),
                )
                self.diagnostics.append(
                    codes.BAD_ESCAPE.at(
                        esc_span,
                        escape=body[i : i + 2],
                        help='valid escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX',
                    )
                )
                out.append(nxt)
                i += 2
        return "".join(out)

    def _triple(self, tok: Any, span: Span) -> StringValue:
        raw = str(tok)
        content = raw[3:-3].replace("\r\n", "\n")  # a CRLF file's blank lines would defeat dedent
        if content.startswith("\n"):
            content = content[1:]
        last_nl = content.rfind("\n")
        if last_nl != -1 and not content[last_nl + 1 :].strip():
            content = content[:last_nl]
        import textwrap  # triple-quoted strings are rare; the import is not

        value = textwrap.dedent(content)
        return StringValue(span, value, raw, True, tok.start_pos + 3, value == raw[3:-3])


_LABEL_WITH_HYPHENS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)+")

#: Integers are 64-bit signed, as SQLite stores them; beyond that a literal is "number too large"
#: (and `int()` of 4,301+ digits would raise).
_INT_LIMIT = 2**63


def _number(raw: str) -> int | float | None:
    """The value of a NUMBER token, or None when it is too large to mean anything."""
    if "." in raw:
        value = float(raw)
        return value if math.isfinite(value) and abs(value) < _INT_LIMIT else None
    digits = raw.lstrip("-").lstrip("0")
    if len(digits) > 19:
        return None
    number = int(raw)
    return number if -_INT_LIMIT <= number < _INT_LIMIT else None


def _is_hex(s: str) -> bool:
    return len(s) == 4 and all(c in "0123456789abcdefABCDEF" for c in s)


def _is_token(x: Any) -> bool:
    return hasattr(x, "type") and not hasattr(x, "span")


# --- the engine: Lark instance, fast path, recovering driver ------------------------------------------


class _Engine:
    """One Lark parser with its builder; one per thread (the builder holds per-parse state)."""

    def __init__(self) -> None:
        from lark import Lark
        from lark.lexer import BasicLexer

        from symbi_lang.grammar import grammar_text

        self.builder = _Builder()
        self.comments: list[Any] = []
        self.lark = Lark(
            grammar_text(),
            parser="lalr",
            lexer="contextual",
            transformer=_callbacks(self.builder),
            lexer_callbacks={"COMMENT": self.comments.append},
            cache=True,
        )
        conf = copy.copy(self.lark.lexer_conf)
        conf.ignore = ()
        conf.callbacks = {}  # the recovery lexer sees comments as tokens; no collecting callback
        self.full_lexer = BasicLexer(conf)

    def parse(self, text: str, path: str, known: _KnownFast | None = None) -> ParseResult:
        """`known`: what `_fast` would return, when the clean parser already found out."""
        gc_was_enabled = gc.isenabled()
        gc.disable()  # tree-building parses turn superlinear under the cyclic GC (DESIGN §6)
        try:
            if known is None:
                fast = self._fast(text, path)
                hint = self.builder.upstream_hint
            else:
                fast, hint = known
            if fast is not None and not (hint and needs_upstream(fast.module)):
                return fast
            # Upstream Symbiont items (or a syntax error): find the upstream items, let our parser read
            # the rest with those blanked out. Imported here: a clean file of our dialect never needs it.
            from symbi_lang.upstream.mixed import parse_mixed

            mixed = parse_mixed(text, path, lambda masked: self._ours(masked, path))
            if mixed is not None:
                return ParseResult(mixed[0], mixed[1])
            if fast is not None:
                return fast
            self.builder.reset(path)
            return _Recovery(self, text, path).run()
        finally:
            # The engine outlives the parse: keep none of its tokens (one per comment), which would hold
            # the memory of a big file's parse after its module is gone.
            self.comments.clear()
            if gc_was_enabled:
                gc.enable()

    def _fast(self, text: str, path: str) -> ParseResult | None:
        """Lark's own parse loop: the result for a file without syntax errors, else None."""
        from lark.exceptions import UnexpectedInput

        self.builder.reset(path)
        self.comments.clear()
        try:
            items: tuple[Block, ...] = self.lark.parse(text)  # type: ignore[assignment]
        except UnexpectedInput:
            return None
        if self.builder.nested_top_level:
            return None
        comments = tuple(Comment(self.builder._tok_span(c), str(c)) for c in self.comments)
        return ParseResult(Module(path, items, comments, text), list(self.builder.diagnostics))

    def _ours(self, text: str, path: str) -> tuple[Module, list[Diagnostic]]:
        """Our dialect only: the fast path, else the recovering driver."""
        result = self._fast(text, path)
        if result is None:
            self.builder.reset(path)
            result = _Recovery(self, text, path).run()
        return result.module, result.diagnostics


#: The grammar's rules and the builder methods that build their nodes.
_RULE_METHODS = {
    "start": "start",
    "block": "block",
    "field": "field",
    "scalar": "scalar",
    "list": "list_",
    "map": "map_",
    "map_entry": "map_entry",
}


def _rule_callbacks(builder: _Builder) -> dict[str, Any]:
    return {rule: getattr(builder, method) for rule, method in _RULE_METHODS.items()}


def _callbacks(builder: _Builder) -> Any:
    """A Lark transformer whose rule methods are the builder's."""
    from lark import Transformer

    return type("_T", (Transformer,), {k: staticmethod(v) for k, v in _rule_callbacks(builder).items()})()


#: What Lark's own parse loop (`_Engine._fast`) returns for a text the clean parser has read, so the
#: engine need not run it again: (None, _) for a syntax error or a top-level item inside an open one (the
#: builder sees the same callbacks either way), else (the module, which holds upstream items, True); the
#: second member is the builder's `upstream_hint`. A tuple, not a dataclass: this module is on the path
#: of every `symbi check`, and each dataclass costs start-up time to create.
_KnownFast = tuple[ParseResult | None, bool]


class _CleanParser:
    """The Lark-free parse of a file without syntax errors or upstream items (symbi_lang.fast_parse);
    one per thread, like the engine. Anything else returns None and goes to the engine, with what
    Lark's own loop would return when that is known (`known`, set by every parse)."""

    def __init__(self) -> None:
        self.builder = _Builder()
        self.callbacks = _rule_callbacks(self.builder)
        self.known: _KnownFast | None = None

    def parse(self, text: str, path: str) -> ParseResult | None:
        from symbi_lang.fast_parse import GiveUp, parse_clean

        builder = self.builder
        builder.reset(path)
        self.known = None
        comments: list[Any] = []
        gc_was_enabled = gc.isenabled()
        gc.disable()  # as in the engine: tree building turns superlinear under the cyclic GC
        try:
            items = parse_clean(text, self.callbacks, comments.append)
            if items is GiveUp.UNSURE:
                return None
            if items is GiveUp.SYNTAX_ERROR or builder.nested_top_level:
                self.known = (None, builder.upstream_hint)
                return None
            module = Module(path, items, tuple(Comment(builder._tok_span(c), str(c)) for c in comments), text)
            result = ParseResult(module, list(builder.diagnostics))
            if builder.upstream_hint and needs_upstream(module):
                self.known = (result, True)
                return None
            return result
        finally:
            if gc_was_enabled:
                gc.enable()


_local = threading.local()
_T = TypeVar("_T")


def _per_thread(name: str, make: Callable[[], _T]) -> _T:
    """This thread's instance of a parser (their builders hold per-parse state)."""
    value: _T | None = getattr(_local, name, None)
    if value is None:
        value = make()
        setattr(_local, name, value)
    return value


def _clean_parser() -> _CleanParser:
    return _per_thread("clean", _CleanParser)


def _engine() -> _Engine:
    return _per_thread("engine", _Engine)


@dataclass(slots=True)
class _Open:
    """A bracket the driver has seen opened: its token, what it opens, and the parser depth then."""

    token: Any
    kind: str  # "block" | "map" | "list"
    name: str  # the block kind (`schedule`) or the field whose value it is
    depth: int


class _Recovery:
    """Feeds tokens to the LALR automaton one at a time, repairing or skipping at each error."""

    def __init__(self, engine: _Engine, text: str, path: str) -> None:
        from lark import Token

        self.Token = Token
        self.engine = engine
        self.builder = engine.builder
        self.text = text
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self.comments: list[Comment] = []
        ip = engine.lark.parse_interactive("")
        self.state = ip.parser_state
        self.states: dict[Any, dict[str, Any]] = self.state.parse_conf.states
        self.end_state = self.state.parse_conf.end_state
        self.open: list[_Open] = []
        self.prev: Any = None  # last token fed successfully
        self.entry_depth = 1  # parser depth where the current body entry began
        self.last_error_line = 0
        self.swallowed_rest = False  # an unclosed triple quote took the rest of the file
        self.line_starts: list[int] | None = None

    # lexing with recovery -------------------------------------------------------------------------
    def tokens(self) -> list[Any]:
        from lark.exceptions import UnexpectedCharacters
        from lark.lexer import LexerState
        from lark.utils import TextSlice

        text = self.text
        lexer = self.engine.full_lexer
        state = LexerState(TextSlice(text, 0, len(text)))
        out: list[Any] = []
        while True:
            try:
                tok = lexer.next_token(state)
            except EOFError:
                break
            except UnexpectedCharacters as e:
                pos: int = e.pos_in_stream or 0
                ctr = state.line_ctr
                if text.startswith('"""', pos):
                    self._unterminated_triple(pos)
                    break
                if text[pos] == '"':
                    eol = text.find("\n", pos)
                    eol = len(text) if eol == -1 else eol
                    tok = self.Token("STRING", text[pos:eol].rstrip("\r") + '"', pos, ctr.line, ctr.column)
                    self._error(
                        codes.UNTERMINATED_STRING.at(
                            self._span(pos, eol), help='add the closing `"` before the end of the line'
                        )
                    )
                    ctr.feed(text[pos:eol])
                    tok.end_line, tok.end_column, tok.end_pos = ctr.line, ctr.column, ctr.char_pos
                    out.append(tok)
                    continue
                if text[pos] == "-" and self._hyphenated_label(pos, ctr, out):
                    continue
                if text[pos] == "'":
                    single = self._single_quoted(pos, ctr)
                    if single is not None:
                        out.append(single)
                        continue
                self._error(codes.BAD_CHARACTER.at(self._span(pos, pos + 1), char=_show_char(text[pos])))
                ctr.feed(text[pos])
                continue
            if tok.type == "WS":
                continue
            if tok.type == "STRING" and text.startswith('"""', tok.start_pos or 0):
                # TRIPLE_STRING outranks STRING: `"""` lexed as `""` is a triple string never closed.
                self._unterminated_triple(tok.start_pos or 0)
                break
            if tok.type == "COMMENT":
                self.comments.append(Comment(self.builder._tok_span(tok), str(tok)))
                continue
            out.append(tok)
        return out

    def _single_quoted(self, pos: int, ctr: Any) -> Any:
        """`'text'` on one line: one error with a fix, read as the string it was meant to be (so the
        field keeps its value and no cascade follows). None when it cannot be read that way."""
        text = self.text
        eol = text.find("\n", pos)
        eol = len(text) if eol == -1 else eol
        close = text.find("'", pos + 1, eol)
        if close == -1:
            return None
        inner = text[pos + 1 : close]
        if '"' in inner or "\\" in inner:
            return None
        span = self._span(pos, close + 1)
        self._error(
            codes.SINGLE_QUOTES.at(
                span,
                help=f'write "{inner}"',
                fixes=[Fix("Use double quotes", (TextEdit(span, f'"{inner}"'),))],
            )
        )
        tok = self.Token("STRING", f'"{inner}"', pos, ctr.line, ctr.column)
        ctr.feed(text[pos : close + 1])
        tok.end_line, tok.end_column, tok.end_pos = ctr.line, ctr.column, ctr.char_pos
        return tok

    def _hyphenated_label(self, pos: int, ctr: Any, out: list[Any]) -> bool:
        """`schedule disk-heartbeat {`: one error suggesting `name: "disk-heartbeat"`, and the whole
        word kept as the label (so the block parses and no cascade follows). False when the `-` is
        not inside the label of a top-level block."""
        if len(out) < 2:
            return False
        kind, word = out[-2], out[-1]
        if not (
            kind.type == "IDENT"
            and str(kind) in TOP_LEVEL_KINDS
            and word.type == "IDENT"
            and word.end_pos == pos
            and word.line == kind.line
        ):
            return False
        match = _LABEL_WITH_HYPHENS.match(self.text, word.start_pos)
        if match is None or not self.text[match.end() :].lstrip(" \t").startswith("{"):
            return False
        label = match.group()
        brace = self.text.index("{", match.end())
        span = self._span(word.start_pos, match.end())
        fix_span = self._span(kind.end_pos, brace + 1)
        self._error(
            codes.HYPHENATED_LABEL.at(
                span,
                label=label,
                help=f'name it with a field: `{kind} {{ name: "{label}" … }}` '
                f"(or use `{label.replace('-', '_')}` as the label)",
                fixes=[
                    Fix(f'Move it to `name: "{label}"`', (TextEdit(fix_span, f' {{\n  name: "{label}"'),))
                ],
            )
        )
        ctr.feed(self.text[pos : match.end()])
        tok = self.Token("IDENT", label, word.start_pos, word.line, word.column)
        tok.end_line, tok.end_column, tok.end_pos = ctr.line, ctr.column, ctr.char_pos
        out[-1] = tok
        return True

    def _unterminated_triple(self, pos: int) -> None:
        """An unclosed triple quote swallows the rest of the file: one error, no cascade after it."""
        self._error(codes.UNTERMINATED_STRING.at(self._span(pos, pos + 3), help='close it with `"""`'))
        self.swallowed_rest = True

    # driving --------------------------------------------------------------------------------------
    def run(self) -> ParseResult:
        toks = self.tokens()
        end = self._synthetic("$END", len(self.text))
        toks.append(end)
        i = 0
        while i < len(toks):
            tok = toks[i]
            nxt = toks[i + 1] if i + 1 < len(toks) else end
            nxt2 = toks[i + 2] if i + 2 < len(toks) else end
            if self._bare_field_name(tok, nxt):
                continue
            if tok.type == "$END":
                self._finish(tok)
                break
            if self._closes_unclosed_block(tok, nxt, nxt2):
                continue
            if self._missing_value_before_next_entry(tok, nxt):
                continue
            if self._accepts([tok.type]):
                self._feed(tok)
                i += 1
                continue
            i = self._repair(toks, i)
        self.builder.diagnostics.extend(self.diagnostics)
        self.diagnostics = self.builder.diagnostics
        items = self._result_items()
        module = Module(self.path, items, tuple(self.comments), self.text)
        return ParseResult(module, self.diagnostics)

    def _result_items(self) -> tuple[Block, ...]:
        values = self.state.value_stack
        if values and isinstance(values[-1], tuple):
            return values[-1]
        return ()

    def _finish(self, end: Any) -> None:
        if self.open and not self.swallowed_rest:
            innermost = self.open[-1]
            self._unclosed_error(innermost, at_eof=True)
        self._close_all(end)
        if not self._accepts(["$END"]):
            prev = self.prev
            if not self.swallowed_rest and prev is not None and prev.type == "IDENT":
                # `schedule nightly` (or a stray word) at the end of the file: say so, never drop it
                # silently (the formatter would otherwise delete the words).
                self._error(
                    codes.MISSING_BLOCK_BODY.at(
                        self._tok_span(prev),
                        kind=self._block_kind(),
                        help="a block needs a body: `schedule NAME { … }`, `agent NAME { … }`",
                    )
                )
                self._mark_error(prev.start_pos)
            self._pop_until(["$END"])
        from lark.exceptions import UnexpectedToken

        try:
            self.state.feed_token(end, True)
        except UnexpectedToken:  # unreachable in practice: the stack was unwound to accept the end
            self.state.value_stack[:] = [()]

    def _close_all(self, at: Any) -> None:
        while self.open:
            top = self.open[-1]
            closer = self._synthetic(_CLOSER[top.kind], at.start_pos)
            if not self._accepts([closer.type]):
                self._pop_until([closer.type], floor=top.depth)
            if self._accepts([closer.type]):
                self._feed(closer)
            else:  # cannot close cleanly: drop the opener from the parser's stack
                self._pop_to(top.depth - 1)
                self.open.pop()

    # heuristics that run before a token is fed ---------------------------------------------------
    def _closes_unclosed_block(self, tok: Any, nxt: Any, nxt2: Any) -> bool:
        """`schedule … {` at column 1 while a block is open: the block above lacks its `}`."""
        if not (
            self.open
            and tok.type == "IDENT"
            and tok.column == 1
            and str(tok) in TOP_LEVEL_KINDS
            and (nxt.type == "LBRACE" or (nxt.type == "IDENT" and nxt2.type == "LBRACE"))
        ):
            return False
        if self.prev is not None and self.prev.type == "COLON":
            return False
        self._unclosed_error(self.open[-1], at_eof=False)
        self._close_all(tok)
        return True

    def _bare_field_name(self, tok: Any, nxt: Any) -> bool:
        """A name alone on its line (`sess` while typing `session_mode: …`), before `}`, the end of the
        file or a later `name:`: report it once and keep the block it is in."""
        prev = self.prev
        if prev is None or prev.type != "IDENT" or not self._accepts(["COLON"]):
            return False
        later_entry = tok.type == "IDENT" and nxt.type == "COLON" and tok.line > prev.line
        if not (later_entry or tok.type in ("RBRACE", "$END")):
            return False
        name = str(prev)
        colon_at = Span(self.path, self._tok_span(prev).end, self._tok_span(prev).end)
        self._error(
            codes.MISSING_COLON.at(
                self._tok_span(prev),
                name=name,
                help=f"give `{name}` a value (`{name}: …`) or delete it",
                fixes=[Fix(f"Insert `:` after `{name}`", (TextEdit(colon_at, ":"),))],
            )
        )
        self._feed(self._synthetic("COLON", prev.end_pos))
        self._feed(self._synthetic("ERROR_VALUE", prev.end_pos))
        return True

    def _missing_value_before_next_entry(self, tok: Any, nxt: Any) -> bool:
        """`name:` followed on a later line by `other: …` or `block {`: `name` has no value."""
        prev = self.prev
        if prev is None or prev.type != "COLON" or not self._accepts(["ERROR_VALUE"]):
            return False
        later_line = tok.line > prev.line
        starts_entry = tok.type == "IDENT" and nxt.type in ("COLON", "LBRACE") and later_line
        if not (starts_entry or tok.type in ("RBRACE", "RBRACKET", "COMMA")):
            return False
        name = self._name_before_colon()
        self._error(
            codes.MISSING_VALUE.at(
                self._tok_span(prev), name=name, help=f'give `{name}` a value, e.g. `{name}: "…"`'
            )
        )
        self._feed(self._synthetic("ERROR_VALUE", prev.end_pos))
        return True

    # repairs at an error --------------------------------------------------------------------------
    def _repair(self, toks: list[Any], i: int) -> int:
        tok = toks[i]
        following = [t.type for t in toks[i + 1 : i + 3]]
        expected = self._expected()
        prev = self.prev
        # Missing `:` between a field name and its value.
        if (
            prev is not None
            and prev.type == "IDENT"
            and "COLON" in expected
            and tok.type in _VALUE_START
            and tok.line == prev.line
            and self._accepts(["COLON", tok.type, *following[:1]])
        ):
            colon_at = Span(self.path, self._tok_span(prev).end, self._tok_span(prev).end)
            self._error(
                codes.MISSING_COLON.at(
                    self._tok_span(tok),
                    name=str(prev),
                    help=f"write `{prev}: …`",
                    fixes=[Fix(f"Insert `:` after `{prev}`", (TextEdit(colon_at, ":"),))],
                )
            )
            self._feed(self._synthetic("COLON", prev.end_pos))
            return i
        # A list still open when a later line starts a field (`name:`): its `]` is missing.
        if (
            self.open
            and self.open[-1].kind == "list"
            and tok.type == "IDENT"
            and following[:1] == ["COLON"]
            and prev is not None
            and tok.line > prev.line
        ):
            self._close_unclosed_lists(tok, f"after the last item, before line {tok.line}")
            return i
        # Missing `,` between list items.
        if (
            self.open
            and self.open[-1].kind == "list"
            and prev is not None
            and prev.type in _VALUE_END
            and tok.type in _VALUE_START
            and self._accepts(["COMMA", tok.type])
        ):
            self._error(codes.MISSING_COMMA.at(self._tok_span(tok), what="list"))
            self._feed(self._synthetic("COMMA", prev.end_pos))
            return i
        # A closer with nothing open, or `}` where a `]` is still open.
        if tok.type in ("RBRACE", "RBRACKET"):
            want = _CLOSER[self.open[-1].kind] if self.open else None
            if want is None or (tok.type == "RBRACKET" and want != "RBRACKET"):
                self._error(codes.STRAY_CLOSE.at(self._tok_span(tok), char=str(tok)))
                self._mark_error(tok.start_pos)
                return i + 1
            if want != tok.type and want == "RBRACKET":
                self._close_unclosed_lists(tok, f"before the `{tok}` on line {tok.line}")
                return i
            if want != tok.type:
                top = self.open[-1]
                self._error(
                    codes.UNCLOSED_BRACKET.at(
                        self._tok_span(top.token),
                        open=str(top.token),
                        close=_CLOSER_TEXT[want],
                        help=f"add `{_CLOSER_TEXT[want]}` before the `{tok}` on line {tok.line}",
                    )
                )
                self._close_innermost(tok)
                return i
        # A block kind with no `{`.
        if prev is not None and prev.type == "IDENT" and "LBRACE" in expected and not self.open:
            self._error(
                codes.MISSING_BLOCK_BODY.at(
                    self._tok_span(tok),
                    kind=self._block_kind(),
                    help="fields belong inside a block: `schedule { name: … }` or `agent NAME { … }`",
                )
            )
        else:
            self._error(
                codes.UNEXPECTED_TOKEN.at(
                    self._tok_span(tok), found=_describe(tok), expected=_expected_words(expected)
                )
            )
        return self._skip(toks, i)

    def _close_unclosed_lists(self, at: Any, where: str) -> None:
        """Close the run of lists still open at `at` with one error, at the first `[` of the run:
        `[[[[` left open is one mistake, not one per bracket."""
        run = 0
        while run < len(self.open) and self.open[-1 - run].kind == "list":
            run += 1
        first = self.open[-run]
        if run == 1:
            help_text = f"add `]` {where}"
        else:
            last = self.open[-1].token
            help_text = (
                f"{run} `[` from here to line {last.line}, column {last.column} are never closed; "
                f"add the `]`s {where}"
            )
        self._error(
            codes.UNCLOSED_BRACKET.at(self._tok_span(first.token), open="[", close="]", help=help_text)
        )
        for _ in range(run):
            self._close_innermost(at)

    def _close_innermost(self, at: Any) -> None:
        top = self.open[-1]
        closer = self._synthetic(_CLOSER[top.kind], at.start_pos)
        if not self._accepts([closer.type]):
            self._pop_until([closer.type], floor=top.depth)
        if self._accepts([closer.type]):
            self._feed(closer)
        else:
            self._pop_to(top.depth - 1)
            self.open.pop()

    def _skip(self, toks: list[Any], i: int) -> int:
        """Panic mode: drop tokens up to the next line that starts an entry (or a closer), then
        unwind the parser until it can continue from there."""
        bad = toks[i]
        self._mark_error(bad.start_pos)
        j = i + 1
        while j < len(toks):
            t = toks[j]
            if t.type == "$END":
                break
            first_on_line = toks[j - 1].line < t.line
            if first_on_line and t.type in ("IDENT", "RBRACE", "RBRACKET"):
                follow = [x.type for x in toks[j : j + 2]]
                if self._accepts(follow) or self._can_unwind_to(follow):
                    break
            j += 1
        follow = [x.type for x in toks[j : j + 2]]
        base = self.open[-1].depth if self.open else 1
        self._pop_to(max(base, self.entry_depth))
        if not self._accepts(follow):
            self._pop_until(follow)
        return j

    # parser-state utilities -----------------------------------------------------------------------
    def _feed(self, tok: Any) -> None:
        t = tok.type
        if t == "LBRACE":
            prev = self.prev
            if prev is not None and prev.type == "COLON":
                self.open.append(_Open(tok, "map", self._name_before_colon(), 0))
            else:
                self.open.append(_Open(tok, "block", self._block_kind(), 0))
        elif t == "LBRACKET":
            self.open.append(_Open(tok, "list", self._value_name(), 0))
        starts_entry = (
            t == "IDENT"
            and (
                self.prev is None
                or self.prev.type not in ("COLON", "IDENT", "LBRACKET", "COMMA")
                or (self.prev.type == "COMMA" and not (self.open and self.open[-1].kind == "list"))
            )
            and not (self.open and self.open[-1].kind != "block")
        )
        self.state.feed_token(tok)
        if starts_entry:
            self.entry_depth = len(self.state.state_stack) - 1
        if t in ("LBRACE", "LBRACKET"):
            self.open[-1].depth = len(self.state.state_stack)
        elif t in ("RBRACE", "RBRACKET") and self.open:
            self.open.pop()
        self._trim_open()
        self.prev = tok

    def _trim_open(self) -> None:
        depth = len(self.state.state_stack)
        while self.open and self.open[-1].depth > depth:
            self.open.pop()

    def _expected(self) -> set[str]:
        """Tokens the parser can really take next. The state's own keys are not enough: LALR merges
        lookaheads, so a state may list a token that a reduction would then reject."""
        keys = {k for k in self.states[self.state.position] if k.isupper()}
        return {k for k in keys if self._accepts([k])}

    def _accepts(self, types: Iterable[str]) -> bool:
        return _simulate(self.states, self.state.state_stack, types, self.end_state)

    def _can_unwind_to(self, types: list[str]) -> bool:
        stack = self.state.state_stack
        return any(
            _simulate(self.states, stack, types, self.end_state, height)
            for height in range(len(stack) - 1, 0, -1)
        )

    def _pop_until(self, types: list[str], floor: int = 1) -> None:
        stack = self.state.state_stack
        values = self.state.value_stack
        while len(stack) > max(floor, 1) and not self._accepts(types):
            stack.pop()
            if values:
                values.pop()
        self._trim_open()
        self.prev = None

    def _pop_to(self, depth: int) -> None:
        stack = self.state.state_stack
        values = self.state.value_stack
        while len(stack) > max(depth, 1):
            stack.pop()
            if values:
                values.pop()
        self._trim_open()

    def _value_name(self) -> str:
        """The field a value being opened belongs to. Inside a list it is the list's own field:
        looked up on the open list, not by scanning back through every nested `[` (quadratic)."""
        if self.open and self.open[-1].kind == "list" and (self.prev is None or self.prev.type != "COLON"):
            return self.open[-1].name
        return self._name_before_colon()

    def _name_before_colon(self) -> str:
        values = self.state.value_stack
        for v in reversed(values):
            if _is_token(v) and v.type == "IDENT":
                return str(v)
            if _is_token(v) and v.type == "STRING":
                return str(v)[1:-1]
        return "field"

    def _block_kind(self) -> str:
        values = self.state.value_stack
        idents: list[str] = []
        for v in reversed(values):
            if _is_token(v) and v.type == "IDENT":
                idents.append(str(v))
            else:
                break
        return idents[-1] if idents else "block"

    # diagnostics ----------------------------------------------------------------------------------
    def _unclosed_error(self, top: _Open, *, at_eof: bool) -> None:
        where = "the end of the file" if at_eof else "the next top-level block"
        outer = [o for o in self.open[:-1] if o.kind == "block"]
        help_text = f"add `{_CLOSER_TEXT[_CLOSER[top.kind]]}` to close it before {where}"
        if outer:
            first = outer[0]
            help_text += (
                f" (the enclosing `{first.name}` block opened on line {first.token.line} is open too)"
            )
        if top.kind == "block":
            diag = codes.UNCLOSED_BLOCK.at(self._tok_span(top.token), kind=top.name, help=help_text)
        else:
            diag = codes.UNCLOSED_BRACKET.at(
                self._tok_span(top.token),
                open=str(top.token),
                close=_CLOSER_TEXT[_CLOSER[top.kind]],
                help=help_text,
            )
        self._error(diag)

    def _error(self, diag: Diagnostic) -> None:
        self.diagnostics.append(diag)
        self._mark_error(diag.span.start.offset)

    def _mark_error(self, offset: int) -> None:
        bisect.insort(self.builder.error_offsets, offset)

    def _span(self, start: int, end: int) -> Span:
        from symbi_lang.span import span_of

        return span_of(self.text, self.path, start, end, self._line_starts())

    def _line_starts(self) -> list[int]:
        """Line offsets of the text, computed once (per error it was quadratic in the error count)."""
        if self.line_starts is None:
            from symbi_lang.span import line_start_offsets

            self.line_starts = line_start_offsets(self.text)
        return self.line_starts

    def _tok_span(self, tok: Any) -> Span:
        return self.builder._tok_span(tok)

    def _synthetic(self, type_: str, pos: int) -> Any:
        from symbi_lang.span import position_at

        p = position_at(self.text, pos, self._line_starts())
        tok = self.Token(type_, "", pos, p.line, p.column)
        tok.end_line, tok.end_column, tok.end_pos = p.line, p.column, pos
        return tok


def _simulate(
    states: dict[Any, dict[str, Any]],
    stack: list[Any],
    types: Iterable[str],
    end_state: Any,
    height: int | None = None,
) -> bool:
    """Run the LALR automaton over token types on a view of the state stack; True if all are accepted.

    The stack is never copied (a copy per question made deep nesting quadratic): reductions read
    down the real stack through `top` and push onto a small overlay instead."""
    from lark.parsers.lalr_analysis import Shift

    top = len(stack) if height is None else height  # stack[:top] is the part still in view
    pushed: list[Any] = []

    def state_at_top() -> Any:
        return pushed[-1] if pushed else stack[top - 1]

    for t in types:
        while True:
            action = states[state_at_top()].get(t)
            if action is None:
                return False
            kind, arg = action
            if kind is Shift:
                if t != "$END":
                    pushed.append(arg)
                break
            size = len(arg.expansion)
            from_pushed = min(size, len(pushed))
            if from_pushed:
                del pushed[-from_pushed:]
            top -= size - from_pushed
            if top < 1 and not pushed:
                return False
            goto = states[state_at_top()].get(arg.origin.name)
            if goto is None:
                return False
            pushed.append(goto[1])
            if t == "$END" and goto[1] == end_state:
                return True
    return True


def _describe(tok: Any) -> str:
    if tok.type == "$END":
        return "end of file"
    if tok.type in ("STRING", "TRIPLE_STRING"):
        return "string"
    text = str(tok)
    return f"`{text}`" if len(text) <= 20 else f"`{text[:17]}…`"


def _expected_words(expected: set[str]) -> str:
    if not expected:
        return ""
    if expected & {"STRING", "NUMBER", "LBRACKET"} and "COLON" not in expected:
        return ": expected a value (a string, number, true/false, list or map)"
    if expected <= {"IDENT", "RBRACE", "COMMA", "$END"} and "IDENT" in expected:
        if "RBRACE" in expected:
            return ": expected a field name or `}`"
        return ": expected a block such as `schedule {`"
    words = sorted({_TOKEN_WORDS.get(t, t) for t in expected if t != "ERROR_VALUE"})
    if len(words) == 1:
        return f": expected {words[0]}"
    return ": expected " + ", ".join(words[:-1]) + " or " + words[-1]


def _show_char(ch: str) -> str:
    if ch.isprintable() and not ch.isspace():
        return f"`{ch}`"
    return f"U+{ord(ch):04X}"


def iter_values(value: Value) -> Iterable[Value]:
    """`value` and every value nested inside it."""
    yield value
    if isinstance(value, ListValue):
        for item in value.items:
            yield from iter_values(item)
    elif isinstance(value, MapValue):
        for entry in value.entries:
            yield from iter_values(entry.value)


__all__: list[str] = ["TOP_LEVEL_KINDS", "ParseResult", "iter_values", "parse"]
