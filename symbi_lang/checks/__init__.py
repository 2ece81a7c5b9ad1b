"""Semantic checks: one module per concern, each `check_x(module, ctx) -> Iterable[Diagnostic]`.

PLACEHOLDER owned by the checks work: `CheckContext` and `run_checks` are the fixed entry points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from symbi_lang.ast import Module
from symbi_lang.diagnostics import Diagnostic


@dataclass(frozen=True)
class CheckContext:
    """What checks may know beyond the text: environment, strictness, the time, configured defaults."""

    env: Mapping[str, str] = field(default_factory=dict)
    strict: bool = False
    now: datetime | None = None
    custom_channels: frozenset[str] = frozenset()
    slack_default_channel: bool = False


def run_checks(modules: Sequence[Module], ctx: CheckContext) -> list[Diagnostic]:
    """Every check over every module, plus the cross-file checks."""
    return []
