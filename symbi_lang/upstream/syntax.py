"""Upstream items from tokens: `parse_item(text, path, tokens, comments) -> (UpstreamItem, diagnostics)`.

A recursive-descent reader of upstream Symbiont's items. What the scheduler never reads (function and
`with` bodies, policy rule expressions, types, durations) is kept as `Opaque` source after checking that
its brackets balance and its strings end. The first syntax error of an item is reported and the rest of
that item is skipped: items are independent, so one mistake gives one error.
"""

from __future__ import annotations

from symbi_lang import codes
from symbi_lang.ast import (
    BoolValue,
    Comment,
    IdentValue,
    ListValue,
    MapEntry,
    MapValue,
    NumberValue,
    StringValue,
    Value,
)
from symbi_lang.diagnostics import Diagnostic
from symbi_lang.span import Span, span_of
from symbi_lang.upstream.dialect import DIALECT_RULE, RULE_ACTIONS
from symbi_lang.upstream.lexer import Token
from symbi_lang.upstream.nodes import Opaque, Param, PolicyRule, UpstreamEntry, UpstreamItem

_PAIRS = {"(": ")", "[": "]", "{": "}"}
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class _Fail(Exception):
    """Raised after the item's syntax error has been recorded."""


class ItemReader:
    """Reads one top-level upstream item from its tokens."""

    def __init__(self, text: str, path: str, tokens: list[Token], line_starts: list[int]) -> None:
        self.text = text
        self.path = path
        self.toks = tokens
        self.i = 0
        self.line_starts = line_starts
        self.diagnostics: list[Diagnostic] = []

    # --- entry point ---------------------------------------------------------------------------------
    def read(self, comments: list[Token]) -> UpstreamItem:
        head = self.toks[0]
        kept = tuple(Comment(self.span(c.start, c.end), c.text) for c in comments)
        try:
            item = self.top_item()
            self.skip_op(",")
            if self.i < len(self.toks):
                self.fail(self.toks[self.i], f"unexpected {_show(self.toks[self.i])} after `{item.kind}`")
            return _with(item, comments=kept)
        except _Fail:
            last = self.toks[-1]
            label = self.toks[1] if len(self.toks) > 1 and self.toks[1].type == "IDENT" else None
            return UpstreamItem(
                span=self.span(head.start, last.end),
                kind=head.text,
                kind_span=self.tspan(head),
                label=label.text if label is not None and head.text != "metadata" else None,
                label_span=self.tspan(label) if label is not None and head.text != "metadata" else None,
                comments=kept,
                recovered=True,
            )

    def top_item(self) -> UpstreamItem:
        kind = self.peek().text
        if kind == "metadata":
            return self.keyed_block("metadata", labelled=False, colon="either")
        if kind == "agent":
            return self.agent()
        if kind == "policy":
            return self.policy()
        if kind == "type":
            return self.type_def()
        if kind == "function":
            return self.function()
        if kind == "schedule":
            return self.schedule()
        if kind == "channel":
            return self.keyed_block("channel", labelled=True, colon="either")
        if kind in ("memory", "webhook"):
            return self.keyed_block(kind, labelled=True, colon="none")
        self.fail(self.peek(), f"unknown item `{kind}`")
        raise AssertionError  # unreachable

    # --- items ---------------------------------------------------------------------------------------
    def agent(self) -> UpstreamItem:
        kw = self.take_word("agent")
        name = self.ident("an agent name")
        params = self.params() if self.at_op("(") else ()
        returns = self.return_type()
        self.op("{", "`{` to open the agent")
        entries: list[UpstreamEntry] = []
        children: list[UpstreamItem] = []
        while not self.until("}"):
            tok = self.peek()
            if tok.type == "IDENT" and tok.text == "capabilities":
                entries.append(self.capabilities())
            elif tok.type == "IDENT" and tok.text == "policy":
                children.append(self.policy())
            elif tok.type == "IDENT" and tok.text == "function":
                children.append(self.function())
            elif tok.type == "IDENT" and tok.text == "with":
                children.append(self.with_block())
            else:
                self.fail(
                    tok,
                    f"unexpected {_show(tok)} in upstream agent `{name.text}`",
                    help="an upstream agent holds `capabilities = […]`, `policy NAME { … }`, "
                    "`function NAME(…) { … }` and `with key = value, … { … }`",
                )
        close = self.op("}", "`}`")
        return UpstreamItem(
            span=self.span(kw.start, close.end),
            kind="agent",
            kind_span=self.tspan(kw),
            label=name.text,
            label_span=self.tspan(name),
            params=params,
            returns=returns,
            entries=tuple(entries),
            children=tuple(children),
        )

    def capabilities(self) -> UpstreamEntry:
        key = self.take_word("capabilities")
        sep = self.separator(key.text, "either")
        if not self.at_op("["):
            self.fail(self.peek(), '`capabilities` takes a list: `capabilities = ["read", "write"]`')
        value = self.value()
        self.skip_op(",")
        return UpstreamEntry(
            self.span(key.start, value.span.end.offset), key.text, self.tspan(key), sep, value
        )

    def policy(self) -> UpstreamItem:
        kw = self.take_word("policy")
        name = self.ident("a policy name")
        self.op("{", "`{` to open the policy")
        rules: list[PolicyRule] = []
        while not self.until("}"):
            rules.append(self.rule())
        close = self.op("}", "`}`")
        return UpstreamItem(
            span=self.span(kw.start, close.end),
            kind="policy",
            kind_span=self.tspan(kw),
            label=name.text,
            label_span=self.tspan(name),
            rules=tuple(rules),
        )

    def rule(self) -> PolicyRule:
        action = self.peek()
        if action.type != "IDENT":
            self.fail(
                action,
                f"expected a policy rule (`allow:`, `deny:`, `require:`, `audit:`), found {_show(action)}",
            )
        if action.text not in RULE_ACTIONS:
            from symbi_lang.checks.support import suggest

            guess = suggest(action.text, RULE_ACTIONS)
            self.diagnostics.append(
                codes.UNKNOWN_POLICY_RULE.at(
                    self.tspan(action),
                    name=action.text,
                    help=(f"did you mean `{guess}`? " if guess else "")
                    + "policy rules are `allow:`, `deny:`, `require:` and `audit:`",
                )
            )
            raise _Fail
        self.i += 1
        self.op(":", f"`:` after `{action.text}`")
        expr = self.expression(stop_at_if=True)
        condition = None
        if self.at_word("if"):
            self.i += 1
            condition = self.expression(stop_at_if=False)
        self.skip_op(",")
        end = (condition or expr).span.end.offset
        return PolicyRule(self.span(action.start, end), action.text, self.tspan(action), expr, condition)

    def expression(self, *, stop_at_if: bool) -> Opaque:
        """Tokens up to `if` (when asked), `,`, the policy's `}` or the next `name:` starting a line."""
        start = self.i
        depth: list[str] = []
        while self.i < len(self.toks):
            tok = self.peek()
            if not depth:
                if tok.is_op("}") or tok.is_op(","):
                    break
                if stop_at_if and tok.type == "IDENT" and tok.text == "if" and self.i > start:
                    break
                if self.i > start and self.starts_rule(self.i):
                    break
            self.balance(tok, depth)
            self.i += 1
        if self.i == start:
            self.fail(self.peek(), f"expected an expression, found {_show(self.peek())}")
        if depth:
            self.unclosed(depth)
        first, last = self.toks[start], self.toks[self.i - 1]
        return Opaque(self.span(first.start, last.end), self.text[first.start : last.end])

    def starts_rule(self, j: int) -> bool:
        tok = self.toks[j]
        if tok.type != "IDENT" or j + 1 >= len(self.toks) or not self.toks[j + 1].is_op(":"):
            return False
        return "\n" in self.text[self.toks[j - 1].end : tok.start]

    def type_def(self) -> UpstreamItem:
        kw = self.take_word("type")
        name = self.ident("a type name")
        self.op("=", f"`=` after `type {name.text}`")
        entries: list[UpstreamEntry] = []
        if self.at_op("{"):
            open_ = self.op("{", "`{`")
            while not self.until("}"):
                key = self.ident("a field name")
                self.op(":", f"`:` after `{key.text}`")
                ty = self.type_expr()
                entries.append(
                    UpstreamEntry(
                        self.span(key.start, ty.span.end.offset), key.text, self.tspan(key), ":", ty
                    )
                )
                self.skip_op(",")
            close = self.op("}", "`}`")
            body = Opaque(self.span(open_.start, close.end), self.text[open_.start : close.end])
        else:
            body = self.type_expr()
        return UpstreamItem(
            span=self.span(kw.start, body.span.end.offset),
            kind="type",
            kind_span=self.tspan(kw),
            label=name.text,
            label_span=self.tspan(name),
            entries=tuple(entries),
            body=body,
        )

    def function(self) -> UpstreamItem:
        kw = self.take_word("function")
        name = self.ident("a function name")
        if not self.at_op("("):
            self.fail(
                self.peek(),
                f"expected `(` after `function {name.text}`",
                help="write `function NAME(p: Type) { … }`",
            )
        params = self.params()
        returns = self.return_type()
        body = self.statements("`{` to open the function body")
        return UpstreamItem(
            span=self.span(kw.start, body.span.end.offset),
            kind="function",
            kind_span=self.tspan(kw),
            label=name.text,
            label_span=self.tspan(name),
            params=params,
            returns=returns,
            body=body,
        )

    def with_block(self) -> UpstreamItem:
        kw = self.take_word("with")
        entries: list[UpstreamEntry] = []
        while not self.until("{"):
            key = self.ident("a `with` attribute (`name = value`)")
            sep = self.op("=", f'`=` after `{key.text}` (`with {key.text} = "…"`)')
            value = self.value()
            entries.append(
                UpstreamEntry(
                    self.span(key.start, value.span.end.offset), key.text, self.tspan(key), sep.text, value
                )
            )
            self.skip_op(",")
        body = self.statements("`{`")
        return UpstreamItem(
            span=self.span(kw.start, body.span.end.offset),
            kind="with",
            kind_span=self.tspan(kw),
            label=None,
            label_span=None,
            entries=tuple(entries),
            body=body,
        )

    def schedule(self) -> UpstreamItem:
        kw = self.take_word("schedule")
        name = self.ident("a schedule name (an identifier: no hyphens, no quotes)")
        self.op("{", "`{` to open the schedule")
        entries: list[UpstreamEntry] = []
        while not self.until("}"):
            key = self.ident("a key such as `cron`")
            sep = "" if self.at_op("{") else self.separator(key.text, "either")
            tok = self.peek()
            if tok.is_op("[") or tok.is_op("{"):
                what = "a list" if tok.is_op("[") else "a map or nested block"
                self.diagnostics.append(
                    codes.UPSTREAM_SCHEDULE_SHAPE.at(
                        self.tspan(tok),
                        what=f"`{key.text}` has {what}",
                        help=f"{DIALECT_RULE}. Write this schedule in our dialect "
                        "(`schedule { name: …, policy { … } }`) or give a scalar",
                    )
                )
                raise _Fail
            value = self.value()
            entries.append(
                UpstreamEntry(
                    self.span(key.start, value.span.end.offset), key.text, self.tspan(key), sep, value
                )
            )
            self.skip_op(",")
        close = self.op("}", "`}`")
        return UpstreamItem(
            span=self.span(kw.start, close.end),
            kind="schedule",
            kind_span=self.tspan(kw),
            label=name.text,
            label_span=self.tspan(name),
            entries=tuple(entries),
        )

    def keyed_block(self, kind: str, *, labelled: bool, colon: str) -> UpstreamItem:
        """`metadata`, `channel`, `memory`, `webhook` and their nested `search`/`filter`/
        `data_classification` blocks: keyed entries, nested blocks, and (in `channel`) policies."""
        kw = self.take_word(kind) if self.peek().text == kind else self.take_any_ident()
        name = self.ident(f"a {kind} name") if labelled else None
        self.op("{", f"`{{` to open `{kind}`")
        entries: list[UpstreamEntry] = []
        children: list[UpstreamItem] = []
        while not self.until("}"):
            key = self.ident("a key")
            nxt = self.peek()
            if key.text == "policy" and nxt.type == "IDENT" and kind == "channel":
                self.i -= 1
                children.append(self.policy())
                continue
            if nxt.is_op("{") and kind != "metadata":
                self.i -= 1
                children.append(
                    self.keyed_block(key.text, labelled=False, colon=colon if kind != "channel" else "colon")
                )
                continue
            sep = self.separator(key.text, colon)
            self.missing_value(key)
            value = self.value()
            entries.append(
                UpstreamEntry(
                    self.span(key.start, value.span.end.offset), key.text, self.tspan(key), sep, value
                )
            )
            self.skip_op(",")
        close = self.op("}", "`}`")
        return UpstreamItem(
            span=self.span(kw.start, close.end),
            kind=kind,
            kind_span=self.tspan(kw),
            label=name.text if name is not None else None,
            label_span=self.tspan(name) if name is not None else None,
            entries=tuple(entries),
            children=tuple(children),
        )

    # --- pieces --------------------------------------------------------------------------------------
    def params(self) -> tuple[Param, ...]:
        self.op("(", "`(`")
        out: list[Param] = []
        while not self.until(")"):
            name = self.ident("a parameter name")
            self.op(":", f"`:` and a type after parameter `{name.text}`")
            ty = self.type_expr()
            out.append(Param(self.span(name.start, ty.span.end.offset), name.text, self.tspan(name), ty))
            self.skip_op(",")
        self.op(")", "`)`")
        return tuple(out)

    def return_type(self) -> Opaque | None:
        if not self.at_op("->"):
            return None
        self.i += 1
        return self.type_expr()

    def type_expr(self) -> Opaque:
        first = self.ident("a type")
        last = first
        if self.at_op("<"):
            self.i += 1
            self.type_expr()
            while self.at_op(","):
                self.i += 1
                self.type_expr()
            last = self.op(">", "`>` to close the type arguments")
        return Opaque(self.span(first.start, last.end), self.text[first.start : last.end])

    def statements(self, expected: str) -> Opaque:
        """A `{ … }` statement block, kept as written once its brackets balance."""
        open_ = self.op("{", expected)
        depth = ["{"]
        while depth:
            if self.i >= len(self.toks):
                self.unclosed(depth)
            tok = self.peek()
            self.balance(tok, depth)
            self.i += 1
        close = self.toks[self.i - 1]
        return Opaque(self.span(open_.start, close.end), self.text[open_.start : close.end])

    def balance(self, tok: Token, depth: list[str]) -> None:
        if tok.type == "BLOCKCOMMENT":
            self.diagnostics.append(
                codes.BLOCK_COMMENT.at(self.tspan(tok), help="use `//` or `#` at the start of each line")
            )
            raise _Fail
        self.lexical(tok)
        if tok.type != "OP":
            return
        if tok.text in _PAIRS:
            depth.append(tok.text)
        elif tok.text in (")", "]", "}"):
            if not depth:
                self.diagnostics.append(codes.STRAY_CLOSE.at(self.tspan(tok), char=tok.text))
                raise _Fail
            want = _PAIRS[depth.pop()]
            if tok.text != want:
                self.diagnostics.append(
                    codes.UNCLOSED_BRACKET.at(
                        self.tspan(tok),
                        open={")": "(", "]": "[", "}": "{"}[want],
                        close=want,
                        help=f"found `{tok.text}` where `{want}` closes the bracket opened before it",
                    )
                )
                raise _Fail

    def unclosed(self, depth: list[str]) -> None:
        end = self.toks[-1].end if self.toks else 0
        self.diagnostics.append(
            codes.UNCLOSED_BRACKET.at(
                self.span(end, end),
                open=depth[-1],
                close=_PAIRS[depth[-1]],
                help="add the missing closing bracket",
            )
        )
        raise _Fail

    def lexical(self, tok: Token) -> None:
        """Report a token the lexer could not make sense of."""
        if tok.type == "UNTERMINATED":
            self.diagnostics.append(codes.UNTERMINATED_STRING.at(self.tspan(tok), help='add the closing `"`'))
            raise _Fail
        if tok.type == "BAD":
            shown = f"`{tok.text}`" if tok.text.isprintable() else f"U+{ord(tok.text):04X}"
            self.diagnostics.append(codes.BAD_CHARACTER.at(self.tspan(tok), char=shown))
            raise _Fail
        if tok.type == "BLOCKCOMMENT":
            self.diagnostics.append(
                codes.BLOCK_COMMENT.at(self.tspan(tok), help="use `//` or `#` at the start of each line")
            )
            raise _Fail

    def value(self) -> Value | Opaque:
        tok = self.peek()
        self.lexical(tok)
        span = self.tspan(tok)
        if tok.type == "STRING":
            self.i += 1
            return self.string(tok)
        if tok.type == "TRIPLE":
            self.i += 1
            return StringValue(span, tok.text[3:-3], tok.text, True, tok.start + 3, True)
        if tok.type == "NUMBER":
            self.i += 1
            raw = tok.text
            digits = raw.replace("_", "")
            return NumberValue(span, float(digits) if "." in digits else int(digits), raw)
        if tok.type in ("DURATION", "VAULT"):
            self.i += 1
            return Opaque(span, tok.text)
        if tok.type == "IDENT":
            self.i += 1
            if tok.text in ("true", "false"):
                return BoolValue(span, tok.text == "true")
            return IdentValue(span, tok.text)
        if tok.is_op("["):
            return self.array()
        if tok.is_op("{"):
            return self.record()
        self.fail(
            tok,
            "expected a value (a string, number, duration, true/false, name, list or record), "
            f"found {_show(tok)}",
        )
        raise AssertionError  # unreachable

    def array(self) -> ListValue:
        open_ = self.op("[", "`[`")
        items: list[Value] = []
        while not self.until("]"):
            item = self.value()
            items.append(
                item if not isinstance(item, Opaque) else StringValue(item.span, item.text, item.text)
            )
            if not self.at_op("]"):
                self.op(",", "`,` or `]`")
        close = self.op("]", "`]`")
        return ListValue(self.span(open_.start, close.end), tuple(items))

    def record(self) -> MapValue:
        open_ = self.op("{", "`{`")
        entries: list[MapEntry] = []
        while not self.until("}"):
            key = self.peek()
            if key.type == "STRING":
                self.i += 1
                name, quoted = self.string(key).value, True
            else:
                name, quoted = self.ident("a key").text, False
            self.op(":", f"`:` after `{name}`")
            value = self.value()
            if isinstance(value, Opaque):
                value = StringValue(value.span, value.text, value.text)
            entries.append(
                MapEntry(self.span(key.start, value.span.end.offset), name, self.tspan(key), quoted, value)
            )
            self.skip_op(",")
        close = self.op("}", "`}`")
        return MapValue(self.span(open_.start, close.end), tuple(entries))

    def string(self, tok: Token) -> StringValue:
        body = tok.text[1:-1]
        span = self.tspan(tok)
        if "\\" not in body:
            return StringValue(span, body, tok.text, False, tok.start + 1, True)
        out: list[str] = []
        k = 0
        while k < len(body):
            ch = body[k]
            if ch == "\\" and k + 1 < len(body):
                out.append(_ESCAPES.get(body[k + 1], body[k + 1]))
                k += 2
            else:
                out.append(ch)
                k += 1
        return StringValue(span, "".join(out), tok.text, False, tok.start + 1, False)

    def separator(self, key: str, allowed: str) -> str:
        tok = self.peek()
        if allowed == "none":
            return ""
        if tok.is_op(":") or (allowed == "either" and tok.is_op("=")):
            self.i += 1
            return tok.text
        want = "`:`" if allowed == "colon" else "`=` or `:`"
        self.fail(tok, f"expected {want} after `{key}`, found {_show(tok)}")
        raise AssertionError  # unreachable

    def missing_value(self, key: Token) -> None:
        """A key whose value was left out (`version:` then the next key, or the block's end) is reported at
        the key, not at the next line's token that would be read as its value."""
        nxt = self.peek()
        following = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else None
        next_key = (
            nxt.type == "IDENT"
            and "\n" in self.text[key.end : nxt.start]
            and following is not None
            and (following.is_op(":") or following.is_op("="))
        )
        if next_key or nxt.is_op("}"):
            self.fail(key, f"`{key.text}` has no value", help=f"give `{key.text}` a value, or remove it")

    # --- token helpers -------------------------------------------------------------------------------
    def peek(self) -> Token:
        if self.i < len(self.toks):
            return self.toks[self.i]
        end = self.toks[-1].end if self.toks else 0
        return Token("$END", "", end, end)

    def at_op(self, text: str) -> bool:
        return self.peek().is_op(text)

    def until(self, text: str) -> bool:
        """In a loop over a body: whether `text` closes it now (the item ending first is an error)."""
        tok = self.peek()
        if tok.type == "$END":
            self.unclosed_item()
        return tok.is_op(text)

    def at_word(self, word: str) -> bool:
        tok = self.peek()
        return tok.type == "IDENT" and tok.text == word

    def skip_op(self, text: str) -> None:
        if self.i < len(self.toks) and self.toks[self.i].is_op(text):
            self.i += 1

    def op(self, text: str, expected: str) -> Token:
        tok = self.peek()
        if tok.type == "$END":
            self.unclosed_item()
        if not tok.is_op(text):
            self.fail(tok, f"expected {expected}, found {_show(tok)}")
        self.i += 1
        return tok

    def ident(self, expected: str) -> Token:
        tok = self.peek()
        if tok.type == "$END":
            self.unclosed_item()
        if tok.type != "IDENT":
            help_text = None
            if tok.type == "STRING" and "name" in expected:
                help_text = f"upstream names are identifiers: write `{tok.text[1:-1]}` without quotes"
            self.fail(tok, f"expected {expected}, found {_show(tok)}", help=help_text)
        self.i += 1
        return tok

    def take_word(self, word: str) -> Token:
        tok = self.peek()
        if not (tok.type == "IDENT" and tok.text == word):
            self.fail(tok, f"expected `{word}`, found {_show(tok)}")
        self.i += 1
        return tok

    def take_any_ident(self) -> Token:
        return self.ident("a name")

    def unclosed_item(self) -> None:
        head = self.toks[0]
        label = self.toks[1].text if len(self.toks) > 1 and self.toks[1].type == "IDENT" else head.text
        opener = next((t for t in self.toks if t.is_op("{")), head)
        self.diagnostics.append(
            codes.UNCLOSED_BLOCK.at(
                self.tspan(opener),
                kind=head.text,
                help=f"add `}}` to close `{head.text} {label}` before the next item or the end of the file"
                if label != head.text
                else f"add `}}` to close `{head.text}`",
            )
        )
        raise _Fail

    def fail(self, tok: Token, what: str, *, help: str | None = None) -> None:
        self.lexical(tok)
        if tok.type == "$END":
            self.unclosed_item()
        self.diagnostics.append(codes.UPSTREAM_SYNTAX.at(self.tspan(tok), what=what, help=help))
        raise _Fail

    def span(self, start: int, end: int) -> Span:
        return span_of(self.text, self.path, start, end, self.line_starts)

    def tspan(self, tok: Token) -> Span:
        return self.span(tok.start, tok.end)


def _show(tok: Token) -> str:
    if tok.type == "$END":
        return "the end of the item"
    if tok.type == "STRING":
        return "a string"
    text = tok.text if len(tok.text) <= 20 else tok.text[:17] + "…"
    return f"`{text}`"


def _with(item: UpstreamItem, *, comments: tuple[Comment, ...]) -> UpstreamItem:
    from dataclasses import replace

    return replace(item, comments=comments)
