"""Semantic checks: one module per concern, each `check_x(module, ctx) -> Iterable[Diagnostic]`.

`CHECKS` run on each module; `PROJECT_CHECKS` see every module of the run at once (duplicate names
across files, agent references). Checks never raise: problems come back as diagnostics.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from symbi_lang.ast import Module
from symbi_lang.checks.agents import check_agents
from symbi_lang.checks.context import CheckContext
from symbi_lang.checks.delivery import check_delivery
from symbi_lang.checks.fields import check_fields
from symbi_lang.checks.heartbeat import check_heartbeat
from symbi_lang.checks.herd import check_herd
from symbi_lang.checks.interpolation import check_interpolation
from symbi_lang.checks.names import check_names
from symbi_lang.checks.policy import check_policy
from symbi_lang.checks.references import check_agent_references, check_unique_names
from symbi_lang.checks.secrets import check_secrets
from symbi_lang.checks.timing import check_timing
from symbi_lang.checks.values import check_values
from symbi_lang.diagnostics import Diagnostic

__all__ = ["CHECKS", "PROJECT_CHECKS", "CheckContext", "run_checks"]

ModuleCheck = Callable[[Module, CheckContext], Iterable[Diagnostic]]
ProjectCheck = Callable[[Sequence[Module], CheckContext], Iterable[Diagnostic]]


def check_upstream_schedules(module: Module, ctx: CheckContext) -> Iterable[Diagnostic]:
    """`checks.upstream`'s check, imported only for a module that holds upstream items: a file of our
    dialect, the usual case, never loads the upstream dialect's modules."""
    if not module.upstream:
        return ()
    from symbi_lang.checks import upstream

    return upstream.check_upstream_schedules(module, ctx)


def check_upstream_policy_refs(modules: Sequence[Module], ctx: CheckContext) -> Iterable[Diagnostic]:
    """`checks.upstream`'s cross-file check, imported only when some module holds upstream items."""
    if not any(m.upstream for m in modules):
        return ()
    from symbi_lang.checks import upstream

    return upstream.check_upstream_policy_refs(modules, ctx)


CHECKS: tuple[ModuleCheck, ...] = (
    check_fields,
    check_names,
    check_agents,
    check_timing,
    check_values,
    check_delivery,
    check_policy,
    check_heartbeat,
    check_interpolation,
    check_secrets,
    check_upstream_schedules,
)

PROJECT_CHECKS: tuple[ProjectCheck, ...] = (
    check_unique_names,
    check_agent_references,
    check_herd,
    check_upstream_policy_refs,
)


def run_checks(modules: Sequence[Module], ctx: CheckContext) -> list[Diagnostic]:
    """Every check over every module, plus the cross-file checks (unsorted; callers sort)."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the walks allocate many short-lived objects over a large AST (DESIGN §6)
    out: list[Diagnostic] = []
    try:
        if ctx.now is None:
            ctx = replace(ctx, now=datetime.now(UTC))  # one "now" for the whole run
        for module in modules:
            for check in CHECKS:
                out.extend(check(module, ctx))
        for project_check in PROJECT_CHECKS:
            out.extend(project_check(modules, ctx))
    finally:
        if gc_was_enabled:
            gc.enable()
    return out
