"""Is a schedule's policy consistent: AgentPin has a credential, an approver has something to approve,
the time window is complete and restricts something?"""

from __future__ import annotations

from collections.abc import Iterator

from symbi_lang import codes
from symbi_lang.ast import Block, BoolValue, MapValue, Module
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.support import indent_of
from symbi_lang.checks.walk import Entry, index, time_of_day
from symbi_lang.checks.walk import node_of as _node
from symbi_lang.diagnostics import Diagnostic, Fix, TextEdit
from symbi_lang.span import Span


def check_policy(module: Module, ctx: CheckContext) -> Iterator[Diagnostic]:
    """`require_agent_pin` needs `agent_pin_jwt`; `approver` needs approval; `allowed_hours` bounds."""
    for item in module.items:
        if item.kind != "schedule":
            continue
        policy = item.entry("policy")
        if policy is None:
            continue
        node = policy if isinstance(policy, Block) else policy.value
        if not isinstance(node, (Block, MapValue)):
            continue
        p = index(node)
        pin = p.get("require_agent_pin")
        if pin is not None and _is_true(pin) and item.field("agent_pin_jwt") is None:
            yield codes.PIN_NEEDS_JWT.at(
                pin.span,
                help='add `agent_pin_jwt: "${AGENT_PIN_JWT}"` (the token itself stays in the environment)',
                fixes=(_insert_jwt(module, policy.span),),
            )
        approver = p.get("approver")
        approval = p.get("require_approval")
        if approver is not None and (approval is None or not _is_true(approval)):
            yield codes.APPROVER_WITHOUT_APPROVAL.at(
                approver.span, help="add `require_approval: true`, or remove `approver`"
            )
        hours = p.get("allowed_hours")
        if hours is not None and isinstance(hours.node, (Block, MapValue)):
            yield from _check_window(hours)


def _check_window(hours: Entry) -> Iterator[Diagnostic]:
    assert isinstance(hours.node, (Block, MapValue))
    h = index(hours.node)
    for bound in ("start", "end"):
        if bound not in h:
            yield codes.MISSING_FIELD.at(
                hours.name_span,
                where="`allowed_hours`",
                name=bound,
                help='a window needs both bounds: `allowed_hours: { start: "09:00", end: "17:00" }`',
            )
    start, end = time_of_day(_node(h.get("start")), end=False), time_of_day(_node(h.get("end")), end=True)
    if start is not None and end is not None and start == end:
        end_entry = h["end"]
        yield codes.WHOLE_DAY_WINDOW.at(
            end_entry.node.span,
            time=start,
            help="leave `allowed_hours` out for no restriction, or give the window's real end (exclusive)",
        )


def _is_true(e: Entry) -> bool:
    return isinstance(e.node, BoolValue) and e.node.value


def _insert_jwt(module: Module, policy_span: Span) -> Fix:
    """Insert `agent_pin_jwt` on its own line just before the policy block."""
    indent = indent_of(module, policy_span)
    at = Span(policy_span.path, policy_span.start, policy_span.start)
    text = (
        f'agent_pin_jwt: "${{AGENT_PIN_JWT}}"\n{indent}'
        if module.text
        else 'agent_pin_jwt: "${AGENT_PIN_JWT}" '
    )
    return Fix('Add `agent_pin_jwt: "${AGENT_PIN_JWT}"`', (TextEdit(at, text),))
