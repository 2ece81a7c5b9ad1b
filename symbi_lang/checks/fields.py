"""Is every block and field one the language knows, given once, with a value of the right shape?

Driven by the field table in `symbi_lang.schema`: unknown block kinds and fields (with "did you
mean" and a quick fix), duplicates, wrong value shapes, enum words and numeric minimums.
"""

from __future__ import annotations

from collections.abc import Iterator

from symbi_lang import codes
from symbi_lang.ast import (
    Block,
    BoolValue,
    ErrorValue,
    IdentValue,
    ListValue,
    MapValue,
    Module,
    NumberValue,
    StringValue,
    Value,
)
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.support import describe, replace_fix, suggest
from symbi_lang.checks.walk import Container, Entry, entries
from symbi_lang.diagnostics import Diagnostic, Related
from symbi_lang.schema import BLOCKS, TOP_LEVEL_KINDS, BlockSpec, FieldSpec, Shape


def check_fields(module: Module, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Unknown, duplicate and mistyped fields of every block in `module`."""
    for item in module.items:
        spec = BLOCKS.get(item.kind)
        if spec is None or not spec.top_level:
            guess = suggest(item.kind, TOP_LEVEL_KINDS)
            yield codes.UNKNOWN_BLOCK.at(
                item.kind_span,
                kind=item.kind,
                help=f"did you mean `{guess}`?" if guess else "top-level blocks are `schedule` and `agent`",
                fixes=replace_fix(item.kind_span, guess, f"Change to `{guess}`") if guess else (),
            )
            continue
        yield from _check_body(item, spec)


def _check_body(container: Container, spec: BlockSpec) -> Iterator[Diagnostic]:
    seen: dict[str, Entry] = {}
    for e in entries(container):
        first = seen.get(e.name)
        if first is not None:
            yield codes.DUPLICATE_FIELD.at(
                e.name_span,
                name=e.name,
                help="remove one of them: only the first is used",
                related=(Related(first.name_span, "first given here"),),
            )
            continue
        seen[e.name] = e
        fs = spec.fields.get(e.name)
        if fs is None:
            yield _unknown_field(e, spec)
            continue
        yield from _check_value(e, fs)


def _unknown_field(e: Entry, spec: BlockSpec) -> Diagnostic:
    guess = suggest(e.name, spec.fields)
    if guess is None:
        known = ", ".join(f"`{n}`" for n in spec.fields)
        return codes.UNKNOWN_FIELD.at(
            e.name_span, name=e.name, block=spec.kind, help=f"known fields: {known}"
        )
    return codes.UNKNOWN_FIELD.at(
        e.name_span,
        name=e.name,
        block=spec.kind,
        help=f"did you mean `{guess}`?",
        fixes=replace_fix(e.name_span, guess, f"Change to `{guess}`"),
    )


def _check_value(e: Entry, fs: FieldSpec) -> Iterator[Diagnostic]:
    node = e.node
    if isinstance(node, ErrorValue):
        return
    shapes = fs.shapes
    if isinstance(node, (Block, MapValue)) and Shape.BLOCK in shapes:
        assert fs.block is not None
        yield from _check_body(node, BLOCKS[fs.block])
        return
    if isinstance(node, (MapValue, Block)) and Shape.STRING_MAP in shapes:
        yield from _check_string_map(e.name, node)
        return
    if isinstance(node, ListValue) and Shape.STRING_LIST in shapes:
        for i, item in enumerate(node.items):
            if isinstance(item, StringValue) or (isinstance(item, IdentValue) and fs.enum):
                yield from _check_enum(fs, item)
            elif not isinstance(item, ErrorValue):
                yield codes.WRONG_TYPE.at(
                    item.span,
                    name=f"{e.name}[{i}]",
                    expected="a string",
                    got=describe(item),
                    help=_quote_help(item),
                )
        return
    if isinstance(node, StringValue) and Shape.STRING in shapes:
        yield from _check_enum(fs, node)
        return
    if isinstance(node, IdentValue) and Shape.STRING in shapes and fs.enum:
        yield from _check_enum(fs, node)
        return
    if isinstance(node, NumberValue) and isinstance(node.value, int) and Shape.INTEGER in shapes:
        if fs.minimum is not None and node.value < fs.minimum:
            yield codes.BELOW_MINIMUM.at(node.span, name=fs.name, minimum=fs.minimum, value=node.value)
        return
    if isinstance(node, BoolValue) and Shape.BOOLEAN in shapes:
        return
    yield codes.WRONG_TYPE.at(
        node.span,
        name=fs.name,
        expected=fs.shape_text,
        got=describe(node),
        help=_type_help(fs, node),
    )


def _check_string_map(name: str, node: MapValue | Block) -> Iterator[Diagnostic]:
    seen: dict[str, Entry] = {}
    for e in entries(node):
        first = seen.get(e.name)
        if first is not None:
            yield codes.DUPLICATE_FIELD.at(
                e.name_span, name=e.name, related=(Related(first.name_span, "first given here"),)
            )
            continue
        seen[e.name] = e
        if not isinstance(e.node, (StringValue, ErrorValue)):
            yield codes.WRONG_TYPE.at(
                e.node.span,
                name=f"{name}.{e.name}",
                expected="a string",
                got=describe(e.node),
                help=_quote_help(e.node),
            )


def _check_enum(fs: FieldSpec, node: StringValue | IdentValue) -> Iterator[Diagnostic]:
    if not fs.enum or fs.open_enum:
        return
    word = node.value if isinstance(node, StringValue) else node.name
    if word in fs.enum:
        return
    if isinstance(node, StringValue) and "${" in word:
        return  # reported by the interpolation check
    guess = suggest(word, fs.enum)
    values = ", ".join(f"`{v}`" for v in fs.enum)
    if guess is None:
        yield codes.BAD_ENUM.at(node.span, value=word, name=fs.name, help=f"expected one of {values}")
        return
    new = f'"{guess}"' if isinstance(node, StringValue) else guess
    yield codes.BAD_ENUM.at(
        node.span,
        value=word,
        name=fs.name,
        help=f"did you mean `{guess}`? (expected one of {values})",
        fixes=replace_fix(node.span, new, f"Change to `{guess}`"),
    )


def _type_help(fs: FieldSpec, node: Value | Block) -> str:
    if Shape.BLOCK in fs.shapes:
        return f"write a block: `{fs.name} {{ … }}` (or a map: `{fs.name}: {{ … }}`)"
    if Shape.STRING_LIST in fs.shapes and isinstance(node, (StringValue, IdentValue)):
        return f"write a list: `{fs.example}`"
    if Shape.BOOLEAN in fs.shapes and isinstance(node, (StringValue, IdentValue)):
        return "write `true` or `false` without quotes"
    if Shape.INTEGER in fs.shapes and isinstance(node, StringValue) and node.value.strip().isdigit():
        return f"write the number without quotes: `{node.value.strip()}`"
    if isinstance(node, IdentValue) and Shape.STRING in fs.shapes:
        return f'put it in quotes: "{node.name}"'
    return f"for example `{fs.example.splitlines()[0]}`"


def _quote_help(node: Value | Block) -> str | None:
    if isinstance(node, (IdentValue, NumberValue)):
        return f'put it in quotes: "{node.name if isinstance(node, IdentValue) else node.raw}"'
    return None
