"""Whether a cleanly parsed file of our grammar may hold upstream Symbiont items (the parser asks on
every parse; `dialect` has the rule itself and says which items they are).

Kept apart from `dialect` so that the parse of a file in our dialect imports neither the upstream lexer
nor its reader: `symbi check` on a small file starts in well under a tenth of a second.
"""

from __future__ import annotations

from symbi_lang.ast import Block, Field, IdentValue, ListValue, MapValue, Module
from symbi_lang.schema import SCHEDULE_FIELDS

#: Item kinds that only upstream has.
UPSTREAM_ONLY_KINDS = frozenset({"metadata", "type", "function", "channel", "memory", "webhook"})
#: Schedule keys that only upstream has (a scalar `policy` too).
UPSTREAM_SCHEDULE_KEYS = frozenset({"deliver", "audit"})
#: Schedule keys only our dialect knows (beside one, or `agent`, `one_shot` does not make a block upstream).
_OURS_ONLY_KEYS = frozenset(SCHEDULE_FIELDS) - {"cron", "at", "timezone", "agent", "policy", "one_shot"}
#: Keys of both dialects where a bare identifier value (`agent: reporter`) marks upstream's dialect.
_BARE_WORD_KEYS = frozenset({"agent", "cron", "at", "timezone"})
RULE_ACTIONS = ("allow", "deny", "require", "audit")
#: First keys that mark a named top-level `policy` as upstream's: its rules, or the `conditions:` record
#: upstream's guide writes first (not a rule upstream either: SYM024 says so, once).
_RULE_STARTS = (*RULE_ACTIONS, "conditions")

#: Field names and block kinds that make our parser ask `needs_upstream` about a cleanly parsed file.
HINT_FIELDS = frozenset({"one_shot", "deliver", "audit", "policy", "capabilities", *_BARE_WORD_KEYS})
HINT_KINDS = frozenset({"policy", *UPSTREAM_ONLY_KINDS})


def upstream_field_hint(name: str, value: object) -> bool:
    """Whether a field our parser just read may belong to an upstream item (cheap; run for every
    field named in `HINT_FIELDS`, so a file of our dialect pays one set lookup per field)."""
    if name in UPSTREAM_SCHEDULE_KEYS or name == "one_shot":
        return True
    if name == "policy":
        return not isinstance(value, (MapValue, ListValue))
    if name == "capabilities":
        return isinstance(value, ListValue) and bool(value.items) and isinstance(value.items[0], IdentValue)
    return isinstance(value, IdentValue)


def needs_upstream(module: Module) -> bool:
    """Whether a module our parser read cleanly holds an item that the upstream parser must read."""
    for item in module.items:
        kind = item.kind
        if kind in UPSTREAM_ONLY_KINDS or (kind == "policy" and _ast_rules(item)):
            return True
        if kind == "schedule" and item.label is not None and _ast_schedule_signal(item):
            return True
        if kind == "agent" and (
            any(b.kind == "policy" and _ast_rules(b) for b in item.blocks) or _bare_caps(item)
        ):
            return True
    return False


def _bare_caps(agent: Block) -> bool:
    caps = agent.field("capabilities")
    return (
        caps is not None
        and isinstance(caps.value, ListValue)
        and bool(caps.value.items)
        and isinstance(caps.value.items[0], IdentValue)
    )


def _ast_rules(block: Block) -> bool:
    """A named `policy` block that holds upstream rules (or nothing)."""
    if block.label is None:
        return False
    first = block.body[0] if block.body else None
    return first is None or (isinstance(first, Field) and first.name in _RULE_STARTS)


def _ast_schedule_signal(block: Block) -> bool:
    bare_word = ours = one_shot = seed_key = False
    for e in block.body:
        if not isinstance(e, Field):
            ours = True
            continue
        if e.name in UPSTREAM_SCHEDULE_KEYS:
            return True
        if e.name == "policy" and not isinstance(e.value, (MapValue, ListValue)):
            return True
        if isinstance(e.value, IdentValue) and e.name in _BARE_WORD_KEYS:
            bare_word = True
        one_shot = one_shot or e.name == "one_shot"
        seed_key = seed_key or e.name in _OURS_ONLY_KEYS or e.name == "agent"
        if e.name == "name" or isinstance(e.value, (MapValue, ListValue)):
            ours = True
    return not ours and (bare_word or (one_shot and not seed_key))
