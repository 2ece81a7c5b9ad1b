"""PLACEHOLDER owned by the checks work: lowering modules to the Job IR."""

from __future__ import annotations

from collections.abc import Sequence

from symbi_lang.ast import Module
from symbi_lang.ir import JobSet


def lower_modules(modules: Sequence[Module]) -> JobSet:
    """Lower checked modules to a JobSet."""
    return JobSet()
