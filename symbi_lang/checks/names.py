"""Is every schedule and agent named exactly once, and does every schedule say which agent runs?"""

from __future__ import annotations

from collections.abc import Iterator

from symbi_lang import codes
from symbi_lang.ast import Block, Field, Module, StringValue
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.walk import block_name
from symbi_lang.diagnostics import Diagnostic, Related
from symbi_lang.job_names import name_problem, shown_name
from symbi_lang.schema import BLOCKS


def check_names(module: Module, ctx: CheckContext) -> Iterator[Diagnostic]:
    """Label vs `name:`, missing or empty names, a schedule's missing or empty `agent`."""
    for item in module.items:
        spec = BLOCKS.get(item.kind)
        if spec is None or not spec.named:
            continue
        name_field = item.field("name")
        if item.label is not None and name_field is not None and item.label_span is not None:
            yield codes.NAMED_TWICE.at(
                name_field.span,
                kind=item.kind,
                label=item.label,
                help="remove the `name:` field, or the label",
                related=(Related(item.label_span, "named here"),),
            )
        elif (
            name_field is not None
            and isinstance(name_field.value, StringValue)
            and not name_field.value.value
        ):
            yield codes.EMPTY_VALUE.at(name_field.value.span, name="name", help=_name_help(item))
        elif item.label is None and name_field is None and not item.recovered:
            yield codes.MISSING_NAME.at(item.kind_span, kind=item.kind, help=_name_help(item))
        if item.kind == "schedule":
            yield from _check_job_name(item, name_field)
        if item.kind == "schedule":
            yield from _check_agent_field(item)


def _check_agent_field(item: Block) -> Iterator[Diagnostic]:
    agent = item.field("agent")
    if agent is None:
        if not item.recovered:
            shown = block_name(item)
            where = f"schedule `{shown}`" if shown else "schedule"
            yield codes.MISSING_FIELD.at(
                item.kind_span,
                where=where,
                name="agent",
                help='say which agent runs: `agent: "reporter-agent"`',
            )
    elif isinstance(agent.value, StringValue) and not agent.value.value.strip():
        yield codes.EMPTY_VALUE.at(
            agent.value.span, name="agent", help='say which agent runs: `agent: "reporter-agent"`'
        )


def _check_job_name(item: Block, name_field: Field | None) -> Iterator[Diagnostic]:
    """The job-name rule of `symbi_lang.job_names` (the HTTP API applies the same one)."""
    if name_field is not None and isinstance(name_field.value, StringValue) and name_field.value.value:
        name, span = name_field.value.value, name_field.value.span
    elif name_field is None and item.label is not None and item.label_span is not None:
        name, span = item.label, item.label_span
    else:
        return
    why = name_problem(name)
    if why is not None:
        yield codes.BAD_JOB_NAME.at(
            span,
            shown=shown_name(name),
            why=why,
            help="use letters, digits, spaces and punctuation other than `/` and `\\`, e.g. `daily-report`",
        )


def _name_help(item: Block) -> str:
    if item.kind == "schedule":
        return 'add `name: "daily-report"`, or a label: `schedule daily_report { … }`'
    return "add a label: `agent reporter { … }`"
