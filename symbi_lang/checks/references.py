"""Across every file checked together: are schedule and agent names unique, and do schedules refer to
agents that exist and declare the capabilities their policy requires?"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from symbi_lang import codes
from symbi_lang.ast import Block, IdentValue, ListValue, MapValue, Module, StringValue
from symbi_lang.capabilities import capability_covers
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.support import replace_fix, suggest
from symbi_lang.checks.walk import block_name, index
from symbi_lang.diagnostics import Diagnostic, Related
from symbi_lang.span import Span


def check_unique_names(modules: Sequence[Module], ctx: CheckContext) -> Iterator[Diagnostic]:
    """Duplicate schedule names and duplicate agent names across all modules."""
    first: dict[tuple[str, str], Span] = {}
    for module in modules:
        for item in module.items:
            if item.kind not in ("schedule", "agent"):
                continue
            name = block_name(item)
            if not name:
                continue
            span = _name_span(item)
            key = (item.kind, name)
            if key not in first:
                first[key] = span
                continue
            code = codes.DUPLICATE_SCHEDULE if item.kind == "schedule" else codes.DUPLICATE_AGENT
            yield code.at(
                span,
                name=name,
                help=f"{item.kind} names are unique across every file checked together; rename one",
                related=(Related(first[key], "first defined here"),),
            )


def check_agent_references(modules: Sequence[Module], ctx: CheckContext) -> Iterator[Diagnostic]:
    """`agent:` names an agent not defined here (info), `require_capabilities` ⊄ agent capabilities."""
    agents: dict[str, Block] = {}
    for module in modules:
        for item in module.items:
            if item.kind == "agent":
                name = block_name(item)
                if name:
                    agents.setdefault(name, item)
    undefined: dict[str, list[StringValue]] = {}  # agent name -> its uses, in order
    for module in modules:
        for item in module.items:
            if item.kind != "schedule":
                continue
            ref = item.field("agent")
            if ref is None or not isinstance(ref.value, StringValue) or not ref.value.value.strip():
                continue
            if "${" in ref.value.value:
                continue  # reported by the interpolation check
            agent = agents.get(ref.value.value)
            if agent is None:
                undefined.setdefault(ref.value.value, []).append(ref.value)
                continue
            yield from _check_capabilities(item, agent)
    for name, uses in undefined.items():
        # Close enough to be a typo (`reportr`, `buidler`), not merely similar (`heartbeat-agent`
        # next to `heartbeat_monitor`): only then is it a warning.
        guess = suggest(name, agents, cutoff=TYPO_CUTOFF) if agents else None
        if guess is not None:  # a likely typo: a warning at every use, each with its fix
            for use in uses:
                yield codes.AGENT_LIKELY_TYPO.at(
                    use.span,
                    name=name,
                    guess=guess,
                    help=f"`{guess}` is defined; if `{name}` is really registered with the runtime "
                    "in-process, ignore this",
                    fixes=replace_fix(use.span, f'"{guess}"', f"Change to `{guess}`"),
                )
        else:
            yield _not_defined(uses, suggest(name, agents) if agents else None)


#: How similar (difflib ratio) an undefined agent name must be to a defined one to be called a typo.
TYPO_CUTOFF = 0.8


def _not_defined(uses: list[StringValue], similar: str | None) -> Diagnostic:
    """One note per agent name, at its first use: thousands of schedules of an agent registered
    in-process would otherwise bury every real finding under identical notes."""
    first = uses[0]
    others = len(uses) - 1
    used = "" if not others else f"{len(uses)} schedules use it (this is the first); "
    if similar is not None:
        return codes.AGENT_NOT_DEFINED.at(
            first.span,
            name=first.value,
            help=f"{used}did you mean `{similar}`? (otherwise the runtime must register it in-process)",
            fixes=replace_fix(first.span, f'"{similar}"', f"Change to `{similar}`"),
        )
    return codes.AGENT_NOT_DEFINED.at(
        first.span,
        name=first.value,
        help=f"{used}fine if the runtime registers it in-process; otherwise add an `agent` block",
    )


def _check_capabilities(schedule: Block, agent: Block) -> Iterator[Diagnostic]:
    policy = schedule.entry("policy")
    if policy is None:
        return
    node = policy if isinstance(policy, Block) else policy.value
    if not isinstance(node, (Block, MapValue)):
        return
    required = index(node).get("require_capabilities")
    if required is None or not isinstance(required.node, ListValue):
        return
    declared_field = agent.field("capabilities")
    declared: set[str] = set()
    if declared_field is not None and isinstance(declared_field.value, ListValue):
        declared = {_word(v) for v in declared_field.value.items} - {""}
    name = block_name(agent) or "?"
    where = declared_field.span if declared_field is not None else _name_span(agent)
    for item in required.node.items:
        cap = _word(item)
        if cap and not any(capability_covers(d, cap) for d in declared):
            yield codes.CAPABILITY_NOT_DECLARED.at(
                item.span,
                agent=name,
                capability=cap,
                help=f'add "{cap}" to the capabilities of agent `{name}` or drop it from the policy',
                related=(Related(where, f"agent `{name}` declares its capabilities here"),),
            )


def _word(node: object) -> str:
    if isinstance(node, StringValue):
        return node.value
    if isinstance(node, IdentValue):
        return node.name
    return ""


def _name_span(item: Block) -> Span:
    if item.label_span is not None:
        return item.label_span
    f = item.field("name")
    return f.value.span if f is not None else item.kind_span
