"""Can the heartbeat beat: a heartbeat needs a recurring `cron`, not a one-shot `at`."""

from __future__ import annotations

from collections.abc import Iterator

from symbi_lang import codes
from symbi_lang.ast import Block, Module
from symbi_lang.checks.context import CheckContext
from symbi_lang.diagnostics import Diagnostic, Related


def check_heartbeat(module: Module, ctx: CheckContext) -> Iterator[Diagnostic]:
    """`heartbeat` together with `at` (and no `cron`)."""
    for item in module.items:
        if item.kind != "schedule":
            continue
        heartbeat = item.entry("heartbeat")
        at = item.field("at")
        if heartbeat is not None and at is not None and item.field("cron") is None:
            span = heartbeat.kind_span if isinstance(heartbeat, Block) else heartbeat.name_span
            yield codes.HEARTBEAT_NEEDS_CRON.at(
                span,
                help='replace `at` with a cron such as `cron: "0 */5 * * * *"`, or remove `heartbeat`',
                related=(Related(at.span, "one-shot time given here"),),
            )
