"""Is every block and field one the language knows, given once, with a value of the right shape?

Driven by the field table in `symbi_lang.schema`: unknown block kinds and fields (with "did you
mean" and a quick fix), duplicates, wrong value shapes, enum words and numeric minimums.
"""

from __future__ import annotations

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
from symbi_lang.checks.walk import Container, pairs
from symbi_lang.diagnostics import Diagnostic, Related
from symbi_lang.schema import BLOCKS, TOP_LEVEL_KINDS, BlockSpec, FieldSpec, Shape
from symbi_lang.span import Span


def check_fields(module: Module, ctx: CheckContext) -> list[Diagnostic]:
    """Unknown, duplicate and mistyped fields of every block in `module`."""
    out: list[Diagnostic] = []
    for item in module.items:
        spec = BLOCKS.get(item.kind)
        if spec is None or not spec.top_level:
            guess = suggest(item.kind, TOP_LEVEL_KINDS)
            out.append(
                codes.UNKNOWN_BLOCK.at(
                    item.kind_span,
                    kind=item.kind,
                    help=f"did you mean `{guess}`?"
                    if guess
                    else "top-level blocks are `schedule` and `agent`",
                    fixes=replace_fix(item.kind_span, guess, f"Change to `{guess}`") if guess else (),
                )
            )
            continue
        _check_body(item, spec, out)
    return out


def _check_body(container: Container, spec: BlockSpec, out: list[Diagnostic]) -> None:
    seen: dict[str, Span] = {}
    table = spec.fields
    for name, name_span, node in pairs(container):
        first = seen.get(name)
        if first is not None:
            out.append(
                codes.DUPLICATE_FIELD.at(
                    name_span,
                    name=name,
                    help="remove one of them: only the first is used",
                    related=(Related(first, "first given here"),),
                )
            )
            continue
        seen[name] = name_span
        fs = table.get(name)
        if fs is None:
            out.append(_unknown_field(name, name_span, spec))
        else:
            _check_value(name, node, fs, out)


def _unknown_field(name: str, name_span: Span, spec: BlockSpec) -> Diagnostic:
    guess = suggest(name, spec.fields)
    if guess is None:
        known = ", ".join(f"`{n}`" for n in spec.fields)
        return codes.UNKNOWN_FIELD.at(name_span, name=name, block=spec.kind, help=f"known fields: {known}")
    return codes.UNKNOWN_FIELD.at(
        name_span,
        name=name,
        block=spec.kind,
        help=f"did you mean `{guess}`?",
        fixes=replace_fix(name_span, guess, f"Change to `{guess}`"),
    )


def _check_value(name: str, node: Value | Block, fs: FieldSpec, out: list[Diagnostic]) -> None:
    shapes = fs.shapes
    if isinstance(node, StringValue):
        if Shape.STRING in shapes:
            if fs.enum:
                _check_enum(fs, node, out)
            return
    elif isinstance(node, ErrorValue):
        return
    elif isinstance(node, (Block, MapValue)):
        if Shape.BLOCK in shapes:
            assert fs.block is not None
            _check_body(node, BLOCKS[fs.block], out)
            return
        if Shape.STRING_MAP in shapes:
            _check_string_map(name, node, out)
            return
    elif isinstance(node, ListValue):
        if Shape.STRING_LIST in shapes:
            _check_list(name, node, fs, out)
            return
    elif isinstance(node, IdentValue):
        if Shape.STRING in shapes and fs.enum:
            _check_enum(fs, node, out)
            return
    elif isinstance(node, NumberValue):
        if isinstance(node.value, int) and Shape.INTEGER in shapes:
            if fs.minimum is not None and node.value < fs.minimum:
                out.append(
                    codes.BELOW_MINIMUM.at(
                        node.span,
                        name=fs.name,
                        minimum=fs.minimum,
                        value=node.value,
                        help=f"for example `{fs.example}`",
                    )
                )
            return
    elif isinstance(node, BoolValue) and Shape.BOOLEAN in shapes:
        return
    out.append(
        codes.WRONG_TYPE.at(
            node.span,
            name=fs.name,
            expected=fs.shape_text,
            got=describe(node),
            help=_type_help(fs, node),
        )
    )


def _check_list(name: str, node: ListValue, fs: FieldSpec, out: list[Diagnostic]) -> None:
    for i, item in enumerate(node.items):
        if isinstance(item, StringValue) or (isinstance(item, IdentValue) and fs.enum):
            if fs.enum:
                _check_enum(fs, item, out)
        elif not isinstance(item, ErrorValue):
            out.append(
                codes.WRONG_TYPE.at(
                    item.span,
                    name=f"{name}[{i}]",
                    expected="a string",
                    got=describe(item),
                    help=_quote_help(item),
                )
            )


def _check_string_map(name: str, node: MapValue | Block, out: list[Diagnostic]) -> None:
    seen: dict[str, Span] = {}
    for key, key_span, value in pairs(node):
        first = seen.get(key)
        if first is not None:
            out.append(
                codes.DUPLICATE_FIELD.at(
                    key_span,
                    name=key,
                    help="remove one of them: only the first is used",
                    related=(Related(first, "first given here"),),
                )
            )
            continue
        seen[key] = key_span
        if not isinstance(value, (StringValue, ErrorValue)):
            out.append(
                codes.WRONG_TYPE.at(
                    value.span,
                    name=f"{name}.{key}",
                    expected="a string",
                    got=describe(value),
                    help=_quote_help(value),
                )
            )


def _check_enum(fs: FieldSpec, node: StringValue | IdentValue, out: list[Diagnostic]) -> None:
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
        out.append(codes.BAD_ENUM.at(node.span, value=word, name=fs.name, help=f"expected one of {values}"))
        return
    new = f'"{guess}"' if isinstance(node, StringValue) else guess
    out.append(
        codes.BAD_ENUM.at(
            node.span,
            value=word,
            name=fs.name,
            help=f"did you mean `{guess}`? (expected one of {values})",
            fixes=replace_fix(node.span, new, f"Change to `{guess}`"),
        )
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
